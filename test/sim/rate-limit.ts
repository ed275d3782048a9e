/**
 * Qlik's per-tier budgets (docs/qlik-cloud-api.md §9): each caller has one window per tier; past its budget every endpoint
 * of that tier answers 429 until the window ends, while other tiers keep working. Uses the wall clock, not the sim
 * clock, so a frozen sim clock cannot block a test forever.
 */
import type { SimSettings } from './settings';

export type Tier = 'tier1' | 'tier2' | 'filter' | 'none';

export type RateDecision =
  | { readonly allowed: true; readonly limit: number; readonly remaining: number; readonly resetSeconds: number }
  | { readonly allowed: false; readonly limit: number; readonly retryAfterSeconds: number };

interface Window {
  startedAt: number;
  used: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly settings: () => SimSettings) {}

  budget(tier: Tier): number {
    const s = this.settings();
    const perMinute =
      tier === 'tier1' ? s.tier1PerMinute : tier === 'tier2' ? s.tier2PerMinute : s.filterActionsPerMinute;
    return Math.max(1, Math.round((perMinute * s.rateLimitWindowSeconds) / 60));
  }

  take(caller: string, tier: Tier, nowMs = Date.now()): RateDecision {
    const windowMs = this.settings().rateLimitWindowSeconds * 1000;
    const limit = this.budget(tier);
    const key = `${caller}\u0000${tier}`;
    let w = this.windows.get(key);
    if (!w || nowMs - w.startedAt >= windowMs) {
      w = { startedAt: nowMs, used: 0 };
      this.windows.set(key, w);
    }
    const resetSeconds = Math.max(1, Math.ceil((w.startedAt + windowMs - nowMs) / 1000));
    if (w.used >= limit) return { allowed: false, limit, retryAfterSeconds: resetSeconds };
    w.used++;
    return { allowed: true, limit, remaining: limit - w.used, resetSeconds };
  }

  reset(): void {
    this.windows.clear();
  }
}
