/**
 * Loads the runtime config the deployed function runs with: {@link RUNTIME_CONFIG_FILE} (tenants, policy, settings;
 * absent when a local run passes the whole document in `QAG_CONFIG`) merged with `QAG_CONFIG` (the resource names
 * CloudFormation resolves at deploy time), validated with {@link RuntimeConfigSchema}. A key set in both is an error:
 * neither part may quietly override the other. Errors name the file or variable the wrong value came from.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { InputError, messageOf } from '../errors';
import { defaultPolicy, type LoadedPolicy, policyFromDocument } from '../policy/load';
import { isRecord } from '../util/text';
import { inputErrorsOf } from '../util/zod-input';
import {
  CONFIG_ENVIRONMENT_VARIABLE as CONFIG_VARIABLE,
  RUNTIME_CONFIG_FILE,
  type RuntimeConfig,
  RuntimeConfigSchema,
  TenantConfigSchema,
} from './runtime';

export interface LoadRuntimeConfigOptions {
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The synth-time part ({@link RUNTIME_CONFIG_FILE}); a missing file means `QAG_CONFIG` holds it all. */
  readonly configFile: string | URL;
  /** The whole document, used as given instead of the file and the variable (tests, local runs). */
  readonly document?: unknown;
  /**
   * Lets tenant URLs be plain http to a loopback address (the simulated tenant in tests). Only for callers that
   * construct the handler in code: neither the config nor the environment can turn it on.
   */
  readonly allowHttpLoopback?: boolean;
}

export interface LoadedRuntime {
  readonly config: RuntimeConfig;
  /** The configured policy, or the built-in default when the config has none. */
  readonly policy: LoadedPolicy;
}

/** The validated runtime config. */
export function loadRuntimeConfig(options: LoadRuntimeConfigOptions): RuntimeConfig {
  return loadRuntime(options).config;
}

/** The validated runtime config and its policy, each error naming where the wrong value came from. */
export function loadRuntime(options: LoadRuntimeConfigOptions): LoadedRuntime {
  const { config, sourceOf } = readValidated(options);
  const policy = config.policy ? policyFromDocument(config.policy, `${sourceOf('policy')} policy`) : defaultPolicy();
  return { config, policy };
}

/**
 * The validated runtime config with its policy left unread: for the functions that never evaluate it (the webhook
 * receiver and the audit poller read the same document as the checker, whose cold start validates the policy).
 */
export function loadRuntimeConfigWithoutPolicy(options: LoadRuntimeConfigOptions): RuntimeConfig {
  return readValidated(options).config;
}

function readValidated(options: LoadRuntimeConfigOptions): {
  config: RuntimeConfig;
  sourceOf: (key: string | undefined) => string;
} {
  const { document, sourceOf, note } =
    options.document !== undefined
      ? { document: options.document, sourceOf: () => CONFIG_VARIABLE, note: '' }
      : readRuntimeConfigDocument(options.env ?? process.env, options.configFile);
  return { config: parseConfig(document, options.allowHttpLoopback === true, sourceOf, note), sourceOf };
}

interface RuntimeConfigDocument {
  readonly document: Record<string, unknown>;
  /** The file or variable a top-level key came from, for error messages. */
  readonly sourceOf: (key: string | undefined) => string;
  /** Added to an error about a missing key: what was not there to read. */
  readonly note: string;
}

function readRuntimeConfigDocument(
  env: Readonly<Record<string, string | undefined>>,
  configFile: string | URL,
): RuntimeConfigDocument {
  const filePath = typeof configFile === 'string' ? configFile : fileURLToPath(configFile);
  const fromFile = readConfigFile(filePath);
  const fromVariable = readConfigVariable(env[CONFIG_VARIABLE]);
  const sources = new Map<string, string>();
  for (const key of Object.keys(fromVariable)) sources.set(key, CONFIG_VARIABLE);
  for (const key of Object.keys(fromFile ?? {})) {
    if (sources.has(key)) {
      throw new InputError(
        filePath,
        key,
        `a key that ${CONFIG_VARIABLE} does not also set; both set it, and neither may override the other`,
      );
    }
    sources.set(key, filePath);
  }
  return {
    document: { ...fromFile, ...fromVariable },
    sourceOf: (key) => (key !== undefined && sources.get(key)) || CONFIG_VARIABLE,
    note: fromFile ? '' : ` (${filePath} was not found, so ${CONFIG_VARIABLE} alone was read)`,
  };
}

/** The file's JSON object; undefined when there is no such file. */
function readConfigFile(path: string): Record<string, unknown> | undefined {
  const expected =
    'the runtime config known at synth as a JSON object (the CDK stack writes this file into the code asset)';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(path, '', `${expected}; it cannot be read: ${messageOf(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(path, '', `${expected}; the file is not valid JSON`, { cause: error });
  }
  if (!isRecord(parsed)) throw new InputError(path, '', `${expected}; the file holds ${describe(parsed)}`);
  return parsed;
}

function readConfigVariable(value: string | undefined): Record<string, unknown> {
  if (value === undefined || value.trim() === '') {
    throw new InputError(
      CONFIG_VARIABLE,
      '',
      'the runtime config as JSON (the CDK stack sets this variable); it is not set',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InputError(CONFIG_VARIABLE, '', 'the runtime config as JSON; the value is not valid JSON');
  }
  if (!isRecord(parsed)) {
    throw new InputError(CONFIG_VARIABLE, '', `the runtime config as a JSON object; the value is ${describe(parsed)}`);
  }
  return parsed;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

/** Only for callers that allow it in code: tenant URLs may also be plain http to a loopback address. */
const LoopbackRuntimeConfigSchema = RuntimeConfigSchema.extend({
  tenants: z
    .array(
      TenantConfigSchema.extend({
        url: z.union([
          TenantConfigSchema.shape.url,
          z.url({ protocol: /^http$/, hostname: /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/ }),
        ]),
      }),
    )
    .min(1, 'at least one tenant'),
});

function parseConfig(
  document: unknown,
  allowHttpLoopback: boolean,
  sourceOf: (key: string | undefined) => string,
  note: string,
): RuntimeConfig {
  const schema = allowHttpLoopback ? LoopbackRuntimeConfigSchema : RuntimeConfigSchema;
  const parsed = schema.safeParse(document, { reportInput: true });
  if (parsed.success) return parsed.data;
  // The config is merged from the code asset's file and the variable: each problem names the source of its key.
  const sourceOfIssue = (issue: { path: readonly PropertyKey[] }) => sourceOf(issue.path[0]?.toString());
  const problems = inputErrorsOf('', parsed.error, schema, { path: { quoteOddKeys: false } });
  const [first, ...rest] = problems;
  const firstSource = parsed.error.issues[0] ? sourceOfIssue(parsed.error.issues[0]) : CONFIG_VARIABLE;
  const given = isRecord(document) ? document : {};
  const missesKey = parsed.error.issues.some((issue) => issue.path.length === 1 && !(String(issue.path[0]) in given));
  const also = rest.map((problem, index) => {
    const source = sourceOfIssue(parsed.error.issues[index + 1]!);
    return `${source === firstSource ? '' : `${source} at `}${problem.path || '(top level)'}: ${problem.expected}`;
  });
  throw new InputError(
    firstSource,
    first?.path ?? '',
    `${first?.expected ?? 'a valid runtime config'}${also.length ? `; also ${also.join('; ')}` : ''}${missesKey ? note : ''}`,
    { cause: parsed.error },
  );
}
