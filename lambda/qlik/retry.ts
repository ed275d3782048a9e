/**
 * The retry policy handed to undici's retry interceptor. undici replays the request; this decides whether and when:
 * 429 and 5xx (500/502/503/504) and connection failures of idempotent GETs, after `Retry-After` when the tenant sends
 * it (Qlik blocks the whole tier until then, so retrying sooner only earns another 429), else with exponential
 * backoff. It also counts what it sees, for metrics and the report.
 */
import type { Dispatcher, RetryHandler } from 'undici';

export interface RetrySettings {
  /** Retries per request after the first attempt. */
  readonly maxRetries: number;
  /** First backoff when the response names no `Retry-After`. */
  readonly minDelayMs: number;
  /** The longest single wait. A `Retry-After` beyond it ends the retries: the request fails as rate-limited. */
  readonly maxDelayMs: number;
  readonly backoffFactor: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxRetries: 5,
  minDelayMs: 500,
  maxDelayMs: 120_000,
  backoffFactor: 2,
};

export const RETRYABLE_STATUSES: readonly number[] = [429, 500, 502, 503, 504];

/** Connection-level failures worth another attempt: the request never reached, or never left, the tenant. */
export const RETRYABLE_ERROR_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

export interface RetryObserver {
  /** A 429 arrived (whether or not it is retried). */
  rateLimited(): void;
  /** A retry was scheduled after `delayMs`. */
  retrying(delayMs: number, reason: string): void;
}

export interface RetryPolicyOptions {
  readonly settings: RetrySettings;
  readonly observer: RetryObserver;
  /** Milliseconds left before the tenant's deadline, when known: a wait that would outlast it is not started. */
  readonly remainingMs?: () => number | undefined;
  /** Schedules the retry; returns a handle undici clears if the request is aborted meanwhile. Injected by tests. */
  readonly schedule?: (callback: () => void, delayMs: number) => unknown;
  readonly now?: () => number;
}

type RetryError = Error & {
  statusCode?: number;
  code?: string;
  headers?: Record<string, string | string[] | undefined>;
};

export function createRetryPolicy(options: RetryPolicyOptions): RetryHandler.RetryCallback {
  const { settings, observer } = options;
  const schedule = options.schedule ?? ((callback, delayMs) => setTimeout(callback, delayMs));
  const now = options.now ?? Date.now;

  return (error, { state, opts }, callback) => {
    const err = error as RetryError;
    const status = typeof err.statusCode === 'number' && err.code === 'UND_ERR_REQ_RETRY' ? err.statusCode : undefined;
    if (status === 429) observer.rateLimited();

    const retryable =
      status !== undefined
        ? RETRYABLE_STATUSES.includes(status) && mayRetryStatus(opts, status)
        : err.code !== undefined && RETRYABLE_ERROR_CODES.includes(err.code) && isIdempotent(opts.method);
    if (!retryable || state.counter > settings.maxRetries) {
      callback(err);
      return;
    }

    const retryAfter = retryAfterMs(headerValue(err.headers?.['retry-after']), now());
    if (retryAfter !== undefined && retryAfter > settings.maxDelayMs) {
      callback(err);
      return;
    }
    const delayMs =
      retryAfter ?? Math.min(settings.minDelayMs * settings.backoffFactor ** (state.counter - 1), settings.maxDelayMs);
    const remaining = options.remainingMs?.();
    if (remaining !== undefined && delayMs >= remaining) {
      // Waiting would only end in a timeout; the honest error is the one the tenant just gave.
      callback(err);
      return;
    }
    observer.retrying(delayMs, status !== undefined ? String(status) : (err.code ?? 'error'));
    return schedule(() => callback(null), delayMs);
  };
}

/**
 * GETs are retried on every retryable status. Other requests (the token POST, remediation writes) only on 429, which
 * Qlik sends before doing anything; a 5xx after a write might have applied it already.
 */
function mayRetryStatus(opts: Dispatcher.DispatchOptions, status: number): boolean {
  if (isIdempotent(opts.method)) return true;
  return status === 429;
}

function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** A response header's value; the first when it was sent more than once. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` as delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  // An HTTP date names its weekday and month; without the letters check, Date.parse reads "-5" as a year.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
