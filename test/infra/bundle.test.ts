/**
 * The one infra test that bundles for real: esbuild on this machine (never Docker), the real lambda/handler.ts, and
 * the bundle loaded by Node 24 the way the Lambda runtime loads it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfigSchema } from '../../lambda/config/runtime';
import { EXAMPLE_CONFIG_FILE } from '../../lib/config';
import { idOf, onlyResourceOfType, type Synthesised, synth, writeConfig } from './support';

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

  /** Runs a module script with the bundle imported as `m` under Node 24, from a copy inside the project. */
  function withBundle(script: string, env: Record<string, string> = {}): string {
    if (!loadDir) {
      // Inside the project, so that @aws-sdk/* resolves from node_modules as it does from the Lambda runtime.
      mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
      loadDir = mkdtempSync(join(PROJECT_ROOT, '.tmp', 'bundle-'));
      cpSync(assetDir, loadDir, { recursive: true });
    }
    const entry = pathToFileURL(join(loadDir, 'index.mjs')).href;
    return execFileSync(
      process.execPath,
      [
        '--enable-source-maps',
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(entry)}); ${script}`,
      ],
      { encoding: 'utf8', env: { ...process.env, QAG_CONFIG: '', ...env } },
    );
  }

  it('is a minified ESM file with an external source map and the runtime config, without the AWS SDK inside', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'qag-config.json']);
    const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: lines average far beyond anything written by hand (newlines left are inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    // The SDK v3 is part of the Node.js 24 runtime and stays external; Powertools is bundled.
    expect(code).toMatch(/from\s*"@aws-sdk\/client-s3"/);
    expect(code).not.toMatch(/from\s*"@aws-lambda-powertools\//);
  });

  it('loads under Node 24 and exports the handler', () => {
    const output = withBundle('console.log(process.version, typeof m.handler);');
    expect(output.trim()).toMatch(/^v24\.\d+\.\d+ function$/);
  });

  it('ships the tenants and settings in qag-config.json, and keeps them out of the environment', () => {
    const file = JSON.parse(readFileSync(join(assetDir, 'qag-config.json'), 'utf8')) as Record<string, unknown>;
    expect(file.tenants).toEqual(
      s.config.tenants.map(({ name, url, secretId, allowedHosts, remediation }) => ({
        name,
        url,
        secretId,
        allowedHosts,
        remediation,
      })),
    );
    expect(file).toEqual(s.stack.checker.staticConfig);
    expect(s.stack.checker.environment.QAG_CONFIG).not.toContain(s.config.tenants[0]!.url);
  });

  it('reads qag-config.json beside itself and merges it with QAG_CONFIG', () => {
    const environment = {
      reportBucket: 'qag-reports-123',
      emailTopicArn: 'arn:aws:sns:eu-west-1:111122223333:email',
      chatTopicArn: 'arn:aws:sns:eu-west-1:111122223333:chat',
      reportLinkBase: 'https://console.aws.amazon.com/s3/buckets/qag-reports-123?region=eu-west-1&prefix=',
    };
    const output = withBundle('console.log(JSON.stringify(m.loadRuntimeConfig()));', {
      QAG_CONFIG: JSON.stringify(environment),
    });
    const loaded = RuntimeConfigSchema.parse(JSON.parse(output));
    expect(loaded).toEqual(RuntimeConfigSchema.parse({ ...s.stack.checker.staticConfig, ...environment }));
    expect(loaded.tenants.map((t) => t.name)).toEqual(s.config.tenants.map((t) => t.name));
  });

  it('refuses a QAG_CONFIG that sets a key the file sets too, naming the file', () => {
    const environment = { reportBucket: 'b-1', emailTopicArn: 'arn:e', tenants: [] };
    const output = withBundle(
      'try { m.loadRuntimeConfig(); console.log("loaded"); } catch (e) { console.log(e.message); }',
      { QAG_CONFIG: JSON.stringify(environment) },
    );
    expect(output.trim()).toBe(
      `${join(loadDir!, 'qag-config.json')} at tenants: a key that QAG_CONFIG does not also set; both set it, and neither may override the other`,
    );
  });

  it('was bundled from lambda/handler.ts', () => {
    expect(existsSync(join(PROJECT_ROOT, 'lambda', 'handler.ts'))).toBe(true);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(true);
  });
});

describe('receiver and poller bundles (events on)', () => {
  let s: Synthesised;
  const loadDirs: string[] = [];

  beforeAll(async () => {
    const config = writeConfig(`tenants:
  - { name: acme, url: "https://acme.eu.qlikcloud.com", secretId: qag/acme, webhookSecretId: qag/webhooks/acme }
schedule: { expression: "rate(1 day)" }
reports: { retentionDays: 30 }
alerts: { email: [{ address: ops@example.com }] }
events: { enabled: true }
`);
    s = await synth(config, { bundle: true });
  });

  afterAll(() => {
    for (const dir of loadDirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['receiver', 'lambda/receiver.ts'],
    ['poller', 'lambda/poller.ts'],
  ] as const)('bundles the %s from %s with the shared runtime config, and it loads under Node 24', (which, source) => {
    const fn = s.stack.events![which];
    const hash = String(s.json.Resources[idOf(fn)]!.Properties!.Code.S3Key).replace(/\.zip$/, '');
    const assetDir = join(s.assembly.directory, `asset.${hash}`);
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'qag-config.json']);
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.some((path) => path.endsWith(source))).toBe(true);
    expect(JSON.parse(readFileSync(join(assetDir, 'qag-config.json'), 'utf8'))).toEqual(s.stack.checker.staticConfig);
    mkdirSync(join(PROJECT_ROOT, '.tmp'), { recursive: true });
    const loadDir = mkdtempSync(join(PROJECT_ROOT, '.tmp', `bundle-${which}-`));
    loadDirs.push(loadDir);
    cpSync(assetDir, loadDir, { recursive: true });
    const entry = pathToFileURL(join(loadDir, 'index.mjs')).href;
    const output = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.handler);`],
      { encoding: 'utf8', env: { ...process.env, QAG_CONFIG: '' } },
    );
    expect(output.trim()).toBe('function');
  });
});
