/**
 * The run manifest: the list of an archive entry's files with their SHA-256, chained to the tenant's previous
 * manifest. Written last and exactly once, so its presence means "this entry is archived" and the chain shows any file
 * or entry that was altered or removed afterwards.
 *
 * Schema versions: `1` had no `kind`, `sequence` or `stateSha256`; `2` adds them (and, as optional fields, `failure`
 * and `schedule`). Both parse and verify; a manifest without `kind` is a check run.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const MANIFEST_SCHEMA_VERSION = '2';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256');

export const ManifestLinkSchema = z.object({ key: z.string().min(1), sha256: Sha256 });

/** What an archive entry records: a check run, a run that could not check the tenant, or one apply of a plan. */
export const ARCHIVE_ENTRY_KINDS = ['check', 'error', 'remediation'] as const;
export type ArchiveEntryKind = (typeof ARCHIVE_ENTRY_KINDS)[number];

/** The schedule a run was started by: an EventBridge Scheduler expression and its time zone. */
export const RunScheduleSchema = z.object({
  expression: z.string().min(1).max(256),
  timeZone: z.string().max(64).optional(),
});

/** Why an `error` entry's run could not check the tenant: its run id, and the code and message of its report. */
export const EntryFailureSchema = z.object({ runId: z.string().min(1), code: z.string().min(1), message: z.string() });

export const RunManifestSchema = z.object({
  schemaVersion: z.string(),
  tenantId: z.string().min(1),
  runId: z.string().min(1),
  startedAt: z.string(),
  files: z.array(z.object({ name: z.string().min(1), sha256: Sha256, bytes: z.number().int().min(0) })),
  previousManifest: ManifestLinkSchema.nullable(),
  createdAt: z.string(),
  /** Absent in schema 1: a check run. */
  kind: z.enum(ARCHIVE_ENTRY_KINDS).optional(),
  /** Position in the tenant's chain, from 1; matches the write-once `chain/<sequence>.json` entry. Absent in schema 1. */
  sequence: z.number().int().min(1).optional(),
  /** SHA-256 of the drift state the run saved ({@link stateSha256}), so the next run can tell the state was replaced. */
  stateSha256: Sha256.optional(),
  /** An `error` entry: the run that could not check the tenant and why. */
  failure: EntryFailureSchema.optional(),
  /** The schedule the run was started by, when known (docs/evidence.md: expected runs). */
  schedule: RunScheduleSchema.optional(),
});

export type ManifestLink = z.infer<typeof ManifestLinkSchema>;
export type RunSchedule = z.infer<typeof RunScheduleSchema>;
export type EntryFailure = z.infer<typeof EntryFailureSchema>;
export type RunManifest = z.infer<typeof RunManifestSchema>;

/**
 * One write-once entry of the tenant's chain index, `chain/<n>.json`: which manifest holds place `sequence`. Written
 * with if-none-match before the manifest, so two entries can never claim one place and the order of a tenant's entries
 * does not depend on how their run ids sort.
 */
export const ChainEntrySchema = ManifestLinkSchema.extend({
  sequence: z.number().int().min(1),
  runId: z.string().min(1),
  kind: z.enum(ARCHIVE_ENTRY_KINDS),
});
export type ChainEntry = z.infer<typeof ChainEntrySchema>;

/** A manifest as stored: its key, the SHA-256 of its bytes (what the next entry links to) and its content. */
export interface StoredManifest {
  readonly key: string;
  readonly sha256: string;
  readonly manifest: RunManifest;
}

/** The kind of an entry; manifests of schema 1 have none and are check runs. */
export function entryKind(manifest: RunManifest): ArchiveEntryKind {
  return manifest.kind ?? 'check';
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parses JSON bytes against a schema; undefined when the bytes are not such a document. */
export function decodeJson<T>(bytes: Uint8Array, schema: z.ZodType<T>): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
