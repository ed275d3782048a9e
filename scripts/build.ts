/**
 * `npm run build` (also run by `prepare`, so `npm install`/`npm ci` in the repository and `npm pack` build it): the CLI
 * and the Lambda handler compiled with esbuild into dist/, so the installed package runs on bare Node.
 *
 * - dist/cli.mjs: lambda/cli/entry.ts, our code with zod, yaml and undici bundled, split into chunks at the dynamic
 *   imports: `--version` and `--help` load the 5 kB entry alone, a command loads its work when it runs. The AWS SDK
 *   stays external (a production dependency, loaded only for `--bucket` and Secrets Manager tenants). Measured in
 *   test/bench/RESULTS.md ("CLI start").
 * - dist/handler.mjs: lambda/handler.ts built as the CDK construct builds it (lib/constructs/checker-function.ts),
 *   for deploying with other tools. The construct keeps building its own from source.
 */
import { chmodSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');

/** Some bundled dependencies are CommonJS and call require() for Node built-ins; ESM output has no require of its own. */
const REQUIRE_SHIM =
  "import { createRequire as __qagCreateRequire } from 'node:module'; const require = __qagCreateRequire(import.meta.url);";

const COMMON: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  // No source maps: they would point into lambda/, which the package does not ship; debug from source (npm run check).
  legalComments: 'linked',
  logLevel: 'warning',
};

/** Builds dist/ afresh (also used by the integration tests' global setup, so they never run a stale build). */
export async function buildDist(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  await Promise.all([
    build({
      ...COMMON,
      entryPoints: { cli: join(ROOT, 'lambda/cli/entry.ts') },
      outdir: DIST,
      outExtension: { '.js': '.mjs' },
      // What a command loads when it runs (its work, the AWS SDK) goes into chunks: `--version` and `--help` load none.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      minify: true,
      banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
    }),
    build({
      ...COMMON,
      entryPoints: [join(ROOT, 'lambda/handler.ts')],
      outfile: join(DIST, 'handler.mjs'),
      minify: true,
      banner: { js: REQUIRE_SHIM },
    }),
  ]);
  chmodSync(join(DIST, 'cli.mjs'), 0o755);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDist();
