import { describe, expect, it } from 'vitest';
import { type CronSchedule, cronTimes, parseCron, ScheduleExpressionError } from '../../../lambda/util/cron';
import { DAY_MS } from '../../../lambda/util/time';

const cron = (body: string): CronSchedule => parseCron(body, `cron(${body})`);
const times = (body: string, timeZone: string, from: string, to: string, limit = 1000) =>
  cronTimes(cron(body), timeZone, Date.parse(from), Date.parse(to), limit).map((ms) => new Date(ms).toISOString());

describe('cron run times', () => {
  it('expands a daily schedule in UTC, from the start (inclusive) to the end (exclusive)', () => {
    expect(times('0 6 * * ? *', 'UTC', '2035-01-01T06:00:00Z', '2035-01-04T06:00:00Z')).toEqual([
      '2035-01-01T06:00:00.000Z',
      '2035-01-02T06:00:00.000Z',
      '2035-01-03T06:00:00.000Z',
    ]);
  });

  it('keeps the local time across a daylight-saving change in the time zone', () => {
    // Europe/Berlin moves from UTC+1 to UTC+2 on 2035-03-25: 06:00 local is 05:00Z before and 04:00Z after.
    expect(times('0 6 * * ? *', 'Europe/Berlin', '2035-03-24T00:00:00Z', '2035-03-27T00:00:00Z')).toEqual([
      '2035-03-24T05:00:00.000Z',
      '2035-03-25T04:00:00.000Z',
      '2035-03-26T04:00:00.000Z',
    ]);
  });

  it('skips a local time the clocks jump over and runs a repeated local time once', () => {
    // America/New_York: 2035-03-11 02:00 jumps to 03:00; 2035-11-04 01:00-02:00 happens twice (EDT, then EST).
    expect(times('30 2 * * ? *', 'America/New_York', '2035-03-10T00:00:00Z', '2035-03-13T00:00:00Z')).toEqual([
      '2035-03-10T07:30:00.000Z',
      '2035-03-12T06:30:00.000Z',
    ]);
    expect(times('30 1 * * ? *', 'America/New_York', '2035-11-03T00:00:00Z', '2035-11-06T00:00:00Z')).toEqual([
      '2035-11-03T05:30:00.000Z',
      '2035-11-04T05:30:00.000Z',
      '2035-11-05T06:30:00.000Z',
    ]);
  });

  it('selects days of the week with "?" in day-of-month, by number or name', () => {
    // 2035-01-01 is a Monday.
    const weekdays = times('0 6 ? * MON-FRI *', 'UTC', '2035-01-01T00:00:00Z', '2035-01-15T00:00:00Z');
    expect(weekdays).toHaveLength(10);
    expect(weekdays.every((t) => ![0, 6].includes(new Date(t).getUTCDay()))).toBe(true);
    expect(times('0 6 ? * 2,6 *', 'UTC', '2035-01-01T00:00:00Z', '2035-01-08T00:00:00Z')).toEqual([
      '2035-01-01T06:00:00.000Z',
      '2035-01-05T06:00:00.000Z',
    ]);
  });

  it('selects days relative to the month: L, L-n, LW, nW, dL and d#n', () => {
    const firsts = (body: string) =>
      times(body, 'UTC', '2035-01-01T00:00:00Z', '2035-07-01T00:00:00Z').map((t) => t.slice(0, 10));
    expect(firsts('0 6 L * ? *')).toEqual([
      '2035-01-31',
      '2035-02-28',
      '2035-03-31',
      '2035-04-30',
      '2035-05-31',
      '2035-06-30',
    ]);
    expect(firsts('0 6 L-2 1-2 ? *')).toEqual(['2035-01-29', '2035-02-26']);
    // 2035-03-31 is a Saturday, 2035-06-30 a Saturday: the last weekday is the Friday before.
    expect(firsts('0 6 LW 3,6 ? *')).toEqual(['2035-03-30', '2035-06-29']);
    // 2035-09-01 is a Saturday: "1W" is Monday the 3rd, never the previous month; 2035-04-15 is a Sunday: Monday 16.
    expect(times('0 6 1W 9 ? *', 'UTC', '2035-08-01T00:00:00Z', '2035-10-01T00:00:00Z')).toEqual([
      '2035-09-03T06:00:00.000Z',
    ]);
    expect(firsts('0 6 15W 4 ? *')).toEqual(['2035-04-16']);
    // Last Friday and first Monday of January and February 2035.
    expect(firsts('0 6 ? 1-2 6L *')).toEqual(['2035-01-26', '2035-02-23']);
    expect(firsts('0 6 ? 1-2 MON#1 *')).toEqual(['2035-01-01', '2035-02-05']);
  });

  it('refuses more run times than the limit rather than exhausting memory', () => {
    expect(() => times('* * * * ? *', 'UTC', '2035-01-01T00:00:00Z', '2035-01-02T00:00:00Z', 100)).toThrow(RangeError);
    expect(times('* * * * ? *', 'UTC', '2035-01-01T00:00:00Z', '2035-01-02T00:00:00Z', DAY_MS)).toHaveLength(1440);
  });

  it.each([
    ['0 6 * * * *', /exactly one of day-of-month and day-of-week/],
    ['0 6 * * ? 2035', /"\*" as the year field/],
    ['0 6 32W * ? *', /day-of-month field "32W"/],
    ['0 6 ? * 8#1 *', /day-of-week field "8#1"/],
    ['0 6 ? * MON#6 *', /day-of-week field "MON#6"/],
  ])('refuses %s', (body, message) => {
    expect(() => cron(body)).toThrow(message);
  });

  it('refuses a time zone Intl does not know', () => {
    expect(() => times('0 6 * * ? *', 'Mars/Olympus', '2035-01-01T00:00:00Z', '2035-01-02T00:00:00Z')).toThrow(
      ScheduleExpressionError,
    );
  });
});
