/**
 * The CLI as a package: `npm pack` of this repository installed into an empty folder with production dependencies
 * only (from the local npm cache, offline), then its `qlik-access-guard` executable run against a simulated tenant —
 * no tsx, no TypeScript, no devDependency anywhere. dist/ was built from this source by the global setup.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/server';
import {
  checkArgs,
  cleanUp,
  expectedKeys,
  findLeaks,
  oauthEnv,
  onlyTenant,
  PROJECT_ROOT,
  parseReport,
  reportedKeys,
  spawnCommand,
  startSim,
  type Workspace,
  workspace,
} from './support';

const run = promisify(execFile);

interface PackedFile {
  readonly path: string;
  readonly size: number;
}

interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

interface PackageJson {
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

/** The npm on PATH (it may run on an older Node than the package's engines: packing and installing do not care). */
function npm(args: readonly string[], cwd: string) {
  return run('npm', args, { cwd, env: process.env, maxBuffer: 64 * 1024 * 1024 });
}

describe('the packed tarball', () => {
  let ws: Workspace;
  let packed: Packed;
  let installDir: string;
  let manifest: PackageJson;

  beforeAll(async () => {
    manifest = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as PackageJson;
    ws = await workspace();
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; the global setup built it.
    const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', ws.dir], PROJECT_ROOT);
    packed = (JSON.parse(stdout) as Packed[])[0]!;
    installDir = join(ws.dir, 'empty');
    await mkdir(installDir);
    // Its own package.json, so npm never walks up to a project folder above and installs there instead.
    await writeFile(join(installDir, 'package.json'), '{ "name": "empty-folder", "private": true }\n');
    const install = ['install', join(ws.dir, packed.filename), '--omit=dev', '--no-audit', '--no-fund'];
    // From the local cache, as CI has it after `npm ci`; the network only if the cache lacks a package.
    await npm([...install, '--offline'], installDir).catch(() => npm([...install, '--prefer-offline'], installDir));
  }, 300_000);

  afterAll(cleanUp);

  it('holds the compiled CLI and handler, the executable and the README — no source, no tests', () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toContain('bin/qlik-access-guard.mjs');
    expect(paths).toContain('dist/cli.mjs');
    expect(paths).toContain('dist/handler.mjs');
    expect(paths).toContain('package.json');
    expect(paths).toContain('README.md');
    expect(paths.filter((p) => !/^(bin|dist)\/|^(package\.json|README\.md|LICENSE)$/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.ts') || p.endsWith('.map'))).toEqual([]);
  });

  it('installs with production dependencies only: no devDependency in the folder', () => {
    const installed = new Set(readdirSync(join(installDir, 'node_modules')));
    for (const scope of [...installed].filter((name) => name.startsWith('@'))) {
      for (const name of readdirSync(join(installDir, 'node_modules', scope))) installed.add(`${scope}/${name}`);
    }
    expect(installed.has('qlik-access-guard')).toBe(true);
    const devOnly = Object.keys(manifest.devDependencies).filter((name) => !(name in manifest.dependencies));
    expect(devOnly.filter((name) => installed.has(name))).toEqual([]);
    expect(existsSync(join(installDir, 'node_modules', '.bin', 'qlik-access-guard'))).toBe(true);
  });

  it('its qlik-access-guard answers --version and checks a simulated tenant', async () => {
    const sim = await startSim('migration');
    const bin = join(installDir, 'node_modules', '.bin', 'qlik-access-guard');
    // The executable as a user runs it: through its #! line, with this Node first on PATH.
    const env = { PATH: `${dirname(process.execPath)}${delimiter}/usr/bin${delimiter}/bin`, HOME: ws.dir };

    const version = await spawnCommand(bin, ['--version'], { cwd: installDir, env });
    expect(version).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });

    const { code, stdout, stderr } = await spawnCommand(bin, checkArgs(ws, [sim.url]), {
      cwd: installDir,
      env: { ...env, ...oauthEnv(sim) },
    });
    expect(stderr).toMatch(/run started/);
    expect(code).toBe(1);
    const tenant = onlyTenant(parseReport(stdout));
    expect(reportedKeys(tenant)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(existsSync(join(ws.out, 'runs'))).toBe(true);
    expect(findLeaks()).toEqual([]);
  });
});
