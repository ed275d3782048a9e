/**
 * Request plans as trees of sequential and parallel steps, for the floors the benchmark compares wall time with.
 *
 * A plan's chain is its longest path of round trips that wait for one another; its floor is chain × the injected
 * latency (nothing can finish sooner, whatever the CPU). Two plans per measurement:
 *  - `as implemented`: the order the code actually waits in (e.g. a script that reads one list after the other,
 *    although none of them needs another);
 *  - `dependencies only`: the same requests, each waiting only for the data it needs (a `next` link, an id, a tenant
 *    id). Its chain is the true floor: no request plan of the same requests can beat it.
 * Both count the same requests; the benchmark checks that count against what the simulator served.
 */
import { USER_ID_BATCH } from '../../lambda/collect/collect';
import { MAX_PAGE_SIZE } from '../../lambda/qlik/client';
import type { TenantSizes } from './sim-host';

export type Plan =
  | { readonly kind: 'step'; readonly label: string; readonly roundTrips: number; readonly requests: number }
  | { readonly kind: 'seq' | 'par'; readonly parts: readonly Plan[] };

export const step = (label: string, roundTrips = 1, requests = roundTrips): Plan => ({
  kind: 'step',
  label,
  roundTrips,
  requests,
});
export const seq = (...parts: Plan[]): Plan => ({ kind: 'seq', parts });
export const par = (...parts: Plan[]): Plan => ({ kind: 'par', parts });

/** A cursor-paged list: every page waits for the previous page's `next` link. An empty list is still one request. */
export function pages(label: string, items: number, pageSize = MAX_PAGE_SIZE): Plan {
  const n = Math.max(1, Math.ceil(items / pageSize));
  return step(`${label} (${n} page${n === 1 ? '' : 's'})`, n, n);
}

/** Independent requests sent together (e.g. SCIM `id eq` batches, each fitting one page). */
export function batches(label: string, items: number, batchSize: number): Plan {
  const n = Math.ceil(items / batchSize);
  return n === 0 ? seq() : step(`${label} (${n} in parallel)`, Math.min(n, 1), n);
}

export function chain(plan: Plan): number {
  if (plan.kind === 'step') return plan.roundTrips;
  const chains = plan.parts.map(chain);
  if (chains.length === 0) return 0;
  return plan.kind === 'seq' ? chains.reduce((a, b) => a + b, 0) : Math.max(...chains);
}

export function requests(plan: Plan): number {
  return plan.kind === 'step' ? plan.requests : plan.parts.reduce((sum, part) => sum + requests(part), 0);
}

/** The critical path, as text: `a → b → max(c ∥ d) → e`. */
export function describe(plan: Plan): string {
  if (plan.kind === 'step') return plan.label;
  const parts = plan.parts.filter((part) => requests(part) > 0);
  if (plan.kind === 'seq') return parts.map(describe).join(' → ');
  const longest = parts.reduce<Plan | undefined>(
    (best, part) => (!best || chain(part) > chain(best) ? part : best),
    undefined,
  );
  if (!longest) return '';
  const inner = describe(longest);
  return parts.length > 1 ? `[${inner}] ∥ ${parts.length - 1} shorter branch${parts.length > 2 ? 'es' : ''}` : inner;
}

export interface PlanPair {
  readonly implemented: Plan;
  readonly dependencies: Plan;
}

const ME = () => step('GET /users/me → 301 /users/{id}', 2);
const TENANT = () => step('GET /tenants/me → 302 /tenants/{id}', 2);
const CONFIG = () => step('GET /api-keys/configs/{tenantId}');
const EVERYONE = () => step('GET /groups/{Everyone}');

/**
 * `collectTenant` with the default policy's needs (targeted): all keys, then their owners by id; Developer holders
 * (after Everyone's roles); every role; every group (the default policy checks groups holding Developer); the key
 * configuration (after the tenant id from /users/me); the tenant's name. Mirrors lambda/collect/collect.ts, where
 * every chain starts at once.
 */
export function targetedPlan(t: TenantSizes): PlanPair {
  const chains = () => [
    seq(ME(), CONFIG()),
    TENANT(),
    pages('GET /roles', t.roles),
    seq(EVERYONE(), pages('Developer holders', t.developerHolders)),
    seq(pages('GET /api-keys', t.apiKeys), batches('users by id', t.keyOwners, USER_ID_BATCH)),
    pages('GET /groups', t.groups),
  ];
  return { implemented: par(...chains()), dependencies: par(...chains()) };
}

/**
 * `collectTenant` in `mode: 'full'`: every user (all statuses), group, role and key, Everyone, config, tenant. As
 * implemented, the user list starts after Everyone's roles are read (in targeted mode they decide whether every user
 * is needed); in full mode that is known from the start, so the list needs nothing.
 */
export function fullPlan(t: TenantSizes): PlanPair {
  const others = () => [
    seq(ME(), CONFIG()),
    TENANT(),
    pages('GET /roles', t.roles),
    pages('GET /api-keys', t.apiKeys),
    pages('GET /groups', t.groups),
  ];
  return {
    implemented: par(...others(), seq(EVERYONE(), pages('GET /users', t.users))),
    dependencies: par(...others(), EVERYONE(), pages('GET /users', t.users)),
  };
}

/** A script with the official client: users, groups, roles, keys, one list after the other, page after page. */
export function crawlPlan(t: TenantSizes): PlanPair {
  const lists = () => [
    pages('GET /users', t.users),
    pages('GET /groups', t.groups),
    pages('GET /roles', t.roles),
    pages('GET /api-keys', t.apiKeys),
  ];
  return { implemented: seq(...lists()), dependencies: par(...lists()) };
}
