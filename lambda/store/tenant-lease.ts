/**
 * One check of a tenant at a time (docs/events.md, "In AWS"): the scheduled run and event checks of the same tenant run
 * in different invocations, and two checks that interleave would each save a drift state computed from the same
 * previous one (repeated or lost alerts, and a state the archive does not record). Before a check, its invocation takes
 * the tenant's lease, an object beside the drift state (`state/tenant=<name>/lease.json`), and gives it back after.
 *
 * Taking it is one conditional write, so two invocations can never both hold it: a create with `If-None-Match: *`
 * when there is none, or a replace with `If-Match: <the ETag read>` when the one there is free or expired. Expiry
 * covers an invocation that died holding it: a lease lasts no longer than its invocation can run, plus clock slack.
 * Giving it back is a replace with `If-Match` too, and only of a lease this holder still holds.
 */
import { isRecord } from '../util/text';
import { leaseKey } from './layout';
import type { PutOptions, PutResult } from './object-store';
import type { TaggedObject } from './s3-object-store';

/** The conditional operations a lease needs (S3ObjectStore has them). */
export interface LeaseObjects {
  getTagged(key: string): Promise<TaggedObject | undefined>;
  put(key: string, body: string, options?: PutOptions): Promise<PutResult>;
  putIfMatch(key: string, body: string, etag: string, contentType?: string): Promise<'written' | 'changed'>;
  location(key: string): string;
}

interface LeaseDocument {
  readonly holder: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** Set when the holder gave it back. */
  readonly releasedAt?: string;
}

export interface HeldLease {
  readonly tenant: string;
  readonly holder: string;
  /** Gives the lease back; false when it was no longer this holder's (it expired and another check took it). */
  release(): Promise<boolean>;
}

/** Who holds a tenant's lease now, for the log line of a check that could not take it. */
export interface BusyLease {
  readonly tenant: string;
  readonly holder: string;
  readonly expiresAt: string;
}

const JSON_TYPE = 'application/json';

export class TenantLeases {
  constructor(
    private readonly objects: LeaseObjects,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Takes the tenant's lease for `holder` until `ttlMs` from now, or says who holds it. A lease that is unreadable
   * (not one of ours) counts as expired: it must not block the tenant forever.
   */
  async acquire(tenant: string, holder: string, ttlMs: number): Promise<HeldLease | BusyLease> {
    const key = leaseKey(tenant);
    const at = this.now();
    const document: LeaseDocument = {
      holder,
      acquiredAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + ttlMs).toISOString(),
    };
    const body = JSON.stringify(document);
    const current = await this.objects.getTagged(key);
    if (current === undefined) {
      const created = await this.objects.put(key, body, { ifNoneMatch: true, contentType: JSON_TYPE });
      return created === 'written' ? this.held(tenant, holder) : await this.holderOf(tenant);
    }
    const lease = parseLease(current.bytes);
    if (lease && lease.releasedAt === undefined && Date.parse(lease.expiresAt) > at.getTime()) {
      return { tenant, holder: lease.holder, expiresAt: lease.expiresAt };
    }
    const replaced = await this.objects.putIfMatch(key, body, current.etag, JSON_TYPE);
    return replaced === 'written' ? this.held(tenant, holder) : await this.holderOf(tenant);
  }

  private held(tenant: string, holder: string): HeldLease {
    return { tenant, holder, release: () => this.release(tenant, holder) };
  }

  /** Another invocation wrote the lease between our read and our write: it holds it now. */
  private async holderOf(tenant: string): Promise<BusyLease> {
    const current = await this.objects.getTagged(leaseKey(tenant));
    const lease = current ? parseLease(current.bytes) : undefined;
    return { tenant, holder: lease?.holder ?? 'unknown', expiresAt: lease?.expiresAt ?? 'unknown' };
  }

  private async release(tenant: string, holder: string): Promise<boolean> {
    const key = leaseKey(tenant);
    const current = await this.objects.getTagged(key);
    const lease = current ? parseLease(current.bytes) : undefined;
    if (!current || !lease || lease.holder !== holder || lease.releasedAt !== undefined) return false;
    const released: LeaseDocument = { ...lease, releasedAt: this.now().toISOString() };
    return (await this.objects.putIfMatch(key, JSON.stringify(released), current.etag, JSON_TYPE)) === 'written';
  }
}

export function isHeld(lease: HeldLease | BusyLease): lease is HeldLease {
  return 'release' in lease;
}

function parseLease(bytes: Uint8Array): LeaseDocument | undefined {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (!isRecord(document)) return undefined;
  const { holder, acquiredAt, expiresAt, releasedAt } = document;
  if (typeof holder !== 'string' || typeof acquiredAt !== 'string' || typeof expiresAt !== 'string') return undefined;
  if (Number.isNaN(Date.parse(expiresAt))) return undefined;
  return { holder, acquiredAt, expiresAt, ...(typeof releasedAt === 'string' ? { releasedAt } : {}) };
}
