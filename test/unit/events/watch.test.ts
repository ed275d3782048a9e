import { describe, expect, it } from 'vitest';
import { TenantLocks } from '../../../lambda/events/watch';

/** A promise settled from outside, to hold work open while the test looks at what else started. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('TenantLocks', () => {
  it('runs work of one tenant in turn, and work of another tenant meanwhile', async () => {
    const locks = new TenantLocks(() => undefined);
    const order: string[] = [];
    const first = gate();
    const a1 = locks.run(['a'], async () => {
      order.push('a1 start');
      await first.promise;
      order.push('a1 end');
    });
    const a2 = locks.run(['a'], async () => {
      order.push('a2');
    });
    const b = locks.run(['b'], async () => {
      order.push('b');
    });
    await b;
    expect(order).toEqual(['a1 start', 'b']);
    first.open();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });

  it('waits for every tenant named: work over several tenants starts after the earlier work of each', async () => {
    const locks = new TenantLocks(() => undefined);
    const order: string[] = [];
    const held = gate();
    locks.run(['b'], async () => {
      await held.promise;
      order.push('b');
    });
    const both = locks.run(['a', 'b'], async () => {
      order.push('a+b');
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    held.open();
    await both;
    expect(order).toEqual(['b', 'a+b']);
  });

  it('logs a failure and runs the next work of that tenant anyway', async () => {
    const lines: string[] = [];
    const locks = new TenantLocks((line) => lines.push(line));
    const failed = locks.run(['a', 'b'], async () => {
      throw new Error('tenant unreachable');
    });
    await expect(failed).resolves.toBeUndefined();
    let ran = false;
    await locks.run(['a'], async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(lines).toEqual(['warning: check of a, b failed: tenant unreachable']);
  });

  it('settled() waits for the work queued so far', async () => {
    const locks = new TenantLocks(() => undefined);
    const held = gate();
    let done = false;
    locks.run(['a'], async () => {
      await held.promise;
      done = true;
    });
    const settled = locks.settled();
    held.open();
    await settled;
    expect(done).toBe(true);
  });
});
