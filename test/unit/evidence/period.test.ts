import { describe, expect, it } from 'vitest';
import { parsePeriod, periodOf } from '../../../lambda/evidence/period';

describe('audit period', () => {
  it('takes whole UTC days, --to included', () => {
    const bounds = parsePeriod('2035-03-01', '2035-03-31');
    expect(periodOf(bounds)).toEqual({ from: '2035-03-01T00:00:00.000Z', to: '2035-03-31T23:59:59.999Z' });
  });

  it('takes exact instants with an offset', () => {
    expect(periodOf(parsePeriod('2035-03-01T06:00:00+02:00', '2035-03-02T06:00Z'))).toEqual({
      from: '2035-03-01T04:00:00.000Z',
      to: '2035-03-02T06:00:00.000Z',
    });
  });

  it.each([
    ['2035-02-30', '2035-03-01', /--from: a date such as/],
    ['2035-03-01', 'yesterday', /--to: a date such as .*\(got "yesterday"\)/],
    [undefined, '2035-03-01', /--from/],
    ['2035-03-02', '2035-03-01', /--to: a date on or after --from/],
  ])('refuses %s … %s', (from, to, message) => {
    expect(() => parsePeriod(from, to)).toThrow(message);
  });
});
