/**
 * One check per tenant per window: the first event for a tenant opens a window of `windowMs`; every event until it
 * closes joins it; then one check runs with everything that triggered it. Events that arrive while that check runs
 * open the next window once it ends, so two checks of one tenant never overlap (their drift state cannot interleave)
 * and a burst of any size costs at most two checks per window.
 */

/** What made a check run; shown in its alerts ("triggered by …"). */
export interface Trigger {
  readonly source: 'webhook' | 'audit' | 'schedule' | 'start';
  readonly eventType: string;
  readonly eventId: string;
  /** When it was received or found (ISO). */
  readonly at: string;
}

/** The triggers of one check: how many, and the first few (the rest are only counted). */
export interface TriggerSummary {
  readonly count: number;
  readonly first: readonly Trigger[];
}

export const TRIGGERS_KEPT = 5;

export interface Scheduler {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const timers: Scheduler = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface TenantSlot {
  count: number;
  first: Trigger[];
  timer: unknown;
  running: Promise<void> | undefined;
}

export class TenantDebouncer {
  readonly #slots = new Map<string, TenantSlot>();
  #stopped = false;

  constructor(
    private readonly windowMs: number,
    private readonly check: (tenant: string, triggers: TriggerSummary) => Promise<void>,
    private readonly scheduler: Scheduler = timers,
  ) {}

  notify(tenant: string, trigger: Trigger): void {
    if (this.#stopped) return;
    let slot = this.#slots.get(tenant);
    if (!slot) {
      slot = { count: 0, first: [], timer: undefined, running: undefined };
      this.#slots.set(tenant, slot);
    }
    slot.count += 1;
    if (slot.first.length < TRIGGERS_KEPT) slot.first.push(trigger);
    if (slot.timer === undefined && slot.running === undefined) this.#open(tenant, slot);
  }

  /** Tenants with a window open or a check running. */
  busy(): string[] {
    return [...this.#slots].filter(([, s]) => s.timer !== undefined || s.running !== undefined).map(([t]) => t);
  }

  /** Closes every open window without checking and waits for the checks running now. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const slot of this.#slots.values()) {
      if (slot.timer !== undefined) this.scheduler.clear(slot.timer);
      slot.timer = undefined;
    }
    await Promise.allSettled([...this.#slots.values()].flatMap((s) => (s.running ? [s.running] : [])));
  }

  #open(tenant: string, slot: TenantSlot): void {
    slot.timer = this.scheduler.set(() => this.#fire(tenant, slot), this.windowMs);
  }

  #fire(tenant: string, slot: TenantSlot): void {
    slot.timer = undefined;
    if (this.#stopped || slot.count === 0) return;
    const triggers: TriggerSummary = { count: slot.count, first: slot.first };
    slot.count = 0;
    slot.first = [];
    slot.running = this.check(tenant, triggers)
      .catch(() => {
        // The check reports its own failures (a tenant error, a health alert); the window must go on regardless.
      })
      .finally(() => {
        slot.running = undefined;
        if (slot.count > 0 && !this.#stopped) this.#open(tenant, slot);
      });
  }
}

/** "com.qlik.core.user.updated (webhook) and 3 more" — for alert text and logs. */
export function describeTriggers(triggers: TriggerSummary): string {
  const first = triggers.first[0];
  if (!first) return 'no event';
  const more = triggers.count - 1;
  return `${first.eventType} (${first.source})${more > 0 ? ` and ${more} more` : ''}`;
}
