import { describe, expect, it } from 'vitest';
import { emptyState } from '../../../lambda/drift/state';
import { renderEmail } from '../../../lambda/notify/email';
import type { OutboundMessage } from '../../../lambda/notify/message';
import { planNotifications } from '../../../lambda/notify/plan';
import { checkRun, dayAt, finding, groupDraft, SECRETS, tenantReport, userDraft } from './fixtures';

/** Anything that looks like a credential: a JWT, an Authorization value, or one of the planted secrets. */
function leaks(message: OutboundMessage): string[] {
  const text = `${message.subject}\n${message.body}\n${JSON.stringify(message.attributes)}`;
  const found: string[] = [];
  for (const secret of Object.values(SECRETS)) if (text.includes(secret)) found.push(secret);
  if (/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./.test(text)) found.push('a JWT');
  if (/Bearer\s+[A-Za-z0-9._~+/=-]{8,}/.test(text)) found.push('a bearer token');
  return found;
}

describe('alerts never carry credentials', () => {
  it('renders no token planted anywhere in evidence, in any event type or channel', () => {
    const drafts = [userDraft('u1', 'Alice'), userDraft('u2', 'Bob'), groupDraft('g1', 'Builders')];
    const first = checkRun({ previous: undefined, drafts, now: dayAt(1) });
    const driftPlan = planNotifications({ ...first.input, credentialExpiresAt: '2026-03-03T00:00:00Z' });
    const reminderPlan = planNotifications(checkRun({ previous: driftPlan.next, drafts, now: dayAt(9) }).input);
    const resolvedPlan = planNotifications(checkRun({ previous: driftPlan.next, drafts: [], now: dayAt(2) }).input);
    const messages = [...driftPlan.messages, ...reminderPlan.messages, ...resolvedPlan.messages];
    expect(messages.map((m) => m.eventType)).toEqual(expect.arrayContaining(['drift', 'reminder', 'health']));
    for (const message of messages)
      expect({ channel: message.channel, leaks: leaks(message) }).toEqual({ channel: message.channel, leaks: [] });
  });

  it('redacts a token pasted into a whitelisted field, such as a key description or a person name', () => {
    const pasted = userDraft('u1', `Alice ${SECRETS.jwt}`, {
      evidence: {
        user: { id: 'u1', name: 'Alice', email: 'alice@example.com' },
        apiKeys: [{ id: 'k1', description: `token is ${SECRETS.jwt}`, expiry: '2026-12-31T00:00:00Z' }],
      },
      message: `Key rejected with Authorization: ${SECRETS.bearer}`,
      remediation: `curl -d client_secret=${SECRETS.clientSecret} https://acme.eu.qlikcloud.com/oauth/token`,
    });
    const { input } = checkRun({ previous: undefined, drafts: [pasted], now: dayAt(1) });
    const { messages } = planNotifications(input);
    expect(messages).toHaveLength(2);
    for (const message of messages) expect(leaks(message)).toEqual([]);
    expect(messages[0]?.body).toContain('token is [redacted]');
  });

  it('redacts a token that appears in a tenant error message', () => {
    const { messages } = planNotifications({
      tenant: tenantReport([], [], {
        status: 'error',
        errors: [{ code: 'unauthorized', message: `401 for Authorization ${SECRETS.bearer} (key ${SECRETS.jwt})` }],
      }),
      tenantName: 'acme',
      runId: 'r1',
      now: dayAt(1),
      previous: undefined,
      next: emptyState('t'),
      settings: { reminderEveryDays: 7, credentialExpiryWarningDays: 14, maxItemsPerSection: 25 },
    });
    for (const message of messages) expect(leaks(message)).toEqual([]);
  });

  it('shows only whitelisted evidence fields', () => {
    const f = finding(userDraft('u1', 'Alice'), {
      evidence: {
        user: { name: 'Alice', email: 'a@example.com', department: 'Finance-Secret-Project' },
        note: 'internal-only',
      },
    });
    const { body } = renderEmail({
      kind: 'reminder',
      context: {
        tenantName: 'acme',
        tenantId: 't',
        tenantUrl: 'https://acme.eu.qlikcloud.com',
        runId: 'r',
        maxItemsPerSection: 5,
      },
      severity: 'critical',
      failing: [f],
      since: '2026-02-01T00:00:00.000Z',
      totals: { failing: 1, suppressed: 0 },
    });
    expect(body).toContain('“Alice” <a@example.com>');
    expect(body).not.toContain('Finance-Secret-Project');
    expect(body).not.toContain('internal-only');
  });
});
