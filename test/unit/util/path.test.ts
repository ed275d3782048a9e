import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../lambda/util/path';

describe('formatPath', () => {
  it('reads like a JSON path, with names dotted and indexes bracketed', () => {
    expect(formatPath(['rules', 'api-key-expiring', 'windowDays'])).toBe('rules.api-key-expiring.windowDays');
    expect(formatPath(['require', 0, 'scopes'])).toBe('require[0].scopes');
    expect(formatPath([0, 'id'])).toBe('[0].id');
  });

  it('quotes keys that are no plain name', () => {
    expect(formatPath(['systemGroups', '000000000000000000000001'])).toBe('systemGroups["000000000000000000000001"]');
    expect(formatPath(['findings', 'qag-1'], { dashesInNames: false })).toBe('findings["qag-1"]');
  });

  it('writes every key after a dot when asked not to quote', () => {
    expect(formatPath(['systemGroups', '000000000000000000000001', 'name'], { quoteOddKeys: false })).toBe(
      'systemGroups.000000000000000000000001.name',
    );
  });
});
