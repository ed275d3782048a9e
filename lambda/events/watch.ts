/**
 * `watch` on one machine (docs/events.md): a receiver for Qlik's webhook deliveries, a poll of each tenant's audit
 * events, and one debounced check per tenant after each verified, new, relevant event. Checks of one tenant never
 * overlap, whatever started them (the start, a delivery, the poll), so its drift state is read and written in turn.
 *
 * The receiver answers as the Lambda receiver does (./delivery.ts): 204, 401, 404, 405, 413. A rejected delivery is
 * logged as one line naming the check that failed — never its body or signature — and triggers nothing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageOf } from '../errors';
import type { QlikAuditEvent } from '../qlik/event-schemas';
import type { CheckTrigger } from '../report/model';
import { type AuditCursor, pollWindow, takeFreshEvents } from './audit-cursor';
import { describeTriggers, TenantDebouncer, type Trigger, type TriggerSummary } from './debouncer';
import { RecentEventIds } from './dedupe';
import { type DeliveryVerdict, judgeDelivery, MAX_DELIVERY_BYTES } from './delivery';
import { RELEVANT_EVENT_TYPES } from './event-types';

/** Audit events read per tenant per poll; more means a busy tenant, which one check covers anyway. */
const MAX_AUDIT_EVENTS_PER_POLL = 500;

export interface AuditReader {
  auditEvents(query: {
    readonly eventTypes: readonly string[];
    readonly since: Date;
    readonly until: Date;
    readonly maxEvents: number;
  }): Promise<{ events: QlikAuditEvent[]; truncated: boolean }>;
}

export interface WatchedTenant {
  readonly name: string;
  /** The webhook secret from `webhooks install`; without it deliveries for this tenant get 404. */
  readonly webhookSecret?: string;
}

export interface WatchOptions {
  readonly host: string;
  readonly port: number;
  readonly tenants: readonly WatchedTenant[];
  readonly debounceMs: number;
  readonly pollMs: number;
  /** Checks the tenants given (the same pipeline as `check`), all at once at the start, then one at a time. */
  readonly check: (tenants: readonly string[], trigger: CheckTrigger, triggers?: TriggerSummary) => Promise<void>;
  /** The audit reader of a tenant, opened once and kept. */
  readonly auditReader: (tenant: string) => Promise<AuditReader>;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface WatchStats {
  accepted: number;
  duplicates: number;
  irrelevant: number;
  rejected: Record<string, number>;
  auditEvents: number;
  checks: number;
  pollFailures: number;
}

export interface Watch {
  /** `http://host:port` the receiver listens on. */
  readonly url: string;
  readonly stats: Readonly<WatchStats>;
  /** Resolves when the start check of every tenant is done. */
  readonly started: Promise<void>;
  /** Stops receiving and polling, drops open windows, waits for running checks. */
  stop(): Promise<void>;
}

export async function startWatch(options: WatchOptions): Promise<Watch> {
  const now = options.now ?? (() => new Date());
  const secrets = new Map(options.tenants.flatMap((t) => (t.webhookSecret ? [[t.name, t.webhookSecret]] : [])));
  const seen = new RecentEventIds();
  const stats: WatchStats = {
    accepted: 0,
    duplicates: 0,
    irrelevant: 0,
    rejected: {},
    auditEvents: 0,
    checks: 0,
    pollFailures: 0,
  };
  const tenantLocks = new Map<string, Promise<void>>();

  /** Runs `work` after every earlier check of these tenants ended: a tenant's checks never overlap. */
  const exclusive = (tenants: readonly string[], work: () => Promise<void>): Promise<void> => {
    const before = Promise.allSettled(tenants.map((t) => tenantLocks.get(t)));
    const done = before.then(work).catch((error: unknown) => {
      options.log(`warning: check of ${tenants.join(', ')} failed: ${messageOf(error)}`);
    });
    for (const t of tenants) tenantLocks.set(t, done);
    return done;
  };

  const debouncer = new TenantDebouncer(options.debounceMs, (tenant, triggers) =>
    exclusive([tenant], async () => {
      stats.checks += 1;
      const first = triggers.first[0]!;
      options.log(`${tenant}: checking after ${describeTriggers(triggers)}`);
      await options.check(
        [tenant],
        { kind: 'event', eventType: first.eventType, eventId: first.eventId, receivedAt: first.at },
        triggers,
      );
    }),
  );

  const noteEvent = (tenant: string, trigger: Trigger, relevant: boolean): void => {
    if (!seen.firstSighting(tenant, trigger.eventId, now().getTime())) {
      stats.duplicates += 1;
      return;
    }
    if (!relevant) {
      stats.irrelevant += 1;
      return;
    }
    debouncer.notify(tenant, trigger);
  };

  const server = createServer((req, res) => {
    receive(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const signature = req.headers['qlik-signature'];
    const method = req.method ?? 'GET';
    const { body, tooLarge } = method === 'POST' ? await readLimited(req) : { body: Buffer.alloc(0), tooLarge: false };
    const verdict: DeliveryVerdict = judgeDelivery(
      {
        method,
        path,
        signature: Array.isArray(signature) ? signature[0] : signature,
        body,
        bodyTooLarge: tooLarge,
      },
      (tenant) => secrets.get(tenant),
      now(),
    );
    if (verdict.status !== 204) {
      stats.rejected[verdict.reason] = (stats.rejected[verdict.reason] ?? 0) + 1;
      options.log(
        `delivery rejected: ${verdict.status} ${verdict.reason}${verdict.tenant ? ` for tenant ${verdict.tenant}` : ''}`,
      );
      res.writeHead(verdict.status, {
        ...(verdict.status === 405 ? { allow: 'POST' } : {}),
        ...(tooLarge ? { connection: 'close' } : {}),
      });
      res.end();
      if (tooLarge) res.once('finish', () => req.destroy());
      return;
    }
    stats.accepted += 1;
    const { event } = verdict;
    res.writeHead(204).end();
    noteEvent(
      event.tenant,
      { source: 'webhook', eventType: event.eventType, eventId: event.eventId, at: event.receivedAt },
      verdict.relevant,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  options.log(`receiver listening on ${url}/qlik/<tenant>`);

  const cursors = new Map<string, AuditCursor>();
  let stopping = false;
  const poll = async (): Promise<void> => {
    for (const { name } of options.tenants) {
      if (stopping) return;
      try {
        const reader = await options.auditReader(name);
        const window = pollWindow(cursors.get(name), now());
        const { events } = await reader.auditEvents({
          eventTypes: RELEVANT_EVENT_TYPES,
          ...window,
          maxEvents: MAX_AUDIT_EVENTS_PER_POLL,
        });
        const { fresh, cursor } = takeFreshEvents(cursors.get(name), events, window.until);
        cursors.set(name, cursor);
        for (const e of fresh) {
          stats.auditEvents += 1;
          noteEvent(
            name,
            { source: 'audit', eventType: e.eventType, eventId: e.eventId, at: now().toISOString() },
            true,
          );
        }
      } catch (error) {
        stats.pollFailures += 1;
        options.log(`warning: ${name}: audit poll failed: ${messageOf(error)}`);
      }
    }
  };

  // The first poll only sets each cursor; the start check covers what happened before.
  let polling: Promise<void> = poll();
  const timer = setInterval(() => {
    polling = polling.then(poll);
  }, options.pollMs);

  const names = options.tenants.map((t) => t.name);
  const started = exclusive(names, async () => {
    stats.checks += 1;
    await options.check(names, { kind: 'schedule' });
  });

  return {
    url,
    stats,
    started,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await polling.catch(() => undefined);
      await debouncer.stop();
      await Promise.allSettled([...tenantLocks.values()]);
    },
  };
}

/**
 * Reads the body while it stays within MAX_DELIVERY_BYTES. Past that (or when Content-Length says so) it stops reading
 * and reports it too large; the response then closes the connection instead of reading the rest.
 */
function readLimited(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DELIVERY_BYTES) return Promise.resolve(tooLargeBody(req));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DELIVERY_BYTES) {
        req.off('data', onData);
        resolve(tooLargeBody(req));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: false }));
    req.once('error', reject);
  });
}

function tooLargeBody(req: IncomingMessage): { body: Buffer; tooLarge: boolean } {
  req.pause();
  return { body: Buffer.alloc(0), tooLarge: true };
}
