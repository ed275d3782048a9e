/**
 * The run archive, written once for every object store. An entry is stored in three steps, each object with
 * if-none-match so nothing is ever written twice:
 *
 * 1. the entry's files (a file already there with the same bytes is a retry and fine; other bytes mean another
 *    invocation holds this run);
 * 2. the tenant's next chain index place, `chain/<n>.json`, naming the manifest about to be written and its SHA-256
 *    (a place taken by a concurrent entry of the same tenant is retried at the next place);
 * 3. the manifest, linked to the manifest at place n-1.
 *
 * The chain index replaces the former mutable `latest.json` pointer: the head is the highest place, found with one
 * short listing (places sort newest first), and the order of entries no longer depends on how their ids sort.
 */
import { CheckError } from '../errors';
import {
  chainEntryKey,
  chainPrefix,
  dateOfRunId,
  keySegment,
  MANIFEST_NAME,
  parseManifestKey,
  RESERVED_FILE_NAMES,
  runDate,
  runPrefix,
  sequenceOfChainKey,
  tenantReportsPrefix,
} from './layout';
import {
  type ArchiveEntryKind,
  type ChainEntry,
  ChainEntrySchema,
  decodeJson,
  encodeJson,
  entryKind,
  MANIFEST_SCHEMA_VERSION,
  type ManifestLink,
  type RunManifest,
  RunManifestSchema,
  type StoredManifest,
  sha256Hex,
} from './manifest';
import type { ObjectStore } from './object-store';
import type { ArchivedRun, ArchiveRunInput, RunArchive } from './store';

export interface RunArchiveOptions {
  /** Clock for the manifest's `createdAt`. */
  readonly now?: () => Date;
}

/** The tenant's chain cannot be read or extended as stored; `verify` says what is wrong with it. */
export class ArchiveChainError extends Error {
  override readonly name = 'ArchiveChainError';
  constructor(
    readonly location: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${location}: ${problem}; run \`qlik-access-guard verify\` on the archive`, options);
  }
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Places tried when concurrent entries of one tenant keep taking the next one first. */
const CLAIM_ATTEMPTS = 5;

interface ChainHead {
  readonly sequence: number;
  readonly link: ManifestLink;
}

export function createRunArchive(store: ObjectStore, options: RunArchiveOptions = {}): RunArchive {
  const now = options.now ?? (() => new Date());
  return {
    async hasRun(tenantId, runId) {
      return (await findManifestKey(store, tenantId, runId)) !== undefined;
    },
    locate(tenantId, runId, startedAt) {
      return store.location(runPrefix(tenantId, runId, runDate(runId, startedAt)));
    },
    archiveRun: (input) => archiveEntry(store, input, now),
    lastManifest: (tenantId, kind = 'check') => lastManifestOfKind(store, tenantId, kind),
  };
}

/** Steps 1 to 3 of the module comment for one entry; nothing is written when the entry's manifest is there already. */
async function archiveEntry(store: ObjectStore, input: ArchiveRunInput, now: () => Date): Promise<ArchivedRun> {
  checkFiles(input);
  const prefix = runPrefix(input.tenantId, input.runId, runDate(input.runId, input.startedAt));
  const slot: EntrySlot = { prefix, manifestKey: `${prefix}${MANIFEST_NAME}`, location: store.location(prefix) };

  const existing = await store.get(slot.manifestKey);
  if (existing) return { location: slot.location, written: false, manifestSha256: sha256Hex(existing) };

  const files = await putEntryFiles(store, prefix, input.files);
  if (!files) return archivedBefore(store, slot);
  return claimPlaceAndWriteManifest(store, input, slot, files, now);
}

/** Where one entry goes: its folder, its manifest's key and the folder's location for people. */
interface EntrySlot {
  readonly prefix: string;
  readonly manifestKey: string;
  readonly location: string;
}

type ManifestFile = RunManifest['files'][number];

/** Step 1: stores the entry's files; undefined when another invocation already stored different ones for this run. */
async function putEntryFiles(
  store: ObjectStore,
  prefix: string,
  reportFiles: ArchiveRunInput['files'],
): Promise<ManifestFile[] | undefined> {
  const files: ManifestFile[] = [];
  for (const file of reportFiles) {
    const key = `${prefix}${file.name}`;
    const bytes = new TextEncoder().encode(file.body);
    const sha256 = sha256Hex(bytes);
    if ((await store.put(key, bytes, { contentType: file.contentType, ifNoneMatch: true })) === 'exists') {
      const stored = await store.get(key);
      if (!stored || sha256Hex(stored) !== sha256) return undefined;
    }
    files.push({ name: file.name, sha256, bytes: bytes.byteLength });
  }
  return files;
}

/**
 * Steps 2 and 3: claims the next chain place (retrying at the following place when a concurrent entry of the tenant
 * took it first), then writes the manifest linked to the entry at the place before.
 */
async function claimPlaceAndWriteManifest(
  store: ObjectStore,
  input: ArchiveRunInput,
  slot: EntrySlot,
  files: ManifestFile[],
  now: () => Date,
): Promise<ArchivedRun> {
  const kind: ArchiveEntryKind = input.kind ?? 'check';
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    const head = await readChainHead(store, input.tenantId);
    // Another invocation of this very run claimed its place and is about to write (or wrote) the manifest.
    if (head?.link.key === slot.manifestKey) {
      return { location: slot.location, written: false, manifestSha256: head.link.sha256 };
    }
    const sequence = (head?.sequence ?? 0) + 1;
    const manifestBytes = encodeJson(manifestOf(input, kind, sequence, files, head, now()));
    const manifestSha256 = sha256Hex(manifestBytes);
    const entry: ChainEntry = { sequence, key: slot.manifestKey, sha256: manifestSha256, runId: input.runId, kind };
    const claimed = await store.put(chainEntryKey(input.tenantId, sequence), encodeJson(entry), {
      contentType: 'application/json',
      ifNoneMatch: true,
    });
    if (claimed === 'exists') continue;
    const written = await store.put(slot.manifestKey, manifestBytes, {
      contentType: 'application/json',
      ifNoneMatch: true,
    });
    if (written === 'exists') return archivedBefore(store, slot);
    return { location: slot.location, written: true, manifestSha256, sequence, manifestKey: slot.manifestKey };
  }
  throw new ArchiveChainError(
    store.location(chainPrefix(input.tenantId)),
    `every chain place tried was taken by a concurrent entry (${CLAIM_ATTEMPTS} attempts)`,
  );
}

function manifestOf(
  input: ArchiveRunInput,
  kind: ArchiveEntryKind,
  sequence: number,
  files: ManifestFile[],
  head: ChainHead | undefined,
  createdAt: Date,
): RunManifest {
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    kind,
    tenantId: input.tenantId,
    runId: input.runId,
    startedAt: input.startedAt,
    sequence,
    files,
    previousManifest: head?.link ?? null,
    ...(input.stateSha256 !== undefined ? { stateSha256: input.stateSha256 } : {}),
    ...(input.failure !== undefined ? { failure: input.failure } : {}),
    ...(input.schedule !== undefined ? { schedule: input.schedule } : {}),
    createdAt: createdAt.toISOString(),
  };
}

/** The entry's folder was taken by another invocation of the same run: what it stored, if it finished. */
async function archivedBefore(store: ObjectStore, slot: EntrySlot): Promise<ArchivedRun> {
  const stored = await store.get(slot.manifestKey);
  if (!stored) {
    throw new ArchiveChainError(
      slot.location,
      'the run folder already holds other files of this run but no manifest: another invocation is storing it, or an earlier attempt stopped before finishing',
    );
  }
  return { location: slot.location, written: false, manifestSha256: sha256Hex(stored) };
}

async function findManifestKey(store: ObjectStore, tenantId: string, runId: string): Promise<string | undefined> {
  const date = dateOfRunId(runId);
  if (date !== undefined) {
    const key = `${runPrefix(tenantId, runId, date)}${MANIFEST_NAME}`;
    return (await store.head(key)) ? key : undefined;
  }
  // A run id that is not a timestamp does not name its date folder: look for it.
  const suffix = `/run=${keySegment(runId)}/${MANIFEST_NAME}`;
  const keys = await store.list(tenantReportsPrefix(tenantId));
  return keys.find((key) => key.endsWith(suffix));
}

/** The highest place of the tenant's chain index, or, for an archive written before the index, its newest manifest. */
async function readChainHead(store: ObjectStore, tenantId: string): Promise<ChainHead | undefined> {
  let [newestKey] = await store.list(chainPrefix(tenantId), { limit: 1 });
  // A key that is no index entry (verify reports it) would hide the head from the short listing: list them all.
  if (newestKey !== undefined && sequenceOfChainKey(newestKey) === undefined) {
    newestKey = (await store.list(chainPrefix(tenantId))).find((key) => sequenceOfChainKey(key) !== undefined);
  }
  const sequence = newestKey === undefined ? undefined : sequenceOfChainKey(newestKey);
  if (newestKey !== undefined && sequence !== undefined) {
    const bytes = await store.get(newestKey);
    const entry = bytes ? decodeJson(bytes, ChainEntrySchema) : undefined;
    if (!entry || entry.sequence !== sequence) {
      throw new ArchiveChainError(store.location(newestKey), 'the newest chain index entry is not readable');
    }
    return { sequence, link: { key: entry.key, sha256: entry.sha256 } };
  }
  const manifestKeys = (await store.list(tenantReportsPrefix(tenantId))).filter((key) => parseManifestKey(key));
  const newest = manifestKeys.at(-1);
  const bytes = newest ? await store.get(newest) : undefined;
  if (!newest || !bytes) return undefined;
  return { sequence: manifestKeys.length, link: { key: newest, sha256: sha256Hex(bytes) } };
}

/** The tenant's newest manifest of `kind`, following the chain back from its head with every link checked. */
async function lastManifestOfKind(
  store: ObjectStore,
  tenantId: string,
  kind: ArchiveEntryKind,
): Promise<StoredManifest | undefined> {
  const head = await readChainHead(store, tenantId);
  const seen = new Set<string>();
  let link: ManifestLink | null | undefined = head?.link;
  while (link) {
    if (seen.has(link.key)) throw new ArchiveChainError(store.location(link.key), 'the chain links in a circle');
    seen.add(link.key);
    const stored = await readLinkedManifest(store, link);
    if (entryKind(stored.manifest) === kind) return stored;
    link = stored.manifest.previousManifest;
  }
  return undefined;
}

async function readLinkedManifest(store: ObjectStore, link: ManifestLink): Promise<StoredManifest> {
  const bytes = await store.get(link.key);
  if (!bytes) throw new ArchiveChainError(store.location(link.key), 'a chained manifest is missing');
  const sha256 = sha256Hex(bytes);
  if (sha256 !== link.sha256) {
    throw new ArchiveChainError(store.location(link.key), 'the manifest changed after it was chained');
  }
  const manifest = decodeJson(bytes, RunManifestSchema);
  if (!manifest) throw new ArchiveChainError(store.location(link.key), 'the manifest is not a readable run manifest');
  return { key: link.key, sha256, manifest };
}

function checkFiles(input: ArchiveRunInput): void {
  const seen = new Set<string>();
  for (const file of input.files) {
    if (!FILE_NAME.test(file.name) || RESERVED_FILE_NAMES.includes(file.name)) {
      throw new CheckError(
        'bad-input',
        `report file name ${JSON.stringify(file.name)} cannot be archived: expected letters, digits, dot, dash or underscore, not ${RESERVED_FILE_NAMES.map((name) => `"${name}"`).join(' or ')}`,
      );
    }
    if (seen.has(file.name)) {
      throw new CheckError('bad-input', `report file ${JSON.stringify(file.name)} is listed twice for one run`);
    }
    seen.add(file.name);
  }
}
