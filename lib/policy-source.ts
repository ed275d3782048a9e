/**
 * The policy the deployed checker will enforce, read at synth so that a broken policy fails `cdk synth` and never
 * reaches the function.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '../lambda/errors';
import { loadPolicyFile } from '../lambda/policy/load-file';

export interface DeployPolicy {
  /** The document as written in the file (parsed YAML): what goes into the function's runtime config. */
  readonly document: Record<string, unknown>;
  readonly file: string;
  readonly name: string;
  readonly sha256: string;
}

/**
 * Validates the policy file with the checker's own policy loader (the same schema the function applies), and keeps
 * the document as written: the loader's output carries defaults that the function applies itself anyway.
 */
export async function loadDeployPolicy(file: string): Promise<DeployPolicy> {
  const loaded = await loadPolicyFile(file);
  return { document: readPolicyDocument(file), file, name: loaded.name, sha256: loaded.sha256 };
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
