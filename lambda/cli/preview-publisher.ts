/**
 * The CLI's publisher: nothing leaves the machine. Messages are kept for the run folder's previews (`email.txt`,
 * `chat.json`) and announced one line each on stderr.
 */
import type { OutboundMessage, Publisher } from '../notify/message';

export class PreviewPublisher implements Publisher {
  readonly messages: OutboundMessage[] = [];

  constructor(private readonly announce: (line: string) => void) {}

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    for (const message of messages) {
      this.messages.push(message);
      this.announce(
        `notification: ${message.eventType} ${message.channel} [${message.severity}] ${message.attributes.tenant}: ${message.subject}`,
      );
    }
  }

  /** All email messages, as one text file a person can read. */
  emailPreview(): string {
    return this.messages
      .filter((m) => m.channel === 'email')
      .map((m) => `Subject: ${m.subject}\nAttributes: ${JSON.stringify(m.attributes)}\n\n${m.body}`)
      .join(`\n\n${'='.repeat(72)}\n\n`);
  }

  /** All chat messages, each the Chatbot custom-notification JSON that SNS would carry. */
  chatPreview(): string {
    const chats = this.messages.filter((m) => m.channel === 'chat').map((m) => JSON.parse(m.body) as unknown);
    return `${JSON.stringify(chats, null, 2)}\n`;
  }
}
