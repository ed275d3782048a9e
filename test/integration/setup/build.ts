/**
 * Vitest global setup: builds dist/ once before the integration tests, so the tests that run the compiled CLI
 * (bin/qlik-access-guard.mjs, the packed tarball) run this source, never an earlier build.
 */
import { buildDist } from '../../../scripts/build';

export default async function setup(): Promise<void> {
  await buildDist();
}
