/**
 * The one translation of zod validation issues into {@link InputError}s, so every file a user gives us (policy, deploy
 * config, runtime config, tenants file, drift state, plan file) fails in the same words: the file, the path inside it
 * (`tenants[0].url`), what was expected, the scalar that was found, and for a misspelt key "did you mean".
 * Parse with `schema.safeParse(value, { reportInput: true })` so the found value can be named.
 */
import type * as z from 'zod';
import { InputError } from '../errors';
import { formatPath } from './path';

export interface ZodInputOptions {
  /** How the path is written; see {@link formatPath}. @default quoted odd keys, dashes allowed in names */
  readonly path?: Parameters<typeof formatPath>[1];
  /** How many further problems the single-error form lists after the first. @default 4 */
  readonly alsoShown?: number;
  /**
   * Whether a wrong scalar is quoted back ("got …"). Off for files where a value could be a pasted credential.
   * @default true
   */
  readonly echoValues?: boolean;
}

/** Every issue as its own error (the deploy config lists them all at once). */
export function inputErrorsOf(
  source: string,
  error: z.ZodError,
  schema?: z.core.$ZodType,
  options: ZodInputOptions = {},
): InputError[] {
  return error.issues.map((issue) => {
    const problem = describeIssue(issue, schema, options);
    return new InputError(source, problem.path, problem.expected, { cause: error });
  });
}

/** One error: the first issue, then "; also <path>: <expected>" for the next few and a count of the rest. */
export function inputErrorOf(
  source: string,
  error: z.ZodError,
  schema?: z.core.$ZodType,
  options: ZodInputOptions = {},
): InputError {
  const [first, ...rest] = error.issues.map((issue) => describeIssue(issue, schema, options));
  if (!first) return new InputError(source, '', 'a valid document', { cause: error });
  const shown = options.alsoShown ?? 4;
  const also = rest.slice(0, shown).map((problem) => `${problem.path || '(top level)'}: ${problem.expected}`);
  const hidden = rest.length - also.length;
  const more = `${also.length > 0 ? `; also ${also.join('; ')}` : ''}${hidden > 0 ? `; and ${hidden} more` : ''}`;
  return new InputError(source, first.path, `${first.expected}${more}`, { cause: error });
}

/** How a value found in a document is named in a message: scalars quoted and bounded, structures by their kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

interface Problem {
  readonly path: string;
  readonly expected: string;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  schema: z.core.$ZodType | undefined,
  options: ZodInputOptions,
): Problem {
  const pathOf = (path: readonly PropertyKey[]) => formatPath(path, options.path);
  if (issue.code === 'unrecognized_keys') {
    const known = schema ? knownKeysAt(schema, issue.path) : [];
    const hints = issue.keys.flatMap((key) => {
      const match = known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? closest(key, known);
      return match ? [`did you mean "${match}"?`] : [];
    });
    // A schema may name what it allows in its own message ("allowed keys: …"); zod's default message says nothing new.
    const own = issue.message.startsWith('Unrecognized key') ? undefined : issue.message;
    const expected = known.length > 0 ? `expected one of ${known.join(', ')}` : own;
    const detail = [...hints, ...(expected ? [expected] : [])].join('; ');
    return {
      path: issue.keys.map((key) => pathOf([...issue.path, key])).join(', '),
      expected: `no such key here${detail ? ` (${detail})` : ''}`,
    };
  }
  const zodDefault = /^Invalid input: expected (\w+)/.exec(issue.message);
  const expected = zodDefault ? (TYPE_WORDS[zodDefault[1] ?? ''] ?? `a ${zodDefault[1]}`) : issue.message;
  // Callers parse with `reportInput: true`, so an issue without input is about a value that is not there.
  const input = 'input' in issue ? issue.input : undefined;
  if (input === undefined) {
    return { path: pathOf(issue.path), expected: issue.code === 'invalid_type' ? `required: ${expected}` : expected };
  }
  // Only a scalar is worth echoing; "got a mapping" says nothing the path does not.
  const scalar = input === null || ['string', 'number', 'boolean'].includes(typeof input);
  const echo = scalar && options.echoValues !== false;
  return { path: pathOf(issue.path), expected: echo ? `${expected} (got ${describeValue(input)})` : expected };
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
};

/** The keys an object schema accepts at `path` (array indexes and record keys followed), for "did you mean". */
function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  for (const key of path) {
    if (!current) return [];
    const def = current._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
      valueType?: z.core.$ZodType;
    };
    if (typeof key === 'number' && def.type === 'array' && def.element) current = unwrap(def.element);
    else if (typeof key === 'string' && def.type === 'object') current = def.shape?.[key] && unwrap(def.shape[key]);
    else if (def.type === 'record' && def.valueType) current = unwrap(def.valueType);
    else return [];
  }
  const def = current?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType)
      current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** The known key within edit distance 2 of `key`, if exactly one is that close. */
function closest(key: string, known: readonly string[]): string | undefined {
  const near = known.filter((k) => editDistance(key.toLowerCase(), k.toLowerCase()) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(row[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
