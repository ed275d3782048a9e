/**
 * Drift state per tenant, one JSON document at `state/tenant=<tenant>/state.json`, on any object store. The content
 * is lambda/drift's business; this only stores it.
 */
import { CheckError } from '../errors';
import { stateKey } from './layout';
import { encodeJson } from './manifest';
import type { ObjectStore } from './object-store';
import type { StateStore } from './store';

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
