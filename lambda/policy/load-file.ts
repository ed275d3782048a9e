/**
 * Reading a policy file (YAML or JSON) for the CLI and the CDK app, through the one document reader.
 */
import { parseDocumentText, readDocumentText } from '../util/document';
import { type LoadedPolicy, policyFromDocument } from './load';

export function parsePolicy(text: string, file: string): LoadedPolicy {
  return policyFromDocument(parsePolicyText(text, file), file);
}

/** The policy file's document as written (YAML or JSON), before validation. */
export function parsePolicyText(text: string, file: string): unknown {
  return parseDocumentText(text, file);
}

export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  return parsePolicy(await readPolicyText(path), path);
}

export function readPolicyText(path: string): Promise<string> {
  return readDocumentText(path, 'policy file');
}
