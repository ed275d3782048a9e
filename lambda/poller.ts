/**
 * Lambda entry of the audit poller, invoked by EventBridge Scheduler every `events.auditPollMinutes`
 * (lambda/events/poller-handler.ts). It reads the same runtime config document as the checker:
 * {@link RUNTIME_CONFIG_FILE} beside this bundle plus `QAG_CONFIG`.
 */
import { RUNTIME_CONFIG_FILE } from './config/runtime';
import { createPollerHandler } from './events/poller-handler';

export const handler = createPollerHandler({ configFile: new URL(`./${RUNTIME_CONFIG_FILE}`, import.meta.url) });
