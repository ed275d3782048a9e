/**
 * Object store in an S3 bucket (the Lambda's report archive). Retention comes from the bucket's default Object Lock
 * rule; an explicit per-object retention is only set when configured.
 */

import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ObjectLockMode,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DAY_MS } from '../util/time';
import {
  assertValidKey,
  type ListOptions,
  type ObjectBody,
  type ObjectHead,
  type ObjectStore,
  ObjectStoreError,
  type ObjectVersion,
  type PutOptions,
  type PutResult,
} from './object-store';

export interface S3ObjectStoreOptions {
  /** Prepended to every key, e.g. `qag/`. */
  readonly keyPrefix?: string;
  /** SSE-KMS with this key (id or ARN); omitted = the bucket's default encryption. */
  readonly kmsKeyId?: string;
  /** Explicit per-object retention; omitted = the bucket's default retention applies. */
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly retainDays: number };
  /** Clock for the explicit retention date. */
  readonly now?: () => Date;
}

/** An object's bytes with the ETag of the version read. */
export interface TaggedObject {
  readonly bytes: Uint8Array;
  readonly etag: string;
}

/** Tries of a conditional write that S3 answers with 409 (a concurrent conditional write of the same key). */
const CONFLICT_ATTEMPTS = 3;

export class S3ObjectStore implements ObjectStore {
  private readonly keyPrefix: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly options: S3ObjectStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? '';
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key);
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: this.keyPrefix + key,
      Body: body,
      ContentType: options.contentType,
      ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      ...(this.options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId } : {}),
      ...(this.options.objectLock
        ? {
            ObjectLockMode: this.options.objectLock.mode,
            ObjectLockRetainUntilDate: new Date(
              (this.options.now?.() ?? new Date()).getTime() + this.options.objectLock.retainDays * DAY_MS,
            ),
          }
        : {}),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand(input));
        return 'written';
      } catch (error) {
        if (options.ifNoneMatch && statusOf(error) === 412) return 'exists';
        // 409 ConditionalRequestConflict: another conditional write of this key was under way; S3 asks for a retry,
        // which then answers 412 if that write won.
        if (options.ifNoneMatch && statusOf(error) === 409 && attempt < CONFLICT_ATTEMPTS) continue;
        throw new ObjectStoreError('put', this.location(key), { cause: error });
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }));
      return output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new ObjectStoreError('get', this.location(key), { cause: error });
    }
  }

  /** The object's bytes and ETag (for a later {@link putIfMatch}), or undefined when there is no such object. */
  async getTagged(key: string): Promise<TaggedObject | undefined> {
    assertValidKey(key);
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }));
      const bytes = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
      if (output.ETag === undefined) throw new Error('S3 answered without an ETag');
      return { bytes, etag: output.ETag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new ObjectStoreError('get', this.location(key), { cause: error });
    }
  }

  /**
   * Replaces the object only while it is the version read with {@link getTagged} (S3 `If-Match: <etag>`);
   * `changed` when another write came first (412), or the object is gone (404), so nothing was written.
   */
  async putIfMatch(key: string, body: ObjectBody, etag: string, contentType?: string): Promise<'written' | 'changed'> {
    assertValidKey(key);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.keyPrefix + key,
            Body: body,
            ContentType: contentType,
            IfMatch: etag,
            ...(this.options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId } : {}),
          }),
        );
        return 'written';
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 404 || isNotFound(error)) return 'changed';
        if (status === 409 && attempt < CONFLICT_ATTEMPTS) continue;
        throw new ObjectStoreError('put', this.location(key), { cause: error });
      }
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    assertValidKey(key);
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }));
      return { bytes: output.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new ObjectStoreError('head', this.location(key), { cause: error });
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<string[]> {
    const keys: string[] = [];
    const startAfter = options.startAfter === undefined ? undefined : this.keyPrefix + options.startAfter;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return keys;
    const maxKeys = Number.isFinite(limit) ? Math.min(limit, 1000) : undefined;
    for await (const page of this.listPages(prefix, { startAfter, maxKeys })) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.keyPrefix.length));
        if (keys.length >= limit) return keys;
      }
    }
    return keys;
  }

  async listVersions(prefix: string): Promise<ObjectVersion[]> {
    const versions: ObjectVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
        const entries = [
          ...(page.Versions ?? []).map((version) => ({ ...version, deleteMarker: false })),
          ...(page.DeleteMarkers ?? []).map((marker) => ({ ...marker, deleteMarker: true })),
        ];
        for (const entry of entries) {
          if (entry.Key === undefined) continue;
          versions.push({
            key: entry.Key.slice(this.keyPrefix.length),
            versionId: entry.VersionId ?? 'null',
            isLatest: entry.IsLatest ?? false,
            deleteMarker: entry.deleteMarker,
            ...(entry.LastModified ? { lastModified: entry.LastModified } : {}),
          });
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      } while (keyMarker !== undefined);
    } catch (error) {
      throw new ObjectStoreError('list', this.location(prefix), { cause: error });
    }
    return versions;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    const fullPrefix = this.keyPrefix + prefix;
    for await (const page of this.listPages(prefix, { delimiter: '/' })) {
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix) folders.push(common.Prefix.slice(fullPrefix.length).replace(/\/$/, ''));
      }
    }
    return folders;
  }

  /** Every page of a listing under `prefix`; `startAfter` (a full key) goes with the first request only. */
  private async *listPages(
    prefix: string,
    options: { readonly delimiter?: string; readonly startAfter?: string; readonly maxKeys?: number },
  ): AsyncGenerator<ListObjectsV2CommandOutput> {
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix + prefix,
            ContinuationToken: continuationToken,
            ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
            ...(options.maxKeys !== undefined ? { MaxKeys: options.maxKeys } : {}),
            ...(options.startAfter !== undefined && !continuationToken ? { StartAfter: options.startAfter } : {}),
          }),
        );
        yield page;
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
    } catch (error) {
      throw new ObjectStoreError('list', this.location(prefix), { cause: error });
    }
  }

  location(keyOrPrefix: string): string {
    return `s3://${this.bucket}/${this.keyPrefix}${keyOrPrefix}`;
  }
}

function statusOf(error: unknown): number | undefined {
  // Every SDK service error (S3ServiceException included) carries the HTTP status in $metadata.
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}
