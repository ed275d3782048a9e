import { describe, expect, it } from 'vitest';
import { AUDIT_OVERLAP_MS, parseAuditCursor, pollWindow, takeFreshEvents } from '../../../lambda/events/audit-cursor';
import { type Scheduler, TenantDebouncer, type Trigger, type TriggerSummary } from '../../../lambda/events/debouncer';
import { RecentEventIds } from '../../../lambda/events/dedupe';
import { webhookSubscription } from '../../../lambda/events/event-types';

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

describe('audit cursor', () => {
  const t0 = new Date('2026-12-06T10:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const event = (id: string, ms: number, eventType = 'com.qlik.core.role.updated') => ({
    id: `audit-${id}`,
    eventId: id,
    eventType,
    eventTime: at(ms).toISOString(),
  });

  it('sets the cursor on the first poll without counting old events', () => {
    const { fresh, cursor } = takeFreshEvents(undefined, [event('a', -1000)], t0);
    expect(fresh).toEqual([]);
    expect(cursor).toEqual({ until: t0.toISOString(), seen: ['a'] });
  });

  it('counts new relevant events once, across the overlap, and ignores irrelevant ones', () => {
    const first = takeFreshEvents(undefined, [event('a', -1000)], t0).cursor;
    const window = pollWindow(first, at(60_000));
    expect(window.since.getTime()).toBe(t0.getTime() - AUDIT_OVERLAP_MS);
    const second = takeFreshEvents(
      first,
      [event('c', 30_000, 'com.qlik.v1.app.created'), event('b', 20_000), event('a', -1000)],
      window.until,
    );
    expect(second.fresh.map((e) => e.eventId)).toEqual(['b']);
    const third = takeFreshEvents(second.cursor, [event('b', 20_000)], at(120_000));
    expect(third.fresh).toEqual([]);
  });

  it('reads back only well-formed cursors', () => {
    expect(parseAuditCursor({ until: t0.toISOString(), seen: ['a'] })).toEqual({
      until: t0.toISOString(),
      seen: ['a'],
    });
    expect(parseAuditCursor({ until: 'yesterday', seen: [] })).toBeUndefined();
    expect(parseAuditCursor({ until: t0.toISOString(), seen: [1] })).toBeUndefined();
    expect(parseAuditCursor('x')).toBeUndefined();
  });

  it('does not look back more than a day after a long pause', () => {
    const stale = { until: '2020-01-01T00:00:00Z', seen: [] };
    expect(pollWindow(stale, t0).since.getTime()).toBe(t0.getTime() - 24 * 3600 * 1000);
  });
});

describe('event types', () => {
  it('subscribes to the relevant types a tenant offers, nothing else', () => {
    const offered = ['com.qlik.v1.app.created', 'com.qlik.core.api-key.deleted', 'com.qlik.core.user.updated'];
    expect(webhookSubscription(offered)).toEqual(['com.qlik.core.user.updated', 'com.qlik.core.api-key.deleted']);
  });
});
