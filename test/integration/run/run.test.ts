/**
 * The orchestrator's guarantees that neither door shows on its own: retried runs stay silent, storage and delivery
 * failures do not swallow each other, and a tenant's state cannot be mixed up with another tenant's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage, Publisher } from '../../../lambda/notify/message';
import { defaultPolicy } from '../../../lambda/policy/load';
import { RunReportSchema, renderJson } from '../../../lambda/report/json';
import { AlertDeliveryError, ArchiveError } from '../../../lambda/run/errors';
import { type RunDeps, run, type TenantTarget } from '../../../lambda/run/run';
import { FsObjectStore } from '../../../lambda/store/fs-object-store';
import type { RunArchive } from '../../../lambda/store/store';
import { createRunArchive } from '../../../lambda/store/store';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { localRunDeps } from '../../support/run-deps';

class RecordingPublisher implements Publisher {
  readonly sent: OutboundMessage[] = [];
  failWith: Error | undefined;
  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(...messages);
  }
}

let sim: SimulatedTenant;
let dir: string;

beforeAll(async () => {
  sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  sim.setFaults([]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function setup(overrides: { archive?: RunArchive } = {}) {
  dir = await mkdtemp(join(tmpdir(), 'qag-run-'));
  const publisher = new RecordingPublisher();
  const deps = localRunDeps(dir, { publisher, ...(overrides.archive ? { archive: overrides.archive } : {}) });
  return { deps, publisher };
}

function target(name = 'acme', apiKey = sim.credentials.apiKey): TenantTarget {
  return { name, url: sim.url, allowedHosts: [], credentials: async () => ({ kind: 'api-key', apiKey }) };
}

const input = (runId: string, tenants: TenantTarget[]) => ({
  runId,
  tenants,
  policy: defaultPolicy(),
  tenantConcurrency: 2,
  tenantDeadlineMs: 30_000,
  allowHttpLoopback: true,
});

describe('run', () => {
  it('a retried invocation of the same scheduled run archives and sends nothing again', async () => {
    const { deps, publisher } = await setup();
    const first = await run(deps, input('2026-11-26T06:00:00Z', [target()]));
    expect(first.exitCode).toBe(1);
    // Every built-in rule maps to controls; the finding carries them for OCSF and the HTML report.
    for (const finding of first.report.tenants[0]!.findings) {
      expect(Object.keys(finding.compliance ?? {}).length, finding.ruleId).toBeGreaterThan(0);
    }
    const sentFirst = publisher.sent.length;
    expect(sentFirst).toBeGreaterThan(0);

    const retry = await run(deps, input('2026-11-26T06:00:00Z', [target()]));
    expect(publisher.sent.length).toBe(sentFirst);
    expect(retry.messages).toEqual([]);
    expect(retry.report.tenants[0]!.summary.duplicate).toBe(true);
  });

  it('a retried run of a tenant that cannot be checked sends its health alert once', async () => {
    const { deps, publisher } = await setup();
    await run(deps, input('2026-11-26T06:00:00Z', [target()])); // leaves a state behind
    publisher.sent.length = 0;

    sim.setFaults([{ kind: 'unauthorized' }]);
    const failed = await run(deps, input('2026-11-27T06:00:00Z', [target()]));
    expect(failed.exitCode).toBe(2);
    expect(failed.report.tenants[0]!.errors[0]!.code).toBe('unauthorized');
    const health = publisher.sent.filter((m) => m.eventType === 'health');
    expect(health.map((m) => m.channel).sort()).toEqual(['chat', 'email']);

    const retried = await run(deps, input('2026-11-27T06:00:00Z', [target()]));
    expect(retried.exitCode).toBe(2);
    expect(retried.messages).toEqual([]);
    expect(publisher.sent.filter((m) => m.eventType === 'health')).toHaveLength(2);

    const nextDay = await run(deps, input('2026-11-28T06:00:00Z', [target()]));
    expect(nextDay.messages.filter((m) => m.eventType === 'health')).toHaveLength(2);
  });

  it('when the report cannot be stored, alerts still go out and say so', async () => {
    const working = createRunArchive(new FsObjectStore(join(tmpdir(), 'unused')));
    const failing: RunArchive = {
      hasRun: async () => false,
      lastManifest: async () => undefined,
      locate: working.locate.bind(working),
      archiveRun: async () => {
        throw new Error('AccessDenied writing reports/');
      },
    };
    const { deps, publisher } = await setup({ archive: failing });
    const outcome = await run(deps, input('2026-11-26T07:00:00Z', [target()]));
    expect(outcome.archiveFailures).toHaveLength(1);
    expect(outcome.archiveFailures[0]).toBeInstanceOf(ArchiveError);
    expect(outcome.archiveFailures[0]!.tenantId).toBe(sim.tenantId);
    expect((outcome.archiveFailures[0]!.cause as Error).message).toBe('AccessDenied writing reports/');
    expect(outcome.report.tenants[0]!.reportLocation).toBeUndefined();
    const health = publisher.sent.filter((m) => m.eventType === 'health' && m.channel === 'email');
    expect(health).toHaveLength(1);
    expect(health[0]!.body).toMatch(/could not be stored/);
    expect(publisher.sent.some((m) => m.eventType === 'drift')).toBe(true);
  });

  it('when alerts cannot be delivered, the report still lands and the outcome says so', async () => {
    const { deps, publisher } = await setup();
    publisher.failWith = new Error('topic does not exist');
    const outcome = await run(deps, input('2026-11-26T08:00:00Z', [target()]));
    expect(outcome.deliveryFailures).toHaveLength(1);
    expect(outcome.deliveryFailures[0]).toBeInstanceOf(AlertDeliveryError);
    expect(outcome.deliveryFailures[0]!.message).toBe('acme: topic does not exist');
    expect(outcome.deliveryFailures[0]!.cause).toBe(publisher.failWith);
    expect(outcome.archiveFailures).toEqual([]);
    expect(await deps.archive.hasRun(sim.tenantId, '2026-11-26T08:00:00Z')).toBe(true);
  });

  it('refuses a drift state that belongs to another tenant instead of mixing their findings', async () => {
    const { deps } = await setup();
    await deps.state.saveState('acme', { ...(await firstState(deps)), tenantId: 'SomeOtherTenantId000000000000000' });
    const outcome = await run(deps, input('2026-11-26T09:00:00Z', [target()]));
    expect(outcome.exitCode).toBe(2);
    expect(outcome.report.tenants[0]!.errors[0]!.message).toMatch(/belongs to tenant SomeOtherTenantId/);
  });

  it('records why each tenant was checked: the schedule by default, or the event that triggered the check', async () => {
    const { deps, publisher } = await setup();
    const scheduled = await run(deps, input('2026-11-26T11:00:00Z', [target()]));
    expect(scheduled.report.tenants[0]!.trigger).toEqual({ kind: 'schedule' });
    expect(publisher.sent.find((m) => m.channel === 'email')!.body).not.toMatch(/Trigger:/);

    const trigger = {
      kind: 'event',
      eventType: 'com.qlik.v1.user.updated\nURGENT: forged line',
      eventId: 'evt-42',
      receivedAt: '2026-11-26T11:30:00.000Z',
    } as const;
    sim.setFaults([{ kind: 'unauthorized' }]);
    const triggered = await run(deps, { ...input('2026-11-26T11:30:00Z', [target()]), trigger });
    const tenant = RunReportSchema.parse(JSON.parse(renderJson(triggered.report))).tenants[0]!;
    expect(tenant.trigger).toEqual(trigger);
    const email = triggered.messages.find((m) => m.channel === 'email')!;
    const triggerLine = email.body
      .split('\n')
      .find((line) => line.startsWith('Trigger: event com.qlik.v1.user.updated'));
    expect(triggerLine).toMatch(/URGENT: forged line \(id evt-42\), received 2026-11-26T11:30:00\.000Z$/);
    expect(email.body.split('\n').some((line) => line.startsWith('URGENT'))).toBe(false);
    const chat = JSON.parse(triggered.messages.find((m) => m.channel === 'chat')!.body) as {
      metadata: { additionalContext: Record<string, string> };
    };
    expect(chat.metadata.additionalContext.trigger).toMatch(/^event com\.qlik\.v1\.user\.updated\S* ?URGENT/);
    expect(chat.metadata.additionalContext.trigger).not.toContain('\n');
  });

  it.each([
    { tenantConcurrency: 1, acmeHasState: true, order: ['impostor', 'acme'] },
    { tenantConcurrency: 2, acmeHasState: true, order: ['impostor', 'acme'] },
    { tenantConcurrency: 1, acmeHasState: false, order: ['acme', 'impostor'] },
  ])(
    'two configured tenants answering with one tenant id are both errors, never a skip (%o)',
    async ({ tenantConcurrency, acmeHasState, order }) => {
      const { deps, publisher } = await setup();
      if (acmeHasState) await run(deps, input('2026-11-26T05:00:00Z', [target('acme')]));
      publisher.sent.length = 0;

      const outcome = await run(deps, {
        ...input(
          '2026-11-26T12:00:00Z',
          order.map((name) => target(name)),
        ),
        tenantConcurrency,
      });
      expect(outcome.exitCode).toBe(2);
      for (const tenant of outcome.report.tenants) {
        expect(tenant.status, tenant.name).toBe('error');
        expect(tenant.summary.duplicate, tenant.name).toBeUndefined();
        expect(tenant.errors[0]!.code).toBe('bad-response');
        expect(tenant.errors[0]!.message).toContain(`answers as tenant ${sim.tenantId}`);
      }
      const byName = new Map(outcome.report.tenants.map((t) => [t.name, t.errors[0]!.message]));
      expect(byName.get('impostor')).toContain('configured tenant acme also does');
      expect(byName.get('acme')).toContain('configured tenant impostor also does');
      const health = publisher.sent.filter((m) => m.eventType === 'health' && m.channel === 'email');
      expect(health.map((m) => m.attributes.tenant).sort()).toEqual(['acme', 'impostor']);
    },
  );

  it('a run archived under a tenant id by another configured tenant is an error for the real one, not a duplicate', async () => {
    const { deps, publisher } = await setup();
    await run(deps, input('2026-11-26T05:00:00Z', [target('acme')]));
    // An earlier invocation of this run in which only the impostor got as far as the archive.
    await run(deps, input('2026-11-26T13:00:00Z', [target('impostor')]));
    publisher.sent.length = 0;

    const retried = await run(deps, input('2026-11-26T13:00:00Z', [target('acme')]));
    const acme = retried.report.tenants[0]!;
    expect(acme.status).toBe('error');
    expect(acme.summary.duplicate).toBeUndefined();
    expect(acme.errors[0]).toMatchObject({ code: 'bad-response' });
    expect(acme.errors[0]!.message).toMatch(/is archived already, but not by this configured tenant/);
    expect(publisher.sent.filter((m) => m.eventType === 'health')).toHaveLength(2);
    expect(retried.exitCode).toBe(2);
  });

  it('sets aside a drift state that is not the one the last archived run saved: findings count as new', async () => {
    const { deps, publisher } = await setup();
    const first = await run(deps, input('2026-11-26T14:00:00Z', [target()]));
    const newOnFirst = first.report.tenants[0]!.summary.new;
    expect(newOnFirst).toBeGreaterThan(0);
    const manifest = await deps.archive.lastManifest(sim.tenantId, 'check');
    expect(manifest?.manifest.stateSha256).toMatch(/^[0-9a-f]{64}$/);

    // Whoever can write state.json postpones every reminder to 2099.
    const saved = (await deps.state.loadState('acme')) as Record<string, unknown>;
    await deps.state.saveState('acme', { ...saved, lastReminderAt: '2099-01-01T00:00:00.000Z' });
    publisher.sent.length = 0;

    const second = await run(deps, input('2026-11-27T14:00:00Z', [target()]));
    const tenant = second.report.tenants[0]!;
    expect(tenant.status).toBe('ok');
    expect(tenant.summary.new).toBe(newOnFirst);
    expect(tenant.summary.ongoing).toBe(0);
    expect(tenant.notes?.some((n) => n.includes('drift state set aside'))).toBe(true);
    const health = publisher.sent.filter((m) => m.eventType === 'health' && m.channel === 'email');
    expect(health).toHaveLength(1);
    expect(health[0]!.body).toContain('drift state tampered with or out of sync');
    expect(publisher.sent.some((m) => m.eventType === 'drift')).toBe(true);

    // The state was started afresh and recorded: the next run trusts it again.
    const third = await run(deps, input('2026-11-28T14:00:00Z', [target()]));
    expect(third.report.tenants[0]!.summary).toMatchObject({ new: 0, ongoing: newOnFirst });
    expect(third.messages.filter((m) => m.eventType === 'health')).toEqual([]);
  });

  it('trusts a state whose only change since the archived run is a recorded health alert', async () => {
    const { deps } = await setup();
    await run(deps, input('2026-11-26T15:00:00Z', [target()]));
    sim.setFaults([{ kind: 'unauthorized' }]);
    await run(deps, input('2026-11-27T15:00:00Z', [target()]));
    sim.setFaults([]);
    const after = await run(deps, input('2026-11-28T15:00:00Z', [target()]));
    expect(after.report.tenants[0]!.summary.new).toBe(0);
    expect(after.messages.filter((m) => m.eventType === 'health')).toEqual([]);
  });

  it('isolates tenants: one failing credential does not stop the other tenant', async () => {
    const { deps } = await setup();
    const outcome = await run(deps, input('2026-11-26T10:00:00Z', [target('good'), target('bad', 'not-a-key')]));
    const [good, bad] = outcome.report.tenants;
    expect(good!.status).toBe('ok');
    expect(good!.findings.length).toBeGreaterThan(0);
    expect(bad!.status).toBe('error');
    expect(bad!.errors[0]!.code).toBe('unauthorized');
    expect(outcome.exitCode).toBe(2);
  });
});

async function firstState(deps: RunDeps): Promise<Record<string, unknown>> {
  await run(deps, input('2026-11-26T08:30:00Z', [target()]));
  return (await deps.state.loadState('acme')) as Record<string, unknown>;
}
