/**
 * The run archive on a real S3 API (moto): Object Lock retention, If-None-Match on every write, and `verify` reading
 * object versions to catch what a versioned, locked bucket still allows to whoever may write unconditionally (a new
 * version over an object, a whole history rewritten as new versions, a delete marker over a manifest).
 */
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeJson, RunManifestSchema, sha256Hex } from '../../../lambda/store/manifest';
import { S3ObjectStore } from '../../../lambda/store/s3-object-store';
import type { ArchiveRunInput } from '../../../lambda/store/store';
import { createRunArchive, createStateStore } from '../../../lambda/store/store';
import { listTenants, verifyChain } from '../../../lambda/verify';
import { useMoto } from '../setup/moto-client';
import { createLockedBucket } from '../setup/moto-resources';

const moto = useMoto();
const { s3 } = moto.clients;
const BUCKET = 'qag-archive-it';
const TENANT = 'TnIntegration01';
const RUNS = ['2026-03-01T06:00:00.000Z', '2026-03-02T06:00:00.000Z', '2026-03-03T06:00:00.000Z'] as const;

function runInput(runId: string): ArchiveRunInput {
  return {
    tenantId: TENANT,
    runId,
    startedAt: runId,
    files: [
      { name: 'report.json', body: JSON.stringify({ runId }), contentType: 'application/json' },
      { name: 'findings.csv', body: `id\n${runId}\n`, contentType: 'text/csv' },
    ],
  };
}

describe('report archive on S3 with Object Lock', () => {
  const store = new S3ObjectStore(s3, BUCKET);
  const archive = createRunArchive(store);
  const manifestKey = (runId: string) =>
    `reports/tenant=${TENANT}/date=${runId.slice(0, 10)}/run=${runId.replace(/:/g, '-')}/manifest.json`;

  beforeAll(async () => {
    await createLockedBucket(s3, BUCKET);
    for (const runId of RUNS) await archive.archiveRun(runInput(runId));
  });

  it('stores every run with a COMPLIANCE retention date from the bucket default', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: manifestKey(RUNS[0]) }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(await archive.hasRun(TENANT, RUNS[0])).toBe(true);
    expect(await archive.hasRun(TENANT, '2026-03-04T06:00:00.000Z')).toBe(false);
  });

  it('refuses to delete a locked version', async () => {
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: manifestKey(RUNS[0]) }));
    const versionId = versions.Versions?.[0]?.VersionId;
    expect(versionId).toBeDefined();
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifestKey(RUNS[0]), VersionId: versionId })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('writes a manifest only once (If-None-Match) and a duplicate run writes no object', async () => {
    expect(await store.put(manifestKey(RUNS[1]), '{}', { ifNoneMatch: true })).toBe('exists');
    const before = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
    const again = await archive.archiveRun(runInput(RUNS[2]));
    expect(again.written).toBe(false);
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
    expect(after.Versions?.length).toBe(before.Versions?.length);
  });

  it('verifies the untouched chain and lists the tenant', async () => {
    expect(await verifyChain(store, TENANT)).toEqual({ ok: true, runs: 3, versionsChecked: true, problems: [] });
    await createStateStore(store).saveState(TENANT, { version: 1 });
    expect(await listTenants(store)).toEqual([TENANT]);
  });

  it('detects a report overwritten as a new version', async () => {
    const key = manifestKey(RUNS[1]).replace('manifest.json', 'report.json');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"runId":"doctored"}' }));
    const result = await verifyChain(store, TENANT);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'rewritten',
        key,
        runId: RUNS[1],
        detail: expect.stringMatching(
          /^2 versions: the current version \S+ is not the first \(\S+\)\. Archive objects are written once/,
        ),
      }),
      expect.objectContaining({ kind: 'altered-file', key, runId: RUNS[1] }),
    ]);
  });

  it('detects a manifest hidden behind a delete marker', async () => {
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: manifestKey(RUNS[0]) }));
    expect(deleted.DeleteMarker).toBe(true);
    const problems = (await verifyChain(store, TENANT)).problems.map((p) => [p.kind, p.key]);
    expect(problems).toContainEqual(['missing-manifest', manifestKey(RUNS[0])]);
    expect(problems).toContainEqual(['rewritten', manifestKey(RUNS[0])]);
  });
});

describe("a history rewritten with the function's own write access", () => {
  const bucket = 'qag-archive-rewrite';
  const tenant = 'TnRewritten01';
  const store = new S3ObjectStore(s3, bucket);
  const prefix = (runId: string) =>
    `reports/tenant=${tenant}/date=${runId.slice(0, 10)}/run=${runId.replace(/:/g, '-')}/`;

  beforeAll(async () => {
    await createLockedBucket(s3, bucket);
    const archive = createRunArchive(store);
    for (const runId of RUNS) {
      await archive.archiveRun({
        ...runInput(runId),
        tenantId: tenant,
        files: [{ name: 'report.json', body: JSON.stringify({ runId, failing: 5 }), contentType: 'application/json' }],
      });
    }
  });

  it('is named key by key although every hash and link was recomputed', async () => {
    // The attacker removes the findings from run 2 and recomputes its manifest, run 3's link and both chain places,
    // writing each as a new version without If-None-Match (what the bucket policy now refuses).
    const forgedReport = JSON.stringify({ runId: RUNS[1], failing: 0 });
    const rewritten: string[] = [];
    const overwrite = async (key: string, body: Uint8Array | string) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      rewritten.push(key);
    };
    await overwrite(`${prefix(RUNS[1])}report.json`, forgedReport);
    const chain = await store.list(`reports/tenant=${tenant}/chain/`); // newest first
    let previous = RunManifestSchema.parse(
      JSON.parse(new TextDecoder().decode(await store.get(`${prefix(RUNS[0])}manifest.json`))),
    );
    let link = {
      key: `${prefix(RUNS[0])}manifest.json`,
      sha256: sha256Hex((await store.get(`${prefix(RUNS[0])}manifest.json`))!),
    };
    for (const [index, runId] of [RUNS[1], RUNS[2]].entries()) {
      const key = `${prefix(runId)}manifest.json`;
      const stored = RunManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(key))));
      const files = stored.files.map((f) =>
        runId === RUNS[1] ? { ...f, sha256: sha256Hex(forgedReport), bytes: forgedReport.length } : f,
      );
      const bytes = encodeJson({ ...stored, files, previousManifest: link });
      await overwrite(key, bytes);
      link = { key, sha256: sha256Hex(bytes) };
      const place = chain[1 - index]!;
      const entry = JSON.parse(new TextDecoder().decode(await store.get(place)));
      await overwrite(place, encodeJson({ ...entry, sha256: link.sha256 }));
      previous = stored;
    }
    expect(previous.runId).toBe(RUNS[2]);

    const result = await verifyChain(store, tenant);
    expect(result.ok).toBe(false);
    // Only the versions give it away: every recomputed hash matches.
    expect(result.problems.map((p) => p.kind)).toEqual(rewritten.map(() => 'rewritten'));
    expect(result.problems.map((p) => p.key).sort()).toEqual([...rewritten].sort());
  });
});
