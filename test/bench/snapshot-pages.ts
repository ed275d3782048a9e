/**
 * The scale tenant (test/unit/policy/scale-tenant.ts) as JSON lines of at most 100 items, so a process can build the
 * snapshot the way the collector does — parsing one page at a time — without ever holding the whole tenant as one
 * JSON string.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TenantSnapshot } from '../../lambda/collect/snapshot';
import { buildTenant } from '../unit/policy/scale-tenant';

const PAGE_SIZE = 100;
const LISTS = ['users', 'groups', 'roles', 'apiKeys', 'everyoneRoles'] as const;

/** First line: the snapshot without its lists; then one `[list, items]` line per page. */
export function writeSnapshotPages(file: string): void {
  const snapshot = buildTenant();
  const lines = [JSON.stringify({ ...snapshot, ...Object.fromEntries(LISTS.map((list) => [list, []])) })];
  for (const list of LISTS) {
    const items = snapshot[list] as readonly unknown[];
    for (let i = 0; i < items.length; i += PAGE_SIZE) lines.push(JSON.stringify([list, items.slice(i, i + PAGE_SIZE)]));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

export async function readSnapshotPages(file: string): Promise<TenantSnapshot> {
  let snapshot: Record<string, unknown[]> | undefined;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (line === '') continue;
    if (!snapshot) {
      snapshot = JSON.parse(line) as Record<string, unknown[]>;
      continue;
    }
    const [list, items] = JSON.parse(line) as [string, unknown[]];
    const target = snapshot[list];
    if (!target) throw new Error(`${file}: line names an unknown list "${list}"`);
    for (const item of items) target.push(item);
  }
  if (!snapshot) throw new Error(`${file}: empty`);
  return snapshot as unknown as TenantSnapshot;
}
