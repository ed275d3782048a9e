/**
 * A policy document into a validated {@link Policy}. Every user mistake becomes an {@link InputError} naming the
 * source, the path inside it and what was expected — never a stack trace. Reading files and YAML is in
 * `load-file.ts`, so the Lambda (which receives the policy as JSON) bundles no YAML parser.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { describeValue, inputErrorOf } from '../util/zod-input';
import { DEFAULT_POLICY_DOCUMENT, DEFAULT_POLICY_SOURCE } from './default-policy';
import { type Policy, PolicySchema } from './schema';

export interface LoadedPolicy {
  readonly policy: Policy;
  readonly name: string;
  /** SHA-256 of the canonical JSON of the parsed policy (defaults applied), so equal policies hash equal. */
  readonly sha256: string;
  /** The file it came from, or "built-in default policy". */
  readonly source: string;
}

export function policyFromDocument(document: unknown, source: string): LoadedPolicy {
  if (document === null || document === undefined) {
    throw new InputError(source, '', 'a policy document (a mapping with at least "name"), but the file is empty');
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new InputError(source, '', `a mapping with at least "name" at the top level, not ${describeValue(document)}`);
  }
  const result = PolicySchema.safeParse(document, { reportInput: true });
  if (!result.success) throw inputErrorOf(source, result.error, PolicySchema);
  // The editor hint says nothing about the policy; dropping it keeps the hash equal for YAML and JSON copies.
  const { $schema: _editorHint, ...policy } = result.data;
  return {
    policy,
    name: policy.name,
    sha256: createHash('sha256').update(canonicalJson(policy)).digest('hex'),
    source,
  };
}

export function defaultPolicy(): LoadedPolicy {
  return policyFromDocument(DEFAULT_POLICY_DOCUMENT, DEFAULT_POLICY_SOURCE);
}

/** JSON with object keys sorted at every level, so the same policy always serialises to the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
