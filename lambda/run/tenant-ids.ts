/**
 * Which configured tenant answers as which Qlik tenant id, so that one configured tenant can never take another's
 * place: its archive slot (reports are stored per tenant id) or its duplicate detection. A tenant id belongs to the
 * configured tenant whose drift state records it, and within one run to every configured tenant that answered with it;
 * two configured tenants claiming one id are both errors.
 */
import { parseState } from '../drift/state';
import type { StateStore } from '../store/store';
import { mapWithConcurrency } from '../util/concurrency';

export class TenantIdRegistry {
  /** Tenant id → the configured tenants whose drift state records it (one, unless states were mixed up). */
  readonly #owners: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tenant id → the configured tenants that answered with it in this run. */
  readonly #claims = new Map<string, Set<string>>();

  constructor(owners: ReadonlyMap<string, ReadonlySet<string>> = new Map()) {
    this.#owners = owners;
  }

  /**
   * The tenant ids the configured tenants' drift states record. A state that cannot be read is left out here: that
   * tenant's own check fails on it.
   */
  static async fromStates(state: StateStore, names: readonly string[], concurrency: number): Promise<TenantIdRegistry> {
    const recorded = await mapWithConcurrency(names, concurrency, async (name) => {
      try {
        return parseState(await state.loadState(name), state.locate(name))?.tenantId;
      } catch {
        return undefined;
      }
    });
    const owners = new Map<string, Set<string>>();
    names.forEach((name, i) => {
      const tenantId = recorded[i];
      if (tenantId !== undefined) owners.set(tenantId, new Set([...(owners.get(tenantId) ?? []), name]));
    });
    return new TenantIdRegistry(owners);
  }

  /**
   * Records that configured tenant `name` answered as `tenantId`; returns the other configured tenants with a claim
   * on the id (by their drift state or by answering with it in this run), empty when the id is this tenant's alone.
   */
  claim(tenantId: string, name: string): string[] {
    const claimants = this.#claims.get(tenantId) ?? new Set<string>();
    claimants.add(name);
    this.#claims.set(tenantId, claimants);
    const others = new Set([...claimants, ...(this.#owners.get(tenantId) ?? [])]);
    others.delete(name);
    return [...others].sort();
  }

  /** The configured tenants that share a tenant id with another one in this run, each with the others. */
  conflicts(): Map<string, { readonly tenantId: string; readonly others: string[] }> {
    const conflicts = new Map<string, { tenantId: string; others: string[] }>();
    for (const [tenantId, claimants] of this.#claims) {
      if (claimants.size < 2) continue;
      for (const name of claimants) {
        conflicts.set(name, { tenantId, others: [...claimants].filter((c) => c !== name).sort() });
      }
    }
    return conflicts;
  }
}
