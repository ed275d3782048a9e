import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_POLICY_DOCUMENT } from '../../../lambda/policy/default-policy';
import { defaultPolicy, policyFromDocument } from '../../../lambda/policy/load';
import { loadPolicyFile } from '../../../lambda/policy/load-file';
import { RULES } from '../../../lambda/policy/rules/index';

const SHIPPED = resolve(import.meta.dirname, '../../../lambda/policy/default-policy.yaml');

describe('the default policy', () => {
  it('ships as a YAML file identical to the built-in document', async () => {
    expect(parse(await readFile(SHIPPED, 'utf8'))).toEqual(DEFAULT_POLICY_DOCUMENT);
    const shipped = await loadPolicyFile(SHIPPED);
    const builtIn = defaultPolicy();
    expect(shipped.policy).toEqual(builtIn.policy);
    expect(shipped.sha256).toBe(builtIn.sha256);
    expect(builtIn.source).toBe('built-in default policy');
  });

  it('spells out every rule at its default severity, all enabled', () => {
    const { policy } = defaultPolicy();
    for (const rule of RULES) {
      const settings = policy.rules[rule.metadata.id as keyof typeof policy.rules];
      expect(settings, rule.metadata.id).toMatchObject({ enabled: true, severity: rule.metadata.defaultSeverity });
    }
    expect(Object.keys(DEFAULT_POLICY_DOCUMENT.rules ?? {})).toEqual(RULES.map((rule) => rule.metadata.id));
  });

  it('is what an empty policy with the same name gives, so the file documents the defaults truthfully', () => {
    const minimal = policyFromDocument(
      { name: DEFAULT_POLICY_DOCUMENT.name, description: DEFAULT_POLICY_DOCUMENT.description },
      'minimal',
    );
    expect(minimal.policy).toEqual(defaultPolicy().policy);
  });
});
