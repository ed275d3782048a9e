/**
 * The one reader of the YAML or JSON documents a user gives us (policy, deploy config, tenants file, plan files): a
 * syntax error names the file, line and column; duplicate keys are refused; aliases are capped so a "billion laughs"
 * document cannot exhaust memory. YAML 1.2 is a superset of JSON, so one parser gives both formats the same errors.
 * Kept apart from the validators so the Lambda, which receives JSON only, bundles no YAML parser.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { InputError } from '../errors';

/** How many alias expansions a document may use. */
const MAX_ALIAS_COUNT = 100;

/** The document as written, before validation. `source` names the file in errors. */
export function parseDocumentText(text: string, source: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const position = syntaxError.linePos?.[0];
    const where = position ? `line ${position.line}, column ${position.col}: ` : '';
    // prettyErrors appends " at line N, column M:" and a source excerpt; the position is given up front instead.
    const reason = firstLine(syntaxError.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(source, '', `valid YAML or JSON (${where}${reason})`, { cause: syntaxError });
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new InputError(source, '', `a YAML document without excessive aliases (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** The text of a file the user named; `what` says what it should be ("policy file", "tenants file"). */
export async function readDocumentText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const expected =
      code === 'ENOENT'
        ? `an existing ${what} (not found)`
        : code === 'EISDIR'
          ? `a ${what}, not a directory`
          : `a readable ${what} (${code ?? (error as Error).message})`;
    throw new InputError(path, '', expected, { cause: error });
  }
}

/** Reads and parses a YAML or JSON file. */
export async function readDocumentFile(path: string, what: string): Promise<unknown> {
  return parseDocumentText(await readDocumentText(path, what), path);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
