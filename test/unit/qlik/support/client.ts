import { inspect } from 'node:util';
import { QlikClient, type QlikClientOptions } from '../../../../lambda/qlik/client';
import type { QlikCredentials } from '../../../../lambda/qlik/credentials';
import { type FakeTenant, ORIGIN } from './fake-tenant';

export const API_KEY = 'qag-test-api-key-5f2c9e1b7d';

export interface ClientHarness {
  readonly client: QlikClient;
  /** Delays the retry policy asked for, in order; retries run at once. */
  readonly delays: number[];
}

/** A client over the fake tenant whose retries run immediately, recording the delays they asked for. */
export function clientFor(
  tenant: FakeTenant,
  options: Partial<QlikClientOptions> & { credentials?: QlikCredentials } = {},
): ClientHarness {
  const delays: number[] = [];
  const client = new QlikClient({
    tenantUrl: ORIGIN,
    credentials: { kind: 'api-key', apiKey: API_KEY },
    dispatcher: tenant.agent,
    scheduleRetry: (callback, delayMs) => {
      delays.push(delayMs);
      return setTimeout(callback, 0);
    },
    ...options,
  });
  return { client, delays };
}

/** Awaits `promise`, expecting it to reject, and returns the error. */
export async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Every way an error could reach a log or report: message, stack, own fields and the whole `cause` chain. */
export function everythingAbout(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    parts.push(inspect(current, { depth: 10, showHidden: true }));
    if (current instanceof Error) {
      parts.push(String(current.stack), current.message);
      try {
        parts.push(JSON.stringify(current, Object.getOwnPropertyNames(current)));
      } catch {
        // circular: inspect covered it
      }
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}
