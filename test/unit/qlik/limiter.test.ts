import { describe, expect, it } from 'vitest';
import { RequestLimiter } from '../../../lambda/qlik/limiter';

const never = new AbortController().signal;

describe('RequestLimiter', () => {
  it('keeps at most maxInFlight requests running', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 3, perMinute: 1000 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.run(never, async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 1));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(limiter.active).toBe(0);
  });

  it('waits for the rolling minute once the budget is spent', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RequestLimiter({
      maxInFlight: 10,
      perMinute: 2,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    const started: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await limiter.run(never, async () => {
        started.push(now);
        now += 1000;
      });
    }
    expect(started).toEqual([0, 1000, 60_000, 61_000, 120_000]);
    expect(waits).toEqual([58_000, 58_000]);
  });

  it('drops a queued request when its signal aborts', async () => {
    const limiter = new RequestLimiter({ maxInFlight: 1, perMinute: 100 });
    let release!: () => void;
    const first = limiter.run(never, () => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let ran = false;
    const second = limiter.run(controller.signal, async () => {
      ran = true;
    });
    controller.abort(new Error('deadline'));
    await expect(second).rejects.toThrow('deadline');
    release();
    await first;
    expect(ran).toBe(false);
    expect(limiter.active).toBe(0);
  });
});
