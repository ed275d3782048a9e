/**
 * Where the credential may go. Checked for the tenant URL when the client is built, and again for every request it
 * sends: redirect targets and `links.next.href` are server-controlled, so each one is checked before it is followed.
 */
import { InputError } from '../errors';

/** Qlik Cloud's own domain: every tenant's default host is a subdomain of it. */
export const QLIK_CLOUD_DOMAIN = 'qlikcloud.com';

export interface HostPolicyOptions {
  /** Custom domains besides `*.qlikcloud.com`: exact host names or `*.example.com` wildcards. */
  readonly allowedHosts?: readonly string[];
  /** Plain `http` to a loopback address (the simulated tenant, a local proxy). Never any other host. */
  readonly allowHttpLoopback?: boolean;
}

type HostPattern =
  | { readonly kind: 'exact'; readonly host: string }
  | { readonly kind: 'suffix'; readonly suffix: string };

const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export class HostPolicy {
  readonly #patterns: readonly HostPattern[];
  readonly #allowHttpLoopback: boolean;

  constructor(options: HostPolicyOptions = {}) {
    this.#allowHttpLoopback = options.allowHttpLoopback ?? false;
    this.#patterns = [
      { kind: 'suffix', suffix: `.${QLIK_CLOUD_DOMAIN}` },
      ...(options.allowedHosts ?? []).map((entry, index) => parsePattern(entry, index)),
    ];
  }

  /** Why `url` may not receive the credential, or `undefined` when it may. */
  violation(url: URL): string | undefined {
    if (url.username !== '' || url.password !== '') return 'URLs must not embed credentials';
    const host = normalizeHost(url.hostname);
    if (url.protocol === 'http:') {
      if (!isLoopback(host)) return `plain http is only allowed to a loopback address, not ${url.host}`;
      if (!this.#allowHttpLoopback) return `plain http to ${url.host} needs allowHttpLoopback (--allow-http-loopback)`;
      return undefined;
    }
    if (url.protocol !== 'https:') return `only https is allowed, not ${url.protocol.replace(/:$/, '')}`;
    if (this.#allowHttpLoopback && isLoopback(host)) return undefined;
    const allowed = this.#patterns.some((p) => (p.kind === 'exact' ? host === p.host : host.endsWith(p.suffix)));
    return allowed ? undefined : `${url.host} is neither *.${QLIK_CLOUD_DOMAIN} nor an allowed host`;
  }

  /** The tenant's origin, or a bad-input error naming what was wrong (never echoing embedded credentials). */
  tenantOrigin(tenantUrl: string): string {
    let url: URL;
    try {
      url = new URL(tenantUrl);
    } catch {
      throw new InputError('tenant URL', '', 'an absolute https URL such as https://acme.eu.qlikcloud.com');
    }
    const problem = this.violation(url);
    if (problem) throw new InputError('tenant URL', '', `${problem} (tenant ${url.protocol}//${url.host})`);
    return url.origin;
  }
}

/**
 * Literal loopback only: `localhost` exactly, 127.0.0.0/8 and ::1 as literals. A name such as `api.localhost` is
 * resolved through DNS like any other, so it could point anywhere and never counts as loopback.
 */
export function isLoopback(hostname: string): boolean {
  const host = normalizeHost(hostname);
  if (host === 'localhost') return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  // IPv4-mapped IPv6 loopback, as WHATWG URL prints it: ::ffff:7f00:1
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

function normalizeHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

function parsePattern(entry: string, index: number): HostPattern {
  const raw = entry.trim().toLowerCase().replace(/\.$/, '');
  const expected = 'a host name (acme.example.com) or a wildcard (*.example.com), without scheme, port or path';
  if (raw.startsWith('*.')) {
    const domain = raw.slice(2);
    // A wildcard over a bare TLD (`*.com`) would let the credential go almost anywhere.
    if (!HOST_NAME.test(domain) || !domain.includes('.')) {
      throw new InputError('allowedHosts', `[${index}]`, `${expected}; got "${entry}"`);
    }
    return { kind: 'suffix', suffix: `.${domain}` };
  }
  if (!HOST_NAME.test(raw)) throw new InputError('allowedHosts', `[${index}]`, `${expected}; got "${entry}"`);
  return { kind: 'exact', host: raw };
}
