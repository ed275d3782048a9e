import { describe, expect, it } from 'vitest';
import { eventRunId, eventsToCheck, groupByTenant, lastCheckStart, triggerOf } from '../../../lambda/events/queue-door';
import {
  deduplicationId,
  parseQueuedEvent,
  type QueuedEvent,
  queueMessageOf,
} from '../../../lambda/events/queue-message';

const event = (tenant: string, eventId: string, receivedAt: string, source: QueuedEvent['source'] = 'webhook') => ({
  tenant,
  eventType: 'com.qlik.core.user.updated',
  eventId,
  receivedAt,
  source,
});

describe('queue message', () => {
  it('groups by tenant and deduplicates by tenant and event id', () => {
    const message = queueMessageOf(event('acme', 'e-1', '2026-12-06T10:00:00.000Z'));
    expect(message.MessageGroupId).toBe('acme');
    expect(message.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(message.MessageDeduplicationId).toBe(deduplicationId('acme', 'e-1'));
    expect(deduplicationId('acme', 'e-1')).not.toBe(deduplicationId('acm', 'ee-1'));
    expect(parseQueuedEvent(message.MessageBody)).toEqual(event('acme', 'e-1', '2026-12-06T10:00:00.000Z'));
  });

  it('reads nothing but its own shape', () => {
    expect(parseQueuedEvent('not json')).toBeUndefined();
    expect(
      parseQueuedEvent(JSON.stringify({ ...event('acme', 'e', '2026-12-06T10:00:00Z'), extra: 1 })),
    ).toBeUndefined();
    expect(parseQueuedEvent(JSON.stringify(event('ac\nme', 'e', '2026-12-06T10:00:00Z')))).toBeUndefined();
    expect(parseQueuedEvent(JSON.stringify(event('acme', 'e', 'yesterday')))).toBeUndefined();
    expect(() => queueMessageOf(event('acme', '', '2026-12-06T10:00:00Z'))).toThrow();
  });
});

describe('queue door', () => {
  it('groups a batch by tenant in queue order and sets aside what is not an event message', () => {
    const records = [
      { messageId: 'm1', body: JSON.stringify(event('acme', 'a', '2026-12-06T10:00:00Z')) },
      { messageId: 'm2', body: JSON.stringify(event('globex', 'b', '2026-12-06T10:00:01Z')) },
      { messageId: 'm3', body: '{"hello":1}' },
      { messageId: 'm4', body: JSON.stringify(event('acme', 'c', '2026-12-06T10:00:02Z', 'audit')) },
    ];
    const { tenants, unreadable } = groupByTenant(records);
    expect(unreadable).toEqual(['m3']);
    expect(tenants.map((t) => [t.tenant, t.messageIds])).toEqual([
      ['acme', ['m1', 'm4']],
      ['globex', ['m2']],
    ]);
  });

  it('reads the last check start from the drift state run id, whatever kind of run it was', () => {
    expect(lastCheckStart({ lastRunId: '2026-12-06T06:00:00.000Z' })?.toISOString()).toBe('2026-12-06T06:00:00.000Z');
    expect(lastCheckStart({ lastRunId: eventRunId(new Date('2026-12-06T10:00:05.000Z')) })?.toISOString()).toBe(
      '2026-12-06T10:00:05.000Z',
    );
    expect(lastCheckStart({ lastRunId: 'manual-2026-12-06T09:00:00.000Z' })?.toISOString()).toBe(
      '2026-12-06T09:00:00.000Z',
    );
    expect(lastCheckStart({ lastRunId: 'apply-plan-1' })).toBeUndefined();
    expect(lastCheckStart(undefined)).toBeUndefined();
    expect(lastCheckStart('garbage')).toBeUndefined();
  });

  it('keeps only events received at or after the last check started', () => {
    const events = [
      event('acme', 'old', '2026-12-06T10:00:00.000Z'),
      event('acme', 'same', '2026-12-06T10:00:05.000Z'),
      event('acme', 'new', '2026-12-06T10:00:06.000Z'),
    ];
    expect(eventsToCheck(events, new Date('2026-12-06T10:00:05.000Z')).map((e) => e.eventId)).toEqual(['same', 'new']);
    expect(eventsToCheck(events, undefined)).toHaveLength(3);
    expect(eventsToCheck(events, new Date('2026-12-06T11:00:00.000Z'))).toEqual([]);
  });

  it('names the earliest event and its source as the trigger', () => {
    const trigger = triggerOf([
      event('acme', 'later', '2026-12-06T10:00:06.000Z'),
      event('acme', 'first', '2026-12-06T10:00:01.000Z', 'audit'),
    ]);
    expect(trigger).toEqual({
      kind: 'event',
      eventType: 'com.qlik.core.user.updated',
      eventId: 'first',
      receivedAt: '2026-12-06T10:00:01.000Z',
      source: 'audit',
    });
    expect(() => triggerOf([])).toThrow();
  });
});
