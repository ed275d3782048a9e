/**
 * The policy the deployed checker will enforce, read at synth so that a broken policy fails `cdk synth` and never
 * reaches the function.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { InputError } from '../lambda/errors';

export interface DeployPolicy {
  /** The document as written in the file (parsed YAML): what goes into the function's runtime config. */
  readonly document: Record<string, unknown>;
  readonly file: string;
  /** From the policy loader; absent when the loader is not available in this build. */
  readonly name?: string;
  readonly sha256?: string;
  /** Whether the policy schema validated the document at synth, or it was only parsed as YAML. */
  readonly validated: boolean;
}

/** What lambda/policy/load.ts exports; typed here so that synth works before that module exists. */
interface PolicyLoaderModule {
  loadPolicyFile(file: string): unknown;
}

const POLICY_LOADER = fileURLToPath(new URL('../lambda/policy/load.ts', import.meta.url));

/**
 * Validates the policy file with the checker's own policy loader (the same schema the function applies), and keeps
 * the document as written: the loader's output may carry defaults that would only inflate the 4 KB environment.
 */
export async function loadDeployPolicy(file: string): Promise<DeployPolicy> {
  const document = readPolicyDocument(file);
  const loader = await importPolicyLoader();
  if (!loader) return { document, file, validated: false };
  const loaded = (await loader.loadPolicyFile(file)) as { name?: unknown; sha256?: unknown } | undefined;
  return {
    document,
    file,
    validated: true,
    ...(typeof loaded?.name === 'string' ? { name: loaded.name } : {}),
    ...(typeof loaded?.sha256 === 'string' ? { sha256: loaded.sha256 } : {}),
  };
}

function readPolicyDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(file, '', 'a readable policy file', { cause: error });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InputError(file, '', `valid YAML (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new InputError(file, '', 'a policy document (a YAML mapping at the top level)');
  }
  return document as Record<string, unknown>;
}

async function importPolicyLoader(): Promise<PolicyLoaderModule | undefined> {
  if (!existsSync(POLICY_LOADER)) return undefined;
  const module = (await import(pathToFileURL(POLICY_LOADER).href)) as Partial<PolicyLoaderModule>;
  return typeof module.loadPolicyFile === 'function' ? (module as PolicyLoaderModule) : undefined;
}
