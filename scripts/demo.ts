/**
 * `npm start`: a full check against built-in simulated tenants — no Qlik account, no AWS account needed.
 *
 * Starts two simulated tenants on 127.0.0.1 (the Developer-role migration story, and a legacy tenant where Developer
 * is still assigned), writes a tenants file naming one credential variable each, and runs the real CLI `check` over
 * real HTTP. Findings are the point of the demo, so exit code 1 still counts as success; a tenant that could not be
 * checked (exit code 2) fails the demo.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../lambda/cli/main';
import { loadScenario, startSimulatedTenant } from '../test/sim/server';

const tenants = await Promise.all([
  startSimulatedTenant({ scenario: loadScenario('migration') }),
  startSimulatedTenant({ scenario: loadScenario('legacy') }),
]);
const workDir = await mkdtemp(join(tmpdir(), 'qag-demo-'));
try {
  const tenantsFile = join(workDir, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    [
      'tenants:',
      `  - name: acme-migrated`,
      `    url: ${tenants[0]!.url}`,
      `    apiKeyEnv: DEMO_ACME_API_KEY`,
      `  - name: globex-legacy`,
      `    url: ${tenants[1]!.url}`,
      `    clientIdEnv: DEMO_GLOBEX_CLIENT_ID`,
      `    clientSecretEnv: DEMO_GLOBEX_CLIENT_SECRET`,
      '',
    ].join('\n'),
  );
  process.stderr.write(`Simulated tenants: ${tenants.map((t) => t.url).join(', ')}\n`);
  const code = await main(['check', '--tenants-file', tenantsFile, '--allow-http-loopback', ...process.argv.slice(2)], {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: {
      ...process.env,
      DEMO_ACME_API_KEY: tenants[0]!.credentials.apiKey,
      DEMO_GLOBEX_CLIENT_ID: tenants[1]!.credentials.clientId,
      DEMO_GLOBEX_CLIENT_SECRET: tenants[1]!.credentials.clientSecret,
    },
    cwd: process.cwd(),
  });
  // stderr, so that `npm start -- --json` leaves only the report on stdout.
  process.stderr.write(
    code === 2
      ? '\nThe demo could not check a simulated tenant (exit code 2) — see the errors above.\n'
      : `\nDemo finished (check exit code ${code}: ${code === 1 ? 'failing findings, as the story intends' : 'clean'}). ` +
          'Run `npm start` again: with the same state, nothing is new the second time.\n',
  );
  process.exitCode = code === 2 ? 2 : 0;
} finally {
  await Promise.all(tenants.map((t) => t.close()));
  await rm(workDir, { recursive: true, force: true });
}
