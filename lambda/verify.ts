/**
 * Verifies a tenant's archive: every file a manifest lists is there with the recorded SHA-256; the manifests form one
 * unbroken chain in the order of the tenant's write-once chain index; every index place names its manifest; and, on a
 * store that keeps versions (S3), no object under the tenant's reports was ever replaced or hidden (each key has
 * exactly one version and no delete marker). So an entry that was altered, removed, replaced or slipped in later shows
 * up, named by its key. What this proves, and what it cannot, is in the README's "Security" section.
 */
import type { ChainHeadAnchor } from './store/anchor';
import {
  chainEntryKey,
  chainPrefix,
  keySegment,
  MANIFEST_NAME,
  parseManifestKey,
  REPORTS_ROOT,
  runFolderOf,
  STATE_ROOT,
  sequenceOfChainKey,
  tenantFromFolder,
  tenantReportsPrefix,
} from './store/layout';
import {
  type ChainEntry,
  ChainEntrySchema,
  decodeJson,
  type RunManifest,
  RunManifestSchema,
  sha256Hex,
} from './store/manifest';
import type { ObjectStore, ObjectVersion } from './store/object-store';

export type ChainProblemKind =
  | 'missing-file'
  | 'altered-file'
  | 'missing-manifest'
  | 'broken-link'
  | 'reordered'
  /** The key has more than one version or a delete marker: it was replaced or hidden after it was first written. */
  | 'rewritten'
  /** The chain index has a gap, an unreadable entry, or disagrees with a manifest about its place. */
  | 'chain-index'
  /** An object under the tenant's reports that the archive never writes. */
  | 'unexpected-object'
  /** The chain index disagrees with a chain head the function logged when it wrote the entry (lambda/store/anchor.ts). */
  | 'anchor';

export interface ChainProblem {
  readonly runId?: string;
  /** The object the problem is about. */
  readonly key: string;
  readonly kind: ChainProblemKind;
  readonly detail: string;
}

export interface ChainVerification {
  readonly ok: boolean;
  /** Manifests found (archived entries: check runs and remediations). */
  readonly runs: number;
  /** True when the store keeps versions (S3) and every version was checked; a local folder keeps none. */
  readonly versionsChecked: boolean;
  /** Logged chain heads of the tenant compared with the chain index; absent when no anchors were given. */
  readonly anchorsChecked?: number;
  readonly problems: ChainProblem[];
}

interface StoredEntry {
  readonly key: string;
  readonly sha256: string;
  /** Undefined when the object is not a readable manifest. */
  readonly manifest: RunManifest | undefined;
  readonly runId: string;
}

/** `latest.json` was a mutable pointer in archives written before the chain index: overwritten, and no longer read. */
const LEGACY_POINTER = /^reports\/tenant=[^/]+\/latest\.json$/;

export interface VerifyOptions {
  /** Chain heads logged outside the archive (any tenant's; this tenant's are compared). */
  readonly anchors?: readonly ChainHeadAnchor[];
}

export async function verifyChain(
  store: ObjectStore,
  tenantId: string,
  options: VerifyOptions = {},
): Promise<ChainVerification> {
  const problems = new ProblemList();
  const prefix = tenantReportsPrefix(tenantId);
  const keys = await store.list(prefix);

  const manifests: StoredEntry[] = [];
  for (const key of keys.filter((key) => parseManifestKey(key))) {
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

  const versions = store.listVersions ? await store.listVersions(prefix) : undefined;
  if (versions) checkVersions(versions, (key) => runIdOfKey(key, byKey), problems);
  checkUnexpectedKeys(keys, tenantId, problems);
  await checkFiles(store, keys, manifests, problems);
  checkRunFoldersHaveManifests(keys, byKey, problems);
  checkLinksInChainOrder(chainOrder(manifests), byKey, problems);
  const index = await readChainIndex(store, keys, problems);
  checkChainIndex(tenantId, index, manifests, byKey, problems);
  const anchors = options.anchors?.filter((anchor) => keySegment(anchor.tenantId) === keySegment(tenantId));
  if (anchors) checkAnchors(tenantId, anchors, index, problems);

  return {
    ok: problems.size === 0,
    runs: manifests.length,
    versionsChecked: versions !== undefined,
    ...(anchors ? { anchorsChecked: anchors.length } : {}),
    problems: problems.toArray(),
  };
}

/** Tenants with reports or state in the store, as their key segments (accepted by {@link verifyChain}). */
export async function listTenants(store: ObjectStore): Promise<string[]> {
  const folders = [...(await store.listFolders(REPORTS_ROOT)), ...(await store.listFolders(STATE_ROOT))];
  const tenants = new Set(folders.map(tenantFromFolder).filter((tenant): tenant is string => tenant !== undefined));
  return [...tenants].sort();
}

/** Every archive object is written once with if-none-match: a second version or a delete marker is tampering. */
function checkVersions(
  versions: readonly ObjectVersion[],
  runIdOf: (key: string) => string | undefined,
  problems: ProblemList,
): void {
  const byKey = new Map<string, ObjectVersion[]>();
  for (const version of versions) byKey.set(version.key, [...(byKey.get(version.key) ?? []), version]);
  for (const [key, all] of byKey) {
    if (LEGACY_POINTER.test(key)) continue;
    const written = all.filter((version) => !version.deleteMarker);
    const markers = all.length - written.length;
    if (written.length === 1 && markers === 0) continue;
    // Listed newest first, so the last written version is the one the archive wrote.
    const first = written.at(-1);
    const current = all.find((version) => version.isLatest);
    const counts = [
      `${written.length} version${written.length === 1 ? '' : 's'}`,
      ...(markers > 0 ? [`${markers} delete marker${markers === 1 ? '' : 's'}`] : []),
    ].join(' and ');
    const state = current?.deleteMarker
      ? 'the object is hidden behind a delete marker'
      : current && first && current.versionId !== first.versionId
        ? `the current version ${current.versionId} is not the first (${first.versionId})`
        : 'the object was written more than once';
    const original = first
      ? `; the first version, ${first.versionId}${first.lastModified ? ` of ${first.lastModified.toISOString()}` : ''}, is the one archived`
      : '';
    problems.add({
      runId: runIdOf(key),
      key,
      kind: 'rewritten',
      detail: `${counts}: ${state}. Archive objects are written once, so it was replaced or hidden afterwards${original}`,
    });
  }
}

function checkUnexpectedKeys(keys: readonly string[], tenantId: string, problems: ProblemList): void {
  const chain = chainPrefix(tenantId);
  for (const key of keys) {
    if (runFolderOf(key) !== undefined || LEGACY_POINTER.test(key)) continue;
    if (key.startsWith(chain) && sequenceOfChainKey(key) !== undefined) continue;
    problems.add({ key, kind: 'unexpected-object', detail: 'the archive never writes an object here' });
  }
}

async function checkFiles(
  store: ObjectStore,
  keys: readonly string[],
  manifests: readonly StoredEntry[],
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
  byKey: ReadonlyMap<string, StoredEntry>,
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

async function readChainIndex(
  store: ObjectStore,
  keys: readonly string[],
  problems: ProblemList,
): Promise<Map<number, ChainEntry>> {
  const index = new Map<number, ChainEntry>();
  for (const key of keys) {
    const sequence = sequenceOfChainKey(key);
    if (sequence === undefined) continue;
    const bytes = await store.get(key);
    const entry = bytes ? decodeJson(bytes, ChainEntrySchema) : undefined;
    if (!entry || entry.sequence !== sequence) {
      problems.add({ key, kind: 'chain-index', detail: `chain place ${sequence} is not a readable index entry` });
      continue;
    }
    index.set(sequence, entry);
  }
  return index;
}

/**
 * The index and the manifests must agree: places 1..n without gaps (after the manifests written before the index
 * existed), each naming a stored manifest with the recorded SHA-256 that claims the same place, and every manifest
 * that claims a place named there. The highest place is the chain's head, so removing the newest entry shows too.
 */
function checkChainIndex(
  tenantId: string,
  index: ReadonlyMap<number, ChainEntry>,
  manifests: readonly StoredEntry[],
  byKey: ReadonlyMap<string, StoredEntry>,
  problems: ProblemList,
): void {
  const legacy = manifests.filter((entry) => entry.manifest && entry.manifest.sequence === undefined).length;
  const places = [...index.keys()];
  const highest = Math.max(legacy, ...places);
  for (let sequence = legacy + 1; sequence <= highest; sequence++) {
    const entry = index.get(sequence);
    if (!entry) {
      const key = chainEntryKey(tenantId, sequence);
      if (!problems.has('chain-index', key)) {
        problems.add({ key, kind: 'chain-index', detail: `chain place ${sequence} is missing (it was removed)` });
      }
      continue;
    }
    const target = byKey.get(entry.key);
    if (!target) {
      problems.add({
        runId: entry.runId,
        key: entry.key,
        kind: 'missing-manifest',
        detail: `chain place ${sequence} names this manifest, which is missing: the entry was removed, or it stopped between taking its place and writing its manifest`,
      });
    } else if (target.sha256 !== entry.sha256) {
      problems.add({
        runId: target.runId,
        key: entry.key,
        kind: 'broken-link',
        detail: `the manifest changed after it took chain place ${sequence}`,
      });
    } else if (target.manifest && target.manifest.sequence !== sequence) {
      problems.add({
        runId: target.runId,
        key: entry.key,
        kind: 'chain-index',
        detail: `chain place ${sequence} names this manifest, which claims place ${target.manifest.sequence ?? 'none'}`,
      });
    }
  }
  for (const entry of manifests) {
    const sequence = entry.manifest?.sequence;
    if (sequence === undefined || index.get(sequence)?.key === entry.key) continue;
    const holder = index.get(sequence);
    problems.add({
      runId: entry.runId,
      key: entry.key,
      kind: 'chain-index',
      detail: holder
        ? `claims chain place ${sequence}, which belongs to run ${holder.runId}: it was slipped in afterwards`
        : `claims chain place ${sequence}, which the chain index does not record`,
    });
  }
}

/**
 * Each chain head the function logged when it wrote an entry must still be in the chain index as logged: the same
 * manifest with the same SHA-256 at the same place. A history rewritten and re-chained afterwards verifies on its own
 * but not against these; a removed newest entry leaves a logged place missing. A forged anchor line cannot hide a
 * rewrite: the line logged when the entry was written stays in the log and disagrees.
 */
function checkAnchors(
  tenantId: string,
  anchors: readonly ChainHeadAnchor[],
  index: ReadonlyMap<number, ChainEntry>,
  problems: ProblemList,
): void {
  for (const anchor of anchors) {
    const entry = index.get(anchor.sequence);
    const logged = `${anchor.manifestKey} with SHA-256 ${anchor.manifestSha256}`;
    if (!entry) {
      problems.add({
        key: chainEntryKey(tenantId, anchor.sequence),
        kind: 'anchor',
        detail: `chain place ${anchor.sequence} was logged as written (${logged}) but is not in the chain index: it was removed`,
      });
    } else if (entry.key !== anchor.manifestKey || entry.sha256 !== anchor.manifestSha256) {
      problems.add({
        runId: entry.runId,
        key: entry.key,
        kind: 'anchor',
        detail: `chain place ${anchor.sequence} holds ${entry.key} with SHA-256 ${entry.sha256}, but ${logged} was logged when the place was written: the history was rewritten`,
      });
    }
  }
}

/** Manifests written before the chain index in key (run) order, then the rest by the place each claims. */
function chainOrder(manifests: readonly StoredEntry[]): StoredEntry[] {
  const legacy = manifests.filter((entry) => entry.manifest?.sequence === undefined);
  const placed = manifests
    .filter((entry) => entry.manifest?.sequence !== undefined)
    .sort((a, b) => a.manifest!.sequence! - b.manifest!.sequence!);
  return [...legacy, ...placed];
}

/** Oldest to newest: each manifest must link to the one right before it. */
function checkLinksInChainOrder(
  manifests: readonly StoredEntry[],
  byKey: ReadonlyMap<string, StoredEntry>,
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
          detail: `starts a new chain instead of linking to the entry before it (${before.runId})`,
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
        detail: `links to run ${target.runId}, but the entry before it in the chain is ${before?.runId ?? 'none'}`,
      });
    }
  });
}

/** The run id of a key inside a run folder: the manifest's, else the folder's name. */
function runIdOfKey(key: string, byKey: ReadonlyMap<string, StoredEntry>): string | undefined {
  const folder = runFolderOf(key);
  if (!folder) return undefined;
  const manifestKey = `${folder}${MANIFEST_NAME}`;
  return byKey.get(manifestKey)?.runId ?? parseManifestKey(manifestKey)?.run;
}

class ProblemList {
  private readonly problems = new Map<string, ChainProblem>();

  add(problem: ChainProblem): void {
    const id = `${problem.kind}\u0000${problem.key}`;
    if (!this.problems.has(id)) this.problems.set(id, problem);
  }

  has(kind: ChainProblemKind, key: string): boolean {
    return this.problems.has(`${kind}\u0000${key}`);
  }

  get size(): number {
    return this.problems.size;
  }

  toArray(): ChainProblem[] {
    return [...this.problems.values()];
  }
}
