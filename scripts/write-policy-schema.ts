/**
 * Writes lambda/policy/policy.schema.json and docs/rules.md from the code (`npx tsx scripts/write-policy-schema.ts`,
 * or `npm run schema`). Run it after changing the policy schema or a rule's metadata; a unit test catches a stale copy.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POLICY_SCHEMA_PATH, policyJsonSchemaText, RULES_DOC_PATH, rulesMarkdown } from '../lambda/policy/generated';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

for (const [path, text] of [
  [POLICY_SCHEMA_PATH, policyJsonSchemaText()],
  [RULES_DOC_PATH, rulesMarkdown()],
] as const) {
  const target = resolve(root, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, text, 'utf8');
  process.stderr.write(`wrote ${path}\n`);
}
