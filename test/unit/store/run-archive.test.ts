import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lambda/store/fs-object-store';
import { encodeJson, type RunManifest, RunManifestSchema, sha256Hex } from '../../../lambda/store/manifest';
import type { ObjectBody, ObjectStore, PutOptions } from '../../../lambda/store/object-store';
import {
  ArchiveChainError,
  type ArchiveRunInput,
  createRunArchive,
  createStateStore,
  stateSha256,
} from '../../../lambda/store/store';
import { verifyChain } from '../../../lambda/verify';

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

describe('createRunArchive', () => {
  let root: string;
  let store: FsObjectStore;
  const clock = () => new Date('2026-03-02T06:00:05.000Z');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qag-archive-'));
    store = new FsObjectStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes the files under the tenant/date/run layout and a manifest describing them', async () => {
    const archive = createRunArchive(store, { now: clock });
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
    const archive = createRunArchive(store);
    const input = runInput('2026-03-02T06:00:00.000Z');
    const where = archive.locate(input.tenantId, input.runId, input.startedAt);
    expect((await archive.archiveRun(input)).location).toBe(where);
  });

  it('chains each manifest to the previous run and gives each the next write-once chain place', async () => {
    const archive = createRunArchive(store);
    const first = await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    const second = await archive.archiveRun(runInput('2026-03-02T06:00:00.000Z'));
    const third = await archive.archiveRun(runInput('2026-03-03T06:00:00.000Z'));
    expect([first.sequence, second.sequence, third.sequence]).toEqual([1, 2, 3]);

    const keys = (await store.list(`reports/tenant=${TENANT}/`)).filter((k) => k.endsWith('/manifest.json'));
    expect(keys).toHaveLength(3);
    const [m1, m2, m3] = await Promise.all(keys.map((k) => readManifest(store, k)));
    expect(m1!.previousManifest).toBeNull();
    expect(m2!.previousManifest).toEqual({ key: keys[0], sha256: first.manifestSha256 });
    expect(m3!.previousManifest).toEqual({ key: keys[1], sha256: second.manifestSha256 });
    expect([m1, m2, m3].map((m) => [m!.sequence, m!.kind, m!.schemaVersion])).toEqual([
      [1, 'check', '2'],
      [2, 'check', '2'],
      [3, 'check', '2'],
    ]);

    // Places sort newest first, so the head is the first key listed.
    const places = await store.list(`reports/tenant=${TENANT}/chain/`);
    expect(places).toEqual([
      `reports/tenant=${TENANT}/chain/999999999997.json`,
      `reports/tenant=${TENANT}/chain/999999999998.json`,
      `reports/tenant=${TENANT}/chain/999999999999.json`,
    ]);
    expect(JSON.parse(new TextDecoder().decode(await store.get(places[0]!)))).toEqual({
      key: keys[2],
      sha256: third.manifestSha256,
      sequence: 3,
      runId: '2026-03-03T06:00:00.000Z',
      kind: 'check',
    });
    expect(await store.list(`reports/tenant=${TENANT}/latest.json`)).toEqual([]);
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 3 });
  });

  it('writes every object with if-none-match', async () => {
    const puts: [string, boolean][] = [];
    const recording: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      put: (key: string, body: ObjectBody, options?: PutOptions) => {
        puts.push([key.split('/').slice(-2).join('/'), options?.ifNoneMatch === true]);
        return store.put(key, body, options);
      },
    });
    await createRunArchive(recording).archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    expect(puts).toEqual([
      ['run=2026-03-01T06-00-00.000Z/report.json', true],
      ['run=2026-03-01T06-00-00.000Z/findings.csv', true],
      ['chain/999999999999.json', true],
      ['run=2026-03-01T06-00-00.000Z/manifest.json', true],
    ]);
  });

  it('takes the next place when a concurrent entry of the tenant took the one it read', async () => {
    const archive = createRunArchive(store);
    let raced = false;
    const racing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      put: async (key: string, body: ObjectBody, options?: PutOptions) => {
        if (!raced && key.includes('/chain/')) {
          raced = true;
          await archive.archiveRun(runInput('2026-03-01T07:00:00.000Z')); // finishes first, takes place 1
        }
        return store.put(key, body, options);
      },
    });
    const late = await createRunArchive(racing).archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    expect(late.sequence).toBe(2);
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 2 });
  });

  it('writes nothing more when a concurrent invocation of the same run claimed its place first', async () => {
    const archive = createRunArchive(store, { now: clock });
    const input = runInput('2026-03-01T06:00:00.000Z');
    let raced = false;
    const racing: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      put: async (key: string, body: ObjectBody, options?: PutOptions) => {
        if (!raced && key.includes('/chain/')) {
          raced = true;
          await archive.archiveRun(input);
        }
        return store.put(key, body, options);
      },
    });
    const duplicate = await createRunArchive(racing, { now: clock }).archiveRun(input);
    expect(duplicate.written).toBe(false);
    expect(await store.list(`reports/tenant=${TENANT}/chain/`)).toHaveLength(1);
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 1 });
  });

  it('refuses to complete a run whose folder holds other bytes of an unfinished attempt, and keeps them', async () => {
    const input = runInput('2026-03-01T06:00:00.000Z');
    const prefix = `reports/tenant=${TENANT}/date=2026-03-01/run=2026-03-01T06-00-00.000Z/`;
    await store.put(`${prefix}report.json`, '{"attempt":1}');
    const error = await createRunArchive(store)
      .archiveRun(input)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveChainError);
    expect((error as Error).message).toMatch(/already holds other files of this run but no manifest/);
    expect(new TextDecoder().decode(await store.get(`${prefix}report.json`))).toBe('{"attempt":1}');
  });

  it('completes a retried run whose earlier attempt stored the same bytes', async () => {
    const input = runInput('2026-03-01T06:00:00.000Z');
    const prefix = `reports/tenant=${TENANT}/date=2026-03-01/run=2026-03-01T06-00-00.000Z/`;
    await store.put(`${prefix}report.json`, input.files[0]!.body);
    expect((await createRunArchive(store).archiveRun(input)).written).toBe(true);
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 1 });
  });

  it('continues an archive written before the chain index (schema 1 manifests, latest.json)', async () => {
    // Two runs as the earlier archive wrote them: no kind, no sequence, and a mutable latest.json pointer.
    const legacy: { key: string; sha256: string }[] = [];
    for (const runId of ['2026-02-27T06:00:00.000Z', '2026-02-28T06:00:00.000Z']) {
      const prefix = `reports/tenant=${TENANT}/date=${runId.slice(0, 10)}/run=${runId.replace(/:/g, '-')}/`;
      const body = new TextEncoder().encode(`{"runId":"${runId}"}`);
      await store.put(`${prefix}report.json`, body);
      const manifest = encodeJson({
        schemaVersion: '1',
        tenantId: TENANT,
        runId,
        startedAt: runId,
        files: [{ name: 'report.json', sha256: sha256Hex(body), bytes: body.byteLength }],
        previousManifest: legacy.at(-1) ?? null,
        createdAt: runId,
      });
      await store.put(`${prefix}manifest.json`, manifest);
      legacy.push({ key: `${prefix}manifest.json`, sha256: sha256Hex(manifest) });
      await store.put(`reports/tenant=${TENANT}/latest.json`, encodeJson({ ...legacy.at(-1), runId }));
    }
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 2 });

    const archive = createRunArchive(store);
    const next = await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    expect(next.sequence).toBe(3);
    const manifestKey = `reports/tenant=${TENANT}/date=2026-03-01/run=2026-03-01T06-00-00.000Z/manifest.json`;
    expect((await readManifest(store, manifestKey)).previousManifest).toEqual(legacy[1]);
    expect((await archive.lastManifest(TENANT))?.manifest.runId).toBe('2026-03-01T06:00:00.000Z');
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 3, problems: [] });

    // A legacy manifest rewritten afterwards still breaks the link the indexed run recorded.
    await store.put(legacy[1]!.key, encodeJson({ schemaVersion: '1', forged: true }));
    expect((await verifyChain(store, TENANT)).ok).toBe(false);
  });

  it('stores a remediation in the same chain, told apart by kind, and finds the last check past it', async () => {
    const archive = createRunArchive(store);
    const state = { findings: { a: { firstSeen: '2026-03-01' } } };
    await archive.archiveRun({ ...runInput('2026-03-01T06:00:00.000Z'), stateSha256: stateSha256(state) });
    const applied = await archive.archiveRun({
      tenantId: TENANT,
      runId: 'apply-plan-7f3a-2026-03-01T09-30-00.000Z',
      startedAt: '2026-03-01T09:30:00.000Z',
      kind: 'remediation',
      files: [
        { name: 'plan.json', body: '{"planId":"plan-7f3a"}', contentType: 'application/json' },
        { name: 'remediation.json', body: '{"applied":[]}', contentType: 'application/json' },
      ],
    });
    expect(applied).toMatchObject({ written: true, sequence: 2 });
    expect(applied.location).toContain('date=2026-03-01/run=apply-plan-7f3a-2026-03-01T09-30-00.000Z/');
    expect(await archive.hasRun(TENANT, 'apply-plan-7f3a-2026-03-01T09-30-00.000Z')).toBe(true);

    const lastCheck = await archive.lastManifest(TENANT);
    expect(lastCheck?.manifest).toMatchObject({ runId: '2026-03-01T06:00:00.000Z', kind: 'check' });
    expect(lastCheck?.manifest.stateSha256).toBe(stateSha256(JSON.parse(JSON.stringify(state))));
    expect((await archive.lastManifest(TENANT, 'remediation'))?.manifest).toMatchObject({
      kind: 'remediation',
      files: [expect.objectContaining({ name: 'plan.json' }), expect.objectContaining({ name: 'remediation.json' })],
    });

    // The next check run chains after the remediation; verify covers all three.
    await archive.archiveRun(runInput('2026-03-01T12:00:00.000Z'));
    expect((await archive.lastManifest(TENANT))?.manifest.runId).toBe('2026-03-01T12:00:00.000Z');
    expect(await verifyChain(store, TENANT)).toMatchObject({ ok: true, runs: 3 });

    const remediationKey = 'date=2026-03-01/run=apply-plan-7f3a-2026-03-01T09-30-00.000Z/remediation.json';
    await writeFile(join(root, 'reports', `tenant=${TENANT}`, ...remediationKey.split('/')), '{"applied":["forged"]}');
    expect((await verifyChain(store, TENANT)).problems).toEqual([
      expect.objectContaining({ kind: 'altered-file', key: `reports/tenant=${TENANT}/${remediationKey}` }),
    ]);
  });

  it('has no last manifest for a new tenant and refuses a head manifest that changed after it was chained', async () => {
    const archive = createRunArchive(store);
    expect(await archive.lastManifest(TENANT)).toBeUndefined();
    await archive.archiveRun(runInput('2026-03-01T06:00:00.000Z'));
    expect(await archive.lastManifest(TENANT, 'remediation')).toBeUndefined();
    const key = `reports/tenant=${TENANT}/date=2026-03-01/run=2026-03-01T06-00-00.000Z/manifest.json`;
    const manifest = await readManifest(store, key);
    await writeFile(join(root, ...key.split('/')), encodeJson({ ...manifest, stateSha256: sha256Hex('forged') }));
    await expect(archive.lastManifest(TENANT)).rejects.toThrow(ArchiveChainError);
    await expect(archive.lastManifest(TENANT)).rejects.toThrow(/changed after it was chained/);
  });

  it('archives a run once: a duplicate writes nothing and reports the stored manifest', async () => {
    const archive = createRunArchive(store);
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
    const archive = createRunArchive(store);
    const runId = '2026-03-02T23:59:00.000Z';
    await archive.archiveRun(runInput(runId));
    const retry = await archive.archiveRun({ ...runInput(runId), startedAt: '2026-03-03T00:04:00.000Z' });
    expect(retry.written).toBe(false);
    expect(retry.location).toContain('date=2026-03-02');
  });

  it('finds a run whose id is not a timestamp by looking for it', async () => {
    const archive = createRunArchive(store);
    await archive.archiveRun({ ...runInput('manual-42'), startedAt: '2026-03-05T10:00:00.000Z' });
    expect(await archive.hasRun(TENANT, 'manual-42')).toBe(true);
    expect(await archive.hasRun(TENANT, 'manual-43')).toBe(false);
    expect(archive.locate(TENANT, 'manual-42', '2026-03-05T10:00:00.000Z')).toContain('date=2026-03-05/run=manual-42/');
  });

  it('makes tenant ids that are hosts with ports key-safe', async () => {
    const archive = createRunArchive(store);
    const result = await archive.archiveRun({ ...runInput('2026-03-02T06:00:00.000Z'), tenantId: '127.0.0.1:8443' });
    expect(result.location).toContain('tenant=127.0.0.1-8443/');
    expect(await archive.hasRun('127.0.0.1:8443', '2026-03-02T06:00:00.000Z')).toBe(true);
  });

  it('rejects file names that are not plain names or that would replace the manifest', async () => {
    const archive = createRunArchive(store);
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

  it('digests a state the same when it is saved and when it is loaded back', async () => {
    const state = createStateStore(store);
    const saved = { version: 3, findings: { b: { firstSeen: new Date('2026-03-01T06:00:00.000Z') } }, skip: undefined };
    await state.saveState(TENANT, saved);
    expect(stateSha256(await state.loadState(TENANT))).toBe(stateSha256(saved));
    expect(stateSha256({ ...saved, version: 4 })).not.toBe(stateSha256(saved));
  });

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
