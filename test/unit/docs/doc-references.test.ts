/**
 * Every Markdown document a comment, README or doc points readers to must exist in this repository: a newcomer has
 * only the repository. Scans source, tests, scripts and docs for `*.md` references and resolves each one from the
 * repository root, from `docs/` and from the referring file's folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const SCANNED = ['lambda', 'lib', 'test', 'scripts', 'bin', 'docs', 'README.md'];
const SKIPPED = new Set(['node_modules', 'cdk.out', 'dist', '.tmp']);
const REFERENCE = /(?<![\w./-])((?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w.-]+\.md)\b/g;

function filesUnder(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((name) => (SKIPPED.has(name) ? [] : filesUnder(join(path, name))));
}

function resolves(reference: string, from: string): boolean {
  const candidates = [join(ROOT, reference), join(ROOT, 'docs', reference), join(ROOT, dirname(from), reference)];
  return candidates.some((candidate) => existsSync(candidate));
}

describe('documentation references', () => {
  it('every *.md a file names exists in the repository', () => {
    const missing: string[] = [];
    for (const file of SCANNED.flatMap(filesUnder)) {
      if (!/\.(ts|mts|mjs|md|yaml|json)$/.test(file)) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(REFERENCE)) {
        const reference = match[1]!;
        if (/^(CHANGELOG|LICENSE)\.md$/.test(reference)) continue;
        if (!resolves(reference, file)) missing.push(`${relative(ROOT, join(ROOT, file))}: ${reference}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names the docs a newcomer needs', () => {
    for (const doc of ['docs/architecture.md', 'docs/qlik-cloud-api.md', 'docs/rules.md']) {
      expect(existsSync(join(ROOT, doc)), doc).toBe(true);
    }
  });
});
