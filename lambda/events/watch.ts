/**
 * `watch` on one machine (docs/events.md): a receiver for Qlik's webhook deliveries, a poll of each tenant's audit
 * events, and one debounced check per tenant after each verified, new, relevant event. Checks of one tenant never
 * overlap, whatever started them (the start, a delivery, the poll), so its drift state is read and written in turn.
 *
 * The receiver answers as the Lambda receiver does (./delivery.ts): 204, 401, 404, 405, 413. A rejected delivery is
 * logged as one line naming the check that failed — never its body or signature — and triggers nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  const session = new WatchSession(options);
  const url = await session.listen();
  session.startPolling();
  const started = session.checkEveryTenant();
  return { url, stats: session.stats, started, stop: () => session.stop() };
}

/**
 * Runs work per tenant in turn: work for some tenants starts after every earlier work of any of them ended, whether it
 * succeeded or not. A failure is logged, never passed on, so one failed check does not block the next.
 */
export class TenantLocks {
  readonly #tails = new Map<string, Promise<void>>();

  constructor(private readonly log: (line: string) => void) {}

  run(tenants: readonly string[], work: () => Promise<void>): Promise<void> {
    const before = Promise.allSettled(tenants.map((t) => this.#tails.get(t)));
    const done = before.then(work).catch((error: unknown) => {
      this.log(`warning: check of ${tenants.join(', ')} failed: ${messageOf(error)}`);
    });
    for (const t of tenants) this.#tails.set(t, done);
    return done;
  }

  /** Resolves when all work queued so far has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#tails.values()]);
  }
}

/** One running watch: its receiver, its audit poll, and the checks they trigger. */
class WatchSession {
  readonly stats: WatchStats = {
    accepted: 0,
    duplicates: 0,
    irrelevant: 0,
    rejected: {},
    auditEvents: 0,
    checks: 0,
    pollFailures: 0,
  };
  readonly #options: WatchOptions;
  readonly #now: () => Date;
  readonly #secrets: ReadonlyMap<string, string>;
  readonly #seen = new RecentEventIds();
  readonly #locks: TenantLocks;
  readonly #debouncer: TenantDebouncer;
  readonly #server: Server;
  readonly #cursors = new Map<string, AuditCursor>();
  #polling: Promise<void> = Promise.resolve();
  #pollTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: WatchOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#secrets = new Map(options.tenants.flatMap((t) => (t.webhookSecret ? [[t.name, t.webhookSecret]] : [])));
    this.#locks = new TenantLocks(options.log);
    this.#debouncer = new TenantDebouncer(options.debounceMs, (tenant, triggers) =>
      this.#locks.run([tenant], () => this.#checkAfterEvents(tenant, triggers)),
    );
    this.#server = createServer((req, res) => {
      this.#receive(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
  }

  /** Starts the receiver; resolves to the `http://host:port` it listens on. */
  async listen(): Promise<string> {
    const server = this.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    this.#options.log(`receiver listening on ${url}/qlik/<tenant>`);
    return url;
  }

  /** Polls every tenant's audit events now and every `pollMs`, one poll after the other. */
  startPolling(): void {
    // The first poll only sets each cursor; the start check covers what happened before.
    this.#polling = this.#pollAuditEvents();
    this.#pollTimer = setInterval(() => {
      this.#polling = this.#polling.then(() => this.#pollAuditEvents());
    }, this.#options.pollMs);
  }

  /** The start check: every tenant at once, as a scheduled run. */
  checkEveryTenant(): Promise<void> {
    const names = this.#options.tenants.map((t) => t.name);
    return this.#locks.run(names, async () => {
      this.stats.checks += 1;
      await this.#options.check(names, { kind: 'schedule' });
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#pollTimer);
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    await this.#polling.catch(() => undefined);
    await this.#debouncer.stop();
    await this.#locks.settled();
  }

  /** The check a debounce window ends with, named after the first event that opened it. */
  async #checkAfterEvents(tenant: string, triggers: TriggerSummary): Promise<void> {
    this.stats.checks += 1;
    const first = triggers.first[0]!;
    this.#options.log(`${tenant}: checking after ${describeTriggers(triggers)}`);
    await this.#options.check(
      [tenant],
      { kind: 'event', eventType: first.eventType, eventId: first.eventId, receivedAt: first.at },
      triggers,
    );
  }

  /** Counts an event seen before, or an irrelevant one; hands a new relevant one to the debouncer. */
  #noteEvent(tenant: string, trigger: Trigger, relevant: boolean): void {
    if (!this.#seen.firstSighting(tenant, trigger.eventId, this.#now().getTime())) {
      this.stats.duplicates += 1;
      return;
    }
    if (!relevant) {
      this.stats.irrelevant += 1;
      return;
    }
    this.#debouncer.notify(tenant, trigger);
  }

  async #receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const { body, tooLarge } = method === 'POST' ? await readLimited(req) : { body: Buffer.alloc(0), tooLarge: false };
    const signature = req.headers['qlik-signature'];
    const verdict = judgeDelivery(
      {
        method,
        path: new URL(req.url ?? '/', 'http://receiver').pathname,
        signature: Array.isArray(signature) ? signature[0] : signature,
        body,
        bodyTooLarge: tooLarge,
      },
      (tenant) => this.#secrets.get(tenant),
      this.#now(),
    );
    if (verdict.status !== 204) {
      this.#reject(verdict, req, res, tooLarge);
      return;
    }
    this.stats.accepted += 1;
    const { event } = verdict;
    res.writeHead(204).end();
    this.#noteEvent(
      event.tenant,
      { source: 'webhook', eventType: event.eventType, eventId: event.eventId, at: event.receivedAt },
      verdict.relevant,
    );
  }

  /** Answers a rejected delivery and logs which check it failed (never its body or signature). */
  #reject(
    verdict: Exclude<DeliveryVerdict, { status: 204 }>,
    req: IncomingMessage,
    res: ServerResponse,
    tooLarge: boolean,
  ): void {
    this.stats.rejected[verdict.reason] = (this.stats.rejected[verdict.reason] ?? 0) + 1;
    this.#options.log(
      `delivery rejected: ${verdict.status} ${verdict.reason}${verdict.tenant ? ` for tenant ${verdict.tenant}` : ''}`,
    );
    res.writeHead(verdict.status, {
      ...(verdict.status === 405 ? { allow: 'POST' } : {}),
      ...(tooLarge ? { connection: 'close' } : {}),
    });
    res.end();
    if (tooLarge) res.once('finish', () => req.destroy());
  }

  async #pollAuditEvents(): Promise<void> {
    for (const { name } of this.#options.tenants) {
      if (this.#stopping) return;
      try {
        await this.#pollTenant(name);
      } catch (error) {
        this.stats.pollFailures += 1;
        this.#options.log(`warning: ${name}: audit poll failed: ${messageOf(error)}`);
      }
    }
  }

  /** Reads the tenant's audit events since its cursor and notes each one not seen before. */
  async #pollTenant(name: string): Promise<void> {
    const reader = await this.#options.auditReader(name);
    const window = pollWindow(this.#cursors.get(name), this.#now());
    const { events } = await reader.auditEvents({
      eventTypes: RELEVANT_EVENT_TYPES,
      ...window,
      maxEvents: MAX_AUDIT_EVENTS_PER_POLL,
    });
    const { fresh, cursor } = takeFreshEvents(this.#cursors.get(name), events, window.until);
    this.#cursors.set(name, cursor);
    for (const e of fresh) {
      this.stats.auditEvents += 1;
      this.#noteEvent(
        name,
        { source: 'audit', eventType: e.eventType, eventId: e.eventId, at: this.#now().toISOString() },
        true,
      );
    }
  }
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
