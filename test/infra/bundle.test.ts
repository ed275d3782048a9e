/**
 * The one infra test that bundles for real: esbuild on this machine (never Docker), the real lambda/handler.ts, and
 * the bundle loaded by Node 24 the way the Lambda runtime loads it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_FILE } from '../../lib/config';
import { type Synthesised, onlyResourceOfType, synth } from './support';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('checker bundle', () => {
  let s: Synthesised;
  let assetDir: string;
  let loadDir: string | undefined;

  beforeAll(async () => {
    s = await synth(EXAMPLE_CONFIG_FILE, { bundle: true });
    const [, fn] = onlyResourceOfType(s.json, 'AWS::Lambda::Function');
    // The code's S3 key is the asset hash; the staged asset sits in the cloud assembly under that hash.
    const hash = String(fn.Properties!.Code.S3Key).replace(/\.zip$/, '');
    assetDir = join(s.assembly.directory, `asset.${hash}`);
  });

  afterAll(() => {
    if (loadDir) rmSync(loadDir, { recursive: true, force: true });
  });

  it('is a minified ESM file with an external source map, without the AWS SDK inside', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: lines average far beyond anything written by hand (newlines left are inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    // The SDK v3 is part of the Node.js 24 runtime and stays external; Powertools is bundled.
    expect(code).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    expect(code).not.toMatch(/from\s*"@aws-lambda-powertools\//);
  });

  it('loads under Node 24 and exports the handler', () => {
    // Inside the project, so that @aws-sdk/* resolves from node_modules as it does from the Lambda runtime.
    mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
    loadDir = mkdtempSync(join(PROJECT_ROOT, '.tmp', 'bundle-'));
    cpSync(assetDir, loadDir, { recursive: true });
    const entry = pathToFileURL(join(loadDir, 'index.mjs')).href;
    const output = execFileSync(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); console.log(process.version, typeof m.handler);`],
      { encoding: 'utf8', env: { ...process.env, QAG_CONFIG: '' } },
    );
    expect(output.trim()).toMatch(/^v24\.\d+\.\d+ function$/);
  });

  it('was bundled from lambda/handler.ts', () => {
    expect(existsSync(join(PROJECT_ROOT, 'lambda', 'handler.ts'))).toBe(true);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(true);
  });
});
