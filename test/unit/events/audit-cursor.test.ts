import { describe, expect, it } from 'vitest';
import { AUDIT_OVERLAP_MS, parseAuditCursor, pollWindow, takeFreshEvents } from '../../../lambda/events/audit-cursor';

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
