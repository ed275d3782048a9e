import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  POLICY_SCHEMA_PATH,
  policyJsonSchemaText,
  RULES_DOC_PATH,
  rulesMarkdown,
} from '../../../lambda/policy/generated';
import { RULES } from '../../../lambda/policy/rules/index';
import { BUILT_IN_RULE_IDS, PolicySchema } from '../../../lambda/policy/schema';

const ROOT = resolve(import.meta.dirname, '../../..');
const STALE = 'is out of date: run `npx tsx scripts/write-policy-schema.ts` and commit the result';

describe('generated files', () => {
  it(`${POLICY_SCHEMA_PATH} is up to date`, async () => {
    expect(await readFile(resolve(ROOT, POLICY_SCHEMA_PATH), 'utf8'), `${POLICY_SCHEMA_PATH} ${STALE}`).toBe(
      policyJsonSchemaText(),
    );
  });

  it(`${RULES_DOC_PATH} is up to date`, async () => {
    expect(await readFile(resolve(ROOT, RULES_DOC_PATH), 'utf8'), `${RULES_DOC_PATH} ${STALE}`).toBe(rulesMarkdown());
  });

  it('documents every rule with its metadata', () => {
    const markdown = rulesMarkdown();
    for (const { metadata } of RULES) {
      expect(markdown).toContain(`## ${metadata.id}\n\n**${metadata.title}**`);
      expect(markdown).toContain(metadata.remediation);
      for (const reference of metadata.references) expect(markdown).toContain(reference.title);
    }
    expect(markdown).toContain('- SOC 2: CC6.1, CC6.3');
  });

  it('gives editors a schema that knows every rule and rejects unknown keys', () => {
    const schema = JSON.parse(policyJsonSchemaText()) as {
      additionalProperties: boolean;
      required: string[];
      properties: { rules: { properties: Record<string, unknown> } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name']);
    expect(Object.keys(schema.properties.rules.properties)).toEqual([...BUILT_IN_RULE_IDS]);
  });
});

describe('rule registry', () => {
  it('has one policy entry, one file and one test per rule', async () => {
    const ruleKeys = Object.keys(PolicySchema.shape.rules.unwrap().shape);
    expect(ruleKeys).toEqual(RULES.map((rule) => rule.metadata.id));
    for (const { metadata } of RULES) {
      await expect(access(resolve(ROOT, `lambda/policy/rules/${metadata.id}.ts`))).resolves.toBeUndefined();
      await expect(access(resolve(ROOT, `test/unit/policy/rules/${metadata.id}.test.ts`))).resolves.toBeUndefined();
    }
  });

  it.each(RULES.map((rule) => [rule.metadata.id, rule.metadata] as const))(
    '%s has complete metadata',
    (id, metadata) => {
      expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(metadata.title.length).toBeGreaterThan(10);
      expect(metadata.subjectType.length).toBeGreaterThan(0);
      expect(metadata.description.length).toBeGreaterThan(40);
      expect(metadata.risk.length).toBeGreaterThan(40);
      expect(metadata.remediation).toMatch(/(POST|PATCH|DELETE) \/api\/v1\//);
      expect(metadata.references.length).toBeGreaterThan(0);
      expect(Object.keys(metadata.compliance)).toEqual(['SOC 2', 'ISO 27001:2022']);
      for (const control of metadata.compliance['SOC 2'] ?? []) expect(control).toMatch(/^CC6\.[1-3]$/);
      for (const control of metadata.compliance['ISO 27001:2022'] ?? []) expect(control).toMatch(/^A\.[58]\.\d+$/);
    },
  );
});
