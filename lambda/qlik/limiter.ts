/**
 * Keeps one tenant's requests polite: at most `maxInFlight` at once, and at most `perMinute` started in any rolling
 * minute, under Qlik's Tier 1 budget (1,000 requests per minute per user and tenant), so a large crawl slows down
 * instead of being answered with 429s.
 */
export interface LimiterOptions {
  readonly maxInFlight: number;
  readonly perMinute: number;
  readonly now?: () => number;
  /** Waits `ms`, or rejects when `signal` aborts. Injected by tests. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const MINUTE_MS = 60_000;

export class RequestLimiter {
  readonly #maxInFlight: number;
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  #active = 0;
  readonly #waiting: { grant: () => void }[] = [];
  readonly #starts: number[] = [];

  constructor(options: LimiterOptions) {
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight));
    this.#perMinute = Math.max(1, Math.floor(options.perMinute));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
  }

  get active(): number {
    return this.#active;
  }

  async run<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    await this.#acquire(signal);
    try {
      await this.#withinBudget(signal);
      return await work();
    } finally {
      this.#release();
    }
  }

  async #acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#active < this.#maxInFlight) {
      this.#active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(entry);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next.grant();
    else this.#active -= 1;
  }

  async #withinBudget(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#now();
      while (this.#starts.length > 0 && (this.#starts[0] as number) <= now - MINUTE_MS) this.#starts.shift();
      if (this.#starts.length < this.#perMinute) {
        this.#starts.push(now);
        return;
      }
      await this.#sleep((this.#starts[0] as number) + MINUTE_MS - now, signal);
    }
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
