import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, mapWithConcurrency, withDeadline } from '../../../lambda/util/concurrency';

describe('mapWithConcurrency', () => {
  it('never has more than the limit in flight and keeps input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const result = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(result).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it('handles an empty list', async () => {
    expect(await mapWithConcurrency([], 3, async () => 1)).toEqual([]);
  });
});

describe('withDeadline', () => {
  it('rejects at the deadline even when the work ignores the abort signal', async () => {
    let aborted = false;
    const pending = withDeadline(20, async (signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise<string>(() => {});
    });
    await expect(pending).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(aborted).toBe(true);
  });

  it('returns the result when the work finishes first', async () => {
    await expect(withDeadline(1_000, async () => 'done')).resolves.toBe('done');
  });
});
