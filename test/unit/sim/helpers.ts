/**
 * Small HTTP helpers for the simulator's own tests: real requests over real sockets, redirects not followed.
 */
import { request as httpRequest } from 'node:http';
import type { SimulatedTenant } from '../../sim/server';

export interface SimResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (throws if the body is not JSON). */
  json<T = any>(): T;
}

export async function call(
  tenant: SimulatedTenant,
  path: string,
  init: { method?: string; token?: string | null; body?: unknown; contentType?: string } = {},
): Promise<SimResponse> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? tenant.credentials.apiKey : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = init.contentType ?? 'application/json';
  }
  const url = path.startsWith('http') ? path : `${tenant.url}${path}`;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** Follows `links.next.href` until absent; returns every item and the hrefs visited. */
export async function collect<T>(
  tenant: SimulatedTenant,
  firstPath: string,
  token?: string,
): Promise<{ items: T[]; hrefs: string[] }> {
  const items: T[] = [];
  const hrefs: string[] = [];
  let href: string | undefined = `${tenant.url}${firstPath}`;
  while (href) {
    if (hrefs.length > 10_000) throw new Error('paging did not end');
    hrefs.push(href);
    const res = await call(tenant, href, { token });
    if (res.status !== 200) throw new Error(`${href} answered ${res.status}: ${res.text}`);
    const body = res.json<{ data: T[]; links: { next?: { href: string } } }>();
    items.push(...body.data);
    href = body.links.next?.href;
  }
  return { items, hrefs };
}

/** A request with a Host header of our choosing (fetch does not allow setting it). */
export function getWithHost(
  tenant: SimulatedTenant,
  path: string,
  host: string,
): Promise<{ status: number; body: string }> {
  const { port } = new URL(tenant.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host, authorization: `Bearer ${tenant.credentials.apiKey}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function oauthToken(tenant: SimulatedTenant): Promise<string> {
  const res = await call(tenant, '/oauth/token', {
    method: 'POST',
    token: null,
    body: {
      client_id: tenant.credentials.clientId,
      client_secret: tenant.credentials.clientSecret,
      grant_type: 'client_credentials',
    },
  });
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${res.text}`);
  return res.json<{ access_token: string }>().access_token;
}
