/**
 * The run manifest: the list of a run's files with their SHA-256, chained to the tenant's previous manifest. Written
 * last and exactly once, so its presence means "this run is archived" and the chain shows any file or run that was
 * altered or removed afterwards.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const MANIFEST_SCHEMA_VERSION = '1';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256');

export const ManifestLinkSchema = z.object({ key: z.string().min(1), sha256: Sha256 });

export const RunManifestSchema = z.object({
  schemaVersion: z.string(),
  tenantId: z.string().min(1),
  runId: z.string().min(1),
  startedAt: z.string(),
  files: z.array(z.object({ name: z.string().min(1), sha256: Sha256, bytes: z.number().int().min(0) })),
  previousManifest: ManifestLinkSchema.nullable(),
  createdAt: z.string(),
});

export type ManifestLink = z.infer<typeof ManifestLinkSchema>;
export type RunManifest = z.infer<typeof RunManifestSchema>;

/** The `latest.json` pointer: the manifest the next run chains to. A hint; `verify` never trusts it alone. */
export const LatestPointerSchema = ManifestLinkSchema.extend({ runId: z.string() });
export type LatestPointer = z.infer<typeof LatestPointerSchema>;

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
