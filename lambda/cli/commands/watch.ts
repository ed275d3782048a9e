/**
 * `qlik-access-guard watch`: the receiver for Qlik's webhook deliveries and a poll of the tenants' audit events on one
 * machine, for people without AWS. A full check of every tenant at the start, then a check of a tenant after each
 * verified delivery or new relevant audit event for it (debounced), writing what `check` writes. Ctrl-C stops it.
 * The work is in ../watch-run.ts, loaded only when the command runs.
 */
import { resolve } from 'node:path';
import { InputError } from '../../errors';
import { type CliOptions, defineCommand } from '../command';
import {
  failOnOf,
  makeFolder,
  OUTPUT_OPTIONS,
  outDirOf,
  POLICY_OPTIONS,
  positiveInt,
  stateDirOf,
  TENANT_OPTIONS,
  tenantTargets,
} from '../options';
import { CHECK_OPTIONS } from './check';

const WATCH_OPTIONS = {
  ...TENANT_OPTIONS,
  ...POLICY_OPTIONS,
  ...OUTPUT_OPTIONS,
  listen: {
    type: 'string',
    value: 'host:port',
    help: 'where the receiver listens, e.g. 127.0.0.1:8080 (behind a TLS proxy that Qlik can reach)',
  },
  debounce: {
    type: 'string',
    default: '20',
    value: 'seconds',
    help: 'after an event, wait this long for more before checking the tenant (default 20; 0 checks at once)',
  },
  poll: { type: 'string', default: '300', value: 'seconds', help: 'audit poll interval (default 300)' },
  // The same per-tenant deadline and quiet switch as `check`: one definition.
  deadline: CHECK_OPTIONS.deadline,
  quiet: CHECK_OPTIONS.quiet,
} as const satisfies CliOptions;

export const watchCommand = defineCommand({
  name: 'watch',
  summary: 'check tenants when Qlik reports a change (webhooks and audit poll), until stopped',
  usage: 'watch --tenant <url> [--tenant <url> …] [--tenants-file <file>] --listen <host:port> [options]',
  details: `Install the webhooks first ("webhooks install --receiver <public base url>"); a tenant without one is
covered by the audit poll alone. Deliveries go to <receiver>/qlik/<tenant name>. Stop with Ctrl-C (SIGINT) or
SIGTERM: running checks finish, nothing new starts.`,
  options: WATCH_OPTIONS,
  async run({ values }, io) {
    const listen = parseListen(values.listen);
    const debounceSeconds = nonNegative(values.debounce, '--debounce');
    const pollSeconds = positiveInt(values.poll, '--poll');
    const deadlineSeconds = positiveInt(values.deadline, '--deadline');
    const failOn = failOnOf(values);
    const targets = await tenantTargets(values, io);
    const { defaultPolicy } = await import('../../policy/load');
    const { loadPolicyFile } = await import('../../policy/load-file');
    const policy = values.policy ? await loadPolicyFile(resolve(io.cwd, values.policy)) : defaultPolicy();
    const outDir = outDirOf(values, io);
    const stateDir = stateDirOf(values, io);
    await makeFolder(outDir, '--out');
    await makeFolder(stateDir, '--state');
    const { runWatch } = await import('../watch-run');
    const signal = io.signal ?? processStopSignal();
    return runWatch(
      {
        targets,
        policy,
        failOn,
        deadlineSeconds,
        allowHttpLoopback: values['allow-http-loopback'],
        outDir,
        stateDir,
        host: listen.host,
        port: listen.port,
        debounceMs: debounceSeconds * 1000,
        pollMs: pollSeconds * 1000,
        quiet: values.quiet,
        ...(io.now ? { now: io.now } : {}),
      },
      io,
      signal,
    );
  },
});

function parseListen(value: string | undefined): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value ?? '');
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new InputError('--listen', '', 'host:port such as 127.0.0.1:8080 (port 0 picks a free one)');
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function nonNegative(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InputError(flag, '', `a number of seconds, 0 or more (got "${value}")`);
  return n;
}

/** Aborts on the first SIGINT or SIGTERM; a second one ends the process the usual way. */
function processStopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}
