/**
 * Errors never read as a pass: every way a tenant can fail to be checked ends with exit code 2, the tenant's status
 * "error" with the contract's error code, no findings, and a health alert — over real HTTP, through the CLI. The host
 * policy stops a credential before it leaves for a host it must not reach.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { TenantReport } from '../../../lambda/report/model';
import { type Fault, loadScenario, type SimSettings } from '../../sim/server';
import {
  apiKeyEnv,
  checkArgs,
  cleanUp,
  cli,
  eventTypes,
  expectedKeys,
  filesUnder,
  findLeaks,
  issueToken,
  ledger,
  oauthEnv,
  onlyTenant,
  parseReport,
  rememberSecret,
  reportedKeys,
  startSim,
  stopSim,
  workspace,
  writeText,
} from './support';

afterEach(cleanUp);

/** What every tenant that could not be checked must look like. */
function expectCheckError(tenant: TenantReport, code: string, message?: RegExp): void {
  expect(tenant.status).toBe('error');
  expect(tenant.errors.map((e) => e.code)).toEqual([code]);
  if (message) expect(tenant.errors[0]!.message).toMatch(message);
  expect(tenant.findings).toEqual([]);
  expect(tenant.resolved).toEqual([]);
  // One health alert, by email and in chat.
  expect(tenant.notifications.map((n) => [n.eventType, n.channel]).sort()).toEqual([
    ['health', 'chat'],
    ['health', 'email'],
  ]);
}

type Credential = 'oauth' | 'api-key';

describe('a tenant that cannot be checked is an error, never a pass', () => {
  const unauthorizedBodies: [string, Partial<SimSettings>][] = [
    ['JSON errors with a string status', { unauthorizedBody: 'json', errorStatusFormat: 'string' }],
    ['plain text', { unauthorizedBody: 'text' }],
    ['an HTML page', { unauthorizedBody: 'html' }],
  ];
  const credentials: Credential[] = ['oauth', 'api-key'];

  it.each(unauthorizedBodies.flatMap(([body, settings]) => credentials.map((c) => [body, c, settings] as const)))(
    '401 on every request (%s), %s credential → unauthorized',
    async (_, credential, settings) => {
      const sim = await startSim('migration', { settings, faults: [{ kind: 'unauthorized' }] });
      const ws = await workspace();

      const env = credential === 'oauth' ? oauthEnv(sim) : apiKeyEnv(sim);
      const { code, stdout, stderr } = await cli(checkArgs(ws, [sim.url]), { env, cwd: ws.dir });

      expect(code).toBe(2);
      const tenant = onlyTenant(parseReport(stdout));
      expectCheckError(tenant, 'unauthorized', credential === 'oauth' ? /OAuth client/ : /API key was rejected/);
      // Whatever the body was, the message is one clean line of ours: no markup, no raw page.
      expect(tenant.errors[0]!.message).not.toMatch(/<[a-z!/]|\n/i);
      expect(stderr).toMatch(/tenant could not be checked/);
      expect(sim.log.length).toBeGreaterThan(0);
      expect(sim.log.every((r) => r.status === 401)).toBe(true);
    },
  );

  it('403 on /roles: a caller without TenantAdmin → forbidden, naming the missing role', async () => {
    const sim = await startSim('non-admin-caller');
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'forbidden', /TenantAdmin/);
    expect(sim.log.some((r) => r.path === '/api/v1/roles' && r.status === 403)).toBe(true);
  });

  it.each<[string, string, Fault, RegExp, string[]]>([
    ['403 on /api-keys', 'forbidden', { kind: 'forbidden', path: '/api/v1/api-keys' }, /api-keys/, []],
    [
      'an HTML login page with status 200',
      'bad-response',
      { kind: 'html', path: '/api/v1/roles' },
      /expected a JSON body, got text\/html/,
      [],
    ],
    ['a cursor loop', 'bad-response', { kind: 'cursor-loop', path: '/api/v1/roles' }, /cursor loop/, []],
    [
      'API keys without their required id',
      'bad-response',
      { kind: 'missing-field', field: 'id', path: '/api/v1/api-keys' },
      /data\[0\]\.id: expected string/,
      [],
    ],
    ['truncated JSON', 'bad-response', { kind: 'malformed-json', path: '/api/v1/users' }, /expected a JSON body/, []],
    // With a one-second deadline the client stops retrying when the next backoff would outlast it.
    [
      '5xx on every try',
      'bad-response',
      { kind: 'server-error', status: 500, path: '/api/v1/roles' },
      /500.*still failing after retries/,
      ['--deadline', '1'],
    ],
    [
      'a response slower than the deadline',
      'timeout',
      { kind: 'latency', ms: 3_000, path: '/api/v1/api-keys' },
      /did not finish within/,
      ['--deadline', '1'],
    ],
  ])('%s → %s', async (_, errorCode, fault, message, extra) => {
    // Small pages, so lists have a next link for the cursor fault to loop.
    const sim = await startSim('migration', { faults: [fault], settings: { defaultLimit: 2, maxLimit: 2 } });
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url], ...extra), { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), errorCode, message);
    expect(sim.stats().faultsFired[fault.kind]).toBeGreaterThan(0);
    if (fault.kind === 'server-error') {
      // Retried before giving up.
      expect(sim.log.filter((r) => r.path === '/api/v1/roles' && r.status === 500).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('429 with a Retry-After longer than the deadline → rate-limited', async () => {
    const sim = await startSim('migration', {
      faults: [{ kind: 'rate-limit', retryAfterSeconds: 60, path: '/api/v1/roles' }],
    });
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url], '--deadline', '5'), {
      env: oauthEnv(sim),
      cwd: ws.dir,
    });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'rate-limited', /asked to wait 60 s/);
    expect(sim.stats().rateLimited).toBeGreaterThan(0);
  });

  it('nothing listening at the tenant URL → unreachable', async () => {
    const gone = await startSim('migration');
    const url = gone.url;
    await stopSim(gone);
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [url], '--deadline', '1'), { env: oauthEnv(gone), cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'unreachable', /unreachable \(ECONNREFUSED/);
  });

  it('a wrong OAuth client secret → unauthorized', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const wrongSecret = `${sim.credentials.clientSecret}-not-it`;
    rememberSecret(wrongSecret);

    const env = { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: wrongSecret };
    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env, cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'unauthorized', /OAuth client id\/secret were rejected/);
    expect(sim.log.map((r) => [r.path, r.status])).toEqual([['/oauth/token', 401]]);
  });

  it('an API key of another tenant → unauthorized', async () => {
    const sim = await startSim('migration');
    const other = await startSim('clean');
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: apiKeyEnv(other), cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'unauthorized', /API key was rejected/);
    expect(other.log).toEqual([]);
  });

  it('two tenants, one failing: the other is still checked in full, and the run exits 2', async () => {
    const good = await startSim('migration');
    const bad = await startSim('clean', { faults: [{ kind: 'forbidden', path: '/api/v1/api-keys' }] });
    await issueToken(good);
    const ws = await workspace();
    const tenantsFile = await writeText(
      ws,
      'tenants.yaml',
      [
        'tenants:',
        '  - name: good',
        `    url: ${good.url}`,
        '    clientIdEnv: GOOD_CLIENT_ID',
        '    clientSecretEnv: GOOD_CLIENT_SECRET',
        '  - name: bad',
        `    url: ${bad.url}`,
        '    apiKeyEnv: BAD_API_KEY',
        '',
      ].join('\n'),
    );
    const env = {
      GOOD_CLIENT_ID: good.credentials.clientId,
      GOOD_CLIENT_SECRET: good.credentials.clientSecret,
      BAD_API_KEY: bad.credentials.apiKey,
    };

    const { code, stdout } = await cli(checkArgs(ws, [], '--tenants-file', tenantsFile), { env, cwd: ws.dir });

    expect(code).toBe(2);
    const report = parseReport(stdout);
    expect(report.tenants.map((t) => t.tenantUrl)).toEqual([good.url, bad.url]);
    const [checked, failed] = report.tenants as [TenantReport, TenantReport];
    expect(checked.status).toBe('ok');
    expect(reportedKeys(checked)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(eventTypes(checked)).toEqual(['drift']);
    expectCheckError(failed, 'forbidden');
    // The health alert names the failed tenant, not the good one.
    expect(failed.notifications.every((n) => n.subject.includes('bad'))).toBe(true);
  });

  it('prints "could not be checked" in the human summary, never a pass', async () => {
    const sim = await startSim('non-admin-caller');
    const ws = await workspace();
    const args = checkArgs(ws, [sim.url]).filter((a) => a !== '--json');

    const { code, stdout } = await cli(args, { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expect(stdout).toMatch(/COULD NOT BE CHECKED — this is not a pass/);
    expect(stdout).toMatch(/forbidden: /);
    expect(stdout).not.toMatch(/✔/);
  });
});

describe('transient trouble is retried, and the tenant is checked in full', () => {
  it('429s with a short Retry-After, a 503 and a reset connection', async () => {
    const sim = await startSim('migration', {
      faults: [
        { kind: 'rate-limit', retryAfterSeconds: 0, times: 2, path: '/api/v1/users' },
        { kind: 'server-error', status: 503, times: 1, path: '/api/v1/roles' },
        { kind: 'connection-reset', times: 1, path: '/api/v1/api-keys' },
      ],
    });
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, [sim.url]), { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(1);
    const tenant = onlyTenant(parseReport(stdout));
    expect(tenant.status).toBe('ok');
    expect(reportedKeys(tenant)).toEqual(expectedKeys(loadScenario('migration').expect!.findings));
    expect(sim.stats().faultsFired).toEqual({ 'rate-limit': 2, 'server-error': 1, 'connection-reset': 1 });
    expect(tenant.summary).toMatchObject({ rateLimited: 2, retries: 4 });
  });
});

describe('host policy: the credential goes only where it may', () => {
  /** A plain HTTP server on every interface, counting what reaches it. */
  async function canary(): Promise<{ server: Server; port: number; hits: () => number }> {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '0.0.0.0', done));
    return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
  }

  function nonLoopbackAddress(): string {
    for (const addresses of Object.values(networkInterfaces())) {
      const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
      if (found) return found.address;
    }
    // No other interface: a documentation address nothing answers on; the error code alone then shows the refusal.
    return '192.0.2.1';
  }

  it.each([
    ['without --allow-http-loopback', false],
    ['even with --allow-http-loopback', true],
  ])('http:// to a non-loopback host is refused %s: bad-input, nothing sent', async (_, withFlag) => {
    const target = await canary();
    const sim = await startSim('migration');
    const ws = await workspace();
    try {
      const url = `http://${nonLoopbackAddress()}:${target.port}`;
      const args = checkArgs(ws, [url], '--deadline', '3').filter((a) => withFlag || a !== '--allow-http-loopback');

      const { code, stdout, stderr } = await cli(args, { env: oauthEnv(sim), cwd: ws.dir });

      expect(code).toBe(2);
      const tenant = onlyTenant(parseReport(stdout));
      expectCheckError(tenant, 'bad-input', /plain http is only allowed to a loopback address/);
      expect(stderr).toMatch(/plain http is only allowed to a loopback address/);
      expect(target.hits()).toBe(0);
    } finally {
      await new Promise((done) => target.server.close(done));
    }
  });

  it('http:// to the loopback simulator without --allow-http-loopback is refused, and names the flag', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const args = checkArgs(ws, [sim.url]).filter((a) => a !== '--allow-http-loopback');

    const { code, stdout, stderr } = await cli(args, { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'bad-input', /--allow-http-loopback/);
    expect(stderr).toMatch(/needs allowHttpLoopback \(--allow-http-loopback\)/);
    expect(sim.log).toEqual([]);
  });

  it('a tenant URL with a user and password in it is refused, and the password is printed and stored nowhere', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const password = 'Pa55-in-the-url-7f3c';
    const url = sim.url.replace('http://', `http://svc-admin:${password}@`);

    const { code, stdout, stderr } = await cli(checkArgs(ws, [url]), { env: oauthEnv(sim), cwd: ws.dir });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--tenant: a tenant URL without a user name or password/);
    expect(sim.log).toEqual([]);
    expect(stderr).not.toContain(password);
    expect(stdout).not.toContain(password);
    const leaking: string[] = [];
    for (const file of await filesUnder(ws.dir))
      if ((await readFile(file, 'utf8')).includes(password)) leaking.push(file);
    expect(leaking).toEqual([]);
  });

  it('https to a host outside *.qlikcloud.com is refused unless allowed', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();

    const { code, stdout } = await cli(checkArgs(ws, ['https://qlik.attacker.example']), {
      env: oauthEnv(sim),
      cwd: ws.dir,
    });

    expect(code).toBe(2);
    expectCheckError(onlyTenant(parseReport(stdout)), 'bad-input', /neither \*\.qlikcloud\.com nor an allowed host/);
  });
});

describe('secrets', () => {
  it('no API key, client secret, access token or Bearer header in any output or file of this file’s runs', () => {
    const seen = ledger();
    expect(seen.outputs).toBeGreaterThan(0);
    expect(seen.secrets).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
  });
});
