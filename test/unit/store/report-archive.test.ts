import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lambda/store/fs-object-store';
import { type RunManifest, RunManifestSchema, sha256Hex } from '../../../lambda/store/manifest';
import { createReportArchive } from '../../../lambda/store/report-archive';
import { createStateStore } from '../../../lambda/store/state-store';
import type { ArchiveRunInput } from '../../../lambda/store/store';

const TENANT = 'Tn8R3kAbCdEfGhIjKlMnOpQrStUvWx';

function runInput(runId: string, body = `report of ${runId}`): ArchiveRunInput {
  return {
    tenantId: TENANT,
    runId,
    startedAt: runId,
    files: [
      { name: 'report.json', body: JSON.stringify({ runId, body }), contentType: 'application/json' },
      { name: 'findings.csv', body: `id,runId\nq,${runId}\n`, contentType: 'text/csv' },
    ],
  };
}

async function readManifest(store: FsObjectStore, key: string): Promise<RunManifest> {
  const bytes = await store.get(key);
  return RunManifestSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

describe('createReportArchive', () => {
  let root: string;
  let store: FsObjectStore;
  const clock = () => new Date('2026-03-02T06:00:05.000Z');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qag-archive-'));
    store = new FsObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes the files under the tenant/date/run layout and a manifest describing them', async () => {
    const archive = createReportArchive(store, { now: clock });
    const result = await archive.archiveRun(runInput('2026-03-02T06:00:00.000Z'));

    const prefix = `reports/tenant=${TENANT}/date=2026-03-02/run=2026-03-02T06-00-00.000Z/`;
    expect(result.written).toBe(true);
    expect(result.location).toBe(store.location(prefix));
    expect(await store.list(prefix)).toEqual([
      `${prefix}findings.csv`,
      `${prefix}manifest.json`,
      `${prefix}report.json`,
    ]);

    const manifestBytes = await store.get(`${prefix}manifest.json`);
    expect(result.manifestSha256).toBe(sha256Hex(manifestBytes!));
    const manifest = await readManifest(store, `${prefix}manifest.json`);
    const reportBytes = await store.get(`${prefix}report.json`);
    expect(manifest).toMatchObject({
      tenantId: TENANT,
      runId: '2026-03-02T06:00:00.000Z',
      startedAt: '2026-03-02T06:00:00.000Z',
      previousManifest: null,
      createdAt: '2026-03-02T06:00:05.000Z',
    });
    expect(manifest.files).toContainEqual({
      name: 'report.json',
      sha256: sha256Hex(reportBytes!),
      bytes: reportBytes!.byteLength,
    });
    expect(manifest.files.map((f) => f.name)).toEqual(['report.json', 'findings.csv']);
  });

  it('locates a run where archiveRun puts it', async () => {
    const archive = createReportArchive(store);
    const input = runInput('2026-03-02T06:00:00.000Z');
    const where = archive.locate(input.tenantId, input.runId, input.startedAt);
    expect((await archive.archiveRun(input)).location).toBe(where);
  });

  it('chains each manifest to the previous run and keeps latest.json pointing at the newest', async () => {
    const archive = createReportArchive(store);
    const first = await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    const second = await archive.archiveRun(runInput('2026-03-02T06:00:00.000Z'));
    const third = await archive.archiveRun(runInput('2026-03-03T06:00:00.000Z'));

    const keys = (await store.list(`reports/tenant=${TENANT}/`)).filter((k) => k.endsWith('/manifest.json'));
    expect(keys).toHaveLength(3);
    const [m1, m2, m3] = await Promise.all(keys.map((k) => readManifest(store, k)));
    expect(m1!.previousManifest).toBeNull();
    expect(m2!.previousManifest).toEqual({ key: keys[0], sha256: first.manifestSha256 });
    expect(m3!.previousManifest).toEqual({ key: keys[1], sha256: second.manifestSha256 });

    const pointer = JSON.parse(new TextDecoder().decode(await store.get(`reports/tenant=${TENANT}/latest.json`)));
    expect(pointer).toEqual({ key: keys[2], sha256: third.manifestSha256, runId: '2026-03-03T06:00:00.000Z' });
  });

  it('archives a run once: a duplicate writes nothing and reports the stored manifest', async () => {
    const archive = createReportArchive(store);
    const runId = '2026-03-02T06:00:00.000Z';
    expect(await archive.hasRun(TENANT, runId)).toBe(false);
    const original = await archive.archiveRun(runInput(runId, 'first attempt'));
    expect(await archive.hasRun(TENANT, runId)).toBe(true);
    const before = await store.list('reports/');
    const reportBefore = await store.get(`${original.location.slice(root.length + 1)}report.json`);

    const duplicate = await archive.archiveRun(runInput(runId, 'second attempt'));
    expect(duplicate).toEqual({ location: original.location, written: false, manifestSha256: original.manifestSha256 });
    expect(await store.list('reports/')).toEqual(before);
    expect(await store.get(`${original.location.slice(root.length + 1)}report.json`)).toEqual(reportBefore);
  });

  it('keeps a retry after midnight in the scheduled date folder, so it is still a duplicate', async () => {
    const archive = createReportArchive(store);
    const runId = '2026-03-02T23:59:00.000Z';
    await archive.archiveRun(runInput(runId));
    const retry = await archive.archiveRun({ ...runInput(runId), startedAt: '2026-03-03T00:04:00.000Z' });
    expect(retry.written).toBe(false);
    expect(retry.location).toContain('date=2026-03-02');
  });

  it('finds a run whose id is not a timestamp by looking for it', async () => {
    const archive = createReportArchive(store);
    await archive.archiveRun({ ...runInput('manual-42'), startedAt: '2026-03-05T10:00:00.000Z' });
    expect(await archive.hasRun(TENANT, 'manual-42')).toBe(true);
    expect(await archive.hasRun(TENANT, 'manual-43')).toBe(false);
    expect(archive.locate(TENANT, 'manual-42', '2026-03-05T10:00:00.000Z')).toContain('date=2026-03-05/run=manual-42/');
  });

  it('makes tenant ids that are hosts with ports key-safe', async () => {
    const archive = createReportArchive(store);
    const result = await archive.archiveRun({ ...runInput('2026-03-02T06:00:00.000Z'), tenantId: '127.0.0.1:8443' });
    expect(result.location).toContain('tenant=127.0.0.1-8443/');
    expect(await archive.hasRun('127.0.0.1:8443', '2026-03-02T06:00:00.000Z')).toBe(true);
  });

  it('recovers the chain when a manifest was written but its latest.json update was lost', async () => {
    const archive = createReportArchive(store);
    await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    const pointerKey = `reports/tenant=${TENANT}/latest.json`;
    const stalePointer = await store.get(pointerKey);
    const second = await archive.archiveRun(runInput('2026-03-02T06:00:00.000Z'));
    await store.put(pointerKey, stalePointer!); // as if the process died before updating the pointer

    await archive.archiveRun(runInput('2026-03-03T06:00:00.000Z'));
    const keys = (await store.list(`reports/tenant=${TENANT}/`)).filter((k) => k.endsWith('/manifest.json'));
    const third = await readManifest(store, keys[2]!);
    expect(third.previousManifest).toEqual({ key: keys[1], sha256: second.manifestSha256 });
  });

  it('chains to the newest manifest by key when there is no pointer yet', async () => {
    const archive = createReportArchive(store);
    const first = await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    await rm(join(root, 'reports', `tenant=${TENANT}`, 'latest.json'));
    await archive.archiveRun(runInput('2026-03-02T06:00:00.000Z'));
    const keys = (await store.list(`reports/tenant=${TENANT}/`)).filter((k) => k.endsWith('/manifest.json'));
    expect((await readManifest(store, keys[1]!)).previousManifest).toEqual({
      key: keys[0],
      sha256: first.manifestSha256,
    });
  });

  it('rejects file names that are not plain names or that would replace the manifest', async () => {
    const archive = createReportArchive(store);
    const bad = (name: string) =>
      archive.archiveRun({
        ...runInput('2026-03-02T06:00:00.000Z'),
        files: [{ name, body: 'x', contentType: 'text/plain' }],
      });
    await expect(bad('manifest.json')).rejects.toThrow(/cannot be archived/);
    await expect(bad('../x.json')).rejects.toThrow(/cannot be archived/);
    await expect(
      archive.archiveRun({
        ...runInput('2026-03-02T06:00:00.000Z'),
        files: [
          { name: 'a.json', body: '1', contentType: 'application/json' },
          { name: 'a.json', body: '2', contentType: 'application/json' },
        ],
      }),
    ).rejects.toThrow(/listed twice/);
    expect(await store.list('reports/')).toEqual([]);
  });
});

describe('createStateStore', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qag-state-'));
    store = new FsObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('has no state on the first run and returns what was saved', async () => {
    const state = createStateStore(store);
    expect(await state.loadState(TENANT)).toBeUndefined();
    await state.saveState(TENANT, { findings: { a: { firstSeen: '2026-03-01' } } });
    expect(await state.loadState(TENANT)).toEqual({ findings: { a: { firstSeen: '2026-03-01' } } });
    expect(await store.list('state/')).toEqual([`state/tenant=${TENANT}/state.json`]);
  });

  it('refuses a corrupt state file with a clear error and leaves it in place', async () => {
    const state = createStateStore(store);
    await store.put(`state/tenant=${TENANT}/state.json`, '{"findings": {');
    const error = await state.loadState(TENANT).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CheckError', code: 'bad-input' });
    expect((error as Error).message).toContain(join(root, 'state', `tenant=${TENANT}`, 'state.json'));
    expect((error as Error).message).toContain('expected the drift state as a JSON document');
    expect(new TextDecoder().decode(await store.get(`state/tenant=${TENANT}/state.json`))).toBe('{"findings": {');
  });
});
