import { describe, expect, it } from 'vitest';
import { webhookSubscription } from '../../../lambda/events/event-types';

describe('event types', () => {
  it('subscribes to the relevant types a tenant offers, nothing else', () => {
    const offered = ['com.qlik.v1.app.created', 'com.qlik.core.api-key.deleted', 'com.qlik.core.user.updated'];
    expect(webhookSubscription(offered)).toEqual(['com.qlik.core.user.updated', 'com.qlik.core.api-key.deleted']);
  });
});
