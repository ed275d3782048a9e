import 'aws-sdk-client-mock-vitest/extend';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ObjectStoreError } from '../../../lambda/store/object-store';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';

const BUCKET = 'qag-reports';

describe('S3ObjectStore', () => {
  const s3 = mockClient(S3Client);
  const client = new S3Client({ region: 'us-east-1' });
  beforeEach(() => s3.reset());

  it('puts with the content type, and If-None-Match only when asked', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(client, BUCKET, { keyPrefix: 'qag/' });
    expect(await store.put('a/b.json', '{}', { contentType: 'application/json' })).toBe('written');
    expect(await store.put('a/manifest.json', '{}', { ifNoneMatch: true })).toBe('written');
    expect(s3).toHaveReceivedNthCommandWith(PutObjectCommand, 1, {
      Bucket: BUCKET,
      Key: 'qag/a/b.json',
      ContentType: 'application/json',
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.IfNoneMatch).toBeUndefined();
    expect(s3).toHaveReceivedNthCommandWith(PutObjectCommand, 2, { Key: 'qag/a/manifest.json', IfNoneMatch: '*' });
  });

  it('answers "exists" when S3 refuses If-None-Match with 412', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'At least one of the pre-conditions you specified did not hold',
      }),
    );
    const store = new S3ObjectStore(client, BUCKET);
    expect(await store.put('m.json', '{}', { ifNoneMatch: true })).toBe('exists');
    await expect(store.put('m.json', '{}')).rejects.toBeInstanceOf(ObjectStoreError);
  });

  it('retries a conditional write that S3 answers with 409 (a concurrent conditional write), then gives up', async () => {
    const conflict = () =>
      new S3ServiceException({
        name: 'ConditionalRequestConflict',
        $fault: 'client',
        $metadata: { httpStatusCode: 409 },
        message: 'A conflicting conditional operation is currently in progress',
      });
    s3.on(PutObjectCommand).rejectsOnce(conflict()).resolves({});
    const store = new S3ObjectStore(client, BUCKET);
    expect(await store.put('m.json', '{}', { ifNoneMatch: true })).toBe('written');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);

    s3.reset();
    s3.on(PutObjectCommand).rejects(conflict());
    await expect(store.put('m.json', '{}', { ifNoneMatch: true })).rejects.toBeInstanceOf(ObjectStoreError);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
    // An unconditional write is never retried on 409.
    s3.reset();
    s3.on(PutObjectCommand).rejects(conflict());
    await expect(store.put('m.json', '{}')).rejects.toBeInstanceOf(ObjectStoreError);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('lists at most `limit` keys with MaxKeys, in one request', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'qag/c/1.json' }],
      IsTruncated: true,
      NextContinuationToken: 't',
    });
    const store = new S3ObjectStore(client, BUCKET, { keyPrefix: 'qag/' });
    expect(await store.list('c/', { limit: 1 })).toEqual(['c/1.json']);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Prefix: 'qag/c/', MaxKeys: 1 });
  });

  it('lists every version and delete marker across pages, without the key prefix', async () => {
    const at = new Date('2026-03-01T06:00:00.000Z');
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined })
      .resolves({
        Versions: [
          { Key: 'qag/r/a.json', VersionId: 'v2', IsLatest: true, LastModified: at },
          { Key: 'qag/r/a.json', VersionId: 'v1', IsLatest: false, LastModified: at },
        ],
        IsTruncated: true,
        NextKeyMarker: 'qag/r/a.json',
        NextVersionIdMarker: 'v1',
      })
      .on(ListObjectVersionsCommand, { KeyMarker: 'qag/r/a.json', VersionIdMarker: 'v1' })
      .resolves({
        Versions: [{ Key: 'qag/r/b.json', VersionId: 'v3', IsLatest: false }],
        DeleteMarkers: [{ Key: 'qag/r/b.json', VersionId: 'd1', IsLatest: true }],
        IsTruncated: false,
      });
    const store = new S3ObjectStore(client, BUCKET, { keyPrefix: 'qag/' });
    expect(await store.listVersions('r/')).toEqual([
      { key: 'r/a.json', versionId: 'v2', isLatest: true, deleteMarker: false, lastModified: at },
      { key: 'r/a.json', versionId: 'v1', isLatest: false, deleteMarker: false, lastModified: at },
      { key: 'r/b.json', versionId: 'v3', isLatest: false, deleteMarker: false },
      { key: 'r/b.json', versionId: 'd1', isLatest: true, deleteMarker: true },
    ]);
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, { Bucket: BUCKET, Prefix: 'qag/r/' });
  });

  it('adds SSE-KMS and an explicit retention when configured', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(client, BUCKET, {
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      objectLock: { mode: 'COMPLIANCE', retainDays: 10 },
      now: () => new Date('2026-03-01T00:00:00.000Z'),
    });
    await store.put('x.json', '{}');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date('2026-03-11T00:00:00.000Z'),
    });
  });

  it('reads bytes, and undefined for a missing key', async () => {
    // The SDK's stream body, reduced to the one method the store uses.
    const body = { transformToByteArray: async () => new TextEncoder().encode('héllo') };
    s3.on(GetObjectCommand, { Key: 'there.json' }).resolves({ Body: body as never });
    s3.on(GetObjectCommand, { Key: 'gone.json' }).rejects(
      new NoSuchKey({ message: 'no', $metadata: { httpStatusCode: 404 } }),
    );
    const store = new S3ObjectStore(client, BUCKET);
    expect(new TextDecoder().decode(await store.get('there.json'))).toBe('héllo');
    expect(await store.get('gone.json')).toBeUndefined();
  });

  it('fails loudly when the bucket is missing, naming the location', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: { httpStatusCode: 404 } }),
    );
    const error = await new S3ObjectStore(client, BUCKET).get('k.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect((error as Error).message).toBe(
      `get s3://${BUCKET}/k.json failed: NoSuchBucket (The specified bucket does not exist)`,
    );
  });

  it('heads size, and undefined for a missing key', async () => {
    s3.on(HeadObjectCommand, { Key: 'a' }).resolves({ ContentLength: 12 });
    s3.on(HeadObjectCommand, { Key: 'b' }).rejects(
      new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }),
    );
    const store = new S3ObjectStore(client, BUCKET);
    expect(await store.head('a')).toEqual({ bytes: 12 });
    expect(await store.head('b')).toBeUndefined();
  });

  it('lists every page, strips the key prefix and passes StartAfter once', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/r/a' }, { Key: 'p/r/b' }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/r/c' }], IsTruncated: false });
    const store = new S3ObjectStore(client, BUCKET, { keyPrefix: 'p/' });
    expect(await store.list('r/', { startAfter: 'r/0' })).toEqual(['r/a', 'r/b', 'r/c']);
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 1, { Prefix: 'p/r/', StartAfter: 'p/r/0' });
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 2, { Prefix: 'p/r/', ContinuationToken: 't1' });
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input.StartAfter).toBeUndefined();
  });

  it('lists folders from common prefixes', async () => {
    s3.on(ListObjectsV2Command).resolves({
      CommonPrefixes: [{ Prefix: 'reports/tenant=a/' }, { Prefix: 'reports/tenant=b/' }],
    });
    expect(await new S3ObjectStore(client, BUCKET).listFolders('reports/')).toEqual(['tenant=a', 'tenant=b']);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Prefix: 'reports/', Delimiter: '/' });
  });

  it('describes locations as s3 URLs', () => {
    expect(new S3ObjectStore(client, BUCKET, { keyPrefix: 'qag/' }).location('reports/x/')).toBe(
      `s3://${BUCKET}/qag/reports/x/`,
    );
  });
});
