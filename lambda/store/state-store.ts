/**
 * Drift state per tenant, one JSON document at `state/tenant=<tenant>/state.json`, on any object store. The content
 * is lambda/drift's business; this only stores it.
 */
import { CheckError } from '../errors';
import { stateKey } from './layout';
import { encodeJson, sha256Hex } from './manifest';
import type { ObjectStore } from './object-store';
import type { StateStore } from './store';

/**
 * SHA-256 of a drift state as {@link createStateStore} stores it. Hashing the value (not the bytes read) gives the same
 * digest for the state a run saves and for the same state loaded back, however the stored JSON was formatted.
 */
export function stateSha256(state: unknown): string {
  return sha256Hex(encodeJson(state));
}

export function createStateStore(store: ObjectStore): StateStore {
  return {
    async loadState(tenantId) {
      const key = stateKey(tenantId);
      const bytes = await store.get(key);
      if (bytes === undefined) return undefined;
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
      } catch {
        // Not saved over: the previous state is kept for a person to look at.
        throw new CheckError(
          'bad-input',
          `${store.location(key)}: expected the drift state as a JSON document; move the file aside to start a fresh history`,
        );
      }
    },

    locate(tenantId) {
      return store.location(stateKey(tenantId));
    },

    async saveState(tenantId, state) {
      await store.put(stateKey(tenantId), encodeJson(state), { contentType: 'application/json' });
    },
  };
}
