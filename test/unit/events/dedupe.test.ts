import { describe, expect, it } from 'vitest';
import { RecentEventIds } from '../../../lambda/events/dedupe';

describe('RecentEventIds', () => {
  it('counts an id once per tenant, forgets it after the time to live, and stays bounded', () => {
    const ids = new RecentEventIds(3, 1000);
    expect(ids.firstSighting('a', 'e1', 0)).toBe(true);
    expect(ids.firstSighting('a', 'e1', 10)).toBe(false);
    expect(ids.firstSighting('b', 'e1', 10)).toBe(true);
    expect(ids.firstSighting('a', 'e1', 2000)).toBe(true);
    ids.firstSighting('a', 'e2', 2000);
    ids.firstSighting('a', 'e3', 2000);
    expect(ids.size).toBe(3);
    expect(ids.firstSighting('b', 'e1', 2001)).toBe(true); // evicted as the oldest
  });
});
