/**
 * Option groups more than one command takes, each with the function that turns its values into what the command
 * needs. A command spreads the groups it takes into its own options (`{ ...TENANT_OPTIONS, ...OUTPUT_OPTIONS }`), so
 * a flag is spelled, documented and checked in one place. Loaded on every start: heavy modules are imported where
 * they are used.
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CheckError, InputError } from '../errors';
import type { QlikCredentials } from '../qlik/credentials';
import { SEVERITIES, type Severity } from '../report/model';
import type { TenantTarget } from '../run/run';
import type { ObjectStore } from '../store/object-store';
import { awsClients, s3Store } from './aws';
import type { CliIo, CliOptions, OptionValues } from './command';
import type { TenantsFileEntry } from './tenants-file';

/** Which tenants to check, and which hosts and schemes their URLs may use. */
export const TENANT_OPTIONS = {
  tenant: { type: 'string', multiple: true, value: 'url', help: 'a tenant to check (repeatable)' },
  'tenants-file': {
    type: 'string',
    value: 'file',
    help: 'a YAML or JSON file of tenants, with credential variables or a secret each',
  },
  'allow-host': {
    type: 'string',
    multiple: true,
    value: 'host',
    help: 'also accept this host besides *.qlikcloud.com (repeatable; custom domains)',
  },
  'allow-http-loopback': {
    type: 'boolean',
    default: false,
    help: 'accept http:// on 127.0.0.1/localhost (a simulated tenant; never a real one)',
  },
} as const satisfies CliOptions;

/** Where the human run folders and the archive go (`--out`), and where the drift state lives (`--state`). */
export const OUTPUT_OPTIONS = {
  out: {
    type: 'string',
    value: 'dir',
    help: 'reports folder: run folders and the archive (default qlik-access-guard-reports)',
  },
  state: { type: 'string', value: 'dir', help: 'drift state folder (default .qlik-access-guard)' },
} as const satisfies CliOptions;

/** What is checked and what fails the run. */
export const POLICY_OPTIONS = {
  policy: { type: 'string', value: 'file', help: 'policy file (YAML or JSON; default: the built-in policy)' },
  'fail-on': {
    type: 'string',
    default: 'high',
    value: 'severity',
    help: `exit 1 at or above: ${SEVERITIES.join(', ')} (default high)`,
  },
} as const satisfies CliOptions;

/** A report archive to read: a reports folder (`--out`) or an S3 bucket (`--bucket`); see {@link openArchive}. */
export const ARCHIVE_OPTIONS = {
  out: OUTPUT_OPTIONS.out,
  bucket: { type: 'string', value: 'name', help: 'read the archive in this S3 bucket instead of a folder' },
} as const satisfies CliOptions;

export const JSON_OPTION = {
  json: { type: 'boolean', default: false, help: 'print JSON on stdout and nothing else' },
} as const satisfies CliOptions;

export const DEFAULT_OUT_DIR = 'qlik-access-guard-reports';
export const DEFAULT_STATE_DIR = '.qlik-access-guard';

export function outDirOf(values: OptionValues<typeof OUTPUT_OPTIONS>, io: CliIo): string {
  return resolve(io.cwd, values.out ?? DEFAULT_OUT_DIR);
}

export function stateDirOf(values: OptionValues<typeof OUTPUT_OPTIONS>, io: CliIo): string {
  return resolve(io.cwd, values.state ?? DEFAULT_STATE_DIR);
}

/** The archive named by `--bucket`, else by `--out` (default `qlik-access-guard-reports`). */
export async function openArchive(values: OptionValues<typeof ARCHIVE_OPTIONS>, io: CliIo): Promise<ObjectStore> {
  if (values.bucket) return s3Store(values.bucket, io);
  const { FsObjectStore } = await import('../store/fs-object-store');
  return new FsObjectStore(outDirOf(values, io));
}

export function failOnOf(values: OptionValues<typeof POLICY_OPTIONS>): Severity {
  const failOn = values['fail-on'] as Severity;
  if (!SEVERITIES.includes(failOn)) {
    throw new InputError('--fail-on', '', `one of ${SEVERITIES.join(', ')} (got "${values['fail-on']}")`);
  }
  return failOn;
}

/** The tenants of `--tenant` and `--tenants-file`, each with its credentials read only when it is checked. */
export async function tenantTargets(values: OptionValues<typeof TENANT_OPTIONS>, io: CliIo): Promise<TenantTarget[]> {
  const urls = values.tenant ?? [];
  const tenantsFile = values['tenants-file'];
  const extraHosts = values['allow-host'] ?? [];
  const entries: TenantsFileEntry[] = urls.map((url) => ({ url, allowedHosts: [] }));
  if (tenantsFile) {
    const { loadTenantsFile } = await import('./tenants-file');
    entries.push(...(await loadTenantsFile(resolve(io.cwd, tenantsFile))));
  }
  const seen = new Set<string>();
  const targets = entries.map((entry, index) => {
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
  if (targets.length === 0)
    throw new InputError('command line', '--tenant', 'at least one --tenant <url> or a --tenants-file');
  return targets;
}

async function credentialsFor(entry: TenantsFileEntry, name: string, io: CliIo): Promise<QlikCredentials> {
  const env = io.env;
  if (entry.secretId) {
    const { readTenantCredentials } = await import('../aws/secrets');
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

function hasUserInfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** `acme` for https://acme.eu.qlikcloud.com; the whole host (port included) elsewhere, so names stay unique. */
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

export function positiveInt(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError(flag, '', `a positive whole number (got "${value}")`);
  return n;
}

/** A whole number of 0 or more, e.g. `--max-changes 0` (nothing may be applied). */
export function nonNegativeInt(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InputError(flag, '', `a whole number, 0 or more (got "${value}")`);
  return n;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates a folder the user named; failing is their mistake (`flag` names where it came from). */
export async function makeFolder(path: string, flag: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'cannot be created';
    throw new InputError(flag, '', `a folder that can be created and written (${path}: ${reason})`, { cause: error });
  }
}
