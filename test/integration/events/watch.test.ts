/**
 * `watch` end to end on 127.0.0.1: the simulated tenant delivers signed webhooks to the watch receiver (or only its
 * audit log is polled), and a role taken from a key owner in the tenant's console becomes the critical drift alert
 * preview of an event-triggered check. Forged, replayed and oversized deliveries trigger nothing; a burst is debounced.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWatch } from '../../../lambda/cli/watch-run';
import { installWebhook } from '../../../lambda/events/install';
import type { Watch } from '../../../lambda/events/watch';
import { LocalWebhookSecrets, newWebhookSecret } from '../../../lambda/events/webhook-secrets';
import { defaultPolicy } from '../../../lambda/policy/load';
import { QlikClient } from '../../../lambda/qlik/client';
import type { TenantTarget } from '../../../lambda/run/run';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';
import { freePort } from '../../support/net';

const JANE = '65a1f3c2e4b0a1b2c3d4e5f6';
const CRITICAL_RULE = 'api-key-owner-lacks-manage-permission';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Setup {
  readonly sim: SimulatedTenant;
  readonly watch: Watch;
  readonly out: string;
  readonly secret: string | undefined;
  readonly lines: string[];
}

async function setup(options: { webhook: boolean; debounceMs: number; pollMs: number }): Promise<Setup> {
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  cleanups.push(() => sim.close());
  const dir = await mkdtemp(join(tmpdir(), 'qag-watch-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const stateDir = join(dir, 'state');
  const credentials = {
    kind: 'oauth-client' as const,
    clientId: sim.credentials.clientId,
    clientSecret: sim.credentials.clientSecret,
  };
  const port = await freePort();
  let secret: string | undefined;
  if (options.webhook) {
    secret = newWebhookSecret();
    const client = new QlikClient({ tenantUrl: sim.url, credentials, allowHttpLoopback: true });
    const installed = await installWebhook(client, 'acme', `http://127.0.0.1:${port}`, secret);
    await client.close();
    await new LocalWebhookSecrets(stateDir).save({
      tenant: 'acme',
      webhookId: installed!.webhookId,
      url: installed!.url,
      eventTypes: installed!.eventTypes,
      secret,
      installedAt: new Date().toISOString(),
    });
  }
  const target: TenantTarget = { name: 'acme', url: sim.url, allowedHosts: [], credentials: async () => credentials };
  const lines: string[] = [];
  const controller = new AbortController();
  let watch: Watch | undefined;
  const stopped = runWatch(
    {
      targets: [target],
      policy: defaultPolicy(),
      failOn: 'high',
      deadlineSeconds: 60,
      allowHttpLoopback: true,
      outDir: out,
      stateDir,
      host: '127.0.0.1',
      port,
      debounceMs: options.debounceMs,
      pollMs: options.pollMs,
      quiet: false,
    },
    { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) },
    controller.signal,
    (w) => {
      watch = w;
    },
  );
  cleanups.push(async () => {
    controller.abort();
    expect(await stopped).toBe(0);
  });
  while (!watch) await new Promise((r) => setTimeout(r, 20));
  await watch.started;
  return { sim, watch, out, secret, lines };
}

async function consoleSetRoles(sim: SimulatedTenant, roles: string[]): Promise<void> {
  const response = await fetch(`${sim.url}/__console/users/${JANE}/roles`, {
    method: 'POST',
    body: JSON.stringify({ roles }),
  });
  expect(response.status).toBe(204);
}

/** Run folders in creation order (names are ISO times). */
async function runFolders(out: string): Promise<string[]> {
  try {
    return (await readdir(join(out, 'runs'))).sort();
  } catch {
    return [];
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The email preview of an event-triggered run whose new finding is the critical one about Jane's key. */
async function criticalAlert(out: string): Promise<string> {
  return until('the critical alert preview', async () => {
    for (const folder of await runFolders(out)) {
      if (!folder.endsWith('-acme')) continue;
      const email = await readFile(join(out, 'runs', folder, 'email.txt'), 'utf8').catch(() => '');
      if (email.includes(`CRITICAL · `) && email.includes(CRITICAL_RULE) && email.includes(JANE)) return email;
    }
    return undefined;
  });
}

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') {
  return fetch(url, { method, body: method === 'GET' ? undefined : body, headers });
}

describe('watch', () => {
  it('checks the tenant after a webhook for a role taken from a key owner and previews the critical alert', async () => {
    const { sim, watch, out } = await setup({ webhook: true, debounceMs: 200, pollMs: 60_000 });
    expect(await runFolders(out)).toHaveLength(1); // the start check
    await consoleSetRoles(sim, ['AuditAdmin']);
    const email = await criticalAlert(out);
    expect(email).toMatch(/critical/i);
    expect(email).toContain('com.qlik.core.user.updated');
    expect(watch.stats).toMatchObject({ accepted: 1, checks: 2 });
    const report = JSON.parse(
      await readFile(join(out, 'runs', (await runFolders(out)).at(-1)!, 'report.json'), 'utf8'),
    ) as { tenants: { trigger?: { kind: string; eventType?: string } }[] };
    expect(report.tenants[0]!.trigger).toMatchObject({ kind: 'event', eventType: 'com.qlik.core.user.updated' });
  });

  it('finds the change through the audit poll alone when no webhook is installed', async () => {
    const { sim, watch, out } = await setup({ webhook: false, debounceMs: 0, pollMs: 300 });
    await consoleSetRoles(sim, ['AuditAdmin']);
    const email = await criticalAlert(out);
    expect(email).toMatch(/critical/i);
    expect(watch.stats.accepted).toBe(0);
    expect(watch.stats.auditEvents).toBeGreaterThanOrEqual(1);
  });

  it('answers forged, oversized, misdirected and non-POST deliveries without a check, and counts a replay once', async () => {
    const { sim, watch, out, secret, lines } = await setup({ webhook: true, debounceMs: 100, pollMs: 60_000 });
    const url = `${watch.url}/qlik/acme`;
    const body = JSON.stringify({ type: 'com.qlik.core.user.updated', id: 'forged-1', data: {} });
    const forged = createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    expect((await post(url, body, { 'qlik-signature': forged })).status).toBe(401);
    expect((await post(url, body)).status).toBe(401);
    const big = Buffer.alloc(300 * 1024, 'a');
    const bigSigned = createHmac('sha256', secret!).update(big).digest('hex');
    expect((await post(url, big, { 'qlik-signature': bigSigned })).status).toBe(413);
    const signed = createHmac('sha256', secret!).update(body).digest('hex');
    expect((await post(`${watch.url}/qlik/nobody`, body, { 'qlik-signature': signed })).status).toBe(404);
    expect((await post(url, '', {}, 'GET')).status).toBe(405);
    await new Promise((r) => setTimeout(r, 400));
    expect(watch.stats.checks).toBe(1);
    expect(await runFolders(out)).toHaveLength(1);
    // Nothing of a rejected body or signature reaches the log.
    expect(lines.join('')).not.toContain(forged);
    expect(lines.join('')).not.toContain('forged-1');

    // A real delivery, then Qlik's resend of it: one check.
    await consoleSetRoles(sim, ['AuditAdmin']);
    await sim.events.settle();
    await until('the event check', async () => (watch.stats.checks === 2 ? true : undefined));
    const [delivery] = sim.events.deliveries;
    sim.events.resend(delivery!);
    await sim.events.settle();
    await new Promise((r) => setTimeout(r, 400));
    expect(watch.stats).toMatchObject({ accepted: 2, duplicates: 1, checks: 2 });
  });

  it('turns 500 events in a burst into at most two checks', async () => {
    const { sim, watch } = await setup({ webhook: true, debounceMs: 3000, pollMs: 60_000 });
    const started = Date.now();
    for (let i = 0; i < 500; i++) sim.events.emit('com.qlik.core.user.updated', { id: `u${i}` });
    await sim.events.settle();
    const burstMs = Date.now() - started;
    expect(burstMs).toBeLessThan(10_000);
    await until('the burst to be accepted', async () => (watch.stats.accepted === 500 ? true : undefined));
    await new Promise((r) => setTimeout(r, 3500));
    await until('the checks to finish', async () => (watch.stats.checks >= 2 ? true : undefined));
    expect(watch.stats.checks - 1).toBeGreaterThanOrEqual(1);
    expect(watch.stats.checks - 1).toBeLessThanOrEqual(2);
  });
});

describe('webhook secret file', () => {
  it('is readable by its owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qag-secret-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = new LocalWebhookSecrets(dir);
    await store.save({
      tenant: 'acme',
      webhookId: 'w',
      url: 'u',
      eventTypes: [],
      secret: 's3cret',
      installedAt: 'now',
    });
    expect((await stat(join(dir, 'webhooks', 'acme.json'))).mode & 0o777).toBe(0o600);
    expect((await store.load('acme'))?.secret).toBe('s3cret');
  });
});
