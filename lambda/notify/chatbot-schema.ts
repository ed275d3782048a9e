/**
 * The AWS Chatbot (Amazon Q Developer in chat applications) custom-notification format. Chatbot silently drops
 * anything else it receives on the topic, so every chat message is validated against this schema in tests.
 *
 * The length limits are ours, not Chatbot's: Slack renders a section of at most 3,000 characters, and small fields
 * keep the whole notification far below the 256 KB SNS limit.
 */
import * as z from 'zod';

export const CHAT_DESCRIPTION_MAX = 2_999;
export const CHAT_TITLE_MAX = 250;
export const CHAT_LIST_MAX = 10;
export const CHAT_ITEM_MAX = 500;
export const CHAT_KEYWORD_MAX = 64;

const text = (max: number) => z.string().min(1).max(max);

export const ChatbotNotificationSchema = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  /** `<runId>#<tenantId>`, with `#health` for health alerts so each notification of a run has its own id. */
  id: text(CHAT_ITEM_MAX),
  content: z.strictObject({
    textType: z.literal('client-markdown'),
    title: text(CHAT_TITLE_MAX),
    description: text(CHAT_DESCRIPTION_MAX),
    nextSteps: z.array(text(CHAT_ITEM_MAX)).max(CHAT_LIST_MAX),
    keywords: z.array(text(CHAT_KEYWORD_MAX)).max(CHAT_LIST_MAX),
  }),
  metadata: z.strictObject({
    /** The tenant id: one Slack thread per tenant. */
    threadId: text(CHAT_ITEM_MAX),
    summary: text(CHAT_ITEM_MAX),
    eventType: z.enum(['drift', 'reminder', 'health']),
    relatedResources: z.array(text(2_048)).max(CHAT_LIST_MAX),
    additionalContext: z
      .record(z.string().min(1).max(CHAT_KEYWORD_MAX), z.string().max(CHAT_ITEM_MAX))
      .refine((record) => Object.keys(record).length <= 20, { error: 'at most 20 entries' }),
  }),
});

export type ChatbotNotification = z.infer<typeof ChatbotNotificationSchema>;
