/**
 * Verifies a tenant's report archive: every file a manifest lists is there with the recorded SHA-256, and the
 * manifests form one unbroken chain in run order, so a run that was altered, removed or slipped in later shows up.
 * Works on any object store (a local `--out` folder or the S3 archive).
 */
import {
  LATEST_POINTER_NAME,
  latestPointerKey,
  MANIFEST_NAME,
  parseManifestKey,
  REPORTS_ROOT,
  runFolderOf,
  STATE_ROOT,
  tenantFromFolder,
  tenantReportsPrefix,
} from './store/layout';
import { decodeJson, LatestPointerSchema, type RunManifest, RunManifestSchema, sha256Hex } from './store/manifest';
import type { ObjectStore } from './store/object-store';

export type ChainProblemKind = 'missing-file' | 'altered-file' | 'missing-manifest' | 'broken-link' | 'reordered';

export interface ChainProblem {
  readonly runId?: string;
  /** The object the problem is about. */
  readonly key: string;
  readonly kind: ChainProblemKind;
  readonly detail: string;
}

export interface ChainVerification {
  readonly ok: boolean;
  /** Manifests found (archived runs). */
  readonly runs: number;
  readonly problems: ChainProblem[];
}

interface StoredManifest {
  readonly key: string;
  readonly sha256: string;
  /** Undefined when the object is not a readable manifest. */
  readonly manifest: RunManifest | undefined;
  readonly runId: string;
}

export async function verifyChain(store: ObjectStore, tenantId: string): Promise<ChainVerification> {
  const problems = new ProblemList();
  const keys = await store.list(tenantReportsPrefix(tenantId));
  const manifestKeys = keys.filter((key) => parseManifestKey(key));

  const manifests: StoredManifest[] = [];
  for (const key of manifestKeys) {
    const bytes = await store.get(key);
    if (!bytes) continue; // removed between list and get: reported below through the links that name it
    const manifest = decodeJson(bytes, RunManifestSchema);
    const runId = manifest?.runId ?? parseManifestKey(key)!.run;
    manifests.push({ key, sha256: sha256Hex(bytes), manifest, runId });
    if (!manifest) {
      problems.add({ runId, key, kind: 'altered-file', detail: 'the manifest is not a readable run manifest' });
    }
  }
  const byKey = new Map(manifests.map((entry) => [entry.key, entry]));

  await checkFiles(store, keys, manifests, problems);
  checkRunFoldersHaveManifests(keys, byKey, problems);
  checkLinksInRunOrder(manifests, byKey, problems);
  await checkFromNewest(store, tenantId, byKey, problems);

  return { ok: problems.size === 0, runs: manifests.length, problems: problems.toArray() };
}

/** Tenants with reports or state in the store, as their key segments (accepted by {@link verifyChain}). */
export async function listTenants(store: ObjectStore): Promise<string[]> {
  const folders = [...(await store.listFolders(REPORTS_ROOT)), ...(await store.listFolders(STATE_ROOT))];
  const tenants = new Set(folders.map(tenantFromFolder).filter((tenant): tenant is string => tenant !== undefined));
  return [...tenants].sort();
}

async function checkFiles(
  store: ObjectStore,
  keys: readonly string[],
  manifests: readonly StoredManifest[],
  problems: ProblemList,
): Promise<void> {
  const present = new Set(keys);
  for (const { key, manifest, runId } of manifests) {
    if (!manifest) continue;
    const folder = key.slice(0, -MANIFEST_NAME.length);
    const listed = new Set(manifest.files.map((file) => file.name));
    for (const file of manifest.files) {
      const fileKey = `${folder}${file.name}`;
      const bytes = present.has(fileKey) ? await store.get(fileKey) : undefined;
      if (!bytes) {
        problems.add({
          runId,
          key: fileKey,
          kind: 'missing-file',
          detail: `${file.name} is listed in the manifest but missing`,
        });
      } else if (sha256Hex(bytes) !== file.sha256 || bytes.byteLength !== file.bytes) {
        problems.add({
          runId,
          key: fileKey,
          kind: 'altered-file',
          detail: `${file.name} does not match the manifest (SHA-256 ${sha256Hex(bytes)}, ${bytes.byteLength} bytes; recorded ${file.sha256}, ${file.bytes} bytes)`,
        });
      }
    }
    for (const other of keys) {
      if (runFolderOf(other) === folder && other !== key && !listed.has(other.slice(folder.length))) {
        problems.add({
          runId,
          key: other,
          kind: 'altered-file',
          detail: 'the file was added to the run folder after the run was archived',
        });
      }
    }
  }
}

function checkRunFoldersHaveManifests(
  keys: readonly string[],
  byKey: ReadonlyMap<string, StoredManifest>,
  problems: ProblemList,
): void {
  const folders = new Set(keys.map(runFolderOf).filter((folder): folder is string => folder !== undefined));
  for (const folder of folders) {
    const key = `${folder}${MANIFEST_NAME}`;
    if (byKey.has(key)) continue;
    problems.add({
      runId: parseManifestKey(key)?.run,
      key,
      kind: 'missing-manifest',
      detail: 'the run folder holds report files but no manifest: it was removed, or the run stopped before finishing',
    });
  }
}

/** Oldest to newest: each manifest must link to the one right before it. */
function checkLinksInRunOrder(
  manifests: readonly StoredManifest[],
  byKey: ReadonlyMap<string, StoredManifest>,
  problems: ProblemList,
): void {
  manifests.forEach((entry, index) => {
    if (!entry.manifest) return;
    const before = index > 0 ? manifests[index - 1] : undefined;
    const link = entry.manifest.previousManifest;
    if (!link) {
      if (before) {
        problems.add({
          runId: entry.runId,
          key: entry.key,
          kind: 'broken-link',
          detail: `starts a new chain instead of linking to the run before it (${before.runId})`,
        });
      }
      return;
    }
    const target = byKey.get(link.key);
    if (!target) {
      problems.add({
        runId: parseManifestKey(link.key)?.run,
        key: link.key,
        kind: 'missing-manifest',
        detail: `run ${entry.runId} links to this manifest, which is missing (the run was removed)`,
      });
    } else if (target.sha256 !== link.sha256) {
      problems.add({
        runId: target.runId,
        key: link.key,
        kind: 'broken-link',
        detail: `the manifest changed after run ${entry.runId} chained to it`,
      });
    } else if (link.key !== before?.key) {
      problems.add({
        runId: entry.runId,
        key: entry.key,
        kind: 'reordered',
        detail: `links to run ${target.runId}, but the run before it is ${before?.runId ?? 'none'}: runs were archived out of order`,
      });
    }
  });
}

/**
 * From the newest end: the links checked oldest to newest cannot show that the newest run was removed or altered, but
 * `latest.json` recorded it. (A stale pointer, left by a crash before its update, is not a problem.)
 */
async function checkFromNewest(
  store: ObjectStore,
  tenantId: string,
  byKey: ReadonlyMap<string, StoredManifest>,
  problems: ProblemList,
): Promise<void> {
  const pointerKey = latestPointerKey(tenantId);
  const pointerBytes = await store.get(pointerKey);
  const pointer = pointerBytes ? decodeJson(pointerBytes, LatestPointerSchema) : undefined;
  if (pointerBytes && !pointer) {
    problems.add({ key: pointerKey, kind: 'altered-file', detail: `${LATEST_POINTER_NAME} is not a readable pointer` });
  }
  if (pointer) {
    const target = byKey.get(pointer.key);
    if (!target) {
      problems.add({
        runId: pointer.runId,
        key: pointer.key,
        kind: 'missing-manifest',
        detail: `${LATEST_POINTER_NAME} names this manifest as the newest, and it is missing (the run was removed)`,
      });
    } else if (target.sha256 !== pointer.sha256) {
      problems.add({
        runId: target.runId,
        key: pointer.key,
        kind: 'broken-link',
        detail: `the manifest changed after ${LATEST_POINTER_NAME} recorded it as the newest`,
      });
    }
  }
}

class ProblemList {
  private readonly problems = new Map<string, ChainProblem>();

  add(problem: ChainProblem): void {
    const id = `${problem.kind}\u0000${problem.key}`;
    if (!this.problems.has(id)) this.problems.set(id, problem);
  }

  get size(): number {
    return this.problems.size;
  }

  toArray(): ChainProblem[] {
    return [...this.problems.values()];
  }
}
