/**
 * The CLI door into `run`: `qlik-access-guard check …` and `qlik-access-guard verify …`.
 *
 * stdout carries only what was asked for (`--json`: the run report and nothing else); progress, notifications and
 * errors go to stderr. Exit codes: 0 clean, 1 failing findings at or above --fail-on, 2 a tenant could not be
 * checked or the input was wrong. A user mistake prints one clear line, never a stack trace.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AwsClients } from './aws/clients';
import { evidenceCommand } from './cli/commands/evidence';
import { PreviewPublisher } from './cli/preview-publisher';
import { formatSummary } from './cli/summary';
import { loadTenantsFile, type TenantsFileEntry } from './cli/tenants-file';
import { CheckError, InputError, messageOf } from './errors';
import { defaultPolicy } from './policy/load';
import { loadPolicyFile } from './policy/load-file';
import type { QlikCredentials } from './qlik/credentials';
import { renderJson } from './report/json';
import { SEVERITIES, type Severity } from './report/model';
import { renderRunFiles } from './report/run-files';
import { type RunLog, run, type TenantTarget } from './run/run';
import { FsObjectStore } from './store/fs-object-store';
import { keySegment } from './store/layout';
import type { ObjectStore } from './store/object-store';
import { createRunArchive, createStateStore } from './store/store';
import { listTenants, verifyChain } from './verify';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now?: () => Date;
  /** AWS clients for `secretId` tenants and `verify --bucket`. @default built from the environment on first use */
  readonly awsClients?: () => AwsClients;
}

const USAGE = `Usage:
  qlik-access-guard check --tenant <url> [--tenant <url> …] [--tenants-file <file>] [--policy <file>]
                          [--out <dir>] [--state <dir>] [--json] [--fail-on <severity>]
                          [--allow-http-loopback] [--allow-host <host>] [--concurrency <n>] [--deadline <seconds>]
  qlik-access-guard verify [--out <dir> | --bucket <name>] [--tenant-id <id>]
  qlik-access-guard evidence (--out <dir> | --bucket <name>) --from <date> --to <date> [--tenant-id <id>]
                             [--schedule <rate(…)>] [--output <file.html>] [--json]

Credentials come from the environment: QLIK_CLIENT_ID + QLIK_CLIENT_SECRET (OAuth client, preferred: the
API-key permission cannot disable it) or QLIK_API_KEY. A tenants file names an environment variable or a
Secrets Manager secret per tenant.

Exit codes: 0 no failing finding at or above --fail-on (default high); 1 failing findings; 2 a tenant could not
be checked, or bad input.`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case 'verify':
        return await verifyCommand(rest, io);
      case 'evidence':
        return await evidenceCommand(rest, io, (where) => openArchive(where, io));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        io.stderr(`error: unknown command "${command}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof CheckError) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    if (isArgsError(error)) {
      io.stderr(`error: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    // A defect, not a user mistake: say so, with the stack only on request.
    io.stderr(`error: unexpected failure: ${messageOf(error)}\n`);
    if (io.env.QAG_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 2;
  }
}

async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      tenant: { type: 'string', multiple: true },
      'tenants-file': { type: 'string' },
      policy: { type: 'string' },
      out: { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean', default: false },
      'fail-on': { type: 'string', default: 'high' },
      'allow-http-loopback': { type: 'boolean', default: false },
      'allow-host': { type: 'string', multiple: true },
      concurrency: { type: 'string', default: '4' },
      deadline: { type: 'string', default: '300' },
      'run-id': { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    strict: true,
    allowPositionals: false,
  });

  const failOn = values['fail-on'] as Severity;
  if (!SEVERITIES.includes(failOn)) {
    throw new InputError('--fail-on', '', `one of ${SEVERITIES.join(', ')} (got "${values['fail-on']}")`);
  }
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const deadlineSeconds = positiveInt(values.deadline, '--deadline');

  const targets = await tenantTargets(values.tenant ?? [], values['tenants-file'], values['allow-host'] ?? [], io);
  if (targets.length === 0)
    throw new InputError('command line', '--tenant', 'at least one --tenant <url> or a --tenants-file');

  const policy = values.policy ? await loadPolicyFile(resolve(io.cwd, values.policy)) : defaultPolicy();
  const now = io.now ?? (() => new Date());
  const runId = values['run-id'] ?? now().toISOString();
  const outDir = resolve(io.cwd, values.out ?? 'qlik-access-guard-reports');
  const stateDir = resolve(io.cwd, values.state ?? '.qlik-access-guard');

  // Made before the check: a bad --out or --state is the user's mistake and must not cost a run (nor move the state).
  const runFolder = join(outDir, 'runs', runFolderName(runId));
  if (await exists(runFolder)) {
    throw new InputError('--run-id', '', `a run id not used before in ${outDir} (run "${runId}" exists already)`);
  }
  await makeFolder(runFolder, '--out');
  await makeFolder(stateDir, '--state');

  const progress = values.quiet ? () => {} : (line: string) => io.stderr(`${line}\n`);
  const publisher = new PreviewPublisher(progress);
  const outcome = await run(
    {
      now,
      archive: createRunArchive(new FsObjectStore(outDir)),
      state: createStateStore(new FsObjectStore(stateDir)),
      publisher,
      log: stderrLog(progress),
      onProgress: throttledProgress(progress),
    },
    {
      runId,
      tenants: targets,
      policy,
      tenantConcurrency: concurrency,
      tenantDeadlineMs: deadlineSeconds * 1000,
      allowHttpLoopback: values['allow-http-loopback'],
      failOn,
    },
  );

  const duplicates = outcome.report.tenants.filter((t) => t.summary.duplicate === true);
  if (duplicates.length > 0) {
    // Reusing a run id would read as a clean pass: the archive already holds that run and nothing was re-checked.
    io.stderr(
      `error: run "${runId}" was already archived for ${duplicates.map((t) => t.name ?? t.tenantId).join(', ')}; ` +
        'nothing was checked again — use a new --run-id\n',
    );
    return 2;
  }

  // The human run folder: every format of this run, all tenants together, plus the alert previews.
  for (const file of renderRunFiles(outcome.report, outcome.trends)) {
    await writeFile(join(runFolder, file.name), file.body);
  }
  await writeFile(join(runFolder, 'email.txt'), publisher.emailPreview());
  await writeFile(join(runFolder, 'chat.json'), publisher.chatPreview());

  if (values.json) {
    // The same bytes as the run folder's report.json.
    io.stdout(renderJson(outcome.report));
  } else {
    io.stdout(formatSummary(outcome.report, { runFolder }));
  }
  for (const f of outcome.archiveFailures) io.stderr(`warning: ${f.tenantId}: ${f.message}\n`);
  return outcome.exitCode;
}

async function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      bucket: { type: 'string' },
      'tenant-id': { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.out && values.bucket)
    throw new InputError('command line', '--bucket', 'either --out or --bucket, not both');
  const store = await openArchive(values, io);
  const tenantIds = values['tenant-id'] ?? (await listTenants(store));
  if (tenantIds.length === 0) {
    io.stderr('error: no archived runs found\n');
    return 2;
  }
  let ok = true;
  const results = [];
  for (const tenantId of tenantIds) {
    const result = await verifyChain(store, tenantId);
    results.push({ tenantId, ...result });
    ok &&= result.ok;
    if (!values.json) {
      io.stdout(
        `${result.ok ? '✔' : '✖'} tenant ${tenantId}: ${result.runs} runs, ${result.problems.length} problems\n`,
      );
      for (const p of result.problems) io.stdout(`    ${p.kind}: ${p.key} — ${p.detail}\n`);
    }
  }
  if (values.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  return ok ? 0 : 1;
}

/** The archive named by `--bucket`, else by `--out` (default `qlik-access-guard-reports`). */
async function openArchive(
  where: { readonly out?: string; readonly bucket?: string },
  io: CliIo,
): Promise<ObjectStore> {
  return where.bucket
    ? await s3Store(where.bucket, io)
    : new FsObjectStore(resolve(io.cwd, where.out ?? 'qlik-access-guard-reports'));
}

async function s3Store(bucket: string, io: CliIo): Promise<ObjectStore> {
  const { S3ObjectStore } = await import('./store/s3-object-store');
  return new S3ObjectStore((await awsClients(io)).s3, bucket);
}

const clientsByIo = new WeakMap<CliIo, Promise<AwsClients>>();

/**
 * Built once per CLI invocation and only when needed, so local checks never load the AWS SDK. Credentials and region
 * come from the usual SDK chain; AWS_ENDPOINT_URL (an AWS-compatible endpoint) also switches S3 to path-style URLs.
 */
function awsClients(io: CliIo): Promise<AwsClients> {
  let clients = clientsByIo.get(io);
  if (!clients) {
    clients = io.awsClients
      ? Promise.resolve(io.awsClients())
      : import('./aws/clients').then(({ createAwsClients }) =>
          createAwsClients({
            ...(io.env.AWS_ENDPOINT_URL ? { endpoint: io.env.AWS_ENDPOINT_URL, forcePathStyle: true } : {}),
          }),
        );
    clientsByIo.set(io, clients);
  }
  return clients;
}

async function tenantTargets(
  urls: readonly string[],
  tenantsFile: string | undefined,
  extraHosts: readonly string[],
  io: CliIo,
): Promise<TenantTarget[]> {
  const entries: TenantsFileEntry[] = urls.map((url) => ({ url, allowedHosts: [] }));
  if (tenantsFile) entries.push(...(await loadTenantsFile(resolve(io.cwd, tenantsFile))));
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    if (hasUserInfo(entry.url)) {
      // Never echo the URL: the part before '@' is a credential.
      throw new InputError(
        tenantsFile && index >= urls.length ? tenantsFile : 'command line',
        tenantsFile && index >= urls.length ? `tenants.${index - urls.length}.url` : '--tenant',
        'a tenant URL without a user name or password (credentials come from QLIK_* variables or a secret)',
      );
    }
    const name = entry.name ?? nameFromUrl(entry.url);
    if (seen.has(name))
      throw new InputError(tenantsFile ?? 'command line', 'tenants', `unique tenant names ("${name}" twice)`);
    seen.add(name);
    return {
      name,
      url: entry.url,
      allowedHosts: [...entry.allowedHosts, ...extraHosts],
      credentials: () => credentialsFor(entry, name, io),
    };
  });
}

async function credentialsFor(entry: TenantsFileEntry, name: string, io: CliIo): Promise<QlikCredentials> {
  const env = io.env;
  if (entry.secretId) {
    const { readTenantCredentials } = await import('./aws/secrets');
    return readTenantCredentials((await awsClients(io)).secrets, entry.secretId);
  }
  const required = (variable: string): string => {
    const value = env[variable];
    if (!value) throw new CheckError('bad-input', `tenant ${name}: environment variable ${variable} is not set`);
    return value;
  };
  if (entry.clientIdEnv && entry.clientSecretEnv) {
    return {
      kind: 'oauth-client',
      clientId: required(entry.clientIdEnv),
      clientSecret: required(entry.clientSecretEnv),
    };
  }
  if (entry.apiKeyEnv) return { kind: 'api-key', apiKey: required(entry.apiKeyEnv) };
  if (env.QLIK_CLIENT_ID || env.QLIK_CLIENT_SECRET) {
    return { kind: 'oauth-client', clientId: required('QLIK_CLIENT_ID'), clientSecret: required('QLIK_CLIENT_SECRET') };
  }
  if (env.QLIK_API_KEY) return { kind: 'api-key', apiKey: env.QLIK_API_KEY };
  throw new CheckError(
    'bad-input',
    `tenant ${name}: no credential — set QLIK_CLIENT_ID and QLIK_CLIENT_SECRET (OAuth client) or QLIK_API_KEY`,
  );
}

/** `acme` for https://acme.eu.qlikcloud.com; the whole host (port included) elsewhere, so names stay unique. */
function hasUserInfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function makeFolder(path: string, flag: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'cannot be created';
    throw new InputError(flag, '', `a folder that can be created and written (${path}: ${reason})`, { cause: error });
  }
}

function nameFromUrl(url: string): string {
  try {
    const host = new URL(url).host.toLowerCase();
    const name = host.endsWith('.qlikcloud.com') ? host.split('.')[0]! : host;
    return name.replace(/[^a-z0-9._-]/g, '-').slice(0, 64);
  } catch {
    // Not echoed: whatever was typed may hold a credential.
    throw new InputError('command line', '--tenant', 'a tenant URL such as https://acme.eu.qlikcloud.com');
  }
}

function positiveInt(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError(flag, '', `a positive whole number (got "${value}")`);
  return n;
}

/** Named like the run's archive folders, so a person finds one from the other. */
function runFolderName(runId: string): string {
  try {
    return keySegment(runId);
  } catch {
    throw new InputError('--run-id', '', 'a run id with at least one letter or digit');
  }
}

/** Long crawls only (thousands of users), at most every two seconds per tenant: a small tenant prints nothing. */
function throttledProgress(write: (line: string) => void) {
  const last = new Map<string, number>();
  return (tenant: string, phase: string, done: number): void => {
    const now = Date.now();
    if (done < 1000 || now - (last.get(tenant) ?? 0) < 2000) return;
    last.set(tenant, now);
    write(`${tenant}: ${phase}: ${done} read so far`);
  };
}

function stderrLog(write: (line: string) => void): RunLog {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const tenant = fields?.tenant ? `${String(fields.tenant)}: ` : '';
    const counts = ['failing', 'new', 'resolved', 'notifications']
      .filter((key) => typeof fields?.[key] === 'number')
      .map((key) => `${String(fields?.[key])} ${key}`);
    const detail = fields?.error ? ` (${String(fields.error)})` : counts.length > 0 ? ` (${counts.join(', ')})` : '';
    write(`${level === 'info' ? '' : `${level}: `}${tenant}${message}${detail}`);
  };
  return { info: line('info'), warn: line('warning'), error: line('error') };
}

function isArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (invokedDirectly) {
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}
