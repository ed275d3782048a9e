/**
 * The SNS publisher and the Secrets Manager reader against a real AWS API (moto): attributes reach SQS subscribers and
 * their filter policies; a tenant secret is read in both shapes.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTenantCredentials } from '../../../lambda/aws/secrets';
import type { OutboundMessage } from '../../../lambda/notify/message';
import { SnsPublisher } from '../../../lambda/notify/sns';
import { useMoto } from '../setup/moto-client';
import { drain, queueSubscribedTo } from '../setup/moto-resources';

const moto = useMoto();
const { sns, sqs, secrets } = moto.clients;

function outbound(
  channel: OutboundMessage['channel'],
  severity: OutboundMessage['severity'],
  tenant: string,
): OutboundMessage {
  return {
    channel,
    eventType: 'drift',
    severity,
    subject: `[${severity}] ${tenant}: key owners lost access`,
    body:
      channel === 'email' ? `Digest for ${tenant}` : JSON.stringify({ version: '1.0', source: 'custom', id: tenant }),
    attributes: { severity, tenant, eventType: 'drift' },
    tenantId: `id-${tenant}`,
  };
}

describe('SnsPublisher on SNS → SQS', () => {
  let emailTopic: string;
  let chatTopic: string;
  let emailAll: string;
  let emailCritical: string;
  let chatAll: string;

  beforeAll(async () => {
    emailTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-email' }))).TopicArn!;
    chatTopic = (await sns.send(new CreateTopicCommand({ Name: 'qag-chat' }))).TopicArn!;
    emailAll = await queueSubscribedTo(moto.clients, emailTopic, 'email-all');
    emailCritical = await queueSubscribedTo(moto.clients, emailTopic, 'email-critical', {
      FilterPolicy: JSON.stringify({ severity: ['critical'] }),
      RawMessageDelivery: 'true',
    });
    chatAll = await queueSubscribedTo(moto.clients, chatTopic, 'chat-all', { RawMessageDelivery: 'true' });

    await new SnsPublisher({ client: sns, emailTopicArn: emailTopic, chatTopicArn: chatTopic }).publish([
      outbound('email', 'critical', 'acme'),
      outbound('chat', 'critical', 'acme'),
      outbound('email', 'medium', 'globex'),
    ]);
  });

  it('delivers email with subject and attributes in the SNS envelope', async () => {
    const envelopes = (await drain(sqs, emailAll)).map((m) => JSON.parse(m.Body!));
    expect(envelopes).toHaveLength(2);
    const acme = envelopes.find((e) => e.Message === 'Digest for acme');
    expect(acme).toMatchObject({
      Type: 'Notification',
      Subject: '[critical] acme: key owners lost access',
      MessageAttributes: {
        severity: { Type: 'String', Value: 'critical' },
        tenant: { Type: 'String', Value: 'acme' },
        eventType: { Type: 'String', Value: 'drift' },
      },
    });
  });

  it('lets a severity filter policy through only critical messages', async () => {
    const messages = await drain(sqs, emailCritical);
    expect(messages.map((m) => m.Body)).toEqual(['Digest for acme']);
    expect(messages[0]!.MessageAttributes?.severity?.StringValue).toBe('critical');
  });

  it('delivers the Chatbot JSON unchanged to the chat topic', async () => {
    const messages = await drain(sqs, chatAll);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body!)).toEqual({ version: '1.0', source: 'custom', id: 'acme' });
    expect(messages[0]!.MessageAttributes?.eventType?.StringValue).toBe('drift');
  });
});

describe('readTenantCredentials on Secrets Manager', () => {
  it('reads an API key and an OAuth client', async () => {
    await secrets.send(
      new CreateSecretCommand({ Name: 'qag/acme', SecretString: JSON.stringify({ apiKey: 'k-123' }) }),
    );
    await secrets.send(
      new CreateSecretCommand({
        Name: 'qag/globex',
        SecretString: JSON.stringify({ clientId: 'cid', clientSecret: 'cs-456' }),
      }),
    );
    expect(await readTenantCredentials(secrets, 'qag/acme')).toEqual({ kind: 'api-key', apiKey: 'k-123' });
    expect(await readTenantCredentials(secrets, 'qag/globex')).toEqual({
      kind: 'oauth-client',
      clientId: 'cid',
      clientSecret: 'cs-456',
    });
  });

  it('names a missing secret as bad input', async () => {
    await expect(readTenantCredentials(secrets, 'qag/missing')).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringContaining('secret qag/missing was not found'),
    });
  });
});
