/**
 * The policy the deployed checker will enforce, read at synth so that a broken policy fails `cdk synth` and never
 * reaches the function.
 */
import { policyFromDocument } from '../lambda/policy/load';
import { parsePolicyText, readPolicyText } from '../lambda/policy/load-file';

export interface DeployPolicy {
  /** The document as written in the file (parsed YAML): what goes into the function's runtime config. */
  readonly document: Record<string, unknown>;
  readonly file: string;
  readonly name: string;
  readonly sha256: string;
}

/**
 * Validates the policy file with the checker's own policy loader (the same schema the function applies), and keeps
 * the document as written: the loader's output carries defaults that would only make the shipped config larger.
 */
export async function loadDeployPolicy(file: string): Promise<DeployPolicy> {
  const document = parsePolicyText(await readPolicyText(file), file);
  const loaded = policyFromDocument(document, file);
  // policyFromDocument accepts only a mapping, so the document is one.
  return { document: document as Record<string, unknown>, file, name: loaded.name, sha256: loaded.sha256 };
}
