import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lambda/report/model';
import { OCSF_SCHEMA_VERSION, type OcsfComplianceFinding, renderOcsf } from '../../../lambda/report/ocsf';
import { FINISHED_AT, hostileReport, makeFinding, makeRunReport, makeTenant, sampleReport } from './fixtures';

function events(text: string): OcsfComplianceFinding[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as OcsfComplianceFinding);
}

function eventFor(finding: Finding): OcsfComplianceFinding {
  const [event] = events(renderOcsf(makeRunReport([makeTenant({ tenantId: finding.tenantId, findings: [finding] })])));
  return event!;
}

describe('renderOcsf', () => {
  it('writes one parseable Compliance Finding per finding (suppressed and resolved too) and per tenant error', () => {
    const report = sampleReport();
    const lines = events(renderOcsf(report));
    const findings = report.tenants.flatMap((t) => [...t.findings, ...t.resolved]);
    const errors = report.tenants.flatMap((t) => t.errors);
    expect(lines).toHaveLength(findings.length + errors.length);
    for (const event of lines) {
      expect(event).toMatchObject({ class_uid: 2003, category_uid: 2, class_name: 'Compliance Finding' });
      expect(event.type_uid).toBe(200300 + event.activity_id);
      expect(event.time).toBe(Date.parse(FINISHED_AT));
      expect(event.metadata.version).toBe(OCSF_SCHEMA_VERSION);
      expect(event.metadata.product.name).toBe('qlik-access-guard');
      expect(event.compliance.standards.length).toBeGreaterThan(0);
      expect(event.resources).toHaveLength(1);
    }
    expect(lines.map((e) => e.finding_info.uid)).toEqual(expect.arrayContaining(findings.map((f) => f.id)));
  });

  it('keeps every event on one line even with line separators in tenant text', () => {
    const text = renderOcsf(hostileReport());
    const report = hostileReport();
    expect(text.split('\n').filter(Boolean)).toHaveLength(report.tenants[0]!.findings.length);
    expect(text).not.toMatch(/[\u2028\u2029]/);
    const names = events(text).map((e) => e.resources[0]!.name);
    expect(names).toEqual(report.tenants[0]!.findings.map((f) => f.subject.name));
  });

  it.each([
    ['informational', 1, 'Informational'],
    ['low', 2, 'Low'],
    ['medium', 3, 'Medium'],
    ['high', 4, 'High'],
    ['critical', 5, 'Critical'],
  ] as const)('maps severity %s to severity_id %i', (severity, id, caption) => {
    const event = eventFor(makeFinding('t', { severity }));
    expect([event.severity_id, event.severity]).toEqual([id, caption]);
  });

  it.each([
    ['a new failing finding', { drift: 'new', status: 'fail' }, [1, 'Create'], [1, 'New'], [3, 'Fail']],
    [
      'an ongoing failing finding',
      { drift: 'ongoing', status: 'fail' },
      [2, 'Update'],
      [2, 'In Progress'],
      [3, 'Fail'],
    ],
    ['a reopened finding', { drift: 'reopened', status: 'fail' }, [2, 'Update'], [1, 'New'], [3, 'Fail']],
    ['a suppressed finding', { drift: 'ongoing', status: 'suppressed' }, [2, 'Update'], [3, 'Suppressed'], [3, 'Fail']],
    ['a resolved finding', { drift: 'resolved', status: 'fail' }, [3, 'Close'], [4, 'Resolved'], [1, 'Pass']],
    ['a rule error', { drift: 'new', status: 'error' }, [1, 'Create'], [1, 'New'], [2, 'Warning']],
  ] as const)(
    'maps %s to activity, finding status and compliance status',
    (_label, input, activity, status, compliance) => {
      const exception =
        input.status === 'suppressed' ? { rule: 'r', subject: {}, reason: 'accepted', owner: 'o' } : undefined;
      const event = eventFor(makeFinding('t', { ...input, ...(exception ? { exception } : {}) }));
      expect([event.activity_id, event.activity_name]).toEqual(activity);
      expect(event.type_uid).toBe(200300 + activity[0]);
      expect([event.status_id, event.status]).toEqual(status);
      expect([event.compliance.status_id, event.compliance.status]).toEqual(compliance);
    },
  );

  it('fills finding_info, metadata, resources and remediation from the finding', () => {
    const finding = makeFinding('tenant-acme', {
      compliance: { 'SOC 2': ['CC6.1'], 'ISO 27001:2022': ['A.5.15', 'A.5.18'] },
    });
    const event = eventFor(finding);
    expect(event.finding_info).toMatchObject({
      uid: finding.id,
      title: finding.title,
      desc: finding.message,
      first_seen_time: Date.parse(finding.firstSeen!),
      last_seen_time: Date.parse(finding.lastSeen!),
    });
    expect(event.metadata).toMatchObject({ tenant_uid: 'tenant-acme', event_code: finding.ruleId });
    expect(event.metadata.uid).toContain(finding.id);
    expect(event.compliance).toMatchObject({
      control: finding.ruleId,
      standards: ['SOC 2', 'ISO 27001:2022'],
      requirements: ['SOC 2 CC6.1', 'ISO 27001:2022 A.5.15', 'ISO 27001:2022 A.5.18'],
    });
    expect(event.resources[0]).toEqual({
      uid: finding.subject.id,
      name: finding.subject.name,
      type: 'Qlik Cloud User',
      data: finding.evidence,
    });
    expect(event.remediation).toEqual({ desc: finding.remediation });
    expect(event.unmapped).toMatchObject({ drift: 'new', subject_type: 'user' });
  });

  it('falls back to the default standards when a finding names none', () => {
    expect(eventFor(makeFinding('t')).compliance).toMatchObject({ standards: ['SOC 2', 'ISO 27001:2022'] });
    expect(eventFor(makeFinding('t')).compliance.requirements).toBeUndefined();
  });

  it('explains a suppression and a reopening in status_detail', () => {
    const report = sampleReport();
    const lines = events(renderOcsf(report));
    const suppressed = lines.find((e) => e.status_id === 3)!;
    expect(suppressed.status_detail).toContain('Backup service key is rotated by the vendor');
    expect(suppressed.status_detail).toContain('Grace Hopper');
    const reopened = lines.find((e) => e.unmapped.drift === 'reopened')!;
    expect(reopened.status_detail).toContain('expired');
  });

  it('reports a tenant that could not be checked as an event, never as silence', () => {
    const lines = events(renderOcsf(sampleReport()));
    const errors = lines.filter((e) => e.metadata.tenant_uid === 'initech.eu.qlikcloud.com');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      compliance: { status_id: 2, control: 'tenant-check' },
      metadata: { event_code: 'error:unauthorized' },
      unmapped: { error_code: 'unauthorized' },
    });
    expect(errors[0]!.message).toContain('401');
  });

  it('gives the same event ids for the same run, and different ones for another run', () => {
    const report = sampleReport();
    const ids = (text: string) => events(text).map((e) => e.metadata.uid);
    expect(ids(renderOcsf(report))).toEqual(ids(renderOcsf(sampleReport())));
    const next = { ...report, runId: '2026-03-03T06:00:00Z' };
    const nextIds = new Set(ids(renderOcsf(next)));
    expect(ids(renderOcsf(report)).some((id) => nextIds.has(id))).toBe(false);
    expect(new Set(ids(renderOcsf(report))).size).toBe(ids(renderOcsf(report)).length);
  });

  it('uses the given product version, else the tool version', () => {
    const report = sampleReport();
    expect(events(renderOcsf(report))[0]!.metadata.product.version).toBe(report.tool.version);
    expect(events(renderOcsf(report, { productVersion: '9.9.9' }))[0]!.metadata.product.version).toBe('9.9.9');
  });

  it('writes nothing for a run without findings or errors', () => {
    expect(renderOcsf(makeRunReport([makeTenant()]))).toBe('');
  });
});
