/**
 * Typed errors of the Qlik client, and the defensive reading of Qlik's error bodies.
 *
 * Everything an error carries is built from the response's status, Qlik's error code and title, the trace id and a
 * short excerpt of the body, each passed through {@link redact}. Request headers are never read back, so the
 * Authorization header cannot end up in a message, a report or an `error.cause` chain.
 */
import { CheckError, type CheckErrorCode } from '../errors';
import { isRecord } from '../util/text';

export interface QlikApiErrorDetails {
  /** `GET /api/v1/users`: the method and path of the request that failed (never its query, which may hold emails). */
  readonly endpoint: string;
  readonly httpStatus?: number;
  /** Qlik's error code, e.g. `USERS-7` or `HTTP-429`. */
  readonly qlikCode?: string;
  readonly title?: string;
  readonly traceId?: string;
  /** Seconds the tenant asked us to wait (429). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/** A Qlik request that failed in a way that stops the tenant's check; `code` is the report's error code. */
export class QlikApiError extends CheckError {
  override readonly name = 'QlikApiError';
  readonly endpoint: string;
  readonly httpStatus?: number;
  readonly qlikCode?: string;
  readonly title?: string;
  readonly traceId?: string;
  readonly retryAfterSeconds?: number;

  constructor(code: CheckErrorCode, message: string, details: QlikApiErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.endpoint = details.endpoint;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.qlikCode !== undefined) this.qlikCode = details.qlikCode;
    if (details.title !== undefined) this.title = details.title;
    if (details.traceId !== undefined) this.traceId = details.traceId;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/**
 * The low-level failure under a {@link QlikApiError} (connection refused, reset, aborted). A fresh, small object
 * instead of the HTTP library's own error, whose fields we do not control.
 */
export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';
  constructor(
    message: string,
    readonly failureCode?: string,
  ) {
    super(message);
  }
}

/** What a Qlik error body told us, whatever its shape. */
export interface ErrorBodySummary {
  readonly qlikCode?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly status?: number;
  readonly traceId?: string;
  /** A short, sanitised excerpt when the body was not Qlik's JSON `errors` shape (HTML, plain text, other JSON). */
  readonly excerpt?: string;
}

const EXCERPT_LENGTH = 160;

/**
 * Reads an error body defensively: Qlik's `{ errors: [{ code, title, detail?, status? }], traceId? }` with `status`
 * as a number, a string or absent; or an edge proxy's HTML or plain text.
 */
export function summarizeErrorBody(text: string, secrets: readonly string[]): ErrorBodySummary {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { excerpt: excerptOf(trimmed, secrets) };
  }
  if (!isRecord(parsed)) return { excerpt: excerptOf(trimmed, secrets) };

  const traceId = typeof parsed['traceId'] === 'string' ? safe(parsed['traceId'], secrets, 64) : undefined;
  const first = Array.isArray(parsed['errors']) ? parsed['errors'].find(isRecord) : undefined;
  if (!first) {
    return { ...(traceId ? { traceId } : {}), excerpt: excerptOf(trimmed, secrets) };
  }
  const status = statusOf(first['status']);
  return {
    ...(typeof first['code'] === 'string' ? { qlikCode: safe(first['code'], secrets, 64) } : {}),
    ...(typeof first['title'] === 'string' ? { title: safe(first['title'], secrets, EXCERPT_LENGTH) } : {}),
    ...(typeof first['detail'] === 'string' ? { detail: safe(first['detail'], secrets, EXCERPT_LENGTH) } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(traceId ? { traceId } : {}),
  };
}

/** One line for a message: `USERS-7 "Not found"`, or the excerpt. */
export function describeErrorBody(summary: ErrorBodySummary): string {
  const parts: string[] = [];
  if (summary.qlikCode) parts.push(summary.qlikCode);
  if (summary.title) parts.push(`"${summary.title}"`);
  if (summary.detail && summary.detail !== summary.title) parts.push(`(${summary.detail})`);
  if (parts.length === 0 && summary.excerpt) parts.push(`body: "${summary.excerpt}"`);
  if (summary.traceId) parts.push(`traceId ${summary.traceId}`);
  return parts.join(' ');
}

function statusOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{3}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function excerptOf(text: string, secrets: readonly string[]): string {
  const withoutMarkup = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ');
  return safe(withoutMarkup, secrets, EXCERPT_LENGTH);
}

function safe(text: string, secrets: readonly string[], maxLength: number): string {
  const oneLine = redact(text, secrets)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
}

const REDACTED = '[redacted]';

/**
 * Removes anything that could be a credential from text we did not write: the known secrets of this client, bearer
 * tokens, JWT-shaped strings and `access_token` / `client_secret` / `api_key` assignments. A body that echoes the
 * request (some proxies do) must not smuggle the token into a report.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/\bbearer\s+[^\s"'<>,;]+/gi, `Bearer ${REDACTED}`)
    .replace(/\beyJ[\w-]*\.[\w-]+(?:\.[\w-]*)?/g, REDACTED)
    .replace(
      // Only token-like values (long, no spaces): our own messages say "access_token: expected string".
      /\b(access_token|refresh_token|id_token|client_secret|api[_-]?key|token|authorization|password)("?\s*[:=]\s*"?)[\w.~+/=-]{12,}/gi,
      `$1$2${REDACTED}`,
    );
}
