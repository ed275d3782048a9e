import { describe, expect, it } from 'vitest';
import { EMAIL_BODY_MAX_BYTES, emailSubject, renderEmail, TRUNCATED_LINE } from '../../../lambda/notify/email';
import { SUBJECT_MAX } from '../../../lambda/notify/headline';
import { planNotifications } from '../../../lambda/notify/plan';
import { utf8Bytes } from '../../../lambda/notify/text';
import type { Finding, FindingDraft } from '../../../lambda/report/model';
import {
  alertContext,
  DEVELOPER,
  driftDigest,
  finding,
  groupDraft,
  hasLoneSurrogate,
  LACKS,
  TENANT_ID,
  TENANT_URL,
  userDraft,
} from './fixtures';

const SNS_MAX_BYTES = 256 * 1024;

/** 10,000 failing findings with long texts: the worst case a large partner tenant could produce. */
function manyFindings(count: number): Finding[] {
  const rules = [LACKS, DEVELOPER, 'api-key-owner-inactive', 'api-key-expiring'];
  return Array.from({ length: count }, (_, i) => {
    const draft: FindingDraft = userDraft(`u-${String(i).padStart(5, '0')}`, `User ${i} ${'ö'.repeat(40)}`, {
      ruleId: rules[i % rules.length] ?? LACKS,
      severity: i % 3 === 0 ? 'critical' : 'high',
      message: `Finding ${i}: ${'why it matters '.repeat(40)}`,
      remediation: `Fix ${i}: ${'PATCH /api/v1/users/x '.repeat(60)}`,
    });
    return finding(draft);
  }).sort((a, b) =>
    a.severity === b.severity ? a.ruleId.localeCompare(b.ruleId) : a.severity === 'critical' ? -1 : 1,
  );
}

describe('email subject', () => {
  it('reads like "[qlik-access-guard] acme: 3 new, 1 resolved — critical"', () => {
    const digest = driftDigest(
      [finding(userDraft('u1', 'A')), finding(userDraft('u2', 'B')), finding(userDraft('u3', 'C'))],
      {
        counts: { new: 3, reopened: 0, exceptionExpired: 0, resolved: 1 },
      },
    );
    expect(emailSubject(digest)).toBe('[qlik-access-guard] acme: 3 new, 1 resolved — critical');
  });

  it.each([
    ['a very long tenant name', 'partner-tenant-'.repeat(20)],
    ['emoji', '🚀🔥👩‍👩‍👧‍👦'.repeat(30)],
    ['emoji at the cut', `${'x'.repeat(60)}😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀`],
    ['line breaks', 'acme\r\nBcc: someone@example.com'],
  ])('stays within 99 characters, one line, without broken characters, for %s', (_, tenantName) => {
    const digest = driftDigest([finding(userDraft('u1', 'A'))], {
      context: alertContext({ tenantName }),
      counts: { new: 12, reopened: 3, exceptionExpired: 2, resolved: 40 },
    });
    const subject = emailSubject(digest);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(hasLoneSurrogate(subject)).toBe(false);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('[qlik-access-guard] ')).toBe(true);
    // The tenant name gives way first: the counts and the severity survive.
    expect(subject.endsWith('12 new, 3 reopened, 2 exceptions expired, 40 resolved — critical')).toBe(true);
  });
});

describe('email body', () => {
  it('lists each finding with the person, the keys, why and the exact fix, grouped by severity then rule', () => {
    const alice = finding(userDraft('u-alice', 'Alice Svensson'));
    const group = finding(groupDraft('g-1', 'Builders'));
    const { body } = renderEmail(driftDigest([alice, group], { severity: 'critical' }));
    expect(body).toContain('“Alice Svensson” <alice.svensson@example.com> (user u-alice) [new]');
    expect(body).toContain('Keys: key-u-alice “CI pipeline” (expires 2026-12-31T00:00:00Z)');
    expect(body).toContain(`Why: ${alice.message}`);
    expect(body).toContain(`Fix: ${alice.remediation}`);
    expect(body).toContain(`Id: ${alice.id}`);
    expect(body.indexOf('CRITICAL · API-key owners hold Manage API keys')).toBeLessThan(
      body.indexOf('HIGH · Title of'),
    );
    expect(body).toContain('Report: https://reports.example.com/run/1');
  });

  it('shows the owner and the key of a key finding, and keeps numbered fix steps on their own lines', () => {
    const keyFinding = finding({
      ruleId: 'api-key-owner-inactive',
      severity: 'medium',
      subject: { type: 'apiKey', id: 'k-77', name: 'Nightly export' },
      message: 'API key "Nightly export" (k-77) is active but its owner is disabled.',
      evidence: {
        key: { id: 'k-77', description: 'Nightly export', expiry: null, status: 'active', subType: 'user' },
        owner: { id: 'u-9', name: 'Dana Lee', email: 'dana@example.com', status: 'disabled' },
      },
      remediation: 'Retire API key "Nightly export" (k-77).\n1. Create a replacement.\n2. DELETE /api/v1/api-keys/k-77',
    });
    const { body } = renderEmail(driftDigest([keyFinding], { severity: 'medium' }));
    expect(body).toContain('  • “Nightly export” (apiKey k-77) [new]');
    expect(body).toContain('    Person: “Dana Lee” <dana@example.com>');
    expect(body).toContain('    Keys: k-77 “Nightly export”\n');
    expect(body).toContain(
      '    Fix: Retire API key "Nightly export" (k-77).\n         1. Create a replacement.\n         2. DELETE',
    );
  });

  it('caps each section with "… and N more"', () => {
    const findings = Array.from({ length: 30 }, (_, i) =>
      finding(userDraft(`u${String(i).padStart(2, '0')}`, `User ${i}`)),
    );
    const { body } = renderEmail(driftDigest(findings, { context: alertContext({ maxItemsPerSection: 5 }) }));
    expect(body.match(/^ {2}• /gm)).toHaveLength(5);
    expect(body).toContain('… and 25 more');
  });

  it('says clearly when the report could not be stored, and links nothing', () => {
    const { body } = renderEmail(
      driftDigest([finding(userDraft('u1', 'A'))], {
        context: alertContext({ archiveFailed: 'S3 said AccessDenied' }),
      }),
    );
    expect(body).toContain('Report: NOT STORED — S3 said AccessDenied');
    expect(body).not.toContain('https://reports.example.com');
  });

  it('stays well under 256 KB with 10,000 findings, ending with a truncation note', () => {
    const findings = manyFindings(10_000);
    const { body } = renderEmail(
      driftDigest(findings, { context: alertContext({ maxItemsPerSection: 1_000 }), stillFailing: findings }),
    );
    expect(utf8Bytes(body)).toBeLessThanOrEqual(EMAIL_BODY_MAX_BYTES);
    expect(utf8Bytes(body)).toBeLessThan(SNS_MAX_BYTES);
    expect(body.endsWith(TRUNCATED_LINE)).toBe(true);
    expect(hasLoneSurrogate(body)).toBe(false);
  });

  it('keeps a planned digest of 10,000 findings under 256 KB for both channels', () => {
    const findings = manyFindings(10_000);
    const { messages } = planNotifications({
      tenant: {
        tenantUrl: TENANT_URL,
        tenantId: TENANT_ID,
        status: 'ok',
        errors: [],
        findings,
        resolved: findings.slice(0, 5_000).map((f) => ({ ...f, id: `${f.id}-r`, drift: 'resolved' as const })),
        notifications: [],
        exceptions: [],
        summary: {} as never,
      },
      tenantName: 'acme',
      runId: 'r1',
      now: new Date('2026-03-01T06:00:00Z'),
      previous: undefined,
      next: {
        schemaVersion: 1,
        tenantId: TENANT_ID,
        findings: {},
        formerDevelopers: { users: {}, groups: {} },
        history: [],
      },
      settings: { reminderEveryDays: 7, credentialExpiryWarningDays: 14, maxItemsPerSection: 25 },
      reportLink: 'https://reports.example.com/run/1',
    });
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(utf8Bytes(m.body) + utf8Bytes(m.subject)).toBeLessThan(SNS_MAX_BYTES);
    }
    expect(messages[0]?.body).toContain('… and');
  });
});
