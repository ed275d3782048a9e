/**
 * Object keys of the report archive and the drift state. The same keys on every backend, so `verify` and the CLI read
 * a local folder and an S3 bucket alike.
 *
 * reports/tenant=<tenant>/date=<yyyy-mm-dd>/run=<run>/<file>          one folder per archive entry, written once
 * reports/tenant=<tenant>/date=<yyyy-mm-dd>/run=<run>/manifest.json   written last, exactly once
 * reports/tenant=<tenant>/chain/<descending>.json                    write-once chain index, one per entry
 * state/tenant=<tenant>/state.json                                    overwritten every run
 * state/tenant=<tenant>/lease.json                                    who checks the tenant now (AWS event path)
 *
 * Every key under `reports/` is written once (if-none-match); only the drift state is replaced.
 * Archives written before the chain index also hold a `reports/tenant=<tenant>/latest.json`; it is no longer read.
 */

export const REPORTS_ROOT = 'reports/';
export const STATE_ROOT = 'state/';
export const MANIFEST_NAME = 'manifest.json';
/** The run report of a check or error entry (lambda/report/run-files.ts writes it under this name). */
export const REPORT_FILE_NAME = 'report.json';
/** Names that archive entries cannot use for their files. */
export const RESERVED_FILE_NAMES: readonly string[] = [MANIFEST_NAME, 'latest.json'];
export const STATE_NAME = 'state.json';
export const LEASE_NAME = 'lease.json';

/** Chain places are stored as `CHAIN_LIMIT - sequence`, zero-padded, so the newest entry is listed first. */
const CHAIN_LIMIT = 1_000_000_000_000;
const CHAIN_DIGITS = 12;
const CHAIN_FOLDER = 'chain/';

const TENANT_FOLDER = 'tenant=';
const DATE_FOLDER = 'date=';
const RUN_FOLDER = 'run=';

/**
 * Makes a tenant id or run id safe as one key segment on S3 and on every file system. ISO timestamps keep their sort
 * order (`:` becomes `-`, consistently), so run folders still sort by time. Idempotent: a segment maps to itself.
 */
export function keySegment(value: string): string {
  const safe = value.replace(/:/g, '-').replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === '' || safe === '.' || safe === '..') {
    throw new TypeError(`cannot use ${JSON.stringify(value)} in an object key: expected a non-empty id`);
  }
  return safe;
}

export function tenantReportsPrefix(tenantId: string): string {
  return `${REPORTS_ROOT}${TENANT_FOLDER}${keySegment(tenantId)}/`;
}

export function chainPrefix(tenantId: string): string {
  return `${tenantReportsPrefix(tenantId)}${CHAIN_FOLDER}`;
}

/** The chain index entry of place `sequence`; keys sort newest first, so one short listing finds the head. */
export function chainEntryKey(tenantId: string, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence >= CHAIN_LIMIT) {
    throw new RangeError(`chain sequence ${sequence} is outside 1..${CHAIN_LIMIT - 1}`);
  }
  return `${chainPrefix(tenantId)}${String(CHAIN_LIMIT - sequence).padStart(CHAIN_DIGITS, '0')}.json`;
}

/** The place a chain index key stands for, or undefined when the key is not one. */
export function sequenceOfChainKey(key: string): number | undefined {
  const match = /^reports\/tenant=[^/]+\/chain\/(\d{12})\.json$/.exec(key);
  if (!match) return undefined;
  const sequence = CHAIN_LIMIT - Number(match[1]);
  return sequence >= 1 && sequence < CHAIN_LIMIT ? sequence : undefined;
}

export function stateKey(tenantId: string): string {
  return `${STATE_ROOT}${TENANT_FOLDER}${keySegment(tenantId)}/${STATE_NAME}`;
}

/**
 * The lease that keeps two checks of one tenant (a scheduled run and an event check) from interleaving its drift
 * state (./tenant-lease.ts). Beside the state, so it has the state's grants and lifecycle.
 */
export function leaseKey(tenantName: string): string {
  return `${STATE_ROOT}${TENANT_FOLDER}${keySegment(tenantName)}/${LEASE_NAME}`;
}

/**
 * The `date=` folder of a run: the date of the run id when it is a timestamp (the scheduled time), so a retry that
 * starts after midnight still lands in the same folder and is recognised as a duplicate; otherwise the start date.
 */
export function runDate(runId: string, startedAt: string): string {
  return isoDate(runId) ?? isoDate(startedAt) ?? invalidDate(startedAt);
}

export function runPrefix(tenantId: string, runId: string, date: string): string {
  return `${tenantReportsPrefix(tenantId)}${DATE_FOLDER}${date}/${RUN_FOLDER}${keySegment(runId)}/`;
}

/** The date folder implied by the run id alone, when the run id is a timestamp. */
export function dateOfRunId(runId: string): string | undefined {
  return isoDate(runId);
}

export interface ManifestKeyParts {
  readonly tenant: string;
  readonly date: string;
  readonly run: string;
}

const MANIFEST_KEY = /^reports\/tenant=([^/]+)\/date=([^/]+)\/run=([^/]+)\/manifest\.json$/;

/** Parts of a manifest key, or undefined when the key is not a manifest of the layout. */
export function parseManifestKey(key: string): ManifestKeyParts | undefined {
  const match = MANIFEST_KEY.exec(key);
  if (!match) return undefined;
  return { tenant: match[1]!, date: match[2]!, run: match[3]! };
}

/** The run folder (with trailing `/`) of a key inside one, or undefined. */
export function runFolderOf(key: string): string | undefined {
  const match = /^(reports\/tenant=[^/]+\/date=[^/]+\/run=[^/]+\/)[^/]+$/.exec(key);
  return match?.[1];
}

export function tenantFromFolder(folder: string): string | undefined {
  return folder.startsWith(TENANT_FOLDER) ? folder.slice(TENANT_FOLDER.length) || undefined : undefined;
}

function isoDate(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString().slice(0, 10);
}

function invalidDate(startedAt: string): never {
  throw new TypeError(`startedAt ${JSON.stringify(startedAt)} is not an ISO date-time`);
}
