/**
 * An outbound alert, built by pure code (lambda/notify builders) and delivered by a publisher (SNS in Lambda, preview
 * files and stderr lines in the CLI).
 */
import type { NotificationChannel, NotificationEventType, NotificationRecord, Severity } from '../report/model';

/** SNS message attributes used by subscription filter policies. */
export interface MessageAttributes {
  readonly severity: Severity;
  readonly tenant: string;
  readonly eventType: NotificationEventType;
}

export interface OutboundMessage {
  readonly channel: NotificationChannel;
  readonly eventType: NotificationEventType;
  readonly severity: Severity;
  /** Email subject (≤ 99 characters); for chat, the notification title. */
  readonly subject: string;
  /** Email: plain text. Chat: the AWS Chatbot custom-notification JSON, serialised. */
  readonly body: string;
  readonly attributes: MessageAttributes;
  /** Tenant id the message is about. */
  readonly tenantId: string;
}

export function toRecord(message: OutboundMessage): NotificationRecord {
  return {
    eventType: message.eventType,
    channel: message.channel,
    severity: message.severity,
    subject: message.subject,
  };
}

export interface Publisher {
  /** Delivers every message or throws; a partial failure names what was not delivered. */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
}
