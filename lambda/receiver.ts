/**
 * Lambda entry of the webhook receiver, behind the Function URL (lambda/events/receiver-handler.ts). It reads the same
 * runtime config document as the checker: {@link RUNTIME_CONFIG_FILE} beside this bundle plus `QAG_CONFIG`.
 */
import { RUNTIME_CONFIG_FILE } from './config/runtime';
import { createReceiverHandler } from './events/receiver-handler';

export const handler = createReceiverHandler({ configFile: new URL(`./${RUNTIME_CONFIG_FILE}`, import.meta.url) });
