/**
 * A policy document into a validated {@link Policy}. Every user mistake becomes an {@link InputError} naming the
 * source, the path inside it and what was expected — never a stack trace. Reading files and YAML is in
 * `load-file.ts`, so the Lambda (which receives the policy as JSON) bundles no YAML parser.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { InputError } from '../errors';
import { formatPath } from '../util/path';
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

/** How many problems one error message lists; the first is the one `path` names. */
const MAX_PROBLEMS_SHOWN = 5;

export function policyFromDocument(document: unknown, source: string): LoadedPolicy {
  if (document === null || document === undefined) {
    throw new InputError(source, '', 'a policy document (a mapping with at least "name"), but the file is empty');
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new InputError(source, '', `a mapping with at least "name" at the top level, not ${describeValue(document)}`);
  }
  const result = PolicySchema.safeParse(document, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    const [first, ...rest] = problems;
    if (!first) throw new InputError(source, '', 'a valid policy');
    const more =
      rest.length > 0
        ? `; also ${rest
            .slice(0, MAX_PROBLEMS_SHOWN - 1)
            .map((problem) => `${problem.path || '(top level)'}: ${problem.expected}`)
            .join(
              '; ',
            )}${rest.length > MAX_PROBLEMS_SHOWN - 1 ? `; and ${rest.length - MAX_PROBLEMS_SHOWN + 1} more` : ''}`
        : '';
    throw new InputError(source, first.path, `${first.expected}${more}`, { cause: result.error });
  }
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

interface Problem {
  readonly path: string;
  readonly expected: string;
}

function describeIssue(issue: z.core.$ZodIssue): Problem {
  if (issue.code === 'unrecognized_keys') {
    const [key, ...others] = issue.keys;
    const allowed = issue.message.startsWith('allowed keys:') ? ` (${issue.message})` : '';
    return {
      path: formatPath([...issue.path, key ?? '']),
      expected:
        `no key "${key}" here${allowed}` +
        (others.length > 0 ? `; also unknown: ${others.map((other) => `"${other}"`).join(', ')}` : ''),
    };
  }
  const defaultMessage = /^Invalid input: expected (\w+)/.exec(issue.message);
  const expected = defaultMessage
    ? (ZOD_TYPE_WORDS[defaultMessage[1] ?? ''] ?? `a ${defaultMessage[1]}`)
    : issue.message;
  const input = 'input' in issue ? issue.input : undefined;
  if (input === undefined) {
    return { path: formatPath(issue.path), expected: issue.code === 'custom' ? expected : `required: ${expected}` };
  }
  // Only a scalar is worth echoing; "got a mapping" says nothing the path does not.
  const scalar = input === null || ['string', 'number', 'boolean'].includes(typeof input);
  return { path: formatPath(issue.path), expected: scalar ? `${expected} (got ${describeValue(input)})` : expected };
}

const ZOD_TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}
