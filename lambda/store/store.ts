/**
 * The store's one entry: the run archive (write-once, hash-chained) and the drift state, on any object store. Two
 * backends: a local folder (CLI, `FsObjectStore`) and S3 (Lambda, `S3ObjectStore`, imported on its own so the CLI
 * loads the AWS SDK only when it needs it). Keys are the same in both (see ./layout.ts), so one `verify` reads either.
 *
 * Archive entries. Each entry is a folder of files plus a manifest (their SHA-256), chained to the tenant's previous
 * manifest and given the next place in the tenant's write-once chain index. Two kinds share one chain:
 * - `check` (the default): a scheduled or CLI check run, id = the run id; may record the SHA-256 of the drift state it
 *   saved (`stateSha256`, see {@link stateSha256}), which the next run compares with the state it loads
 *   ({@link RunArchive.lastManifest}).
 * - `error`: a run that could not check the tenant, id `failed-<run id>`, holding its `report.json` (status `error`);
 *   the manifest's `failure` names the run, the error code and the message. Stored only in the chain of the tenant id
 *   the configured tenant's drift state records (lambda/run/tenant-pipeline.ts), so the archive says "could not
 *   check" instead of showing a gap.
 * - `remediation`: one apply of a remediation plan, stored with `archiveRun({ kind: 'remediation', runId:
 *   'apply-<planId>-<time>', files: [plan.json, remediation.json, …] })`; `verify` covers it like a run, and a reader
 *   of the chain tells the two apart by the manifest's `kind` (the chain index entry names it too).
 *
 * Every object under `reports/` is written once (if-none-match); the S3 bucket refuses any other write there. What
 * that guarantees, and what it does not, is in the README's "Security" section.
 */

import type { ArchiveEntryKind, EntryFailure, RunSchedule, StoredManifest } from './manifest';

export { FsObjectStore } from './fs-object-store';
export type { ArchiveEntryKind, EntryFailure, RunManifest, RunSchedule, StoredManifest } from './manifest';
export { sha256Hex } from './manifest';
export type { ObjectStore } from './object-store';
export { ArchiveChainError, createRunArchive, type RunArchiveOptions } from './run-archive';
export { createStateStore, stateSha256 } from './state-store';

export interface ReportFile {
  /** File name inside the entry's folder, e.g. `report.json`. */
  readonly name: string;
  readonly body: string;
  readonly contentType: string;
}

export interface ArchiveRunInput {
  readonly tenantId: string;
  /** The entry's id: the run id of a check, `apply-<planId>-<time>` for a remediation. Unique per tenant. */
  readonly runId: string;
  /** ISO date-time the run started; its date names the `date=` folder (unless the run id is a timestamp). */
  readonly startedAt: string;
  readonly files: readonly ReportFile[];
  /** @default 'check' */
  readonly kind?: ArchiveEntryKind;
  /** SHA-256 of the drift state this run saves ({@link stateSha256}), recorded in the manifest. */
  readonly stateSha256?: string;
  /** For an `error` entry: the run that could not check the tenant, and why. */
  readonly failure?: EntryFailure;
  /** The schedule the run was started by, recorded in the manifest. */
  readonly schedule?: RunSchedule;
}

export interface ArchivedRun {
  /** Where the run's files are: a folder path or an `s3://bucket/prefix/` URL. */
  readonly location: string;
  /** False when this tenant's run was already archived (duplicate invocation): nothing was written. */
  readonly written: boolean;
  readonly manifestSha256: string;
  /** The entry's place in the tenant's chain, when this call wrote it. */
  readonly sequence?: number;
  /** The manifest's key, when this call wrote it. */
  readonly manifestKey?: string;
}

export interface RunArchive {
  /** True when this tenant's run already has a manifest (a duplicate invocation of the same scheduled run). */
  hasRun(tenantId: string, runId: string): Promise<boolean>;
  /** Where this tenant's run is (or will be) stored, for links in alerts: a folder path or `s3://bucket/prefix/`. */
  locate(tenantId: string, runId: string, startedAt: string): string;
  /**
   * Writes the files, then claims the next place in the tenant's chain, then writes the manifest; every object once.
   * @throws ArchiveChainError when the chain cannot be extended (its newest entry is unreadable, or the run's folder
   *   holds other files from an attempt that never finished)
   */
  archiveRun(input: ArchiveRunInput): Promise<ArchivedRun>;
  /**
   * The tenant's newest manifest of this kind, following the chain back from its head with every link's SHA-256
   * checked; undefined when the tenant has no such entry.
   * @throws ArchiveChainError when a manifest on the way is missing, unreadable or changed after it was chained
   */
  lastManifest(tenantId: string, kind?: ArchiveEntryKind): Promise<StoredManifest | undefined>;
}

export interface StateStore {
  /** The tenant's drift state as last saved, or undefined on the first run. Parsed by lambda/drift. */
  loadState(tenantId: string): Promise<unknown>;
  saveState(tenantId: string, state: unknown): Promise<void>;
  /** Where the tenant's state lives (a file path or an s3:// URL), so errors can point at it. */
  locate(tenantId: string): string;
}
