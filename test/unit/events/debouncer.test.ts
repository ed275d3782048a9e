import { describe, expect, it } from 'vitest';
import { type Scheduler, TenantDebouncer, type Trigger, type TriggerSummary } from '../../../lambda/events/debouncer';

/** A scheduler the test advances by hand. */
function manualScheduler() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const scheduler: Scheduler = {
    set(callback) {
      pending.set(++next, callback);
      return next;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  const fireAll = () => {
    const due = [...pending.values()];
    pending.clear();
    for (const f of due) f();
  };
  return { scheduler, fireAll, pending };
}

const trigger = (n: number): Trigger => ({
  source: 'webhook',
  eventType: 'com.qlik.core.user.updated',
  eventId: `e${n}`,
  at: '',
});

describe('TenantDebouncer', () => {
  it('turns a burst into one check carrying the count and the first triggers', async () => {
    const { scheduler, fireAll } = manualScheduler();
    const checks: [string, TriggerSummary][] = [];
    const debouncer = new TenantDebouncer(20_000, async (t, s) => void checks.push([t, s]), scheduler);
    for (let i = 0; i < 500; i++) debouncer.notify('acme', trigger(i));
    debouncer.notify('other', trigger(0));
    fireAll();
    await debouncer.stop();
    expect(checks.map(([t, s]) => [t, s.count])).toEqual([
      ['acme', 500],
      ['other', 1],
    ]);
    expect(checks[0]![1].first).toHaveLength(5);
  });

  it('never overlaps two checks of a tenant: events during a check wait for the next window', async () => {
    const { scheduler, fireAll, pending } = manualScheduler();
    let release: () => void = () => {};
    const counts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const debouncer = new TenantDebouncer(
      1000,
      async (_t, s) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        counts.push(s.count);
        await new Promise<void>((resolve) => (release = resolve));
        running--;
      },
      scheduler,
    );
    debouncer.notify('acme', trigger(1));
    fireAll();
    debouncer.notify('acme', trigger(2));
    debouncer.notify('acme', trigger(3));
    expect(pending.size).toBe(0); // no window while the check runs
    release();
    await new Promise((r) => setImmediate(r));
    expect(pending.size).toBe(1);
    fireAll();
    release();
    await debouncer.stop();
    expect(counts).toEqual([1, 2]);
    expect(maxRunning).toBe(1);
  });

  it('stop drops open windows without checking', async () => {
    const { scheduler } = manualScheduler();
    let checks = 0;
    const debouncer = new TenantDebouncer(1000, async () => void checks++, scheduler);
    debouncer.notify('acme', trigger(1));
    await debouncer.stop();
    debouncer.notify('acme', trigger(2));
    expect(checks).toBe(0);
    expect(debouncer.busy()).toEqual([]);
  });
});
