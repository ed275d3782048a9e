/**
 * HTTP to one Qlik tenant: undici over an injected dispatcher (default: one keep-alive Agent per tenant) composed
 * with undici's retry interceptor; host policy on every request, redirect hop and next link; Authorization only on
 * the tenant's own origin; every request bounded by the tenant's deadline; JSON read and validated with zod; every
 * failure mapped to a {@link QlikApiError} whose code is the run report's.
 */
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import type * as z from 'zod';
import { formatPath } from '../util/path';
import { TOOL_VERSION } from '../version';
import { type Authenticator, createAuthenticator, tokenExpiry } from './auth';
import type { QlikCredentials } from './credentials';
import {
  describeErrorBody,
  ERROR_BODY_MAX_BYTES,
  QlikApiError,
  redact,
  summarizeErrorBody,
  TransportFailure,
} from './errors';
import { HostPolicy } from './host-policy';
import { RequestLimiter } from './limiter';
import { createRetryPolicy, DEFAULT_RETRY_SETTINGS, headerValue, type RetrySettings, retryAfterMs } from './retry';
import { oauthTokenSchema } from './schemas';

export interface TransportOptions {
  readonly tenantUrl: string;
  readonly credentials: QlikCredentials;
  /** Custom domains besides `*.qlikcloud.com`: exact hosts or `*.example.com` wildcards. */
  readonly allowedHosts?: readonly string[];
  readonly allowHttpLoopback?: boolean;
  /**
   * The connection layer. The retry interceptor is composed on top of it, so an injected MockAgent or pool gets the
   * same retries as the default. Not closed by {@link Transport.close} when injected: its owner closes it.
   */
  readonly dispatcher?: Dispatcher;
  /** The tenant's deadline (and any other reason to stop): aborts in-flight requests and pending retries. */
  readonly signal?: AbortSignal;
  /** The deadline as a time, when known, so a `Retry-After` that would outlast it fails fast as rate-limited. */
  readonly deadlineAt?: number;
  readonly retry?: Partial<RetrySettings>;
  /** @default 8 */
  readonly maxInFlight?: number;
  /** Requests started per rolling minute. @default 900 (Qlik's Tier 1 is 1,000 per minute per tenant) */
  readonly requestsPerMinute?: number;
  /** Writes started per rolling minute, one at a time. @default 90 (Qlik's Tier 2 is 100 per minute per tenant) */
  readonly writesPerMinute?: number;
  /** Sent as `qlik-api-version` when set; it only selects deprecation warnings, never shapes. */
  readonly apiVersion?: string;
  readonly userAgent?: string;
  /** Clock for token renewal and `Retry-After` dates. Injected by tests. */
  readonly now?: () => number;
  /** Schedules a retry (undici clears the returned handle on abort). Injected by tests to observe delays. */
  readonly scheduleRetry?: (callback: () => void, delayMs: number) => unknown;
  /**
   * Largest successful response body read, in bytes; a larger one fails the request as a bad response and is not
   * read further. Qlik pages of 100 items are tens of kilobytes. @default 4 MiB
   */
  readonly maxBodyBytes?: number;
}

export interface TransportStats {
  /** Requests sent: every attempt, redirect hop and token request. */
  readonly requests: number;
  /** Of those, attempts that repeated an earlier one after a 429, a 5xx or a connection failure. */
  readonly retries: number;
  /** 429 responses received. */
  readonly rateLimited: number;
  /** Endpoints that answered with a `deprecation` or `sunset` header. */
  readonly deprecations: readonly {
    readonly endpoint: string;
    readonly deprecation?: string;
    readonly sunset?: string;
  }[];
}

/** What the caller knows about an endpoint, for messages that say what to do. */
export interface EndpointHints {
  /** Appended to a 403's message, e.g. "the checker needs the TenantAdmin role to read roles". */
  readonly forbidden?: string;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

const MAX_REDIRECTS = 5;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class Transport {
  readonly origin: string;
  readonly #policy: HostPolicy;
  readonly #auth: Authenticator;
  readonly #dispatcher: Dispatcher;
  readonly #ownedDispatcher: Dispatcher | undefined;
  readonly #signal: AbortSignal;
  readonly #limiter: RequestLimiter;
  readonly #writeLimiter: RequestLimiter;
  readonly #options: TransportOptions;
  readonly #now: () => number;
  readonly #stats = { requests: 0, retries: 0, rateLimited: 0 };
  readonly #deprecations = new Map<string, { endpoint: string; deprecation?: string; sunset?: string }>();

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#policy = new HostPolicy({
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      allowHttpLoopback: options.allowHttpLoopback ?? false,
    });
    this.origin = this.#policy.tenantOrigin(options.tenantUrl);
    this.#now = options.now ?? Date.now;
    this.#signal = options.signal ?? new AbortController().signal;
    this.#limiter = new RequestLimiter({
      maxInFlight: options.maxInFlight ?? 8,
      perMinute: options.requestsPerMinute ?? 900,
    });
    this.#writeLimiter = new RequestLimiter({ maxInFlight: 1, perMinute: options.writesPerMinute ?? 90 });
    this.#auth = createAuthenticator(options.credentials, (body) => this.#requestToken(body), this.#now);

    const base = options.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000, connectTimeout: 15_000 });
    this.#ownedDispatcher = options.dispatcher ? undefined : base;
    const settings = { ...DEFAULT_RETRY_SETTINGS, ...options.retry };
    this.#dispatcher = base.compose(
      interceptors.retry({
        throwOnError: false,
        maxRetries: settings.maxRetries,
        maxTimeout: settings.maxDelayMs,
        minTimeout: settings.minDelayMs,
        timeoutFactor: settings.backoffFactor,
        retry: createRetryPolicy({
          settings,
          observer: {
            rateLimited: () => {
              this.#stats.rateLimited += 1;
            },
            retrying: () => {
              this.#stats.retries += 1;
              this.#stats.requests += 1;
            },
          },
          remainingMs: () => (options.deadlineAt === undefined ? undefined : options.deadlineAt - this.#now()),
          now: this.#now,
          ...(options.scheduleRetry ? { schedule: options.scheduleRetry } : {}),
        }),
      }),
    );
  }

  /** When the checker's own credential expires (an API key's JWT `exp`), if it can be told. */
  get credentialExpiresAt(): string | undefined {
    return this.#auth.credentialExpiresAt;
  }

  stats(): TransportStats {
    return { ...this.#stats, deprecations: [...this.#deprecations.values()] };
  }

  /** An absolute URL on the tenant for `path` (which may carry a query). */
  url(path: string, query?: Record<string, string | number | boolean | undefined>): URL {
    const url = new URL(path, this.origin);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /**
   * GETs `target`, following same-origin redirects (`/users/me` answers 301, `/tenants/me` 302), and returns the
   * body validated by `schema`. `endpoint` names the request in errors.
   */
  async getJson<Schema extends z.ZodType>(
    target: URL,
    schema: Schema,
    hints: EndpointHints = {},
  ): Promise<z.infer<Schema>> {
    const endpoint = `GET ${target.pathname}`;
    let url = target;
    let reauthenticated = false;
    for (let hops = 0; ; ) {
      const response = await this.#send('GET', url, endpoint);
      if (REDIRECT_STATUSES.has(response.status)) {
        hops += 1;
        url = this.#redirectTarget(response, url, endpoint, hops);
        continue;
      }
      if (response.status === 401 && !reauthenticated && this.#auth.invalidate()) {
        // A cached OAuth token can be revoked before its stated end: one fresh token, then the 401 stands.
        reauthenticated = true;
        continue;
      }
      if (response.status < 200 || response.status > 299) throw this.#statusError(endpoint, response, hints);
      return this.#parse(endpoint, response, schema);
    }
  }

  /** Checks a server-provided `links.next.href` before it is followed: same tenant origin only. */
  nextPage(href: string, endpoint: string): URL {
    let url: URL;
    try {
      url = new URL(href, this.origin);
    } catch {
      throw this.#badResponse(endpoint, 'links.next.href is not a URL');
    }
    const problem = this.#policy.violation(url);
    if (problem || url.origin !== this.origin) {
      throw this.#badResponse(
        endpoint,
        `links.next.href points to ${url.protocol}//${url.host}, not the tenant ${this.origin}; not followed`,
      );
    }
    return url;
  }

  async close(): Promise<void> {
    await this.#ownedDispatcher?.close();
  }

  /** Redacts this client's secrets from text that is about to leave it. */
  redact(text: string): string {
    return redact(text, this.#auth.secrets());
  }

  #redirectTarget(response: RawResponse, from: URL, endpoint: string, hops: number): URL {
    if (hops > MAX_REDIRECTS) throw this.#badResponse(endpoint, `more than ${MAX_REDIRECTS} redirects`);
    const location = headerValue(response.headers['location']);
    if (!location) throw this.#badResponse(endpoint, `${response.status} redirect without a Location header`);
    let next: URL;
    try {
      next = new URL(location, from);
    } catch {
      throw this.#badResponse(endpoint, `${response.status} redirect to an invalid Location`);
    }
    const problem = this.#policy.violation(next);
    if (problem) throw this.#badResponse(endpoint, `redirect not followed: ${problem}`);
    // Another host, even an allowed one, gets no credential, so its answer would be unauthenticated data trusted as
    // the tenant's: only the tenant's own origin is followed.
    if (next.origin !== this.origin) {
      throw this.#badResponse(
        endpoint,
        `redirect not followed: ${next.protocol}//${next.host} is not the tenant ${this.origin}`,
      );
    }
    return next;
  }

  /**
   * Sends a JSON body (or none) with the tenant credential and returns the parsed, validated reply, or undefined for
   * an empty one (204). A stale OAuth token is renewed once, as for reads. Writes are not followed across redirects.
   */
  async sendJson<Schema extends z.ZodType>(
    method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    target: URL,
    body: unknown,
    schema: Schema,
    hints: EndpointHints = {},
  ): Promise<z.infer<Schema> | undefined> {
    const endpoint = `${method} ${target.pathname}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let reauthenticated = false; ; reauthenticated = true) {
      // Writes are Qlik's Tier 2 (100 per minute): paced on their own budget, one at a time.
      const response = await this.#writeLimiter.run(this.#signal, () =>
        this.#send(method, target, endpoint, text, true),
      );
      if (response.status === 401 && !reauthenticated && this.#auth.invalidate()) continue;
      if (response.status < 200 || response.status > 299) throw this.#statusError(endpoint, response, hints);
      if (response.text.trim() === '') return undefined;
      return this.#parse(endpoint, response, schema);
    }
  }

  async #send(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: URL,
    endpoint: string,
    body?: string,
    authorize = body === undefined,
  ): Promise<RawResponse> {
    // Checked here too, not only where URLs are built: nothing reaches the wire without passing the policy.
    const problem = this.#policy.violation(url);
    if (problem) throw this.#badResponse(endpoint, `request not sent: ${problem}`);

    // The credential goes only to the tenant's own origin; a redirect elsewhere is followed without it.
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#options.userAgent ?? `qlik-access-guard/${TOOL_VERSION}`,
      ...(this.#options.apiVersion ? { 'qlik-api-version': this.#options.apiVersion } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    if (url.origin === this.origin && authorize) {
      headers['authorization'] = await this.#auth.authorization();
    }

    return this.#limiter
      .run(this.#signal, async () => {
        this.#stats.requests += 1;
        const response = await request(url, {
          method,
          headers,
          dispatcher: this.#dispatcher,
          signal: this.#signal,
          ...(body !== undefined ? { body } : {}),
        });
        // Only a success is data; of anything else (an error, a redirect) a short excerpt is all we ever use.
        const success = response.statusCode >= 200 && response.statusCode <= 299;
        const text = success
          ? await this.#readBody(response.body, endpoint)
          : await readPrefix(response.body, ERROR_BODY_MAX_BYTES);
        this.#noteDeprecation(endpoint, response.headers);
        return { status: response.statusCode, headers: response.headers, text };
      })
      .catch((error: unknown) => {
        throw this.#transportError(endpoint, error);
      });
  }

  /** The whole body, up to the cap; past it, reading stops and the request fails as a bad response. */
  async #readBody(body: Dispatcher.ResponseData['body'], endpoint: string): Promise<string> {
    const limit = this.#options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > limit) {
        body.destroy();
        throw this.#badResponse(
          endpoint,
          `response body larger than ${describeBytes(limit)}, the most read per response; not read further`,
        );
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #noteDeprecation(endpoint: string, headers: Record<string, string | string[] | undefined>): void {
    const deprecation = headerValue(headers['deprecation']);
    const sunset = headerValue(headers['sunset']);
    if ((deprecation || sunset) && !this.#deprecations.has(endpoint)) {
      this.#deprecations.set(endpoint, {
        endpoint,
        ...(deprecation ? { deprecation: deprecation.slice(0, 64) } : {}),
        ...(sunset ? { sunset: sunset.slice(0, 64) } : {}),
      });
    }
  }

  #parse<Schema extends z.ZodType>(endpoint: string, response: RawResponse, schema: Schema): z.infer<Schema> {
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      const type = headerValue(response.headers['content-type']) ?? 'no content type';
      const summary = summarizeErrorBody(response.text, this.#auth.secrets());
      throw this.#badResponse(
        endpoint,
        `expected a JSON body, got ${type.split(';')[0]}${summary.excerpt ? `: "${summary.excerpt}"` : ''}`,
        response.status,
      );
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      throw this.#badResponse(endpoint, describeIssues(result.error.issues), response.status);
    }
    return result.data;
  }

  async #requestToken(body: Record<string, string>): Promise<{ accessToken: string; expiresAt: number }> {
    const url = new URL('/oauth/token', this.origin);
    const endpoint = 'POST /oauth/token';
    const requestedAt = this.#now();
    const response = await this.#send('POST', url, endpoint, JSON.stringify(body));
    if (response.status === 400 || response.status === 401) {
      const summary = summarizeErrorBody(response.text, this.#auth.secrets());
      throw new QlikApiError(
        'unauthorized',
        `${endpoint}: ${response.status} (${describeErrorBody(summary) || 'no details'}): the OAuth client id/secret ` +
          `were rejected by ${this.origin}; check the client's id, secret${body['scope'] ? ' and scope' : ''} ` +
          'and that it is a machine-to-machine client of this tenant',
        { endpoint, httpStatus: response.status, ...errorFields(summary) },
      );
    }
    if (response.status === 403) {
      throw this.#statusError(endpoint, response, {
        forbidden: 'the OAuth client may not get a token (its user is disabled or its token maximum is reached)',
      });
    }
    if (response.status < 200 || response.status > 299) throw this.#statusError(endpoint, response, {});
    const token = this.#parse(endpoint, response, oauthTokenSchema);
    if (token.token_type !== undefined && token.token_type.toLowerCase() !== 'bearer') {
      throw this.#badResponse(endpoint, `token_type: expected "bearer", got "${token.token_type.slice(0, 20)}"`);
    }
    return { accessToken: token.access_token, expiresAt: tokenExpiry(token, requestedAt) };
  }

  #statusError(endpoint: string, response: RawResponse, hints: EndpointHints): QlikApiError {
    const status = response.status;
    const summary = summarizeErrorBody(response.text, this.#auth.secrets());
    const described = describeErrorBody(summary);
    const what = `${endpoint}: ${status}${described ? ` (${described})` : ''}`;
    const fields = { endpoint, httpStatus: status, ...errorFields(summary) };
    if (status === 401) {
      const credential =
        this.#auth.kind === 'api-key'
          ? 'the API key was rejected (expired, revoked, or its owner lacks the Manage API keys permission)'
          : 'the OAuth access token was rejected';
      return new QlikApiError('unauthorized', `${what}: ${credential}`, fields);
    }
    if (status === 403) {
      return new QlikApiError(
        'forbidden',
        `${what}: ${hints.forbidden ?? 'the checker’s credential is not allowed to read this'}`,
        fields,
      );
    }
    if (status === 429) {
      const waitMs = retryAfterMs(headerValue(response.headers['retry-after']), this.#now());
      const wait = waitMs === undefined ? '' : `; the tenant asked to wait ${Math.ceil(waitMs / 1000)} s`;
      return new QlikApiError('rate-limited', `${what}: still rate limited after retries${wait}`, {
        ...fields,
        ...(waitMs !== undefined ? { retryAfterSeconds: Math.ceil(waitMs / 1000) } : {}),
      });
    }
    if (status >= 500)
      return new QlikApiError('bad-response', `${what}: server error, still failing after retries`, fields);
    return new QlikApiError('bad-response', `${what}: unexpected status`, fields);
  }

  #badResponse(endpoint: string, problem: string, httpStatus?: number): QlikApiError {
    return new QlikApiError('bad-response', `${endpoint}: ${this.redact(problem)}`, {
      endpoint,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    });
  }

  #transportError(endpoint: string, error: unknown): QlikApiError {
    if (error instanceof QlikApiError) return error;
    if (this.#signal.aborted) {
      return new QlikApiError('timeout', `${endpoint}: stopped at the tenant's deadline`, {
        endpoint,
        cause: new TransportFailure('aborted by the tenant deadline', 'ABORTED'),
      });
    }
    const code = failureCode(error);
    const message = error instanceof Error ? this.redact(error.message).slice(0, 200) : 'request failed';
    return new QlikApiError(
      'unreachable',
      `${endpoint}: ${this.origin} unreachable (${code ?? 'network error'}: ${message})`,
      {
        endpoint,
        cause: new TransportFailure(message, code),
      },
    );
  }
}

/** The first `limit` bytes of a body (decoded), the rest never downloaded: the connection is closed instead. */
async function readPrefix(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  // A multi-byte character cut at the limit decodes as U+FFFD: harmless in an excerpt.
  return Buffer.concat(chunks).toString('utf8');
}

/** `4 MiB`, `16 KiB`, `100 bytes`. */
function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function failureCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const own = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const code = typeof cause === 'string' && (own === undefined || own === 'UND_ERR_CONNECT') ? cause : own;
  return typeof code === 'string' ? code : undefined;
}

function errorFields(summary: ReturnType<typeof summarizeErrorBody>) {
  return {
    ...(summary.qlikCode ? { qlikCode: summary.qlikCode } : {}),
    ...(summary.title ? { title: summary.title } : {}),
    ...(summary.traceId ? { traceId: summary.traceId } : {}),
  };
}

/** `data[3].id: expected string, received undefined` — the first issues, with their JSON paths. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => `${jsonPath(issue.path)}: ${issueText(issue)}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `${shown.join('; ')}${more}`;
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(body)' : formatPath(path, { quoteOddKeys: false });
}

function issueText(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid (input|option): /, '').slice(0, 160);
}
