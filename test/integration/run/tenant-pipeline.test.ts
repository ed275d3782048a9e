/**
 * One tenant's pipeline against the simulated tenant: each way a check can end is a typed outcome, and each failure
 * is its own Error class that keeps what caused it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckError, InputError } from '../../../lambda/errors';
import { defaultPolicy } from '../../../lambda/policy/load';
import {
  AlertDeliveryError,
  CollectError,
  StateOwnerMismatchError,
  StateUnreadableError,
  TenantCheckFailure,
} from '../../../lambda/run/errors';
import type { RunDeps, TenantTarget } from '../../../lambda/run/run';
import { TenantIdRegistry } from '../../../lambda/run/tenant-ids';
import { type TenantCheckContext, TenantPipeline } from '../../../lambda/run/tenant-pipeline';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { localRunDeps } from '../../support/run-deps';

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
  await rm(dir, { recursive: true, force: true });
});

async function depsWith(overrides: Partial<RunDeps> = {}): Promise<RunDeps> {
  dir = await mkdtemp(join(tmpdir(), 'qag-pipeline-'));
  return localRunDeps(dir, overrides);
}

const target: TenantTarget = {
  name: 'acme',
  get url() {
    return sim.url;
  },
  allowedHosts: [],
  credentials: async () => ({ kind: 'api-key', apiKey: sim.credentials.apiKey }),
};

const context = (runId: string): TenantCheckContext => ({
  runId,
  runStartedAt: new Date().toISOString(),
  trigger: { kind: 'schedule' },
  policy: defaultPolicy(),
  tenantDeadlineMs: 30_000,
  allowHttpLoopback: true,
  tenantIds: new TenantIdRegistry(),
});

describe('TenantPipeline', () => {
  it('checks a tenant, then calls the same run a duplicate', async () => {
    const deps = await depsWith();
    const checked = await new TenantPipeline(deps, context('2026-11-26T06:00:00Z'), target).check();
    expect(checked.kind).toBe('checked');
    expect(checked.report.status).toBe('ok');
    expect(checked.trend).toHaveLength(1);
    const again = await new TenantPipeline(deps, context('2026-11-26T06:00:00Z'), target).check();
    expect(again.kind).toBe('duplicate');
    expect(again.messages).toEqual([]);
  });

  it('fails with StateUnreadableError, keeping the store’s error as its cause', async () => {
    const base = await depsWith();
    const broken = new InputError('state.json', 'findings', 'an object');
    const deps = { ...base, state: { ...base.state, loadState: async () => Promise.reject(broken) } };
    const outcome = await new TenantPipeline(deps, context('r1'), target).check();
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.failure).toBeInstanceOf(StateUnreadableError);
    expect(outcome.failure.cause).toBe(broken);
    expect(outcome.report.errors).toEqual([{ code: 'bad-input', message: outcome.failure.message }]);
    expect(outcome.messages.map((m) => m.eventType)).toEqual(['health', 'health']);
  });

  it('fails with CollectError carrying the client’s error and its code', async () => {
    const deps = await depsWith();
    sim.setFaults([{ kind: 'unauthorized' }]);
    const outcome = await new TenantPipeline(deps, context('r2'), target).check();
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${outcome.kind}`);
    expect(outcome.failure).toBeInstanceOf(CollectError);
    expect(outcome.failure).toBeInstanceOf(TenantCheckFailure);
    expect(outcome.failure.code).toBe('unauthorized');
    expect(outcome.failure.cause).toBeInstanceOf(CheckError);
  });

  it('fails with StateOwnerMismatchError naming both tenant ids', async () => {
    const deps = await depsWith();
    await new TenantPipeline(deps, context('r3'), target).check();
    const state = (await deps.state.loadState('acme')) as Record<string, unknown>;
    await deps.state.saveState('acme', { ...state, tenantId: 'SomeOtherTenantId' });
    const outcome = await new TenantPipeline(deps, context('r4'), target).check();
    if (outcome.kind !== 'failed') throw new Error(`expected failed, got ${outcome.kind}`);
    expect(outcome.failure).toBeInstanceOf(StateOwnerMismatchError);
    expect(outcome.failure).toMatchObject({ stateTenantId: 'SomeOtherTenantId', answeredTenantId: sim.tenantId });
    // The other tenant's state is left as it was: not this tenant's to record a health alert in.
    expect(((await deps.state.loadState('acme')) as { lastHealthAlert?: unknown }).lastHealthAlert).toBeUndefined();
  });

  it('reports undelivered alerts as AlertDeliveryError in a checked outcome', async () => {
    const refused = new Error('topic does not exist');
    const deps = await depsWith({ publisher: { publish: async () => Promise.reject(refused) } });
    const outcome = await new TenantPipeline(deps, context('r5'), target).check();
    if (outcome.kind !== 'checked') throw new Error(`expected checked, got ${outcome.kind}`);
    expect(outcome.deliveryFailure).toBeInstanceOf(AlertDeliveryError);
    expect(outcome.deliveryFailure).toMatchObject({
      tenant: 'acme',
      cause: refused,
      message: 'acme: topic does not exist',
    });
  });
});
