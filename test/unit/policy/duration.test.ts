import { describe, expect, it } from 'vitest';
import { addIsoDuration, compareIsoDurations, durationInDays, parseIsoDuration } from '../../../lambda/policy/duration';

const AT = new Date('2026-01-31T10:00:00.000Z');

function parse(text: string) {
  const duration = parseIsoDuration(text);
  if (!duration) throw new Error(`${text} should parse`);
  return duration;
}

describe('ISO-8601 durations', () => {
  it.each(['P365D', 'PT24H', 'P1Y2M3DT4H5M6S', 'P2W', 'PT0.5S', 'P0D'])('parses %s', (text) => {
    expect(parseIsoDuration(text)).toBeDefined();
  });

  it.each(['', 'P', 'PT', '365D', 'P1DT', 'p365d', 'P1.5D', 'PT1H2', '365 days'])('rejects %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('compares by length from an instant', () => {
    expect(compareIsoDurations(parse('PT24H'), parse('P1D'), AT)).toBe(0);
    expect(compareIsoDurations(parse('PT8761H'), parse('P365D'), AT)).toBeGreaterThan(0);
    expect(compareIsoDurations(parse('P12M'), parse('P1Y'), AT)).toBe(0);
    expect(compareIsoDurations(parse('P2W'), parse('P15D'), AT)).toBeLessThan(0);
    // 2026 is not a leap year; from 2027-06 onwards the year spans 2028-02-29.
    expect(compareIsoDurations(parse('P1Y'), parse('P365D'), AT)).toBe(0);
    expect(compareIsoDurations(parse('P1Y'), parse('P365D'), new Date('2027-06-01T00:00:00Z'))).toBeGreaterThan(0);
  });

  it('adds months the calendar way, ending on the last day of a shorter month', () => {
    expect(addIsoDuration(AT, parse('P1M')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addIsoDuration(AT, parse('P1Y1M')).toISOString()).toBe('2027-02-28T10:00:00.000Z');
    expect(addIsoDuration(AT, parse('P1DT1H30M')).toISOString()).toBe('2026-02-01T11:30:00.000Z');
  });

  it('gives a readable length in days', () => {
    expect(durationInDays(parse('PT36H'), AT)).toBe(1.5);
    expect(durationInDays(parse('P1Y'), AT)).toBe(365);
  });
});
