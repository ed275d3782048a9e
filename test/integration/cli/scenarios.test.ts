/**
 * `qlik-access-guard check --json` end to end: the CLI in-process over real HTTP against every simulator scenario, with
 * the scenario's OAuth client and with its caller's API key. The report on stdout must hold exactly the findings the
 * scenario's `expect:` block states (from the rule table in docs/rules.md) and the exit code it names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../sim/server';
import {
  apiKeyEnv,
  checkArgs,
  cleanUp,
  cli,
  eventTypes,
  expectedKeys,
  findLeaks,
  issueToken,
  ledger,
  oauthEnv,
  onlyTenant,
  parseReport,
  reportedKeys,
  startSim,
  workspace,
} from './support';

afterEach(cleanUp);

describe('check --json against every scenario', () => {
  it.each(listScenarios())('%s: exactly the expected findings and exit code', async (name) => {
    const expected = loadScenario(name).expect;
    if (!expected) throw new Error(`scenario ${name} has no expect block`);
    const sim = await startSim(name);
    const ws = await workspace();

    const { code, stdout, stderr } = await cli(checkArgs(ws, [sim.url]), { env: oauthEnv(sim), cwd: ws.dir });
    const requestsOfTheCheck = sim.log.length;
    await issueToken(sim); // a token of this simulator, for the secret scan

    const report = parseReport(stdout);
    const tenant = onlyTenant(report);
    expect(code).toBe(expected.exitCode);
    expect(tenant.status).toBe(expected.tenantStatus);
    expect(tenant.tenantUrl).toBe(sim.url);
    expect(reportedKeys(tenant, 'any')).toEqual(expectedKeys(expected.findings));
    expect(tenant.resolved).toEqual([]);
    if (expected.tenantStatus === 'error') {
      expect(tenant.errors.map((e) => e.code)).toEqual([expected.errorCode]);
      expect(eventTypes(tenant)).toEqual(['health']);
    } else {
      expect(tenant.tenantId).toBe(sim.tenantId);
      expect(tenant.errors).toEqual([]);
      // A first run: everything is new, and only a change is worth a digest.
      expect(tenant.findings.every((f) => f.drift === 'new' && f.status === 'fail')).toBe(true);
      expect(eventTypes(tenant)).toEqual(expected.findings.length > 0 ? ['drift'] : []);
      expect(requestsOfTheCheck).toBe(tenant.summary.requests);
    }
    // Progress goes to stderr, never into the JSON on stdout.
    expect(stderr).toMatch(/run started/);
    expect(stdout.trimStart().startsWith('{')).toBe(true);
  });
});

describe('check with the caller’s API key (QLIK_API_KEY)', () => {
  it('gives the same findings as the OAuth client on the migration story', async () => {
    const sim = await startSim('migration');
    const viaKey = await workspace();
    const viaOAuth = await workspace();

    const key = await cli(checkArgs(viaKey, [sim.url]), { env: apiKeyEnv(sim), cwd: viaKey.dir });
    const requestsWithKey = [...sim.log];
    const oauth = await cli(checkArgs(viaOAuth, [sim.url]), { env: oauthEnv(sim), cwd: viaOAuth.dir });

    const byKey = onlyTenant(parseReport(key.stdout));
    const byOAuth = onlyTenant(parseReport(oauth.stdout));
    expect(key.code).toBe(1);
    expect(byKey.status).toBe('ok');
    expect(reportedKeys(byKey)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(byKey.findings.map((f) => [f.id, f.ruleId, f.subject, f.severity])).toEqual(
      byOAuth.findings.map((f) => [f.id, f.ruleId, f.subject, f.severity]),
    );
    // The key authenticated every request itself: no token was asked for, unlike the OAuth run.
    expect(requestsWithKey.length).toBeGreaterThan(0);
    expect(requestsWithKey.filter((r) => r.path === '/oauth/token')).toEqual([]);
    expect(sim.log.slice(requestsWithKey.length).filter((r) => r.path === '/oauth/token')).toHaveLength(1);
  });

  const rejected = listScenarios().filter((name) => loadScenario(name).expect?.apiKeyCredential === 'rejected');

  it('covers at least one scenario whose caller key is rejected', () => {
    expect(rejected.length).toBeGreaterThan(0);
  });

  it.each(rejected)('%s: a rejected caller key ends unauthorized, exit 2, never a pass', async (name) => {
    const sim = await startSim(name);
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: apiKeyEnv(sim), cwd: ws.dir });

    const tenant = onlyTenant(parseReport(stdout));
    expect(code).toBe(2);
    expect(tenant.status).toBe('error');
    expect(tenant.errors.map((e) => e.code)).toEqual(['unauthorized']);
    expect(tenant.findings).toEqual([]);
    expect(eventTypes(tenant)).toEqual(['health']);
  });
});

describe('secrets', () => {
  it('no API key, client secret, access token or Bearer header in any output or file of this file’s runs', () => {
    const seen = ledger();
    expect(seen.outputs).toBeGreaterThan(0);
    expect(seen.secrets).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
    // The scan itself finds what it looks for.
    expect(findLeaks([{ source: 'planted', text: 'Authorization: Bearer x' }])).not.toEqual([]);
  });
});
