/**
 * Storage for run reports (immutable archive with a hash chain) and drift state. One interface, two backends:
 * a local folder (CLI) and S3 (Lambda). Keys are the same in both, so the same `verify` works on either.
 *
 * Layout: reports/tenant=<tenantId>/date=<yyyy-mm-dd>/run=<runId>/{report.json, findings.ocsf.jsonl, findings.csv,
 * report.html, manifest.json}; state/tenant=<tenantId>/state.json.
 */

export interface ReportFile {
  /** File name inside the run folder, e.g. `report.json`. */
  readonly name: string;
  readonly body: string;
  readonly contentType: string;
}

export interface ArchiveRunInput {
  readonly tenantId: string;
  readonly runId: string;
  /** ISO date-time the run started; its date names the `date=` folder. */
  readonly startedAt: string;
  readonly files: readonly ReportFile[];
}

export interface ArchivedRun {
  /** Where the run's files are: a folder path or an `s3://bucket/prefix/` URL. */
  readonly location: string;
  /** False when this tenant's run was already archived (duplicate invocation): nothing was written. */
  readonly written: boolean;
  readonly manifestSha256: string;
}

export interface ReportArchive {
  /** True when this tenant's run already has a manifest (a duplicate invocation of the same scheduled run). */
  hasRun(tenantId: string, runId: string): Promise<boolean>;
  /** Where this tenant's run is (or will be) stored, for links in alerts: a folder path or `s3://bucket/prefix/`. */
  locate(tenantId: string, runId: string, startedAt: string): string;
  /** Writes the files, then the manifest (chained to the tenant's previous manifest) exactly once. */
  archiveRun(input: ArchiveRunInput): Promise<ArchivedRun>;
}

export interface StateStore {
  /** The tenant's drift state as last saved, or undefined on the first run. Parsed by lambda/drift. */
  loadState(tenantId: string): Promise<unknown>;
  saveState(tenantId: string, state: unknown): Promise<void>;
  /** Where the tenant's state lives (a file path or an s3:// URL), so errors can point at it. */
  locate(tenantId: string): string;
}
