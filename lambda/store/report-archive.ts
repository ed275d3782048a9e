/**
 * The report archive, written once for every object store: a run's files, then its manifest (chained to the tenant's
 * previous manifest) with if-none-match, then the tenant's `latest.json` pointer.
 */
import { CheckError } from '../errors';
import {
  dateOfRunId,
  keySegment,
  LATEST_POINTER_NAME,
  latestPointerKey,
  MANIFEST_NAME,
  parseManifestKey,
  runDate,
  runPrefix,
  tenantReportsPrefix,
} from './layout';
import {
  decodeJson,
  encodeJson,
  LatestPointerSchema,
  MANIFEST_SCHEMA_VERSION,
  type ManifestLink,
  type RunManifest,
  RunManifestSchema,
  sha256Hex,
} from './manifest';
import type { ObjectStore } from './object-store';
import type { ArchivedRun, ArchiveRunInput, ReportArchive } from './store';

export interface ReportArchiveOptions {
  /** Clock for the manifest's `createdAt`. */
  readonly now?: () => Date;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function createReportArchive(store: ObjectStore, options: ReportArchiveOptions = {}): ReportArchive {
  const now = options.now ?? (() => new Date());

  async function findManifestKey(tenantId: string, runId: string): Promise<string | undefined> {
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

  /**
   * The manifest this run chains to: the one `latest.json` names (as recorded there, so a removed or altered newest
   * manifest stays visible to `verify` instead of being skipped), moved forward past any manifest that was written but
   * whose pointer update was lost (a crash between the two writes).
   */
  async function previousManifest(tenantId: string, ownKey: string): Promise<ManifestLink | null> {
    const pointerBytes = await store.get(latestPointerKey(tenantId));
    const pointer = pointerBytes ? decodeJson(pointerBytes, LatestPointerSchema) : undefined;
    let head: ManifestLink;
    if (pointer) {
      head = { key: pointer.key, sha256: pointer.sha256 };
    } else {
      // No pointer yet (first run, or an archive written before it existed): the newest manifest by key.
      const newest = (await store.list(tenantReportsPrefix(tenantId)))
        .filter((key) => key !== ownKey && parseManifestKey(key))
        .at(-1);
      const bytes = newest ? await store.get(newest) : undefined;
      if (!newest || !bytes) return null;
      head = { key: newest, sha256: sha256Hex(bytes) };
    }
    for (;;) {
      const successor = await findSuccessor(tenantId, head, ownKey);
      if (!successor) return head;
      head = successor;
    }
  }

  async function findSuccessor(
    tenantId: string,
    head: ManifestLink,
    ownKey: string,
  ): Promise<ManifestLink | undefined> {
    const later = (await store.list(tenantReportsPrefix(tenantId), { startAfter: head.key })).filter(
      (key) => key !== ownKey && parseManifestKey(key),
    );
    for (const key of later) {
      const bytes = await store.get(key);
      const manifest = bytes ? decodeJson(bytes, RunManifestSchema) : undefined;
      if (bytes && manifest?.previousManifest?.key === head.key) return { key, sha256: sha256Hex(bytes) };
    }
    return undefined;
  }

  return {
    async hasRun(tenantId, runId) {
      return (await findManifestKey(tenantId, runId)) !== undefined;
    },

    locate(tenantId, runId, startedAt) {
      return store.location(runPrefix(tenantId, runId, runDate(runId, startedAt)));
    },

    async archiveRun(input: ArchiveRunInput): Promise<ArchivedRun> {
      checkFiles(input);
      const prefix = runPrefix(input.tenantId, input.runId, runDate(input.runId, input.startedAt));
      const manifestKey = `${prefix}${MANIFEST_NAME}`;
      const location = store.location(prefix);

      const existing = await store.get(manifestKey);
      if (existing) return { location, written: false, manifestSha256: sha256Hex(existing) };

      const files: RunManifest['files'][number][] = [];
      for (const file of input.files) {
        const bytes = new TextEncoder().encode(file.body);
        await store.put(`${prefix}${file.name}`, bytes, { contentType: file.contentType });
        files.push({ name: file.name, sha256: sha256Hex(bytes), bytes: bytes.byteLength });
      }

      const manifest: RunManifest = {
        schemaVersion: MANIFEST_SCHEMA_VERSION,
        tenantId: input.tenantId,
        runId: input.runId,
        startedAt: input.startedAt,
        files,
        previousManifest: await previousManifest(input.tenantId, manifestKey),
        createdAt: now().toISOString(),
      };
      const manifestBytes = encodeJson(manifest);
      const result = await store.put(manifestKey, manifestBytes, {
        contentType: 'application/json',
        ifNoneMatch: true,
      });
      if (result === 'exists') {
        // Another invocation of the same run archived it first.
        const winner = await store.get(manifestKey);
        return { location, written: false, manifestSha256: winner ? sha256Hex(winner) : sha256Hex(manifestBytes) };
      }
      const manifestSha256 = sha256Hex(manifestBytes);
      await store.put(
        latestPointerKey(input.tenantId),
        encodeJson({ key: manifestKey, sha256: manifestSha256, runId: input.runId }),
        { contentType: 'application/json' },
      );
      return { location, written: true, manifestSha256 };
    },
  };
}

function checkFiles(input: ArchiveRunInput): void {
  const seen = new Set<string>();
  for (const file of input.files) {
    if (!FILE_NAME.test(file.name) || file.name === MANIFEST_NAME || file.name === LATEST_POINTER_NAME) {
      throw new CheckError(
        'bad-input',
        `report file name ${JSON.stringify(file.name)} cannot be archived: expected letters, digits, dot, dash or underscore, not "${MANIFEST_NAME}"`,
      );
    }
    if (seen.has(file.name)) {
      throw new CheckError('bad-input', `report file ${JSON.stringify(file.name)} is listed twice for one run`);
    }
    seen.add(file.name);
  }
}
