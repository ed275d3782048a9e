/**
 * test/bench/RESULTS.md is shared by several benchmarks (run.ts, bundle.ts, cli-start.ts, evidence.ts,
 * remediation.ts, events.ts), each run on its own and at its own time. Each owns one section between `<!-- bench:name -->` and
 * `<!-- /bench:name -->` and replaces only that one in place; other sections, and notes written between sections,
 * stay as they are. A section not in the file yet is appended at its end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

/** Thrown when the file's markers of a section cannot be trusted to say where it starts and ends. */
export class ResultsSectionError extends Error {
  override readonly name = 'ResultsSectionError';
}

export function sectionMarkers(name: string): { readonly begin: string; readonly end: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new ResultsSectionError(`benchmark section name "${name}": expected lower-case letters, digits and dashes`);
  }
  return { begin: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` };
}

/** `markdown` with section `name` holding `body` (between its markers), replaced in place or appended. */
export function replaceSection(markdown: string, name: string, body: string): string {
  const { begin, end } = sectionMarkers(name);
  const section = `${begin}\n${body.trim()}\n${end}`;
  const first = markdown.indexOf(begin);
  const close = markdown.indexOf(end);
  if (first < 0 && close < 0) return markdown.trim() === '' ? `${section}\n` : `${markdown.trimEnd()}\n\n${section}\n`;
  if (first < 0 || close < first || markdown.indexOf(begin, first + 1) >= 0 || markdown.indexOf(end, close + 1) >= 0) {
    throw new ResultsSectionError(
      `benchmark section "${name}": expected one ${begin} followed by one ${end}; fix the markers by hand`,
    );
  }
  return `${markdown.slice(0, first)}${section}${markdown.slice(close + end.length)}`;
}

/** Replaces section `name` of RESULTS.md (or `file`) with `body`. */
export function writeResultsSection(name: string, body: string, file: string = RESULTS_FILE): void {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(file, replaceSection(current, name, body));
}
