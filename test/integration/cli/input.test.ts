/**
 * Bad input through the CLI: one clear line naming the file, the path and what was expected, exit code 2, no stack
 * trace, nothing written and nothing sent. And the tenants file that names a credential variable per tenant.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TenantReport } from '../../../lambda/report/model';
import { loadScenario } from '../../sim/server';
import {
  CLI_FIXTURES,
  checkArgs,
  cleanUp,
  cli,
  eventTypes,
  expectedKeys,
  findLeaks,
  ledger,
  oauthEnv,
  onlyTenant,
  parseReport,
  reportedKeys,
  startSim,
  workspace,
  writeText,
} from './support';

afterEach(cleanUp);

const STACK_LINE = /^\s+at /m;

describe('a mistake on the command line or in a file is one clear line, exit 2', () => {
  it('a policy with a misspelt option names the file and the path, and nothing runs', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const policy = join(CLI_FIXTURES, 'policy-typo.yaml');

    const { code, stdout, stderr } = await cli(checkArgs(ws, [sim.url], '--policy', policy), {
      env: oauthEnv(sim),
      cwd: ws.dir,
    });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(policy);
    expect(lines[0]).toContain('rules.api-key-expiring.windowDay');
    expect(lines[0]).toMatch(/windowDays/); // what was expected: the allowed keys
    expect(stderr).not.toMatch(STACK_LINE);
    expect(sim.log).toEqual([]);
    expect(existsSync(ws.out)).toBe(false);
    expect(existsSync(ws.state)).toBe(false);
  });

  it('a policy file that does not exist names the file', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const missing = join(ws.dir, 'no-such-policy.yaml');

    const { code, stderr } = await cli(checkArgs(ws, [sim.url], '--policy', missing), {
      env: oauthEnv(sim),
      cwd: ws.dir,
    });

    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(missing)]);
    expect(stderr).toMatch(/not found/);
    expect(sim.log).toEqual([]);
  });

  it.each([
    ['an unknown flag', ['--frobnicate'], /--frobnicate/],
    [
      'a --fail-on that is no severity',
      ['--fail-on', 'severe'],
      /--fail-on.*critical, high, medium, low, informational.*severe/,
    ],
    ['a --deadline that is no positive number', ['--deadline', '0'], /--deadline.*positive whole number/],
    ['a --concurrency that is no number', ['--concurrency', 'many'], /--concurrency.*positive whole number/],
    ['a --run-id that names no folder', ['--run-id', '..'], /--run-id.*at least one letter or digit/],
  ])('%s', async (_, extra, message) => {
    const sim = await startSim('migration');
    const ws = await workspace();

    const { code, stdout, stderr } = await cli(checkArgs(ws, [sim.url], ...extra), { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toMatch(/^error: /);
    expect(stderr.split('\n')[0]).toMatch(message);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(sim.log).toEqual([]);
  });

  it('no tenant at all', async () => {
    const ws = await workspace();
    const { code, stderr } = await cli(checkArgs(ws, []), { cwd: ws.dir });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: .*at least one --tenant/);
  });

  it('an --out that is a file is a bad-input error naming it, before anything is checked or remembered', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const notAFolder = await writeText(ws, 'out', 'a file where the reports folder should be');

    const args = checkArgs(ws, [sim.url]).map((a) => (a === ws.out ? notAFolder : a));
    const { code, stderr } = await cli(args, { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expect(stderr).toContain(notAFolder);
    expect(stderr).not.toMatch(/unexpected failure/);
    expect(stderr).not.toMatch(STACK_LINE);
    // Nothing half-done: had the drift state moved on, fixing --out and running again would report nothing as new.
    expect(existsSync(ws.state)).toBe(false);
  });

  it('a tenants file with a misspelt key names the file and the entry', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const file = await writeText(ws, 'tenants.yaml', `tenants:\n  - url: ${sim.url}\n    apiKeyEnvv: ACME_KEY\n`);

    const { code, stderr } = await cli(checkArgs(ws, [], '--tenants-file', file), {
      env: { ACME_KEY: 'x' },
      cwd: ws.dir,
    });

    expect(code).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain('tenants[0].apiKeyEnvv: no such key here (did you mean "apiKeyEnv"?');
    expect(lines[0]).toContain('apiKeyEnvv');
    expect(sim.log).toEqual([]);
  });
});

describe('missing credentials are that tenant’s bad-input error, naming the variable', () => {
  async function checkWith(env: Record<string, string>, tenantsFile?: (url: string) => string) {
    const sim = await startSim('migration');
    const ws = await workspace();
    const args = tenantsFile
      ? checkArgs(ws, [], '--tenants-file', await writeText(ws, 'tenants.yaml', tenantsFile(sim.url)))
      : checkArgs(ws, [sim.url]);
    const result = await cli(args, { env, cwd: ws.dir });
    return { ...result, sim, tenant: onlyTenant(parseReport(result.stdout)) };
  }

  it.each([
    ['no credential at all', {}, /QLIK_CLIENT_ID and QLIK_CLIENT_SECRET.*QLIK_API_KEY/],
    [
      'a client id without its secret',
      { QLIK_CLIENT_ID: 'k3r48pbga2va492emvhrbnpmpnuar4ok' },
      /environment variable QLIK_CLIENT_SECRET is not set/,
    ],
    [
      'a client secret without its id',
      { QLIK_CLIENT_SECRET: 'irrelevant-secret' },
      /environment variable QLIK_CLIENT_ID is not set/,
    ],
  ])('%s', async (_, env, message) => {
    const { code, stderr, sim, tenant } = await checkWith(env);

    expect(code).toBe(2);
    expect(tenant.status).toBe('error');
    expect(tenant.errors).toEqual([{ code: 'bad-input', message: expect.stringMatching(message) }]);
    expect(eventTypes(tenant)).toEqual(['health']);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(sim.log).toEqual([]);
  });

  it('a tenants file naming a variable that is not set', async () => {
    const { code, tenant, sim } = await checkWith(
      {},
      (url) => `tenants:\n  - name: acme\n    url: ${url}\n    apiKeyEnv: ACME_QLIK_KEY\n`,
    );

    expect(code).toBe(2);
    expect(tenant.errors).toEqual([
      { code: 'bad-input', message: expect.stringContaining('environment variable ACME_QLIK_KEY is not set') },
    ]);
    expect(sim.log).toEqual([]);
  });
});

describe('a tenants file with a credential variable per tenant', () => {
  it('checks both tenants, each with its own credential', async () => {
    const acme = await startSim('migration');
    const globex = await startSim('legacy');
    const ws = await workspace();
    const file = await writeText(
      ws,
      'tenants.yaml',
      [
        'tenants:',
        '  - name: acme',
        `    url: ${acme.url}`,
        '    apiKeyEnv: ACME_QLIK_API_KEY',
        '  - name: globex',
        `    url: ${globex.url}`,
        '    clientIdEnv: GLOBEX_CLIENT_ID',
        '    clientSecretEnv: GLOBEX_CLIENT_SECRET',
        '',
      ].join('\n'),
    );
    // Only the per-tenant variables: the generic QLIK_* ones are not there to fall back on.
    const env = {
      ACME_QLIK_API_KEY: acme.credentials.apiKey,
      GLOBEX_CLIENT_ID: globex.credentials.clientId,
      GLOBEX_CLIENT_SECRET: globex.credentials.clientSecret,
    };

    const { code, stdout } = await cli(checkArgs(ws, [], '--tenants-file', file), { env, cwd: ws.dir });

    expect(code).toBe(1);
    const [a, g] = parseReport(stdout).tenants as [TenantReport, TenantReport];
    expect([a.tenantId, g.tenantId]).toEqual([acme.tenantId, globex.tenantId]);
    expect([a.status, g.status]).toEqual(['ok', 'ok']);
    expect(reportedKeys(a)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(reportedKeys(g)).toEqual(expectedKeys(loadScenario('legacy').expect!.findings));
    // acme used its API key, globex its OAuth client.
    expect(acme.log.some((r) => r.path === '/oauth/token')).toBe(false);
    expect(globex.log.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    // Each tenant's alerts carry the name the tenants file gave it.
    expect(a.notifications.every((n) => n.subject.includes('acme'))).toBe(true);
    expect(g.notifications.every((n) => n.subject.includes('globex'))).toBe(true);
  });
});

describe('secrets', () => {
  it('no API key, client secret, access token or Bearer header in any output or file of this file’s runs', () => {
    expect(ledger().outputs).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
  });
});
