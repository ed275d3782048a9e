/**
 * Delivers alerts through SNS: the email digest to the email topic, the Chatbot JSON to the chat topic. Each is a plain
 * String message (not MessageStructure json), because only then do the message attributes reach subscription filter
 * policies.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SEVERITY_RANK, type Severity } from '../report/model';
import type { OutboundMessage, Publisher } from './message';

export interface SnsPublisherOptions {
  readonly client: SNSClient;
  readonly emailTopicArn: string;
  /** Omitted = chat messages are not sent (no chat channel configured). */
  readonly chatTopicArn?: string;
  /**
   * Chat messages below this severity are dropped (health alerts never are): Chatbot's own subscription to the chat
   * topic cannot carry a filter policy. @default every chat message is sent
   */
  readonly chatMinSeverity?: Severity;
}

/** SNS rejects subjects of 100 characters or more, with line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;
/** SNS message size limit: the body plus the attribute names, types and values. */
export const MAX_MESSAGE_BYTES = 262_144;

export interface UndeliveredMessage {
  readonly eventType: OutboundMessage['eventType'];
  readonly channel: OutboundMessage['channel'];
  readonly tenantId: string;
  /** Why, from SNS (error name and message); never the message body. */
  readonly reason: string;
}

/** Some messages were not delivered. Names them by event type, channel and tenant; never carries their bodies. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly undelivered: readonly UndeliveredMessage[],
    readonly attempted: number,
  ) {
    super(
      `${undelivered.length} of ${attempted} alert messages were not delivered: ${undelivered
        .map((u) => `${u.eventType} ${u.channel} for tenant ${u.tenantId} (${u.reason})`)
        .join('; ')}`,
    );
  }
}

export class SnsPublisher implements Publisher {
  constructor(private readonly options: SnsPublisherOptions) {}

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    const deliveries = messages.flatMap((message) => {
      const topicArn = message.channel === 'email' ? this.options.emailTopicArn : this.options.chatTopicArn;
      return topicArn && this.wanted(message) ? [{ message, topicArn }] : [];
    });
    const results = await Promise.allSettled(deliveries.map(({ message, topicArn }) => this.send(message, topicArn)));
    const undelivered = results.flatMap((result, index) =>
      result.status === 'rejected'
        ? [
            {
              eventType: deliveries[index]!.message.eventType,
              channel: deliveries[index]!.message.channel,
              tenantId: deliveries[index]!.message.tenantId,
              reason: describeFailure(result.reason),
            },
          ]
        : [],
    );
    if (undelivered.length > 0) throw new PublishError(undelivered, deliveries.length);
  }

  private wanted(message: OutboundMessage): boolean {
    const min = this.options.chatMinSeverity;
    if (message.channel !== 'chat' || !min || message.eventType === 'health') return true;
    return SEVERITY_RANK[message.severity] >= SEVERITY_RANK[min];
  }

  private async send(message: OutboundMessage, topicArn: string): Promise<void> {
    const attributes = {
      severity: { DataType: 'String', StringValue: message.attributes.severity },
      tenant: { DataType: 'String', StringValue: message.attributes.tenant },
      eventType: { DataType: 'String', StringValue: message.attributes.eventType },
    };
    const size =
      Buffer.byteLength(message.body) +
      Object.entries(attributes).reduce(
        (sum, [name, value]) =>
          sum + Buffer.byteLength(name) + value.DataType.length + Buffer.byteLength(value.StringValue),
        0,
      );
    if (size > MAX_MESSAGE_BYTES) {
      throw new Error(`message is ${size} bytes, over the SNS limit of ${MAX_MESSAGE_BYTES}`);
    }
    await this.options.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message.body,
        ...(message.channel === 'email' ? { Subject: snsSubject(message.subject) } : {}),
        MessageAttributes: attributes,
      }),
    );
  }
}

/**
 * A subject SNS accepts: no line breaks or control characters, fewer than 100 characters, not empty. Cut at a word
 * boundary when possible, with an ellipsis.
 */
export function snsSubject(subject: string): string {
  const flat = subject
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length === 0) return 'qlik-access-guard alert';
  if (flat.length <= MAX_SUBJECT_LENGTH) return flat;
  // Cut by code points so a surrogate pair is never split, leaving room for the ellipsis.
  let cut = '';
  for (const char of flat) {
    if (cut.length + char.length > MAX_SUBJECT_LENGTH - 1) break;
    cut += char;
  }
  const atWord = cut.replace(/\s+\S*$/, '');
  return `${atWord.length >= MAX_SUBJECT_LENGTH / 2 ? atWord : cut.trimEnd()}…`;
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  return error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
}
