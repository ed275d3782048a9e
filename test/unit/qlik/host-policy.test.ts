import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/errors';
import { HostPolicy, isLoopback } from '../../../lambda/qlik/host-policy';

const allowed = (policy: HostPolicy, url: string) => policy.violation(new URL(url)) === undefined;

describe('HostPolicy', () => {
  const policy = new HostPolicy({ allowedHosts: ['analytics.example.com', '*.corp.example.org'] });

  it.each([
    'https://acme.eu.qlikcloud.com',
    'https://acme.us.qlikcloud.com:443/api/v1/users',
    'https://ACME.EU.QLIKCLOUD.COM.',
    'https://analytics.example.com/x',
    'https://bi.corp.example.org',
    'https://a.b.corp.example.org',
  ])('sends the credential to %s', (url) => {
    expect(allowed(policy, url)).toBe(true);
  });

  it.each([
    ['the bare domain', 'https://qlikcloud.com'],
    ['a look-alike suffix', 'https://evilqlikcloud.com'],
    ['a look-alike prefix', 'https://acme.qlikcloud.com.evil.net'],
    ['the apex of a wildcard', 'https://corp.example.org'],
    ['a sibling of an exact host', 'https://www.analytics.example.com'],
    ['plain http', 'http://acme.eu.qlikcloud.com'],
    ['another scheme', 'ftp://acme.eu.qlikcloud.com'],
    ['embedded credentials', 'https://u:p@acme.eu.qlikcloud.com'],
  ])('refuses %s', (_, url) => {
    expect(allowed(policy, url)).toBe(false);
  });

  it('allows plain http to loopback only with allowHttpLoopback, never elsewhere', () => {
    const strict = new HostPolicy();
    const loose = new HostPolicy({ allowHttpLoopback: true });
    expect(strict.violation(new URL('http://127.0.0.1:8080'))).toMatch(/needs allowHttpLoopback/);
    expect(allowed(loose, 'http://127.0.0.1:8080')).toBe(true);
    expect(allowed(loose, 'http://[::1]:8080')).toBe(true);
    expect(allowed(loose, 'http://localhost:3000')).toBe(true);
    expect(loose.violation(new URL('http://acme.eu.qlikcloud.com'))).toMatch(/only allowed to a loopback/);
    expect(allowed(loose, 'http://10.0.0.1')).toBe(false);
  });

  it('rejects a tenant URL outside the policy as bad input, without echoing embedded credentials', () => {
    let error: unknown;
    try {
      new HostPolicy().tenantOrigin('https://admin:hunter2secret@tenant.example.net/hub');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'bad-input', file: 'tenant URL' });
    expect(String((error as Error).message)).not.toContain('hunter2secret');
    expect(() => new HostPolicy().tenantOrigin('acme.eu.qlikcloud.com')).toThrow(/absolute https URL/);
    expect(new HostPolicy().tenantOrigin('https://acme.eu.qlikcloud.com/hub/')).toBe('https://acme.eu.qlikcloud.com');
  });

  it.each(['*.com', '*', 'https://x.example.com', 'x.example.com/path', 'x.example.com:8443', '*.*.example.com', ''])(
    'rejects the allowed host %j naming its index',
    (entry) => {
      expect(() => new HostPolicy({ allowedHosts: ['ok.example.com', entry] })).toThrow(
        expect.objectContaining({ code: 'bad-input', file: 'allowedHosts', path: '[1]' }),
      );
    },
  );
});

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', 'localhost.', '::ffff:7f00:1'])(
    '%s is loopback',
    (host) => expect(isLoopback(host)).toBe(true),
  );
  it.each([
    '128.0.0.1',
    '127.0.0.1.nip.io',
    '127.0.0.256',
    '0.0.0.0',
    '::2',
    'localhost.example.com',
    'api.localhost',
    'evil.localhost.',
  ])('%s is not', (host) => expect(isLoopback(host)).toBe(false));
});
