/**
 * The few object operations the report archive and the state store need, so both are written once for a local folder
 * and for S3. Keys use `/` as separator on every backend.
 */

export type ObjectBody = string | Uint8Array;

export interface PutOptions {
  readonly contentType?: string;
  /**
   * Write only when no object has this key yet (S3 `If-None-Match: *`; a local folder creates the file exclusively).
   * Every archive write uses it: the bucket policy refuses unconditional writes under `reports/`, so nothing stored
   * there can be replaced by a newer version.
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
  /** At most this many keys (the first ones in order; S3 `MaxKeys`, a single request when it is at most 1000). */
  readonly limit?: number;
}

/** One stored version of a key (S3 ListObjectVersions), or a delete marker. */
export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  readonly lastModified?: Date;
}

export interface ObjectStore {
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  /** The object's bytes, or undefined when there is no such object. */
  get(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<ObjectHead | undefined>;
  /** Every key starting with `prefix`, in ascending (byte) order. */
  list(prefix: string, options?: ListOptions): Promise<string[]>;
  /**
   * Every version and delete marker of every key starting with `prefix`, the versions of one key newest first (as S3
   * lists them), for stores that keep versions (S3); absent on stores that keep one object per key (a local folder).
   */
  listVersions?(prefix: string): Promise<ObjectVersion[]>;
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
