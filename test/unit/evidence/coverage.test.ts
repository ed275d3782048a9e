import { describe, expect, it } from 'vitest';
import {
  computeCoverage,
  inferIntervalMinutes,
  parseRateSchedule,
  parseRecordedSchedule,
} from '../../../lambda/evidence/coverage';
import { DAY_MS, HOUR_MS } from '../../../lambda/util/time';

const START = Date.parse('2035-01-01T00:00:00Z');
const at = (days: number, hours = 6) => START + days * DAY_MS + hours * HOUR_MS;
const run = (days: number, checked = true, hours = 6) => ({ runId: `r${days}`, atMs: at(days, hours), checked });

describe('expected runs and gaps', () => {
  it('infers a daily cadence from the median interval, even with a day missing and a late run', () => {
    expect(inferIntervalMinutes([at(0), at(1), at(3), at(4, 7), at(5)])).toBe(1440);
    expect(inferIntervalMinutes([at(0)])).toBeUndefined();
    expect(inferIntervalMinutes([at(0), at(0)])).toBeUndefined();
  });

  it('marks each expected run present, failed or missing, and joins consecutive missing ones into one gap', () => {
    const runs = [run(0), run(1, false), run(4), run(5, true, 7)];
    const { coverage, gaps } = computeCoverage({ runs, startMs: START, endMs: at(6, 0) });
    expect(coverage.basis).toBe('cadence');
    expect(coverage.slots.map((s) => s.state)).toEqual([
      'present',
      'failed',
      'missing',
      'missing',
      'present',
      'present',
    ]);
    expect(coverage.slots[1]?.runId).toBe('r1');
    expect(gaps).toEqual([{ from: new Date(at(2)).toISOString(), to: new Date(at(3)).toISOString(), missed: 2 }]);
  });

  it('a failed run is shown as failed, never as present, even when another failed run shares its slot', () => {
    const { coverage } = computeCoverage({
      runs: [run(0), run(1, false), run(1, false, 7)],
      startMs: START,
      endMs: at(2),
    });
    expect(coverage.slots.map((s) => s.state)).toEqual(['present', 'failed']);
  });

  it('a checked run wins over a failed retry of the same slot', () => {
    const runs = [run(0), run(1, false, 6), run(1, true, 8)];
    const { coverage } = computeCoverage({ runs, startMs: START, endMs: at(2) });
    expect(coverage.slots.map((s) => [s.state, s.runId])).toEqual([
      ['present', 'r0'],
      ['present', 'r1'],
    ]);
  });

  it('uses a rate schedule when one is given, and expects nothing after the end', () => {
    const schedule = parseRateSchedule('rate(12 hours)');
    expect(schedule).toEqual({ expression: 'rate(12 hours)', intervalMinutes: 720 });
    const { coverage, gaps } = computeCoverage({
      runs: [run(0), run(1)],
      startMs: START,
      endMs: at(1, 7),
      schedule: schedule!,
    });
    expect(coverage.basis).toBe('schedule');
    // 06:00 and 18:00 each day: 01-01 06:00 present, 18:00 missing, 01-02 06:00 present; 01-02 18:00 is after the end.
    expect(coverage.slots.map((s) => s.state)).toEqual(['present', 'missing', 'present']);
    expect(gaps).toHaveLength(1);
    expect(parseRateSchedule('cron(0 6 * * ? *)')).toBeUndefined();
    expect(parseRateSchedule('rate(0 days)')).toBeUndefined();
  });

  it('expands a recorded cron schedule in its time zone, across a daylight-saving change, with the missed day a gap', () => {
    // 06:00 in Berlin is 05:00Z until 2035-03-25 and 04:00Z from then on; 03-26 is missed.
    const schedule = parseRecordedSchedule('cron(0 6 * * ? *)', 'Europe/Berlin');
    const utc = (text: string) => Date.parse(text);
    const runs = [
      { runId: 'a', atMs: utc('2035-03-24T05:00:20Z'), checked: true },
      { runId: 'b', atMs: utc('2035-03-25T04:00:20Z'), checked: true },
      { runId: 'c', atMs: utc('2035-03-27T04:01:00Z'), checked: false },
    ];
    const { coverage, gaps } = computeCoverage({
      runs,
      startMs: utc('2035-03-24T00:00:00Z'),
      endMs: utc('2035-03-28T00:00:00Z'),
      schedule: schedule!,
    });
    expect(coverage).toMatchObject({
      basis: 'schedule',
      schedule: 'cron(0 6 * * ? *) Europe/Berlin',
      intervalMinutes: 1440,
    });
    expect(coverage.slots).toEqual([
      { at: '2035-03-24T05:00:00.000Z', state: 'present', runId: 'a' },
      { at: '2035-03-25T04:00:00.000Z', state: 'present', runId: 'b' },
      { at: '2035-03-26T04:00:00.000Z', state: 'missing' },
      { at: '2035-03-27T04:00:00.000Z', state: 'failed', runId: 'c' },
    ]);
    expect(gaps).toEqual([{ from: '2035-03-26T04:00:00.000Z', to: '2035-03-26T04:00:00.000Z', missed: 1 }]);
  });

  it('takes a recorded schedule only when it parses: UTC by default, nothing for a bad expression or time zone', () => {
    expect(parseRecordedSchedule('cron(0 6 ? * MON-FRI *)')).toMatchObject({ timeZone: 'UTC' });
    expect(parseRecordedSchedule('rate(1 day)')).toEqual({ expression: 'rate(1 day)', intervalMinutes: 1440 });
    expect(parseRecordedSchedule('cron(0 6 * * * *)')).toBeUndefined();
    expect(parseRecordedSchedule('cron(0 6 * * ? *)', 'Mars/Olympus')).toBeUndefined();
    expect(parseRecordedSchedule('at(2035-01-01T00:00:00)')).toBeUndefined();
  });

  it('no run at all in the period is one gap over the whole period; one run alone is its own expectation', () => {
    expect(computeCoverage({ runs: [], startMs: START, endMs: at(3, 0) }).gaps).toEqual([
      { from: '2035-01-01T00:00:00.000Z', to: '2035-01-03T23:59:59.999Z', missed: 1 },
    ]);
    const single = computeCoverage({ runs: [run(1)], startMs: START, endMs: at(3, 0) });
    expect([single.coverage.basis, single.coverage.slots.length, single.gaps.length]).toEqual(['none', 1, 0]);
  });
});
