/**
 * The simulated tenant's events over real HTTP with the real client: webhooks (create, list, patch, delete,
 * event-types, deliveries, resend), signed hybrid deliveries on a console change, and the audit log's filters.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signatureMatches } from '../../../lambda/events/signature';
import { QlikClient } from '../../../lambda/qlik/client';
import { QlikApiError } from '../../../lambda/qlik/errors';
import { loadScenario, type SimulatedTenant, startSimulatedTenant } from '../../sim/server';

const JANE = '65a1f3c2e4b0a1b2c3d4e5f6';
const SECRET = 'test-secret-0123456789';

interface Received {
  readonly path: string;
  readonly signature: string | undefined;
  readonly body: string;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function receiver(status = 204): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      path: req.url ?? '',
      signature: req.headers['qlik-signature'] as string | undefined,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function tenant(): Promise<{ sim: SimulatedTenant; client: QlikClient }> {
  const sim = await startSimulatedTenant({ scenario: loadScenario('migration') });
  const client = new QlikClient({
    tenantUrl: sim.url,
    credentials: {
      kind: 'oauth-client',
      clientId: sim.credentials.clientId,
      clientSecret: sim.credentials.clientSecret,
    },
    allowHttpLoopback: true,
  });
  closers.push(() => sim.close());
  closers.push(() => client.close());
  return { sim, client };
}

async function consoleSetRoles(sim: SimulatedTenant, userId: string, roles: string[]): Promise<void> {
  const response = await fetch(`${sim.url}/__console/users/${userId}/roles`, {
    method: 'POST',
    body: JSON.stringify({ roles }),
  });
  expect(response.status).toBe(204);
}

describe('simulated webhooks', () => {
  it('creates, lists, updates and deletes a tenant-level webhook without ever showing its secret', async () => {
    const { client } = await tenant();
    const offered = await client.webhookEventTypes();
    expect(offered).toContain('com.qlik.core.user.updated');
    expect(offered).not.toContain('com.qlik.core.role.updated');

    const created = await client.createWebhook({
      name: 'qlik-access-guard',
      url: 'https://receiver.example/qlik/acme',
      eventTypes: ['com.qlik.core.user.updated'],
      secret: SECRET,
    });
    expect(created).toMatchObject({ level: 'tenant', enabled: true, secretKeyAdded: true });
    expect(JSON.stringify(created)).not.toContain(SECRET);

    await client.updateWebhook(created.id, {
      name: 'qlik-access-guard',
      url: 'https://receiver.example/qlik/acme2',
      eventTypes: ['com.qlik.core.user.updated', 'com.qlik.core.api-key.deleted'],
      secret: 'rotated-secret',
    });
    const listed = (await client.listWebhooks()).items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      url: 'https://receiver.example/qlik/acme2',
      eventTypes: expect.arrayContaining(['com.qlik.core.api-key.deleted']),
    });

    await client.deleteWebhook(created.id);
    expect((await client.listWebhooks()).items).toEqual([]);
  });

  it('refuses event types the tenant does not offer, and tenant webhooks to a non-admin', async () => {
    const { sim, client } = await tenant();
    await expect(
      client.createWebhook({
        name: 'x',
        url: 'https://r.example/',
        eventTypes: ['com.qlik.core.role.updated'],
        secret: 's',
      }),
    ).rejects.toThrow(/400.*not offered/);
    const jane = new QlikClient({
      tenantUrl: sim.url,
      credentials: { kind: 'api-key', apiKey: sim.apiKeyFor('Jn7kQ2pW9xVb4Lm8Rt3Ys6Dc1Fg5Hh0A') },
      allowHttpLoopback: true,
    });
    closers.push(() => jane.close());
    const refused = await jane
      .createWebhook({ name: 'x', url: 'https://r.example/', eventTypes: [], secret: 's' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QlikApiError);
    expect((refused as QlikApiError).code).toBe('forbidden');
  });

  it('delivers a console role change as a signed hybrid event, lists the delivery, and resends the same bytes', async () => {
    const { sim, client } = await tenant();
    const rx = await receiver();
    const hook = await client.createWebhook({
      name: 'qlik-access-guard',
      url: `${rx.url}/qlik/acme`,
      eventTypes: ['com.qlik.core.user.updated'],
      secret: SECRET,
    });
    await consoleSetRoles(sim, JANE, ['AuditAdmin']);
    await sim.events.settle();
    expect(rx.received).toHaveLength(1);
    const [delivery] = rx.received;
    expect(delivery!.path).toBe('/qlik/acme');
    expect(signatureMatches(SECRET, delivery!.body, delivery!.signature)).toBe(true);
    const body = JSON.parse(delivery!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      specversion: '1.0.2',
      type: 'com.qlik.core.user.updated',
      eventType: 'com.qlik.core.user.updated',
      data: { id: JANE, _updates: [{ path: '/assignedRoles' }] },
    });

    const [listed] = await client.recentDeliveries(hook.id);
    expect(listed).toMatchObject({ status: 'success', eventType: 'com.qlik.core.user.updated' });
    const resend = await fetch(`${sim.url}/api/v1/webhooks/${hook.id}/deliveries/${listed!.id}/actions/resend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
    });
    expect(resend.status).toBe(201);
    await sim.events.settle();
    expect(rx.received[1]).toEqual(delivery);
  });

  it('does not deliver on a disabled webhook and records failed deliveries', async () => {
    const { sim, client } = await tenant();
    const rx = await receiver();
    const hook = await client.createWebhook({
      name: 'qlik-access-guard',
      url: `${rx.url}/qlik/acme`,
      eventTypes: ['com.qlik.core.user.updated'],
      secret: SECRET,
    });
    await fetch(`${sim.url}/__console/deliveries`, { method: 'POST', body: JSON.stringify({ failWith: 503 }) });
    await consoleSetRoles(sim, JANE, ['AuditAdmin']);
    expect((await client.recentDeliveries(hook.id))[0]).toMatchObject({ status: 'fail' });

    await fetch(`${sim.url}/__console/deliveries`, { method: 'POST', body: JSON.stringify({ failWith: null }) });
    await fetch(`${sim.url}/__console/webhooks/${hook.id}`, {
      method: 'POST',
      body: JSON.stringify({ enabled: false }),
    });
    const [disabled] = (await client.listWebhooks()).items;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.any(String) });
    await consoleSetRoles(sim, JANE, ['AuditAdmin', 'AllowManageAPIKeys']);
    await sim.events.settle();
    expect(rx.received).toEqual([]);
  });
});

describe('simulated audit log', () => {
  it('records every change, newest first, filtered by type list and time window', async () => {
    const { sim, client } = await tenant();
    const before = new Date(Date.now() - 1000);
    await consoleSetRoles(sim, JANE, ['AuditAdmin']);
    sim.mutate((s) => {
      s.roles.find((r) => r.name === 'AllowManageAPIKeys')!.assignedScopes = [];
    });
    const after = new Date(Date.now() + 1000);
    const both = await client.auditEvents({
      eventTypes: ['com.qlik.core.user.updated', 'com.qlik.core.role.updated'],
      since: before,
      until: after,
      maxEvents: 100,
    });
    expect(both.events.map((e) => e.eventType)).toEqual(['com.qlik.core.role.updated', 'com.qlik.core.user.updated']);
    const users = await client.auditEvents({
      eventTypes: ['com.qlik.core.user.updated'],
      since: before,
      until: after,
      maxEvents: 100,
    });
    expect(users.events).toHaveLength(1);
    const none = await client.auditEvents({
      eventTypes: ['com.qlik.core.user.updated'],
      since: after,
      until: new Date(after.getTime() + 1000),
      maxEvents: 100,
    });
    expect(none.events).toEqual([]);
  });

  it('pages through more events than one page holds', async () => {
    const { sim, client } = await tenant();
    for (let i = 0; i < 25; i++) sim.events.emit('com.qlik.core.group.updated', { id: `g${i}` });
    const { events, truncated } = await client.auditEvents({
      eventTypes: ['com.qlik.core.group.updated'],
      since: new Date(Date.now() - 60_000),
      until: new Date(Date.now() + 1000),
      maxEvents: 1000,
    });
    expect(events).toHaveLength(25);
    expect(truncated).toBe(false);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(25);
  });
});
