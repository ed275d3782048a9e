/**
 * `qlik-access-guard check`: one run over the tenants given, the run folder and archive written to `--out`, the drift
 * state kept in `--state`, the summary (or with `--json` the run report alone) on stdout. The work is in
 * ../check-run.ts, loaded only when the command runs.
 */
import { type CliOptions, defineCommand } from '../command';
import { JSON_OPTION, OUTPUT_OPTIONS, POLICY_OPTIONS, TENANT_OPTIONS } from '../options';

/** Every option of `check`; a command that runs a check first (e.g. `fix`) takes them all. */
export const CHECK_OPTIONS = {
  ...TENANT_OPTIONS,
  ...POLICY_OPTIONS,
  ...OUTPUT_OPTIONS,
  ...JSON_OPTION,
  concurrency: { type: 'string', default: '4', value: 'n', help: 'tenants checked at the same time (default 4)' },
  deadline: {
    type: 'string',
    default: '300',
    value: 'seconds',
    help: 'time allowed per tenant before it counts as not checked (default 300)',
  },
  'run-id': {
    type: 'string',
    value: 'id',
    help: 'the run id; a new one per run (default the current time, ISO 8601)',
  },
  schedule: {
    type: 'string',
    value: 'rate(…)|cron(…)',
    help:
      'the schedule these checks run on, e.g. "rate(1 day)" or "cron(0 6 * * ? *)" (UTC): recorded in the archive, ' +
      'so evidence knows the expected runs',
  },
  quiet: { type: 'boolean', short: 'q', default: false, help: 'no progress lines on stderr' },
} as const satisfies CliOptions;

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'check tenants against the policy; write the run folder, archive and drift state',
  usage: `check --tenant <url> [--tenant <url> …] [--tenants-file <file>] [options]`,
  details: `Credentials come from the environment: QLIK_CLIENT_ID + QLIK_CLIENT_SECRET (OAuth client, preferred: the
API-key permission cannot disable it) or QLIK_API_KEY. A tenants file names an environment variable or a
Secrets Manager secret per tenant.

Exit codes: 0 no failing finding at or above --fail-on; 1 failing findings; 2 a tenant could not be checked,
or bad input.`,
  options: CHECK_OPTIONS,
  async run({ values }, io) {
    const { runCheck } = await import('../check-run');
    return runCheck(values, io);
  },
});
