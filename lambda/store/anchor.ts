/**
 * Chain-head anchors: each archived entry's place and manifest SHA-256, written as one JSON line to the function's
 * CloudWatch Logs log group (stdout of the Lambda function), where the function's role may add events but never
 * change or delete one. `verify --bucket --anchor-log-group <group>` reads them back and compares each with the chain
 * index: a history rewritten and re-chained afterwards (so that it verifies clean on its own) disagrees with the heads
 * logged when the entries were written. What this adds, and its limits (log retention), are in docs/evidence.md.
 */
import * as z from 'zod';

/** The `message` of an anchor line; anything else in the log group is ignored. */
export const CHAIN_HEAD_MESSAGE = 'archive chain head';

export const ChainHeadAnchorSchema = z.object({
  tenantId: z.string().min(1),
  sequence: z.number().int().min(1),
  manifestKey: z.string().min(1),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ChainHeadAnchor = z.infer<typeof ChainHeadAnchorSchema>;

/** The line the function writes for one archived entry. */
export function chainHeadLine(anchor: ChainHeadAnchor): string {
  const { tenantId, sequence, manifestKey, manifestSha256 } = anchor;
  return `${JSON.stringify({ message: CHAIN_HEAD_MESSAGE, tenantId, sequence, manifestKey, manifestSha256 })}\n`;
}

/** The anchor in one log event, or undefined when the event is not an anchor line. */
export function parseChainHeadLine(text: string): ChainHeadAnchor | undefined {
  let value: unknown;
  try {
    // A runtime that prefixes its lines (time, request id, level) puts them before the JSON.
    value = JSON.parse(text.slice(Math.max(0, text.indexOf('{'))));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { message?: unknown }).message !== CHAIN_HEAD_MESSAGE) {
    return undefined;
  }
  const parsed = ChainHeadAnchorSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
