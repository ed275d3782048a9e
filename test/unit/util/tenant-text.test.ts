import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeJsonText,
  escapeUnsafe,
  quoted,
  safeJson,
  safeLines,
  TENANT_TEXT_MAX,
  tenantText,
} from '../../../lambda/util/tenant-text';
import { hasLoneSurrogate } from '../notify/fixtures';
import { EVERYTHING, hostileText } from '../security/hostile-text';
import { hasBidiControl, hasTerminalControl, hasUnsafeCharacter, splitAllLineBreaks } from '../security/oracles';

const RUNS = 1_000;
/** 1,000 runs take well under a second alone; the shared test machine may be many times slower. */
const TIMEOUT_MS = 120_000;
const withEverything = { numRuns: RUNS, examples: [[EVERYTHING]] as [string][] };

describe('tenantText', () => {
  it(
    'is always one line without controls, bidi or separators, within the cap, never splitting a character',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          for (const max of [1, 8, 40, TENANT_TEXT_MAX]) {
            const out = tenantText(text, max);
            expect(splitAllLineBreaks(out)).toHaveLength(1);
            expect(out.includes('\n')).toBe(false);
            expect(hasUnsafeCharacter(out)).toBe(false);
            expect(out.length).toBeLessThanOrEqual(max);
            expect(hasLoneSurrogate(out)).toBe(false);
            // A cut never leaves half an escape behind.
            expect(out).not.toMatch(/\\u(\{[0-9A-F]*|[0-9A-F]{0,3})…$/);
          }
        }),
        withEverything,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'is idempotent: safe text made safe again reads the same',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const once = tenantText(text);
          expect(tenantText(once)).toBe(once);
        }),
        withEverything,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'leaves ordinary names alone, emoji sequences and accents included',
    () => {
      for (const name of ['Jane Doe', 'Zoë Łukasiewicz', '日本語', '👩‍💻 dev', 'e\u0301', 'svc-etl@example.com']) {
        expect(tenantText(name)).toBe(name);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'shows line breaks, controls and bidi characters escaped and a tab as a space',
    () => {
      expect(tenantText('a\nb\r\nc\td\u0085e\u2028f\u202eg\u001b[2Kh\u{e0041}')).toBe(
        'a\\nb\\r\\nc d\\u0085e\\u2028f\\u202Eg\\u001B[2Kh\\u{E0041}',
      );
    },
    TIMEOUT_MS,
  );

  it(
    'cuts a multi-megabyte value fast and within the cap',
    () => {
      const huge = `${'\u202e'.repeat(1_000)}${'a'.repeat(8 * 1024 * 1024)}`;
      const out = tenantText(huge, 50);
      expect(out.length).toBeLessThanOrEqual(50);
      expect(out.endsWith('…')).toBe(true);
    },
    TIMEOUT_MS,
  );
});

describe('quoted', () => {
  it(
    'wraps one safe line in curly quotes that the value cannot close',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const out = quoted(text);
          expect(out.startsWith('“')).toBe(true);
          expect(out.endsWith('”')).toBe(true);
          expect(out.slice(1, -1)).not.toMatch(/[“”]/);
          expect(hasUnsafeCharacter(out)).toBe(false);
          expect(splitAllLineBreaks(out)).toHaveLength(1);
        }),
        withEverything,
      );
    },
    TIMEOUT_MS,
  );
});

describe('safeLines', () => {
  it(
    'keeps only our line feeds: never more lines than the text had line feeds, each line safe',
    () => {
      fc.assert(
        fc.property(fc.array(hostileText, { minLength: 1, maxLength: 5 }), (parts) => {
          // Our text: parts joined by our line feeds, the parts themselves tenant text already made one line.
          const ours = parts.map((part) => tenantText(part)).join('\n');
          const out = safeLines(ours, 10_000);
          expect(splitAllLineBreaks(out)).toHaveLength(parts.length);
          expect(hasTerminalControl(out)).toBe(false);
          expect(hasBidiControl(out)).toBe(false);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'escapes every line break but the line feed in raw text too',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const out = safeLines(text, 10_000);
          expect(splitAllLineBreaks(out)).toHaveLength(text.split('\n').length);
        }),
        withEverything,
      );
    },
    TIMEOUT_MS,
  );
});

describe('escapeJsonText and safeJson', () => {
  it(
    'keep the exact value and leave no raw control, separator or bidi character in the bytes',
    () => {
      fc.assert(
        fc.property(fc.dictionary(hostileText, fc.oneof(hostileText, fc.array(hostileText))), (value) => {
          const json = safeJson(value);
          expect(JSON.parse(json)).toEqual(value);
          expect(hasUnsafeCharacter(json)).toBe(false);
          expect(splitAllLineBreaks(json)).toHaveLength(1);
          expect(JSON.parse(escapeJsonText(JSON.stringify(value, null, 2)))).toEqual(value);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'escapeUnsafe is the identity on safe text',
    () => {
      fc.assert(
        fc.property(hostileText, (text) => {
          const safe = escapeUnsafe(text);
          expect(escapeUnsafe(safe)).toBe(safe);
        }),
        withEverything,
      );
    },
    TIMEOUT_MS,
  );
});
