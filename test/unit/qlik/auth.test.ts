import { describe, expect, it } from 'vitest';
import { createAuthenticator, jwtExpiry, tokenExpiry } from '../../../lambda/qlik/auth';
import { jwtWithExp } from './support/fake-tenant';

describe('jwtExpiry', () => {
  it('reads exp from an API key without verifying it', () => {
    expect(jwtExpiry(jwtWithExp(1_798_675_200))).toBe('2026-12-31T00:00:00.000Z');
  });
  it.each([
    ['not a JWT', 'plain-api-key'],
    ['no exp', jwtWithExp(Number.NaN).replace(/\.[^.]+\./, `.${Buffer.from('{"sub":"x"}').toString('base64url')}.`)],
    ['exp as a string', `a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`],
    ['garbage payload', 'a.!!!.c'],
  ])('gives undefined for %s', (_, token) => {
    expect(jwtExpiry(token)).toBeUndefined();
  });
});

describe('tokenExpiry', () => {
  const at = Date.parse('2026-02-05T09:00:00Z');
  it('takes the earlier of expires_in and expires_at', () => {
    expect(tokenExpiry({ expires_in: 21600, expires_at: '2026-02-05T10:00:00Z' }, at)).toBe(
      Date.parse('2026-02-05T10:00:00Z'),
    );
    expect(tokenExpiry({ expires_in: 60, expires_at: '2026-02-05T10:00:00Z' }, at)).toBe(at + 60_000);
  });
  it('assumes a short lifetime when the response states none', () => {
    expect(tokenExpiry({}, at)).toBe(at + 300_000);
    expect(tokenExpiry({ expires_at: 'whenever' }, at)).toBe(at + 300_000);
  });
});

describe('createAuthenticator', () => {
  it('reports the API key as a secret and its JWT expiry', async () => {
    const key = jwtWithExp(1_798_675_200);
    const auth = createAuthenticator(
      { kind: 'api-key', apiKey: key },
      async () => {
        throw new Error('no token endpoint for API keys');
      },
      Date.now,
    );
    expect(await auth.authorization()).toBe(`Bearer ${key}`);
    expect(auth.secrets()).toEqual([key]);
    expect(auth.credentialExpiresAt).toBe('2026-12-31T00:00:00.000Z');
    expect(auth.invalidate()).toBe(false);
  });

  it('renews a short-lived token a tenth of its lifetime early', async () => {
    let now = 0;
    let issued = 0;
    const auth = createAuthenticator(
      { kind: 'oauth-client', clientId: 'id', clientSecret: 'secret' },
      async () => ({ accessToken: `t${++issued}`, expiresAt: now + 30_000 }),
      () => now,
    );
    expect(await auth.authorization()).toBe('Bearer t1');
    now = 26_900;
    expect(await auth.authorization()).toBe('Bearer t1');
    now = 27_000;
    expect(await auth.authorization()).toBe('Bearer t2');
    expect(auth.secrets()).toEqual(['secret', 't2']);
  });

  it('does not cache a failed token request', async () => {
    let attempts = 0;
    const auth = createAuthenticator(
      { kind: 'oauth-client', clientId: 'id', clientSecret: 'secret' },
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('rejected');
        return { accessToken: 'ok', expiresAt: Number.MAX_SAFE_INTEGER };
      },
      () => 0,
    );
    await expect(auth.authorization()).rejects.toThrow('rejected');
    expect(await auth.authorization()).toBe('Bearer ok');
  });
});
