import { describe, expect, it } from 'vitest';
import { builtInRuleControls } from '../../../lambda/evidence/evidence';
import { TenantEvidenceBuilder } from '../../../lambda/evidence/tenant-evidence';
import type { Finding } from '../../../lambda/report/model';
import { DAY_MS } from '../../../lambda/util/time';
import { checkedTenant, failingFinding } from '../../support/report';

const START = Date.parse('2035-01-01T00:00:00Z');
const at = (days: number) => new Date(START + days * DAY_MS + 6 * 3_600_000).toISOString();

const inactiveKey = failingFinding({
  id: 'qag-1',
  ruleId: 'api-key-owner-inactive',
  severity: 'medium',
  subject: { type: 'apiKey', id: 'k1', name: 'key 1' },
});

const tenant = (status: 'ok' | 'error', findings: Finding[]) => checkedTenant(status, findings);

function builder() {
  return new TenantEvidenceBuilder({
    tenantId: 't',
    startMs: START,
    endMs: START + 4 * DAY_MS,
    nowMs: START + 10 * DAY_MS,
    ruleControls: builtInRuleControls(),
  });
}

describe('a tenant’s evidence', () => {
  it('shows a run that could not check the tenant as failed: not a pass, not a resolution', () => {
    const evidence = builder();
    evidence.addRun({ runId: 'r0', startedAt: at(0), tenant: tenant('ok', [inactiveKey]) });
    evidence.addRun({ runId: 'r1', startedAt: at(1), tenant: tenant('error', []) });
    evidence.addRun({ runId: 'r2', startedAt: at(2), tenant: tenant('ok', [inactiveKey]) });
    evidence.addRun({ runId: 'r3', startedAt: at(3), tenant: tenant('ok', []) });
    const result = evidence.finish({ ok: true, problems: [] });

    expect([result.runs, result.runsFailed, result.expectedRuns]).toEqual([4, 1, 4]);
    expect(result.coverage.slots.map((s) => s.state)).toEqual(['present', 'failed', 'present', 'present']);
    expect(result.gaps).toEqual([]);
    // Not seen in r1 (which could not look), so still open there; resolved by r3 after three days.
    expect(result.findings.map((f) => [f.status, f.resolvedAt, f.openDays, f.runsSeen])).toEqual([
      ['resolved', at(3), 3, 2],
    ]);
    const cc62 = result.controls.find((c) => c.framework === 'SOC 2' && c.control === 'CC6.2');
    expect([cc62?.runsFailing, cc62?.runsPassing]).toEqual([2, 1]);
    expect(result.name).toBe('acme');
  });

  it('refuses runs out of time order', () => {
    const evidence = builder();
    evidence.addRun({ runId: 'r1', startedAt: at(1), tenant: tenant('ok', []) });
    expect(() => evidence.addRun({ runId: 'r0', startedAt: at(0), tenant: tenant('ok', []) })).toThrow(/after a later/);
  });

  it('maps the built-in rules to SOC 2 CC6.1-CC6.3 and ISO 27001:2022 A.5.15, A.5.18 and A.8.2', () => {
    const result = builder().finish({ ok: true, problems: [] });
    const controls = result.controls.map((c) => `${c.framework} ${c.control}`);
    for (const control of [
      'SOC 2 CC6.1',
      'SOC 2 CC6.2',
      'SOC 2 CC6.3',
      'ISO 27001:2022 A.5.15',
      'ISO 27001:2022 A.5.18',
      'ISO 27001:2022 A.8.2',
    ]) {
      expect(controls).toContain(control);
    }
  });
});
