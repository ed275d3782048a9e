/**
 * Both of Qlik's paging styles (docs/qlik-cloud-api.md §2), always with absolute links built from the request's Host:
 * opaque `next` / `prev` cursors (users, groups, roles) and key-id `startingAfter` / `endingBefore` (api-keys).
 * Cursors carry a digest of the query they belong to, so reusing one with another filter or sort is a 400.
 */
import { createHash } from 'node:crypto';

export interface PageLinks {
  self: { href: string };
  next?: { href: string };
  prev?: { href: string };
}

export class PagingError extends Error {
  override readonly name = 'PagingError';
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

/** `limit`: default when absent, clamped to the maximum, at least 1. */
export function parseLimit(params: URLSearchParams, defaults: { defaultLimit: number; maxLimit: number }): number {
  const raw = params.get('limit');
  if (raw === null || raw === '') return defaults.defaultLimit;
  if (!/^-?\d+$/.test(raw)) throw new PagingError(`limit must be an integer, got ${JSON.stringify(raw)}`, 'limit');
  const n = Number(raw);
  if (n < 1) throw new PagingError(`limit must be at least 1, got ${n}`, 'limit');
  return Math.min(n, defaults.maxLimit);
}

export function selfHref(origin: string, url: URL): string {
  return `${origin}${url.pathname}${url.search}`;
}

/** The request URL with the paging parameters replaced; everything else kept in the caller's order. */
export function hrefWith(origin: string, url: URL, remove: readonly string[], add: readonly [string, string]): string {
  const params = new URLSearchParams(url.search);
  for (const name of remove) params.delete(name);
  params.append(add[0], add[1]);
  return `${origin}${url.pathname}?${params.toString()}`;
}

function digest(queryKey: string): string {
  return createHash('sha256').update(queryKey).digest('base64url').slice(0, 10);
}

export function encodeCursor(offset: number, queryKey: string): string {
  // Looks opaque like Qlik's (e.g. "FgAAAAdfaWQAY3OQ7GVBYU06iNbB"); holds the offset and the query digest.
  return Buffer.from(`\u0016${offset}\u0000${digest(queryKey)}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, queryKey: string, parameter: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the cursor format uses control characters as separators
  const match = /^\u0016(\d+)\u0000(.+)$/.exec(text);
  if (!match) throw new PagingError(`invalid ${parameter} cursor`, parameter);
  if (match[2] !== digest(queryKey))
    throw new PagingError(`the ${parameter} cursor belongs to another query (filter or sort changed)`, parameter);
  return Number(match[1]);
}

/** One page of a cursor-paged list. `queryKey` names everything that decides the list (filter, sort, …). */
export function cursorPage<T>(
  all: readonly T[],
  url: URL,
  origin: string,
  limit: number,
  queryKey: string,
): { page: T[]; links: PageLinks } {
  const params = url.searchParams;
  const next = params.get('next');
  const prev = params.get('prev');
  if (next !== null && prev !== null) throw new PagingError('next and prev cannot be combined', 'next');
  let start = 0;
  if (next !== null) start = decodeCursor(next, queryKey, 'next');
  // A prev cursor names the start of the page it leads to.
  if (prev !== null) start = decodeCursor(prev, queryKey, 'prev');
  start = Math.min(start, all.length);
  const page = all.slice(start, start + limit);
  const links: PageLinks = { self: { href: selfHref(origin, url) } };
  if (start + limit < all.length)
    links.next = { href: hrefWith(origin, url, ['next', 'prev'], ['next', encodeCursor(start + limit, queryKey)]) };
  if (start > 0)
    links.prev = {
      href: hrefWith(origin, url, ['next', 'prev'], ['prev', encodeCursor(Math.max(0, start - limit), queryKey)]),
    };
  return { page, links };
}

/** One page of a key-id paged list (api-keys). */
export function keysetPage<T extends { readonly id: string }>(
  all: readonly T[],
  positions: ReadonlyMap<string, number>,
  url: URL,
  origin: string,
  limit: number,
): { page: T[]; links: PageLinks } {
  const params = url.searchParams;
  const startingAfter = params.get('startingAfter');
  const endingBefore = params.get('endingBefore');
  if (startingAfter !== null && endingBefore !== null)
    throw new PagingError('startingAfter cannot be used with endingBefore', 'startingAfter');
  let start = 0;
  let end: number;
  if (startingAfter !== null) {
    const at = positions.get(startingAfter);
    if (at === undefined)
      throw new PagingError(`startingAfter names no key in this listing: ${startingAfter}`, 'startingAfter');
    start = at + 1;
    end = Math.min(all.length, start + limit);
  } else if (endingBefore !== null) {
    const at = positions.get(endingBefore);
    if (at === undefined)
      throw new PagingError(`endingBefore names no key in this listing: ${endingBefore}`, 'endingBefore');
    end = at;
    start = Math.max(0, end - limit);
  } else {
    end = Math.min(all.length, limit);
  }
  const page = all.slice(start, end);
  const links: PageLinks = { self: { href: selfHref(origin, url) } };
  const last = page[page.length - 1];
  const first = page[0];
  if (end < all.length && last)
    links.next = { href: hrefWith(origin, url, ['startingAfter', 'endingBefore'], ['startingAfter', last.id]) };
  if (start > 0 && first)
    links.prev = { href: hrefWith(origin, url, ['startingAfter', 'endingBefore'], ['endingBefore', first.id]) };
  return { page, links };
}
