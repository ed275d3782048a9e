/**
 * Turns {@link QlikCredentials} into an Authorization header: an API key as is, or an OAuth client-credentials token
 * fetched from the tenant's `/oauth/token`, cached and renewed before it expires. The header value only ever goes
 * to the transport; nothing here builds a message that contains a secret.
 */
import type { QlikCredentials } from './credentials';

/** How the token is fetched: the transport's POST, with host policy, deadline and error mapping applied. */
export type TokenRequest = (body: Record<string, string>) => Promise<{ accessToken: string; expiresAt: number }>;

export interface Authenticator {
  /** `Bearer …` for the next request. */
  authorization(): Promise<string>;
  /** The credential was rejected (401): drop a cached token so the next call fetches a new one. */
  invalidate(): boolean;
  /** Strings that must never appear in any output: the key, the client secret, the current token. */
  secrets(): readonly string[];
  /** When the checker's own credential expires, if the credential says so (an API key's JWT `exp`). */
  readonly credentialExpiresAt?: string;
  readonly kind: QlikCredentials['kind'];
}

/** Renew this long before the token's end, or a tenth of its lifetime for short-lived tokens. */
export const TOKEN_RENEWAL_MARGIN_MS = 60_000;
/** Assumed lifetime when a token response states neither `expires_in` nor `expires_at`. */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000;

export function createAuthenticator(
  credentials: QlikCredentials,
  requestToken: TokenRequest,
  now: () => number,
): Authenticator {
  if (credentials.kind === 'api-key') {
    const header = `Bearer ${credentials.apiKey}`;
    const expiresAt = jwtExpiry(credentials.apiKey);
    return {
      kind: 'api-key',
      authorization: async () => header,
      invalidate: () => false,
      secrets: () => [credentials.apiKey],
      ...(expiresAt ? { credentialExpiresAt: expiresAt } : {}),
    };
  }
  return new OAuthClientAuthenticator(credentials, requestToken, now);
}

class OAuthClientAuthenticator implements Authenticator {
  readonly kind = 'oauth-client';
  #token: { value: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    private readonly credentials: Extract<QlikCredentials, { kind: 'oauth-client' }>,
    private readonly requestToken: TokenRequest,
    private readonly now: () => number,
  ) {}

  async authorization(): Promise<string> {
    const token = this.#token;
    if (token && this.now() < token.renewAt) return `Bearer ${token.value}`;
    // Concurrent requests share one token request instead of each fetching their own.
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return `Bearer ${await this.#pending}`;
  }

  invalidate(): boolean {
    const had = this.#token !== undefined;
    this.#token = undefined;
    return had;
  }

  secrets(): readonly string[] {
    return [this.credentials.clientSecret, ...(this.#token ? [this.#token.value] : [])];
  }

  async #fetch(): Promise<string> {
    const issuedAt = this.now();
    const { accessToken, expiresAt } = await this.requestToken({
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
      grant_type: 'client_credentials',
      ...(this.credentials.scope ? { scope: this.credentials.scope } : {}),
    });
    const lifetime = Math.max(0, expiresAt - issuedAt);
    const margin = Math.min(TOKEN_RENEWAL_MARGIN_MS, lifetime / 10);
    this.#token = { value: accessToken, renewAt: expiresAt - margin };
    return accessToken;
  }
}

/**
 * When a token response says the token ends: the earlier of `expires_in` (from when it was requested) and
 * `expires_at`, so a skewed clock on either side cannot keep a dead token in the cache.
 */
export function tokenExpiry(
  response: { expires_in?: number | undefined; expires_at?: string | undefined },
  requestedAt: number,
): number {
  const candidates: number[] = [];
  if (typeof response.expires_in === 'number' && response.expires_in > 0) {
    candidates.push(requestedAt + response.expires_in * 1000);
  }
  const at = response.expires_at === undefined ? Number.NaN : Date.parse(response.expires_at);
  if (Number.isFinite(at)) candidates.push(at);
  return candidates.length > 0 ? Math.min(...candidates) : requestedAt + DEFAULT_TOKEN_LIFETIME_MS;
}

/**
 * The `exp` claim of a JWT-shaped API key, as an ISO date-time. Read without verifying the signature: it only tells
 * when the checker's own credential stops working, it is never used to trust anything.
 */
export function jwtExpiry(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const exp = (claims as Record<string, unknown>)['exp'];
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
    const date = new Date(exp * 1000);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  } catch {
    return undefined;
  }
}
