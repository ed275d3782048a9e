/**
 * Tenant text is data, never structure: hostile names, emails, key descriptions, role, group and tenant names, error
 * text and notes go through the real rules and every output, and each output keeps the structure it has with benign
 * names. A property fails if any string fast-check finds adds a line, a column, an event, a tag or a control character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../lambda/cli/summary';
import { renderChat } from '../../../lambda/notify/chat';
import type { AlertContent, DriftDigest } from '../../../lambda/notify/content';
import { renderEmail } from '../../../lambda/notify/email';
import { tenantErrorIssue } from '../../../lambda/notify/health';
import { evaluatePolicy } from '../../../lambda/policy/evaluate';
import { CSV_COLUMNS, renderCsv } from '../../../lambda/report/csv';
import { renderHtml } from '../../../lambda/report/html';
import { renderJson } from '../../../lambda/report/json';
import type { Finding, RunReport } from '../../../lambda/report/model';
import { renderOcsf, toOcsfFindings } from '../../../lambda/report/ocsf';
import { alertContext, driftDigest, finding } from '../notify/fixtures';
import { daysFromNow, NOW, policyWith, SnapshotBuilder } from '../policy/builders';
import { makeRunReport, makeTenant } from '../report/fixtures';
import { parseCsv } from './csv-parse';
import { EVERYTHING, hostileName } from './hostile-text';
import { hasBidiControl, hasTerminalControl, hasUnsafeCharacter, splitAllLineBreaks } from './oracles';

/** Rendering whole reports per run is heavy: 150 runs per output, with room for a loaded machine. */
const RUNS = 150;
const TIMEOUT_MS = 180_000;

interface TenantStrings {
  readonly user: string;
  readonly email: string;
  readonly key: string;
  readonly role: string;
  readonly granting: string;
  readonly group: string;
  readonly tenant: string;
  readonly error: string;
  readonly note: string;
}

const FIELDS = ['user', 'email', 'key', 'role', 'granting', 'group', 'tenant', 'error', 'note'] as const;

const hostileStrings: fc.Arbitrary<TenantStrings> = fc.record(
  Object.fromEntries(FIELDS.map((field) => [field, hostileName])) as Record<keyof TenantStrings, fc.Arbitrary<string>>,
);

const BENIGN: TenantStrings = Object.fromEntries(FIELDS.map((field) => [field, `plain ${field}`])) as never;
const EVERYTHING_EVERYWHERE: TenantStrings = Object.fromEntries(
  FIELDS.map((field) => [field, `x${EVERYTHING}`]),
) as never;
const options = { numRuns: RUNS, examples: [[EVERYTHING_EVERYWHERE]] as [TenantStrings][] };

/**
 * A tenant where every built-in rule that names a principal fires: an owner without api-keys who still holds
 * Developer, directly and through a group, with a key about to expire; a disabled owner with a live key; and an
 * unassigned custom role granting api-keys, which the fixes then name.
 */
function findingsFor(names: TenantStrings): Finding[] {
  const b = new SnapshotBuilder();
  const developer = b.developerRole();
  const plain = b.role(names.role, []);
  b.role(names.granting, ['api-keys']);
  const group = b.group(names.group, [plain, developer]);
  const owner = b.user(names.user, { email: names.email, roles: [plain, developer], groups: [group] });
  b.key(owner, { description: names.key, expiry: daysFromNow(5) });
  const gone = b.user(`${names.user} (old)`, { email: names.email, status: 'disabled' });
  b.key(gone, { description: names.key });
  const drafts = evaluatePolicy(b.build(), policyWith(), NOW);
  return drafts.map((draft) => finding(draft));
}

function reportFor(names: TenantStrings): RunReport {
  const findings = findingsFor(names);
  const [first] = findings;
  const resolved = first ? [{ ...first, drift: 'resolved' as const }] : [];
  return makeRunReport([
    makeTenant({ tenantId: 'tenant-a', tenantName: names.tenant, findings, resolved, notes: [names.note] }),
    makeTenant({
      tenantId: 'tenant-b',
      tenantName: names.tenant,
      errors: [{ code: 'bad-response', message: names.error }],
    }),
  ]);
}

function digestFor(names: TenantStrings): DriftDigest {
  return driftDigest(findingsFor(names), {
    context: alertContext({ tenantName: names.tenant, archiveFailed: names.error }),
  });
}

function healthFor(names: TenantStrings): AlertContent {
  return {
    kind: 'health',
    context: alertContext({ tenantName: names.tenant }),
    severity: 'high',
    issues: [tenantErrorIssue({ code: 'bad-response', message: names.error })],
  };
}

/** Fix line counts per finding, keyed by rule and subject id (ids do not depend on names). */
function fixShape(findings: readonly Finding[]): Record<string, number> {
  return Object.fromEntries(
    findings.map((f) => [`${f.ruleId} ${f.subject.type} ${f.subject.id}`, splitAllLineBreaks(f.remediation).length]),
  );
}

function lineCount(text: string): number {
  return splitAllLineBreaks(text).length;
}

function tags(page: string): string[] {
  return [...page.matchAll(/<\/?[a-zA-Z][a-zA-Z0-9-]*/g)].map((m) => m[0].toLowerCase()).sort();
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

const benignReport = reportFor(BENIGN);
const benignFindings = findingsFor(BENIGN);

describe('tenant text through every output (fast-check)', () => {
  it(
    'rules: every fix has as many lines as with benign names, every message is one line',
    () => {
      expect(benignFindings.length).toBeGreaterThanOrEqual(5);
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const findings = findingsFor(names);
          expect(fixShape(findings)).toEqual(fixShape(benignFindings));
          for (const f of findings) {
            expect(lineCount(f.message)).toBe(1);
            expect(hasUnsafeCharacter(f.message)).toBe(false);
            expect(hasTerminalControl(f.remediation)).toBe(false);
            expect(hasBidiControl(f.remediation)).toBe(false);
          }
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'email: no more lines than with benign names (caps only cut), no control or bidi, a one-line subject',
    () => {
      const benign = renderEmail(digestFor(BENIGN));
      const benignHealth = renderEmail(healthFor(BENIGN));
      fc.assert(
        fc.property(hostileStrings, (names) => {
          for (const [email, expected] of [
            [renderEmail(digestFor(names)), benign],
            [renderEmail(healthFor(names)), benignHealth],
          ] as const) {
            // Long values may make a capped fix shorter in the email; nothing may make it longer.
            expect(lineCount(email.body)).toBeLessThanOrEqual(lineCount(expected.body));
            expect(hasUnsafeCharacter(email.body)).toBe(false);
            expect(lineCount(email.subject)).toBe(1);
            expect(hasUnsafeCharacter(email.subject)).toBe(false);
          }
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'chat: valid JSON with no raw control or bidi character, no more lines than with benign names',
    () => {
      const benign = renderChat(digestFor(BENIGN)).notification.content.description.split('\n').length;
      fc.assert(
        fc.property(hostileStrings, (names) => {
          for (const content of [digestFor(names), healthFor(names)]) {
            const chat = renderChat(content);
            expect(hasUnsafeCharacter(chat.body)).toBe(false);
            expect(lineCount(chat.body)).toBe(1);
            const parsed = JSON.parse(chat.body) as unknown;
            // Decoded, as Slack shows them: still nothing that reorders or controls text.
            for (const text of strings(parsed)) expect(hasUnsafeCharacter(text.replaceAll('\n', ' '))).toBe(false);
            if (content.kind === 'drift') {
              expect(chat.notification.content.description.split('\n').length).toBeLessThanOrEqual(benign);
            }
          }
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'HTML: the same tags as with benign names, fix blocks with the same lines, no control or bidi character',
    () => {
      const benign = renderHtml(benignReport);
      const benignPre = [...benign.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => lineCount(m[1] ?? '')).sort();
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const page = renderHtml(reportFor(names));
          expect(tags(page)).toEqual(tags(benign));
          const pre = [...page.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => lineCount(m[1] ?? '')).sort();
          expect(pre).toEqual(benignPre);
          expect(hasUnsafeCharacter(page.replaceAll('\n', ' '))).toBe(false);
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'CSV: strict RFC 4180, every row as many columns as the header, no live formula, no control or bidi',
    () => {
      const benignRows = parseCsv(renderCsv(benignReport)).length;
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const csv = renderCsv(reportFor(names));
          const rows = parseCsv(csv);
          expect(rows).toHaveLength(benignRows);
          for (const row of rows) {
            expect(row).toHaveLength(CSV_COLUMNS.length);
            for (const cell of row) {
              if (/^(?:[\t\r]|[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u.test(cell))
                expect.fail(`live formula: ${cell}`);
              expect(hasUnsafeCharacter(cell.replaceAll('\n', ' '))).toBe(false);
            }
          }
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'OCSF JSON Lines: one parseable line per event for any line reader, no raw control or bidi character',
    () => {
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const report = reportFor(names);
          const text = renderOcsf(report);
          const lines = splitAllLineBreaks(text);
          expect(lines.pop()).toBe('');
          expect(lines).toHaveLength(toOcsfFindings(report).length);
          for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
          expect(hasUnsafeCharacter(text.replaceAll('\n', ' '))).toBe(false);
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'report.json: parses to the exact tenant values, no raw control or bidi character in the bytes',
    () => {
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const report = reportFor(names);
          const json = renderJson(report);
          expect(hasUnsafeCharacter(json.replaceAll('\n', ' '))).toBe(false);
          const parsed = JSON.parse(json) as RunReport;
          expect(parsed.tenants[0]?.tenantName).toBe(names.tenant);
          expect(parsed.tenants[1]?.errors[0]?.message).toBe(names.error);
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'CLI summary: the same lines as with benign names, no ESC, CSI, OSC, BEL, CR or bidi',
    () => {
      const benign = lineCount(formatSummary(benignReport, { runFolder: 'out/runs/1' }));
      fc.assert(
        fc.property(hostileStrings, (names) => {
          const out = formatSummary(reportFor(names), { runFolder: 'out/runs/1' });
          expect(lineCount(out)).toBe(benign);
          expect(hasTerminalControl(out)).toBe(false);
          expect(hasUnsafeCharacter(out.replaceAll('\n', ' '))).toBe(false);
        }),
        options,
      );
    },
    TIMEOUT_MS,
  );
});
