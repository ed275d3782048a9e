import { describe, expect, it } from 'vitest';
import { RunReportSchema, renderJson, runReportJsonSchema } from '../../../lambda/report/json';
import type { RunReport } from '../../../lambda/report/model';
import { hostileReport, makeFinding, makeRunReport, makeTenant, sampleReport } from './fixtures';

describe('renderJson', () => {
  it('produces JSON that validates against RunReportSchema and round-trips to the same report', () => {
    for (const report of [sampleReport(), hostileReport()]) {
      const text = renderJson(report);
      const parsed: unknown = JSON.parse(text);
      expect(parsed).toEqual(report);
      const validated = RunReportSchema.safeParse(parsed);
      expect(validated.error?.issues ?? []).toEqual([]);
      expect(validated.data).toEqual(report);
    }
  });

  it('is pretty-printed and ends with exactly one newline', () => {
    const text = renderJson(sampleReport());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    expect(text.split('\n')[1]).toMatch(/^ {2}"schemaVersion": /);
  });

  it('writes keys in contract order whatever order the objects were built in', () => {
    const report = sampleReport();
    const shuffled = reverseKeysDeep(report) as RunReport;
    expect(Object.keys(shuffled)[0]).toBe('tenants');
    const text = renderJson(shuffled);
    expect(text).toBe(renderJson(report));
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'schemaVersion',
      'runId',
      'startedAt',
      'finishedAt',
      'tool',
      'policy',
      'tenants',
    ]);
    const tenant = (JSON.parse(text) as { tenants: Record<string, unknown>[] }).tenants[0]!;
    expect(Object.keys(tenant).slice(0, 6)).toEqual([
      'tenantUrl',
      'tenantId',
      'tenantName',
      'status',
      'errors',
      'findings',
    ]);
    const finding = (tenant.findings as Record<string, unknown>[])[0]!;
    expect(Object.keys(finding).slice(0, 11)).toEqual([
      'id',
      'tenantId',
      'ruleId',
      'title',
      'severity',
      'status',
      'drift',
      'subject',
      'message',
      'evidence',
      'remediation',
    ]);
    expect(Object.keys(tenant.summary as object).slice(0, 9)).toEqual([
      'failing',
      'suppressed',
      'errors',
      'new',
      'ongoing',
      'reopened',
      'resolved',
      'bySeverity',
      'byRule',
    ]);
  });

  it('keeps fields added by later versions, after the known ones', () => {
    const tenant = { ...makeTenant(), extraTenantField: { a: 1 } };
    const report = { ...makeRunReport([tenant]), addedLater: true } as RunReport;
    const parsed = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(Object.keys(parsed).at(-1)).toBe('addedLater');
    expect((parsed.tenants as Record<string, unknown>[])[0]!.extraTenantField).toEqual({ a: 1 });
    expect(RunReportSchema.safeParse(parsed).success).toBe(true);
  });

  it('does not fail on a bigint in free-form evidence', () => {
    const finding = makeFinding('t', { evidence: { bytes: 12345678901234567890n } });
    const text = renderJson(makeRunReport([makeTenant({ tenantId: 't', findings: [finding] })]));
    expect(text).toContain('"bytes": "12345678901234567890"');
  });
});

describe('RunReportSchema', () => {
  const valid = () => JSON.parse(renderJson(sampleReport())) as Record<string, any>;

  it.each([
    ['an unknown tenant status', (r: any) => (r.tenants[0].status = 'pass'), ['tenants', 0, 'status']],
    ['an error tenant without errors', (r: any) => (r.tenants[2].errors = []), ['tenants', 2, 'errors']],
    ['an unknown error code', (r: any) => (r.tenants[2].errors[0].code = 'oops'), ['tenants', 2, 'errors', 0, 'code']],
    [
      'a resolved drift among current findings',
      (r: any) => (r.tenants[0].findings[0].drift = 'resolved'),
      ['tenants', 0, 'findings', 0, 'drift'],
    ],
    [
      'a current drift among resolved findings',
      (r: any) => (r.tenants[0].resolved[0].drift = 'new'),
      ['tenants', 0, 'resolved', 0, 'drift'],
    ],
    [
      'a suppressed finding without its exception',
      (r: any) => delete r.tenants[0].findings[4].exception,
      ['tenants', 0, 'findings', 4, 'exception'],
    ],
    [
      'an unknown severity',
      (r: any) => (r.tenants[0].findings[0].severity = 'severe'),
      ['tenants', 0, 'findings', 0, 'severity'],
    ],
    ['a timestamp that is not ISO 8601', (r: any) => (r.startedAt = 'yesterday'), ['startedAt']],
    ['a policy hash that is not sha256 hex', (r: any) => (r.policy.sha256 = 'abc'), ['policy', 'sha256']],
    [
      'a missing severity count',
      (r: any) => delete r.tenants[0].summary.bySeverity.low,
      ['tenants', 0, 'summary', 'bySeverity', 'low'],
    ],
  ])('rejects %s, naming the path', (_label, mutate, path) => {
    const report = valid();
    expect(RunReportSchema.safeParse(report).success).toBe(true);
    mutate(report);
    const result = RunReportSchema.safeParse(report);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toContainEqual(path);
  });

  it('exports a JSON Schema of the contract', () => {
    const schema = runReportJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['schemaVersion', 'runId', 'startedAt', 'finishedAt', 'policy', 'tenants']),
    );
    expect(schema.required).toContain('tenants');
  });
});

/** Reverses every object's keys except inside evidence and compliance, whose order is the rule's and is kept. */
function reverseKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeysDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, k === 'evidence' || k === 'compliance' ? v : reverseKeysDeep(v)]),
    );
  }
  return value;
}
