import { describe, expect, it } from 'vitest';
import { formatEvidenceSummary } from '../../../../lambda/cli/commands/evidence';
import { builtInRuleControls } from '../../../../lambda/evidence/evidence';
import { EVIDENCE_SCHEMA_VERSION, isComplete } from '../../../../lambda/evidence/model';
import { TenantEvidenceBuilder } from '../../../../lambda/evidence/tenant-evidence';

describe('the evidence summary on a terminal', () => {
  it('prints a tenant id from the archive as one line of text, never as terminal control sequences', () => {
    const hostile = 'acme\u001b[2J\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\r\nforged line\u202e';
    const tenant = new TenantEvidenceBuilder({
      tenantId: hostile,
      startMs: 0,
      endMs: 86_400_000,
      nowMs: 86_400_000,
      ruleControls: builtInRuleControls(),
    }).finish({ ok: true, problems: [] });
    const text = formatEvidenceSummary(
      {
        schemaVersion: EVIDENCE_SCHEMA_VERSION,
        period: { from: '1970-01-01T00:00:00.000Z', to: '1970-01-01T23:59:59.999Z' },
        generatedAt: '1970-01-02T00:00:00.000Z',
        archive: '/archive/reports/',
        tenants: [tenant],
      },
      isComplete,
    );
    const unsafe = [...text].filter((c) => {
      const code = c.codePointAt(0) as number;
      return (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f) || code === 0x202e;
    });
    expect(unsafe).toEqual([]);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('✖ acme\\u001B[2J');
  });
});
