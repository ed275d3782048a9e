/**
 * Typed errors of the Qlik client, and the defensive reading of Qlik's error bodies.
 *
 * Everything an error carries is built from the response's status, Qlik's error code and title, the trace id and a
 * short excerpt of the body, each passed through {@link redact}. Request headers are never read back, so the
 * Authorization header cannot end up in a message, a report or an `error.cause` chain.
 */
import { CheckError, type CheckErrorCode } from '../errors';
import { tenantText } from '../util/tenant-text';
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
 * The most of an error body the transport reads (the rest is not downloaded) and the most of any body this module
 * looks at: Qlik's error JSON is a few hundred bytes, and nothing past this could reach a 160-character excerpt.
 */
export const ERROR_BODY_MAX_BYTES = 16 * 1024;

/**
 * Reads an error body defensively: Qlik's `{ errors: [{ code, title, detail?, status? }], traceId? }` with `status`
 * as a number, a string or absent; or an edge proxy's HTML or plain text. Only the first
 * {@link ERROR_BODY_MAX_BYTES} characters are read, and every step is linear in them, so a hostile body costs
 * microseconds whatever its size.
 */
export function summarizeErrorBody(text: string, secrets: readonly string[]): ErrorBodySummary {
  const trimmed = text.slice(0, ERROR_BODY_MAX_BYTES).trim();
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
  return safe(withoutMarkup(text).replaceAll('&nbsp;', ' '), secrets, EXCERPT_LENGTH);
}

/**
 * Text with HTML tags, scripts and styles replaced by spaces; an unclosed tag drops the rest. One forward scan (each
 * `indexOf` starts where the last one ended), where the regular expressions it replaces backtracked quadratically.
 */
function withoutMarkup(text: string): string {
  const lower = text.toLowerCase();
  const parts: string[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('<', at);
    if (open < 0) {
      parts.push(text.slice(at));
      break;
    }
    parts.push(text.slice(at, open), ' ');
    const element = ['script', 'style'].find((name) => isElementStart(lower, open, name));
    const end = element === undefined ? open : lower.indexOf(`</${element}`, open + 1);
    const close = end < 0 ? -1 : text.indexOf('>', end + 1);
    if (close < 0) break;
    at = close + 1;
  }
  return parts.join('');
}

function isElementStart(lower: string, at: number, name: string): boolean {
  if (!lower.startsWith(name, at + 1)) return false;
  const next = lower.charAt(at + 1 + name.length);
  return next === '' || next === '>' || next === '/' || /\s/.test(next);
}

function safe(text: string, secrets: readonly string[], maxLength: number): string {
  const oneLine = redact(text, secrets)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // C1 controls (CSI, OSC, NEL), bidi and other format characters escaped, never cut inside an escape: the text
  // reaches log lines and terminals as it is (docs/tenant-text.md).
  return tenantText(oneLine, maxLength);
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
    .replace(/[\w.-]+/g, withoutJwt)
    .replace(
      // Only token-like values (long, no spaces): our own messages say "access_token: expected string".
      /\b(access_token|refresh_token|id_token|client_secret|api[_-]?key|token|authorization|password)("?\s*[:=]\s*"?)[\w.~+/=-]{12,}/gi,
      `$1$2${REDACTED}`,
    );
}

/**
 * One run of word characters, dots and dashes with any JWT-shaped part (`eyJ…` at a word start, then a dot) and
 * everything after it redacted. Runs do not overlap and each is scanned once: linear, unlike a pattern that retries
 * `\beyJ[\w-]*\.` at every dash of `eyJ-eyJ-eyJ-…`.
 */
function withoutJwt(run: string): string {
  for (let at = run.indexOf('eyJ'); at >= 0; at = run.indexOf('eyJ', at + 3)) {
    const startsWord = at === 0 || run[at - 1] === '.' || run[at - 1] === '-';
    if (!startsWord) continue;
    const dot = run.indexOf('.', at + 3);
    if (dot < 0) return run;
    if (dot + 1 < run.length && run[dot + 1] !== '.') return `${run.slice(0, at)}${REDACTED}`;
  }
  return run;
}
