/**
 * Event ids seen recently, per tenant, so a repeated delivery (Qlik's resend, a retry, or the same event found again
 * by the audit poll) counts once. Bounded in count and age: the oldest ids go first.
 */
export class RecentEventIds {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly capacity = 20_000,
    private readonly ttlMs = 24 * 60 * 60 * 1000,
  ) {}

  /** True the first time `eventId` is seen for `tenant` (within the time to live); false for a repeat. */
  firstSighting(tenant: string, eventId: string, nowMs: number): boolean {
    const key = `${tenant}\u0000${eventId}`;
    const at = this.#seen.get(key);
    if (at !== undefined && nowMs - at < this.ttlMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, nowMs);
    while (this.#seen.size > this.capacity) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
