import 'aws-sdk-client-mock-vitest/extend';
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../lambda/notify/message';
import { MAX_SUBJECT_LENGTH, PublishError, SnsPublisher, snsSubject } from '../../../lambda/notify/sns';

const EMAIL_TOPIC = 'arn:aws:sns:us-east-1:123456789012:qag-email';
const CHAT_TOPIC = 'arn:aws:sns:us-east-1:123456789012:qag-chat';

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  const channel = overrides.channel ?? 'email';
  return {
    channel,
    eventType: 'drift',
    severity: 'critical',
    subject: '[critical] acme: 2 API key owners lost Manage API keys',
    body: channel === 'email' ? 'Two key owners lost the permission…' : '{"version":"1.0","source":"custom"}',
    attributes: { severity: 'critical', tenant: 'acme', eventType: 'drift' },
    tenantId: 'tenant-acme',
    ...overrides,
  };
}

describe('SnsPublisher', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  it('publishes email to the email topic with a subject and string attributes', async () => {
    await new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC }).publish([message()]);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: EMAIL_TOPIC,
      Message: 'Two key owners lost the permission…',
      Subject: '[critical] acme: 2 API key owners lost Manage API keys',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        tenant: { DataType: 'String', StringValue: 'acme' },
        eventType: { DataType: 'String', StringValue: 'drift' },
      },
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageStructure).toBeUndefined();
  });

  it('drops chat messages below chatMinSeverity but never health alerts, and keeps every email', async () => {
    const chat = (severity: OutboundMessage['severity'], eventType: OutboundMessage['eventType']) =>
      message({ channel: 'chat', severity, eventType, attributes: { severity, tenant: 'acme', eventType } });
    await new SnsPublisher({
      client: new SNSClient({}),
      emailTopicArn: EMAIL_TOPIC,
      chatTopicArn: CHAT_TOPIC,
      chatMinSeverity: 'high',
    }).publish([
      chat('critical', 'drift'),
      chat('low', 'drift'),
      chat('medium', 'health'),
      message({ severity: 'low', attributes: { severity: 'low', tenant: 'acme', eventType: 'drift' } }),
    ]);
    const sent = sns
      .commandCalls(PublishCommand)
      .map((c) => [c.args[0].input.TopicArn, c.args[0].input.MessageAttributes?.severity?.StringValue]);
    expect(sent).toEqual([
      [CHAT_TOPIC, 'critical'],
      [CHAT_TOPIC, 'medium'],
      [EMAIL_TOPIC, 'low'],
    ]);
  });

  it('publishes chat to the chat topic, without a subject', async () => {
    const chat = message({
      channel: 'chat',
      severity: 'high',
      eventType: 'health',
      attributes: { severity: 'high', tenant: 'acme', eventType: 'health' },
    });
    await new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC, chatTopicArn: CHAT_TOPIC }).publish(
      [message(), chat],
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: CHAT_TOPIC,
      Message: chat.body,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'high' },
        tenant: { DataType: 'String', StringValue: 'acme' },
        eventType: { DataType: 'String', StringValue: 'health' },
      },
    });
    const chatCall = sns.commandCalls(PublishCommand).find((c) => c.args[0].input.TopicArn === CHAT_TOPIC)!;
    expect(chatCall.args[0].input.Subject).toBeUndefined();
  });

  it('skips chat messages when no chat topic is configured', async () => {
    await new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC }).publish([
      message({ channel: 'chat' }),
    ]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('cleans the subject SNS would reject', async () => {
    await new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC }).publish([
      message({ subject: 'acme:\r\n  key\towner\u0007 lost access' }),
    ]);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: 'acme: key owner lost access' });
  });

  it('publishes every message and then names the ones that failed, without their bodies', async () => {
    sns
      .on(PublishCommand, { TopicArn: CHAT_TOPIC })
      .rejects(new NotFoundException({ message: 'Topic does not exist', $metadata: {} }));
    const secretish = 'BODY-MARKER-7f3a';
    const publisher = new SnsPublisher({
      client: new SNSClient({}),
      emailTopicArn: EMAIL_TOPIC,
      chatTopicArn: CHAT_TOPIC,
    });
    const error = await publisher
      .publish([
        message({ body: secretish }),
        message({ channel: 'chat', body: secretish, tenantId: 'tenant-beta', eventType: 'reminder' }),
      ])
      .catch((e: unknown) => e);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(error).toBeInstanceOf(PublishError);
    const failure = error as PublishError;
    expect(failure.undelivered).toEqual([
      {
        eventType: 'reminder',
        channel: 'chat',
        tenantId: 'tenant-beta',
        reason: 'NotFoundException: Topic does not exist',
      },
    ]);
    expect(failure.message).toBe(
      '1 of 2 alert messages were not delivered: reminder chat for tenant tenant-beta (NotFoundException: Topic does not exist)',
    );
    expect(JSON.stringify(failure)).not.toContain(secretish);
    expect(failure.message).not.toContain(secretish);
  });

  it('refuses a message over the SNS size limit before sending it', async () => {
    const publisher = new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC });
    await expect(publisher.publish([message({ body: 'x'.repeat(262_144) })])).rejects.toThrow(/over the SNS limit/);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('does nothing for no messages', async () => {
    await new SnsPublisher({ client: new SNSClient({}), emailTopicArn: EMAIL_TOPIC }).publish([]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});

describe('snsSubject', () => {
  it('keeps a short clean subject as it is', () => {
    expect(snsSubject('[high] acme: Developer role still assigned')).toBe('[high] acme: Developer role still assigned');
  });

  it('cuts a long subject below 100 characters at a word, with an ellipsis', () => {
    const subject = snsSubject(`acme: ${'permission '.repeat(20)}`);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/permission…$/);
  });

  it('never splits a surrogate pair', () => {
    const subject = snsSubject('🔑'.repeat(80));
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toBe(`${'🔑'.repeat(49)}…`);
  });

  it('never sends an empty subject', () => {
    expect(snsSubject(' \n\t ')).toBe('qlik-access-guard alert');
  });
});
