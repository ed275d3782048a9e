import { describe, expect, it } from 'vitest';
import { renderChat } from '../../../lambda/notify/chat';
import {
  CHAT_DESCRIPTION_MAX,
  type ChatbotNotification,
  ChatbotNotificationSchema,
} from '../../../lambda/notify/chatbot-schema';
import type { AlertContent } from '../../../lambda/notify/content';
import { tenantErrorIssue } from '../../../lambda/notify/health';
import { planNotifications } from '../../../lambda/notify/plan';
import { utf8Bytes } from '../../../lambda/notify/text';
import { alertContext, checkRun, dayAt, finding, groupDraft, TENANT_ID, TENANT_URL, userDraft } from './fixtures';

function parse(body: string): ChatbotNotification {
  return ChatbotNotificationSchema.parse(JSON.parse(body));
}

describe('Chatbot custom notification', () => {
  it('validates for drift, reminder and health messages built by the plan', () => {
    const first = checkRun({
      previous: undefined,
      drafts: [userDraft('u1', 'Alice'), groupDraft('g1', 'Builders')],
      now: dayAt(1),
    });
    const drift = planNotifications(first.input);
    const reminder = planNotifications(
      checkRun({
        previous: drift.next,
        drafts: [userDraft('u1', 'Alice'), groupDraft('g1', 'Builders')],
        now: dayAt(8),
      }).input,
    );
    const health = planNotifications({
      ...first.input,
      archiveFailed: 'AccessDenied',
      credentialExpiresAt: '2026-03-02T00:00:00Z',
    });
    const chats = [...drift.messages, ...reminder.messages, ...health.messages].filter((m) => m.channel === 'chat');
    expect(chats.map((m) => m.eventType)).toEqual(['drift', 'reminder', 'drift', 'health']);
    for (const message of chats) {
      const notification = parse(message.body);
      expect(notification.metadata.eventType).toBe(message.eventType);
      expect(notification.metadata.threadId).toBe(TENANT_ID);
      expect(notification.content.title).toBe(message.subject);
    }
  });

  it('identifies the notification by run and tenant, keeping health alerts distinct', () => {
    const digest: AlertContent = {
      kind: 'health',
      context: alertContext(),
      severity: 'high',
      issues: [tenantErrorIssue({ code: 'forbidden', message: 'HTTP 403 on /api/v1/roles' })],
    };
    const health = renderChat(digest).notification;
    expect(health.id).toBe(`2026-03-01T06:00:00Z#${TENANT_ID}#health`);
    expect(health.content.nextSteps.join(' ')).toContain('TenantAdmin');
    const drift = renderChat({
      ...digest,
      kind: 'reminder',
      failing: [],
      since: 'x',
      totals: { failing: 0, suppressed: 0 },
    });
    expect(drift.notification.id).toBe(`2026-03-01T06:00:00Z#${TENANT_ID}`);
  });

  it('keeps the description within a Slack section and the JSON far below 256 KB with 10,000 findings', () => {
    const findings = Array.from({ length: 10_000 }, (_, i) =>
      finding(userDraft(`u${i}`, `User ${i} ${'名'.repeat(100)}`, { remediation: 'x'.repeat(5_000) })),
    );
    const { body, notification } = renderChat({
      kind: 'drift',
      context: alertContext({ maxItemsPerSection: 10_000 }),
      severity: 'critical',
      counts: { new: 10_000, reopened: 0, exceptionExpired: 0, resolved: 10_000 },
      changed: findings,
      resolved: findings,
      stillFailing: findings,
      totals: { failing: 20_000, suppressed: 0 },
    });
    expect(notification.content.description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX);
    expect(notification.content.description).toContain('truncated');
    expect(utf8Bytes(body)).toBeLessThan(16 * 1024);
    expect(() => parse(body)).not.toThrow();
  });

  it('escapes Slack control sequences in names so nobody can ping the channel', () => {
    const evil = finding(userDraft('u1', '<!channel> & <@U123|boss>'));
    const { notification } = renderChat({
      kind: 'drift',
      context: alertContext({ tenantName: 'acme <!here>' }),
      severity: 'critical',
      counts: { new: 1, reopened: 0, exceptionExpired: 0, resolved: 0 },
      changed: [evil],
      resolved: [],
      stillFailing: [],
      totals: { failing: 1, suppressed: 0 },
    });
    const rendered = JSON.stringify(notification.content);
    expect(rendered).not.toContain('<!channel>');
    expect(rendered).not.toContain('<!here>');
    expect(rendered).not.toContain('<@U123');
    expect(notification.content.description).toContain('&lt;!channel&gt; &amp; &lt;@U123|boss&gt;');
  });

  it('links the report when stored and says when it is not', () => {
    const base: AlertContent = {
      kind: 'reminder',
      context: alertContext(),
      severity: 'critical',
      failing: [finding(userDraft('u1', 'Alice'))],
      since: '2026-02-22T06:00:00.000Z',
      totals: { failing: 1, suppressed: 0 },
    };
    const stored = renderChat(base).notification;
    expect(stored.content.description).toContain('<https://reports.example.com/run/1|Open the stored report>');
    expect(stored.metadata.relatedResources).toEqual([TENANT_URL, 'https://reports.example.com/run/1']);
    const failed = renderChat({ ...base, context: alertContext({ archiveFailed: 'AccessDenied' }) }).notification;
    expect(failed.content.description).toContain('Report not stored');
    expect(failed.metadata.relatedResources).toEqual([TENANT_URL]);
  });

  it('has a strict schema: unknown fields and wrong constants are refused', () => {
    const { notification } = renderChat({
      kind: 'reminder',
      context: alertContext(),
      severity: 'low',
      failing: [],
      since: 'x',
      totals: { failing: 0, suppressed: 0 },
    });
    expect(ChatbotNotificationSchema.safeParse({ ...notification, extra: 1 }).success).toBe(false);
    expect(ChatbotNotificationSchema.safeParse({ ...notification, version: '2.0' }).success).toBe(false);
    expect(
      ChatbotNotificationSchema.safeParse({
        ...notification,
        content: { ...notification.content, textType: 'markdown' },
      }).success,
    ).toBe(false);
  });
});
