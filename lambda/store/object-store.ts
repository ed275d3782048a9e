/**
 * The few object operations the report archive and the state store need, so both are written once for a local folder
 * and for S3. Keys use `/` as separator on every backend.
 */

export type ObjectBody = string | Uint8Array;

export interface PutOptions {
  readonly contentType?: string;
  /**
   * Write only when no object has this key yet (S3 `If-None-Match: *`). The report manifest uses it so a run is
   * archived exactly once even when the same scheduled run is invoked twice.
   */
  readonly ifNoneMatch?: boolean;
}

/** `exists`: `ifNoneMatch` was set and the key was already taken, so nothing was written. */
export type PutResult = 'written' | 'exists';

export interface ObjectHead {
  readonly bytes: number;
}

export interface ListOptions {
  /** Only keys that sort after this one (S3 `StartAfter`). */
  readonly startAfter?: string;
}

export interface ObjectStore {
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  /** The object's bytes, or undefined when there is no such object. */
  get(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<ObjectHead | undefined>;
  /** Every key starting with `prefix`, in ascending (byte) order. */
  list(prefix: string, options?: ListOptions): Promise<string[]>;
  /** Names of the immediate "folders" under `prefix` (which ends with `/`), without the trailing `/`, sorted. */
  listFolders(prefix: string): Promise<string[]>;
  /** Where a key or prefix lives, for people: a file path or an `s3://bucket/key` URL. */
  location(keyOrPrefix: string): string;
}

/** A storage operation failed; names the operation and the location, never the body. */
export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  constructor(
    readonly operation: 'put' | 'get' | 'head' | 'list',
    readonly location: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} ${location} failed${describeCause(options?.cause)}`, options);
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  const code = (cause as { code?: unknown }).code;
  const label = typeof code === 'string' ? code : cause.name;
  return `: ${label}${cause.message && cause.message !== label ? ` (${cause.message})` : ''}`;
}

/** Rejects keys that could escape the store root or that no backend can hold. */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\u0000') ||
    key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw new TypeError(`invalid object key ${JSON.stringify(key)}: expected "/"-separated non-empty segments`);
  }
}
