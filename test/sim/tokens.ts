/**
 * JWT-shaped credentials (header.payload.signature, base64url JSON) so a client can read a key's `exp` and `jti`
 * without verifying anything, as with Qlik's real keys. The signature is an HMAC with a secret private to one
 * simulator instance: a token of another instance, or an edited one, is rejected like a forged key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ApiKeyClaims {
  readonly kind: 'api-key';
  readonly sub: string;
  readonly subType: 'user';
  readonly tenantId: string;
  readonly jti: string;
  readonly aud: 'qlik.api';
  readonly iss: 'qlik.api.internal';
  /** Seconds since the epoch. */
  readonly exp: number;
}

export interface AccessTokenClaims {
  readonly kind: 'oauth';
  readonly sub: string;
  readonly subType: 'user';
  readonly tenantId: string;
  readonly client_id: string;
  readonly jti: string;
  readonly scope?: string;
  readonly aud: 'qlik.api';
  readonly iss: string;
  readonly exp: number;
}

export type TokenClaims = ApiKeyClaims | AccessTokenClaims;

const HEADER = base64url(JSON.stringify({ alg: 'ES384', kid: 'sim-signing-key', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

export class TokenIssuer {
  private readonly secret = randomBytes(32);

  sign(claims: TokenClaims): string {
    const unsigned = `${HEADER}.${base64url(JSON.stringify(claims))}`;
    return `${unsigned}.${this.signature(unsigned)}`;
  }

  /** The claims of a token this issuer signed, or undefined for anything else. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.signature(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
      return claims.kind === 'api-key' || claims.kind === 'oauth' ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  private signature(unsigned: string): string {
    return createHmac('sha256', this.secret).update(unsigned).digest('base64url');
  }
}

export function randomId(bytes: number, alphabet: 'hex' | 'url-safe'): string {
  if (alphabet === 'hex') return randomBytes(bytes).toString('hex');
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(bytes)].map((b) => chars[b % chars.length]).join('');
}
