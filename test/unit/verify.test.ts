import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lambda/store/fs-object-store';
import { encodeJson, RunManifestSchema, sha256Hex } from '../../lambda/store/manifest';
import { createRunArchive } from '../../lambda/store/run-archive';
import { createStateStore } from '../../lambda/store/state-store';
import { listTenants, verifyChain } from '../../lambda/verify';

const TENANT = 'tenant-a';
const RUNS = ['2026-03-01T06:00:00.000Z', '2026-03-02T06:00:00.000Z', '2026-03-03T06:00:00.000Z'] as const;

describe('verifyChain', () => {
  let root: string;
  let store: FsObjectStore;
  let manifestKeys: string[];

  const archiveRun = (runId: string) =>
    createRunArchive(store).archiveRun({
      tenantId: TENANT,
      runId,
      startedAt: runId,
      files: [
        { name: 'report.json', body: `{"runId":"${runId}"}`, contentType: 'application/json' },
        { name: 'report.html', body: `<p>${runId}</p>`, contentType: 'text/html' },
      ],
    });
  const pathOf = (key: string) => join(root, ...key.split('/'));
  const folderOf = (key: string) => key.slice(0, -'manifest.json'.length);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qag-verify-'));
    store = new FsObjectStore(root);
    for (const runId of RUNS) await archiveRun(runId);
    manifestKeys = (await store.list('reports/')).filter((key) => key.endsWith('/manifest.json'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('accepts an untouched archive', async () => {
    expect(await verifyChain(store, TENANT)).toEqual({ ok: true, runs: 3, versionsChecked: false, problems: [] });
  });

  it('accepts a tenant without reports', async () => {
    expect(await verifyChain(store, 'nobody')).toEqual({ ok: true, runs: 0, versionsChecked: false, problems: [] });
  });

  it('detects an altered report file', async () => {
    const key = `${folderOf(manifestKeys[1]!)}report.json`;
    await writeFile(pathOf(key), '{"runId":"rewritten"}');
    const result = await verifyChain(store, TENANT);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'altered-file',
        key,
        runId: RUNS[1],
        detail: expect.stringContaining('report.json does not match'),
      }),
    ]);
  });

  it('detects a removed report file', async () => {
    const key = `${folderOf(manifestKeys[0]!)}report.html`;
    await unlink(pathOf(key));
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'missing-file', key, runId: RUNS[0] }),
    ]);
  });

  it('detects a file slipped into an archived run', async () => {
    const key = `${folderOf(manifestKeys[2]!)}extra.csv`;
    await store.put(key, 'a,b');
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'altered-file', key, detail: expect.stringContaining('added') }),
    ]);
  });

  it('detects a removed run in the middle of the chain', async () => {
    await rm(pathOf(folderOf(manifestKeys[1]!)), { recursive: true });
    const result = await verifyChain(store, TENANT);
    expect(result.runs).toBe(2);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'missing-manifest',
        key: manifestKeys[1],
        detail: expect.stringContaining(RUNS[2]),
      }),
    ]);
  });

  it('detects a removed manifest whose files remain', async () => {
    await unlink(pathOf(manifestKeys[0]!));
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'missing-manifest', key: manifestKeys[0] }),
    ]);
  });

  it('detects the removal of the newest run through the chain index', async () => {
    await rm(pathOf(folderOf(manifestKeys[2]!)), { recursive: true });
    const result = await verifyChain(store, TENANT);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'missing-manifest',
        key: manifestKeys[2],
        runId: RUNS[2],
        detail: expect.stringContaining('chain place 3'),
      }),
    ]);
  });

  it('detects a removed chain index entry', async () => {
    const key = (await store.list(`reports/tenant=${TENANT}/chain/`))[1]!;
    await unlink(pathOf(key));
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'chain-index', key, detail: 'chain place 2 is missing (it was removed)' }),
      expect.objectContaining({ kind: 'chain-index', key: manifestKeys[1], runId: RUNS[1] }),
    ]);
  });

  it('cannot tell on a local folder that the newest run was removed together with its chain place', async () => {
    // On a local folder (no versions) removing the newest entry and its index place leaves a shorter, valid chain;
    // on S3 the versions show it (test/integration/store/s3-archive.test.ts).
    const [newestPlace] = await store.list(`reports/tenant=${TENANT}/chain/`);
    await rm(pathOf(folderOf(manifestKeys[2]!)), { recursive: true });
    await unlink(pathOf(newestPlace!));
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 2, versionsChecked: false });
  });

  it('detects a manifest slipped in with a place already taken', async () => {
    const manifest = RunManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(manifestKeys[2]!))));
    const key = 'reports/tenant=tenant-a/date=2026-03-03/run=2026-03-03T07-00-00.000Z/manifest.json';
    await store.put(key, encodeJson({ ...manifest, runId: '2026-03-03T07:00:00.000Z', files: [] }));
    const problems = (await verifyChain(store, TENANT)).problems;
    expect(problems).toContainEqual(
      expect.objectContaining({
        kind: 'chain-index',
        key,
        detail: expect.stringContaining(`belongs to run ${RUNS[2]}`),
      }),
    );
  });

  it('detects an object the archive never writes', async () => {
    await store.put(`reports/tenant=${TENANT}/chain/notes.txt`, 'x');
    await store.put(`reports/tenant=${TENANT}/readme.txt`, 'x');
    expect((await verifyChain(store, TENANT)).problems.map((p) => [p.kind, p.key])).toEqual([
      ['unexpected-object', `reports/tenant=${TENANT}/chain/notes.txt`],
      ['unexpected-object', `reports/tenant=${TENANT}/readme.txt`],
    ]);
  });

  it('detects a manifest rewritten to hide an altered file', async () => {
    // The tamperer changes a file and updates its hash in the manifest; the next run's link no longer matches.
    const folder = folderOf(manifestKeys[0]!);
    await writeFile(pathOf(`${folder}report.json`), '{"runId":"forged"}');
    const manifest = RunManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(manifestKeys[0]!))));
    const forged = {
      ...manifest,
      files: manifest.files.map((f) =>
        f.name === 'report.json' ? { ...f, sha256: sha256Hex('{"runId":"forged"}'), bytes: 18 } : f,
      ),
    };
    await writeFile(pathOf(manifestKeys[0]!), encodeJson(forged));

    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'broken-link', key: manifestKeys[0], detail: expect.stringContaining(RUNS[1]) }),
    ]);
  });

  it('detects a rewritten newest manifest through the chain index', async () => {
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(manifestKeys[2]!)));
    await writeFile(pathOf(manifestKeys[2]!), encodeJson({ ...manifest, createdAt: '2020-01-01T00:00:00.000Z' }));
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({
        kind: 'broken-link',
        key: manifestKeys[2],
        detail: 'the manifest changed after it took chain place 3',
      }),
    ]);
  });

  it('detects a manifest that is not a manifest any more', async () => {
    await writeFile(pathOf(manifestKeys[2]!), 'not json');
    const kinds = (await verifyChain(store, TENANT)).problems.map((p) => [p.kind, p.key]);
    expect(kinds).toContainEqual(['altered-file', manifestKeys[2]]);
    expect(kinds).toContainEqual(['broken-link', manifestKeys[2]]);
  });

  it('keeps archive order, not run id order: a late run is the next entry of the chain', async () => {
    await archiveRun('2026-03-02T18:00:00.000Z');
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 4 });
  });

  it('reports a manifest linked past the entry before it in the chain', async () => {
    // Run 3 rewritten to link to run 1, its index entry rewritten to match: the chain skips run 2.
    const third = RunManifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.get(manifestKeys[2]!))));
    const first = await store.get(manifestKeys[0]!);
    const forged = encodeJson({ ...third, previousManifest: { key: manifestKeys[0]!, sha256: sha256Hex(first!) } });
    await writeFile(pathOf(manifestKeys[2]!), forged);
    const [placeKey] = await store.list(`reports/tenant=${TENANT}/chain/`);
    const place = JSON.parse(new TextDecoder().decode(await store.get(placeKey!)));
    await writeFile(pathOf(placeKey!), encodeJson({ ...place, sha256: sha256Hex(forged) }));
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'reordered', key: manifestKeys[2], runId: RUNS[2] }),
    ]);
  });

  it('detects a run that starts a new chain', async () => {
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(manifestKeys[1]!)));
    await writeFile(pathOf(manifestKeys[1]!), encodeJson({ ...manifest, previousManifest: null }));
    const problems = (await verifyChain(store, TENANT)).problems.map((p) => [p.kind, p.key]);
    expect(problems).toContainEqual(['broken-link', manifestKeys[1]]);
  });

  it('accepts a raw tenant id that needs key escaping', async () => {
    await createRunArchive(store).archiveRun({
      tenantId: '127.0.0.1:9000',
      runId: RUNS[0],
      startedAt: RUNS[0],
      files: [{ name: 'report.json', body: '{}', contentType: 'application/json' }],
    });
    expect(await verifyChain(store, '127.0.0.1:9000')).toMatchObject({ ok: true, runs: 1 });
    expect(await verifyChain(store, '127.0.0.1-9000')).toMatchObject({ ok: true, runs: 1 });
  });
});

describe('listTenants', () => {
  it('lists tenants with reports or state, once each', async () => {
    const root = await mkdtemp(join(tmpdir(), 'qag-tenants-'));
    try {
      const store = new FsObjectStore(root);
      expect(await listTenants(store)).toEqual([]);
      await createRunArchive(store).archiveRun({
        tenantId: 'beta',
        runId: RUNS[0],
        startedAt: RUNS[0],
        files: [{ name: 'report.json', body: '{}', contentType: 'application/json' }],
      });
      await createStateStore(store).saveState('beta', {});
      await createStateStore(store).saveState('alpha', {});
      expect(await listTenants(store)).toEqual(['alpha', 'beta']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
