import { describe, expect, it } from 'vitest';
import { FindingTimelines, timeToResolve } from '../../../lambda/evidence/timeline';
import type { Finding } from '../../../lambda/report/model';
import { DAY_MS } from '../../../lambda/util/time';
import { failingFinding } from '../../support/report';

const START = Date.parse('2035-01-01T06:00:00Z');
const day = (n: number) => START + n * DAY_MS;

function finding(id: string, overrides: Partial<Finding> = {}): Finding {
  return failingFinding({
    id,
    ruleId: 'api-key-owner-inactive',
    severity: 'medium',
    subject: { type: 'apiKey', id: `key-${id}`, name: `key ${id}` },
    ...overrides,
  });
}

describe('finding timelines', () => {
  it('resolves a finding at the first checked run that no longer sees it, and reopens it when it comes back', () => {
    const timelines = new FindingTimelines();
    timelines.addCheckedRun(day(0), [finding('a')], []);
    timelines.addCheckedRun(day(1), [], []);
    timelines.addCheckedRun(day(3), [finding('a', { drift: 'reopened' })], []);
    const { findings, timeToResolve: stats } = timelines.finish(day(5));
    expect(findings).toEqual([
      {
        id: 'a',
        ruleId: 'api-key-owner-inactive',
        severity: 'medium',
        subject: { type: 'apiKey', id: 'key-a', name: 'key a' },
        firstSeen: new Date(day(0)).toISOString(),
        lastSeen: new Date(day(3)).toISOString(),
        resolvedAt: null,
        openDays: 3,
        status: 'open',
        reopened: 1,
        runsSeen: 2,
      },
    ]);
    expect(stats.medium).toEqual({ resolved: 1, medianDays: 1, maxDays: 1 });
  });

  it('starts a finding already open before the period at the first-seen time its report recorded', () => {
    const timelines = new FindingTimelines();
    const before = new Date(day(-10)).toISOString();
    timelines.addCheckedRun(day(0), [finding('a', { drift: 'ongoing', firstSeen: before })], []);
    timelines.addCheckedRun(day(2), [], []);
    const [a] = timelines.finish(day(5)).findings;
    expect([a?.firstSeen, a?.openDays, a?.status]).toEqual([before, 12, 'resolved']);
  });

  it('counts a finding resolved by the first run of the period from its recorded first sighting', () => {
    const timelines = new FindingTimelines();
    const resolved = finding('b', { drift: 'resolved', firstSeen: new Date(day(-4)).toISOString(), severity: 'high' });
    timelines.addCheckedRun(day(0), [], [resolved]);
    const { findings, timeToResolve: stats } = timelines.finish(day(1));
    expect(findings.map((f) => [f.id, f.status, f.openDays, f.runsSeen])).toEqual([['b', 'resolved', 4, 0]]);
    expect(stats.high).toEqual({ resolved: 1, medianDays: 4, maxDays: 4 });
  });

  it('shows a finding suppressed at the end as accepted', () => {
    const timelines = new FindingTimelines();
    timelines.addCheckedRun(day(0), [finding('c', { status: 'suppressed' })], []);
    expect(timelines.finish(day(1)).findings[0]?.status).toBe('accepted');
  });

  it('takes the median of an even number of resolutions as the mean of the middle two', () => {
    const stats = timeToResolve([
      { severity: 'low', days: 1 },
      { severity: 'low', days: 4 },
      { severity: 'low', days: 2 },
      { severity: 'low', days: 10 },
    ]);
    expect(stats.low).toEqual({ resolved: 4, medianDays: 3, maxDays: 10 });
    expect(stats.critical).toEqual({ resolved: 0, medianDays: null, maxDays: null });
  });
});
