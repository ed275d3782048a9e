/**
 * Run a simulated tenant by hand:
 *   npx tsx test/sim/serve.ts --scenario migration [--port 0] [--latency 100] [--set key=value …]
 * Prints the URL and the (simulated) credentials, then serves until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import type { SimSettings } from './server';
import { DEFAULT_SIM_SETTINGS, listScenarios, loadScenario, startSimulatedTenant } from './server';

const USAGE = `usage: npx tsx test/sim/serve.ts --scenario <name> [--port <n>] [--latency <ms>] [--set <setting>=<value> …]
scenarios: ${listScenarios().join(', ')}
settings:  ${Object.keys(DEFAULT_SIM_SETTINGS).join(', ')}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseSetting(text: string): [keyof SimSettings, unknown] {
  const eq = text.indexOf('=');
  if (eq < 1) fail(`--set expects <setting>=<value>, got ${JSON.stringify(text)}`);
  const key = text.slice(0, eq) as keyof SimSettings;
  const raw = text.slice(eq + 1);
  if (!(key in DEFAULT_SIM_SETTINGS)) fail(`unknown setting ${JSON.stringify(key)}`);
  const current = DEFAULT_SIM_SETTINGS[key];
  if (typeof current === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) fail(`${key} takes a number, got ${JSON.stringify(raw)}`);
    return [key, n];
  }
  if (typeof current === 'boolean') {
    if (raw !== 'true' && raw !== 'false') fail(`${key} takes true or false, got ${JSON.stringify(raw)}`);
    return [key, raw === 'true'];
  }
  if (Array.isArray(current)) return [key, raw.split(',').filter(Boolean)];
  return [key, raw];
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '0' },
    set: { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.scenario) fail('--scenario is required');
const port = Number(values.port);
const latencyMs = Number(values.latency);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port takes 0..65535, got ${values.port}`);
if (!Number.isFinite(latencyMs) || latencyMs < 0) fail(`--latency takes milliseconds, got ${values.latency}`);

let scenario: ReturnType<typeof loadScenario>;
try {
  scenario = loadScenario(values.scenario);
} catch (error) {
  fail((error as Error).message);
}
const settings = Object.fromEntries(values.set.map(parseSetting)) as Partial<SimSettings>;
const tenant = await startSimulatedTenant({ scenario, settings, latencyMs, port });

process.stdout.write(
  [
    `Simulated Qlik Cloud tenant "${scenario.tenant.name}" (scenario ${scenario.name}, ${scenario.mode})`,
    `  URL:           ${tenant.url}`,
    `  tenant id:     ${tenant.tenantId}`,
    `  API key:       ${tenant.credentials.apiKey}`,
    `  client id:     ${tenant.credentials.clientId}`,
    `  client secret: ${tenant.credentials.clientSecret}`,
    '',
    'These credentials are simulated and valid only against this process. Try:',
    `  curl -s -H "Authorization: Bearer $QLIK_API_KEY" ${tenant.url}/api/v1/users?limit=5`,
    `  QLIK_API_KEY=<API key above> npx tsx lambda/cli/entry.ts check --tenant ${tenant.url} --allow-http-loopback`,
    'Ctrl-C stops it.',
    '',
  ].join('\n'),
);

const stop = async () => {
  const { requests } = tenant.stats();
  await tenant.close();
  process.stderr.write(`stopped after ${requests} requests\n`);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
