/**
 * `webhooks install|list|remove` and `watch` through the CLI's `main`, against the simulated tenant on 127.0.0.1.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../lambda/cli/main';
import { freePort } from '../../support/net';
import { cleanUp, cli, findLeaks, rememberOutput, rememberSecret, startSim, workspace } from '../cli/support';

const JANE = '65a1f3c2e4b0a1b2c3d4e5f6';

afterEach(cleanUp);

describe('webhooks and watch through the CLI', () => {
  it('installs one webhook (twice is still one), lists it, watches a role change into a critical alert, removes it', async () => {
    const sim = await startSim('migration');
    const ws = await workspace();
    const env = { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: sim.credentials.clientSecret };
    const port = await freePort();
    const tenant = ['--tenant', sim.url, '--state', ws.state, '--allow-http-loopback'];
    const install = ['webhooks', 'install', ...tenant, '--receiver', `http://127.0.0.1:${port}`];
    expect((await cli(install, { env })).code).toBe(0);
    const second = await cli(install, { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('updated');
    expect(sim.events.webhooks).toHaveLength(1);
    const [secretFile] = await readdir(join(ws.state, 'webhooks'));
    const record = JSON.parse(await readFile(join(ws.state, 'webhooks', secretFile!), 'utf8')) as { secret: string };
    rememberSecret(record.secret);
    expect((await stat(join(ws.state, 'webhooks', secretFile!))).mode & 0o777).toBe(0o600);
    // The second install rotated the secret: the tenant signs with the one on disk.
    expect(sim.events.webhooks[0]!.secret).toBe(record.secret);

    const controller = new AbortController();
    let stderr = '';
    let stdout = '';
    const watching = main(
      ['watch', ...tenant, '--out', ws.out, '--listen', `127.0.0.1:${port}`, '--debounce', '0.2', '--poll', '60'],
      {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        env,
        cwd: ws.dir,
        signal: controller.signal,
      },
    );
    const runs = async () => (await readdir(join(ws.out, 'runs')).catch(() => [])).sort();
    const waitFor = async (probe: () => Promise<boolean>) => {
      for (let i = 0; i < 400 && !(await probe()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(async () => (await runs()).length === 1 && stdout.includes('checked'));
    await fetch(`${sim.url}/__console/users/${JANE}/roles`, {
      method: 'POST',
      body: JSON.stringify({ roles: ['AuditAdmin'] }),
    });
    await waitFor(async () => (await runs()).length === 2 && stdout.split('checked').length === 3);
    controller.abort();
    expect(await watching).toBe(0);
    rememberOutput('watch stdout', stdout);
    rememberOutput('watch stderr', stderr);
    const email = await readFile(join(ws.out, 'runs', (await runs())[1]!, 'email.txt'), 'utf8');
    expect(email).toContain('CRITICAL · ');
    expect(email).toContain(JANE);
    expect(email).toContain('Trigger: event com.qlik.core.user.updated');
    expect(stderr).toContain('stopped after 2 checks');

    const listed = await cli(['webhooks', 'list', ...tenant], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/enabled: yes/);
    expect(listed.stdout).toMatch(/last delivery: success/);

    const removed = await cli(['webhooks', 'remove', ...tenant], { env });
    expect(removed.stdout).toContain('1 qlik-access-guard webhook removed');
    expect(sim.events.webhooks).toEqual([]);
    await expect(readdir(join(ws.state, 'webhooks'))).resolves.toEqual([]);
    await cleanUp();
    expect(findLeaks()).toEqual([]);
  });

  it('refuses a plain-http receiver that is not loopback and an unknown action', async () => {
    const sim = await startSim('migration');
    const env = { QLIK_CLIENT_ID: sim.credentials.clientId, QLIK_CLIENT_SECRET: sim.credentials.clientSecret };
    const plain = await cli(
      ['webhooks', 'install', '--tenant', sim.url, '--allow-http-loopback', '--receiver', 'http://receiver.example'],
      { env },
    );
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('--receiver');
    const unknown = await cli(['webhooks', 'enable', '--tenant', sim.url], { env });
    expect(unknown.code).toBe(2);
    const badListen = await cli(['watch', '--tenant', sim.url, '--listen', 'nowhere'], { env });
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toContain('--listen');
  });
});
