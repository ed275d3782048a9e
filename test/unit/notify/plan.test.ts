import { describe, expect, it } from 'vitest';
import type { TenantState } from '../../../lambda/drift/state';
import { emptyState } from '../../../lambda/drift/state';
import { CHECK_ERROR_CODES } from '../../../lambda/errors';
import { planNotifications } from '../../../lambda/notify/plan';
import { checkRun, dayAt, groupDraft, SETTINGS, TENANT_ID, tenantReport, userDraft } from './fixtures';

const alice = userDraft('u-alice', 'Alice Svensson');
const bob = userDraft('u-bob', 'Bob Okafor');
const builders = groupDraft('g-builders', 'Builders');

/** Runs daily from `firstDay`, returning each day's messages; `draftsOn(day)` gives that day's findings. */
function daily(days: number, draftsOn: (day: number) => ReturnType<typeof userDraft>[], settings = {}) {
  let previous: TenantState | undefined;
  const out: { day: number; events: string[]; next: TenantState }[] = [];
  for (let day = 1; day <= days; day++) {
    const { input } = checkRun({ previous, drafts: draftsOn(day), now: dayAt(day), settings });
    const plan = planNotifications(input);
    out.push({ day, events: plan.messages.map((m) => `${m.eventType}/${m.channel}`), next: plan.next });
    previous = plan.next;
  }
  return out;
}

describe('drift alerts', () => {
  it('sends one email and one chat message when something is new, with filterable attributes', () => {
    const { input } = checkRun({ previous: undefined, drafts: [alice, builders], now: dayAt(1) });
    const { messages } = planNotifications(input);
    expect(messages.map((m) => [m.eventType, m.channel])).toEqual([
      ['drift', 'email'],
      ['drift', 'chat'],
    ]);
    for (const m of messages) {
      expect(m.attributes).toEqual({ severity: 'critical', tenant: 'acme', eventType: 'drift' });
      expect(m.severity).toBe('critical');
      expect(m.tenantId).toBe(TENANT_ID);
    }
    expect(messages[0]?.subject).toBe('[qlik-access-guard] acme: 2 new — critical');
  });

  it('stays silent when nothing changed', () => {
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const second = checkRun({ previous: planNotifications(first.input).next, drafts: [alice], now: dayAt(2) });
    expect(planNotifications(second.input).messages).toEqual([]);
  });

  it('alerts when a finding resolves, with the worst resolved severity', () => {
    const first = checkRun({ previous: undefined, drafts: [alice, builders], now: dayAt(1) });
    const second = checkRun({ previous: planNotifications(first.input).next, drafts: [alice], now: dayAt(2) });
    const { messages } = planNotifications(second.input);
    expect(messages.map((m) => m.eventType)).toEqual(['drift', 'drift']);
    expect(messages[0]?.subject).toBe('[qlik-access-guard] acme: 1 resolved');
    expect(messages[0]?.severity).toBe('high');
    expect(messages[0]?.body).toContain('RESOLVED (1)');
    expect(messages[0]?.body).toContain('Builders');
  });

  it('never alerts about suppressed findings, new or resolved', () => {
    const exception = {
      rule: 'api-key-owner-lacks-manage-permission',
      subject: { id: 'u-alice' },
      reason: 'r',
      owner: 'o',
    };
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1), exceptions: [exception] });
    expect(first.input.tenant.findings[0]?.status).toBe('suppressed');
    const firstPlan = planNotifications(first.input);
    expect(firstPlan.messages).toEqual([]);
    const second = checkRun({ previous: firstPlan.next, drafts: [], now: dayAt(2), exceptions: [exception] });
    expect(planNotifications(second.input).messages).toEqual([]);
  });

  it('alerts when an exception expires, saying why the finding was suppressed', () => {
    const exception = {
      rule: 'api-key-owner-lacks-manage-permission',
      subject: { id: 'u-alice' },
      reason: 'migration of the ETL service account',
      owner: 'jane@example.com',
      ticket: 'SEC-42',
      expires: '2026-03-01',
    };
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1), exceptions: [exception] });
    const second = checkRun({
      previous: planNotifications(first.input).next,
      drafts: [alice],
      now: dayAt(2),
      exceptions: [exception],
    });
    const { messages } = planNotifications(second.input);
    expect(messages[0]?.subject).toBe('[qlik-access-guard] acme: 1 exception expired — critical');
    expect(messages[0]?.body).toContain('migration of the ETL service account');
    expect(messages[0]?.body).toContain('SEC-42');
    expect(JSON.parse(messages[1]?.body ?? '{}').content.description).toContain('exception expired');
  });

  it('records when each finding was alerted', () => {
    const { input, drift } = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const { next } = planNotifications(input);
    const id = drift.findings[0]?.id ?? '';
    expect(input.next.findings[id]?.lastAlertedAt).toBeUndefined();
    expect(next.findings[id]?.lastAlertedAt).toBe(dayAt(1).toISOString());
    expect(next.lastReminderAt).toBe(dayAt(1).toISOString());
  });

  it('plans the same messages for the same input', () => {
    const { input } = checkRun({ previous: undefined, drafts: [bob, alice, builders], now: dayAt(1) });
    expect(planNotifications(input)).toEqual(planNotifications(input));
  });
});

describe('reminders', () => {
  it('reminds about still-failing findings every reminderEveryDays, not every run', () => {
    const runs = daily(16, () => [alice]);
    const reminders = runs.filter((r) => r.events.includes('reminder/email')).map((r) => r.day);
    expect(runs[0]?.events).toEqual(['drift/email', 'drift/chat']);
    expect(reminders).toEqual([8, 15]);
    expect(runs.filter((r) => r.events.length === 0)).toHaveLength(13);
  });

  it('does not remind in a run that sends a drift digest, and restarts the period from it', () => {
    // Day 8 would be the reminder; Bob appears that day, so the drift digest (which lists Alice too) goes instead.
    const runs = daily(16, (day) => (day >= 8 ? [alice, bob] : [alice]));
    expect(runs[7]?.events).toEqual(['drift/email', 'drift/chat']);
    expect(runs.filter((r) => r.events.includes('reminder/email')).map((r) => r.day)).toEqual([15]);
  });

  it('tolerates a run starting a little earlier than a week after the last reminder', () => {
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const state = planNotifications(first.input).next;
    const early = checkRun({ previous: state, drafts: [alice], now: dayAt(8, '05:59:57') });
    expect(planNotifications(early.input).messages.map((m) => m.eventType)).toEqual(['reminder', 'reminder']);
    const tooEarly = checkRun({ previous: state, drafts: [alice], now: dayAt(7, '06:00:00') });
    expect(planNotifications(tooEarly.input).messages).toEqual([]);
  });

  it('counts from the first failing sighting when no reminder was ever sent', () => {
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const { lastReminderAt: _none, ...withoutReminder } = first.drift.next;
    const later = checkRun({ previous: withoutReminder, drafts: [alice], now: dayAt(8) });
    const { messages, next } = planNotifications(later.input);
    expect(messages.map((m) => m.eventType)).toEqual(['reminder', 'reminder']);
    expect(messages[0]?.subject).toBe('[qlik-access-guard] acme: 1 still failing (reminder) — critical');
    expect(messages[0]?.body).toContain('Alice Svensson');
    expect(next.lastReminderAt).toBe(dayAt(8).toISOString());
  });

  it('treats a reminder time later than one interval ahead as forged: the reminder is due now', () => {
    const first = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const forged = { ...planNotifications(first.input).next, lastReminderAt: '2099-01-01T00:00:00.000Z' };
    const next = checkRun({ previous: forged, drafts: [alice], now: dayAt(2) });
    const { messages, next: state } = planNotifications(next.input);
    expect(messages.map((m) => m.eventType)).toEqual(['reminder', 'reminder']);
    expect(messages[0]?.body).not.toContain('2099');
    expect(state.lastReminderAt).toBe(dayAt(2).toISOString());
    // A reminder time ahead by less than one interval (clock skew, a run started early) keeps its cadence.
    const skewed = { ...forged, lastReminderAt: dayAt(3).toISOString() };
    expect(planNotifications(checkRun({ previous: skewed, drafts: [alice], now: dayAt(2) }).input).messages).toEqual(
      [],
    );
  });

  it('never reminds when the cadence is 0 or nothing fails', () => {
    expect(
      daily(20, () => [alice], { reminderEveryDays: 0 }).filter((r) => r.events.includes('reminder/email')),
    ).toEqual([]);
    const clean = checkRun({
      previous: { ...emptyState(TENANT_ID), lastReminderAt: dayAt(1).toISOString() },
      drafts: [],
      now: dayAt(20),
    });
    expect(planNotifications(clean.input).messages).toEqual([]);
  });
});

describe('health alerts', () => {
  it('says when the drift state was set aside because it is not the one the last archived run saved', () => {
    const { input } = checkRun({ previous: undefined, drafts: [alice], now: dayAt(1) });
    const { messages } = planNotifications({
      ...input,
      stateMismatch: 'the drift state s3://b/state.json (SHA-256 ab)',
    });
    const health = messages.filter((m) => m.eventType === 'health');
    expect(health.map((m) => m.channel)).toEqual(['email', 'chat']);
    expect(health[0]?.body).toContain('drift state tampered with or out of sync');
    expect(health[0]?.body).toContain('s3://b/state.json');
    expect(messages.filter((m) => m.eventType === 'drift')).toHaveLength(2);
  });

  const errored = (code: (typeof CHECK_ERROR_CODES)[number]) =>
    planNotifications({
      tenant: tenantReport([], [], { status: 'error', errors: [{ code, message: `tenant check failed: ${code}` }] }),
      tenantName: 'acme',
      runId: 'r1',
      now: dayAt(1),
      previous: undefined,
      next: emptyState(TENANT_ID),
      settings: SETTINGS,
    });

  it.each(CHECK_ERROR_CODES)('explains a %s tenant error as a high health alert on both channels', (code) => {
    const { messages } = errored(code);
    expect(messages.map((m) => [m.eventType, m.channel, m.severity])).toEqual([
      ['health', 'email', 'high'],
      ['health', 'chat', 'high'],
    ]);
    expect(messages[0]?.attributes).toEqual({ severity: 'high', tenant: 'acme', eventType: 'health' });
    expect(messages[0]?.body).toContain(`tenant check failed: ${code}`);
    expect(messages[0]?.body).toContain('not a pass');
    expect(messages[0]?.body).toContain('What to do:');
  });

  it('tells what an unauthorized or forbidden error means and what to do', () => {
    const unauthorized = errored('unauthorized').messages[0];
    expect(unauthorized?.subject).toContain('unauthorized');
    expect(unauthorized?.body).toContain('Manage API keys');
    expect(unauthorized?.body).toContain('OAuth machine-to-machine client');
    const forbidden = errored('forbidden').messages[0];
    expect(forbidden?.body).toContain('TenantAdmin');
    expect(errored('timeout').messages[0]?.body).toContain('tenantDeadlineSeconds');
    expect(errored('unreachable').messages[0]?.body).toContain('allowedHosts');
  });

  it('sends no drift or reminder for a tenant that could not be checked', () => {
    const { messages } = errored('timeout');
    expect(messages.every((m) => m.eventType === 'health')).toBe(true);
  });

  it('warns once a day when the checker credential expires within the warning window', () => {
    const base = checkRun({ previous: undefined, drafts: [], now: dayAt(1) });
    const expiring = { ...base.input, credentialExpiresAt: '2026-03-06T00:00:00Z' };
    const first = planNotifications(expiring);
    expect(first.messages.map((m) => [m.eventType, m.severity])).toEqual([
      ['health', 'medium'],
      ['health', 'medium'],
    ]);
    expect(first.messages[0]?.subject).toContain('credential expires in 5 days');
    expect(first.next.lastCredentialWarningAt).toBe(dayAt(1).toISOString());

    const laterSameDay = { ...expiring, now: dayAt(1, '18:00:00'), previous: first.next };
    expect(planNotifications(laterSameDay).messages).toEqual([]);
    const nextDay = { ...expiring, now: dayAt(4), previous: first.next };
    expect(planNotifications(nextDay).messages[0]?.severity).toBe('high');
    const farAway = { ...base.input, credentialExpiresAt: '2026-06-01T00:00:00Z' };
    expect(planNotifications(farAway).messages).toEqual([]);
  });

  it('reports a report that could not be stored, in a health alert and in the digest', () => {
    const { input } = checkRun({
      previous: undefined,
      drafts: [alice],
      now: dayAt(1),
      plan: { archiveFailed: 'the report could not be stored: AccessDenied' },
    });
    const { messages } = planNotifications(input);
    expect(messages.map((m) => m.eventType)).toEqual(['drift', 'drift', 'health', 'health']);
    expect(messages[0]?.body).toContain('NOT STORED');
    expect(messages[0]?.body).not.toContain('https://reports.example.com');
    expect(messages[2]?.subject).toContain('report could not be stored');
    expect(messages[2]?.severity).toBe('high');
    expect(messages[2]?.body).toContain('AccessDenied');
  });
});
