import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultsSectionError, replaceSection, writeResultsSection } from '../../bench/results-file';

const FILE = [
  '# Performance benchmark — results',
  '',
  '<!-- bench:run -->',
  '## Run',
  'old run numbers',
  '<!-- /bench:run -->',
  '',
  'A note written by hand between sections.',
  '',
  '<!-- bench:evidence -->',
  '## Evidence',
  'evidence numbers',
  '<!-- /bench:evidence -->',
  '',
].join('\n');

describe('replaceSection', () => {
  it('replaces only the named section, in place, keeping other sections and notes byte for byte', () => {
    const next = replaceSection(FILE, 'run', '## Run\nnew run numbers\n');
    expect(next).toBe(FILE.replace('old run numbers', 'new run numbers'));
  });

  it('appends a section the file does not have yet, after everything else', () => {
    const next = replaceSection(FILE, 'bundle', '## Bundle\n1 kB');
    expect(next).toBe(`${FILE.trimEnd()}\n\n<!-- bench:bundle -->\n## Bundle\n1 kB\n<!-- /bench:bundle -->\n`);
    expect(replaceSection(next, 'bundle', '## Bundle\n2 kB')).toBe(next.replace('1 kB', '2 kB'));
  });

  it('starts an empty file with the section', () => {
    expect(replaceSection('', 'run', 'x')).toBe('<!-- bench:run -->\nx\n<!-- /bench:run -->\n');
  });

  it('does not take one section for another whose name starts the same', () => {
    const file = replaceSection('<!-- bench:run-extra -->\nkeep\n<!-- /bench:run-extra -->\n', 'run', 'mine');
    expect(file).toContain('<!-- bench:run-extra -->\nkeep\n<!-- /bench:run-extra -->');
    expect(file).toContain('<!-- bench:run -->\nmine\n<!-- /bench:run -->');
  });

  it.each([
    ['an end marker missing', '<!-- bench:run -->\nx\n'],
    ['a begin marker missing', 'x\n<!-- /bench:run -->\n'],
    ['the markers in the wrong order', '<!-- /bench:run -->\nx\n<!-- bench:run -->\n'],
    ['the section twice', '<!-- bench:run -->\na\n<!-- /bench:run -->\n<!-- bench:run -->\nb\n<!-- /bench:run -->\n'],
  ])('refuses a file with %s rather than guess where the section ends', (_what, file) => {
    expect(() => replaceSection(file, 'run', 'new')).toThrow(ResultsSectionError);
    expect(() => replaceSection(file, 'run', 'new')).toThrow('"run": expected one <!-- bench:run --> followed by one');
  });

  it('refuses a section name that could break its markers', () => {
    expect(() => replaceSection(FILE, 'run -->', 'x')).toThrow('expected lower-case letters, digits and dashes');
  });
});

describe('writeResultsSection', () => {
  let folder: string | undefined;
  afterEach(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('rewrites only its section of the file, and creates the file when there is none', () => {
    folder = mkdtempSync(join(tmpdir(), 'qag-results-'));
    const file = join(folder, 'results.txt');
    writeFileSync(file, FILE);
    writeResultsSection('evidence', '## Evidence\nnewer', file);
    expect(readFileSync(file, 'utf8')).toBe(FILE.replace('evidence numbers', 'newer'));

    const fresh = join(folder, 'fresh.txt');
    writeResultsSection('run', 'first', fresh);
    expect(readFileSync(fresh, 'utf8')).toBe('<!-- bench:run -->\nfirst\n<!-- /bench:run -->\n');
  });
});
