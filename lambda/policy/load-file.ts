/**
 * Reading a policy file (YAML or JSON) for the CLI and the CDK app. Syntax errors name the file, line and column.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { InputError } from '../errors';
import { type LoadedPolicy, policyFromDocument } from './load';

export function parsePolicy(text: string, file: string): LoadedPolicy {
  return policyFromDocument(parsePolicyText(text, file), file);
}

/** The policy file's document as written (YAML or JSON), before validation. */
export function parsePolicyText(text: string, file: string): unknown {
  // YAML 1.2 is a superset of JSON, so one parser gives both formats the same line/column errors.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const position = syntaxError.linePos?.[0];
    const where = position ? `line ${position.line}, column ${position.col}: ` : '';
    // prettyErrors appends " at line N, column M:" and a source excerpt; the position is given up front instead.
    const reason = firstLine(syntaxError.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(file, '', `valid YAML or JSON (${where}${reason})`, { cause: syntaxError });
  }
  let value: unknown;
  try {
    // Aliases are expanded; a small cap stops a "billion laughs" document.
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new InputError(file, '', `a YAML document without excessive aliases (${(error as Error).message})`, {
      cause: error,
    });
  }
  return value;
}

export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  return parsePolicy(await readPolicyText(path), path);
}

export async function readPolicyText(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const expected =
      code === 'ENOENT'
        ? 'an existing policy file (not found)'
        : code === 'EISDIR'
          ? 'a policy file, not a directory'
          : `a readable policy file (${code ?? (error as Error).message})`;
    throw new InputError(path, '', expected, { cause: error });
  }
  return text;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
