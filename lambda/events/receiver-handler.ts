/**
 * The webhook receiver Lambda behind a Function URL with auth NONE (docs/events.md, "In AWS"): Qlik cannot sign AWS
 * requests, so the delivery's own `Qlik-Signature` is the authentication, checked (./delivery.ts, the same verdict as
 * `watch`) before anything else happens. A verified, relevant delivery becomes one message on the SQS FIFO event queue
 * (./queue-message.ts); nothing else of its body travels on and neither the body nor the signature reaches a log.
 *
 * Phases of one invocation: read the request (base64 Function URL bodies decoded, so the signature is checked over the
 * raw bytes) → look up the tenant's webhook secret (cached, re-read once when a signature does not match so a rotated
 * secret takes effect at once) → judge → enqueue → answer.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createTelemetry } from '../aws/powertools';
import { type LoadRuntimeConfigOptions, loadRuntimeConfigWithoutPolicy } from '../config/load';
import type { EventsConfig, RuntimeConfig } from '../config/runtime';
import { EventMetric } from '../config/telemetry';
import { messageOf } from '../errors';
import { createEventClients, type EventClients } from './aws-clients';
import { readWebhookSecret } from './aws-webhook-secret';
import { type DeliveryVerdict, judgeDelivery, MAX_DELIVERY_BYTES, tenantOfPath } from './delivery';
import { queueMessageOf } from './queue-message';
import { SIGNATURE_HEADER } from './signature';

/** A secret read this long ago is used without asking Secrets Manager again (a rotation also re-reads at once). */
const SECRET_TTL_MS = 5 * 60_000;
/** A signature mismatch re-reads a secret older than this, once: `webhooks install` rotates it in place. */
const SECRET_REFRESH_AFTER_MS = 10_000;

export interface ReceiverOverrides {
  /** The whole runtime config document, used as given (tests). @default the file beside the bundle + `QAG_CONFIG` */
  readonly config?: unknown;
  /** The synth-time part of the runtime config, beside the bundled entry module (lambda/receiver.ts). */
  readonly configFile: LoadRuntimeConfigOptions['configFile'];
  readonly clients?: Pick<EventClients, 'sqs' | 'secrets'>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => Date;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tenant URLs may be plain http to loopback (tests); only through this factory. */
  readonly allowHttpLoopback?: boolean;
}

export type ReceiverHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

interface Receiver {
  readonly events: EventsConfig;
  /** Configured tenant name → its webhook secret's id; tenants without one get 404. */
  readonly secretIds: ReadonlyMap<string, string>;
}

/** Thin handler: one {@link WebhookReceiver} per cold start (its config and secret cache live as long). */
export function createReceiverHandler(overrides: ReceiverOverrides): ReceiverHandler {
  const receiver = new WebhookReceiver(overrides);
  return (event) => receiver.handle(event);
}

type Request = ReturnType<typeof readRequest>;
type Rejection = Exclude<DeliveryVerdict, { status: 204 }>;
type Acceptance = Extract<DeliveryVerdict, { status: 204 }>;

class WebhookReceiver {
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => Date;
  private clients: ReceiverOverrides['clients'];
  private receiver: Receiver | undefined;
  private readonly secrets = new Map<string, { readonly secret: string; readonly readAt: number }>();

  constructor(private readonly overrides: ReceiverOverrides) {
    this.env = overrides.env ?? process.env;
    ({ logger: this.logger, metrics: this.metrics } = createTelemetry(this.env, overrides));
    this.now = overrides.now ?? (() => new Date());
    this.clients = overrides.clients;
  }

  /** read body → authenticate path and verify signature → enqueue → answer. */
  async handle(event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> {
    try {
      this.receiver ??= this.init();
      const request = readRequest(event);
      let verdict: DeliveryVerdict;
      try {
        verdict = await this.verify(request);
      } catch (error) {
        // The secret could not be read: Qlik retries a 5xx, and the audit poll still finds the change.
        this.logger.error('webhook secret unreadable; delivery not verified', { error: messageOf(error) });
        return { statusCode: 503 };
      }
      if (verdict.status !== 204) return this.reject(verdict);
      this.metrics.addMetric(EventMetric.WebhookDeliveriesAccepted, MetricUnit.Count, 1);
      if (verdict.relevant && !(await this.enqueue(this.receiver, verdict))) return { statusCode: 503 };
      return this.accept(verdict);
    } finally {
      this.metrics.publishStoredMetrics();
    }
  }

  /** Once per cold start: the queue and the configured tenants' webhook secret ids; an invalid config accepts nothing. */
  private init(): Receiver {
    let config: RuntimeConfig;
    try {
      config = loadRuntimeConfigWithoutPolicy({
        env: this.env,
        configFile: this.overrides.configFile,
        ...(this.overrides.config !== undefined ? { document: this.overrides.config } : {}),
        allowHttpLoopback: this.overrides.allowHttpLoopback === true,
      });
    } catch (error) {
      this.logger.error('configuration is invalid; no delivery is accepted', { error: messageOf(error) });
      throw error;
    }
    if (!config.events) {
      const error = new Error('the runtime config has no "events" section: the receiver has no queue to send to');
      this.logger.error('configuration is invalid; no delivery is accepted', { error: error.message });
      throw error;
    }
    return {
      events: config.events,
      secretIds: new Map(config.tenants.flatMap((t) => (t.webhookSecretId ? [[t.name, t.webhookSecretId]] : []))),
    };
  }

  /** The verdict; a signature that does not match is judged once more with a re-read secret (rotated in place). */
  private async verify(request: Request): Promise<DeliveryVerdict> {
    const verdict = await this.judge(request, false);
    return verdict.status === 401 && verdict.reason === 'bad-signature' ? this.judge(request, true) : verdict;
  }

  private async judge(request: Request, fresh: boolean): Promise<DeliveryVerdict> {
    const secret = await this.authenticatePath(request, fresh);
    return judgeDelivery(request, (name) => (name === secret?.tenant ? secret.secret : undefined), this.now());
  }

  /**
   * The webhook secret of the configured tenant the path names. Only a POST to a configured tenant costs a secret
   * read; the verdict itself (./delivery.ts) is synchronous and I/O-free, and answers every other request.
   */
  private async authenticatePath(
    request: Request,
    fresh: boolean,
  ): Promise<{ readonly tenant: string; readonly secret: string } | undefined> {
    const tenant = tenantOfPath(request.path);
    const secretId = tenant === undefined ? undefined : this.receiver?.secretIds.get(tenant);
    if (request.method.toUpperCase() !== 'POST' || tenant === undefined || secretId === undefined) return undefined;
    return { tenant, secret: await this.secretOf(tenant, secretId, fresh) };
  }

  /** The tenant's webhook secret, cached; `fresh` re-reads one older than {@link SECRET_REFRESH_AFTER_MS}. */
  private async secretOf(tenant: string, secretId: string, fresh: boolean): Promise<string> {
    const cached = this.secrets.get(tenant);
    const age = cached ? Date.now() - cached.readAt : Number.POSITIVE_INFINITY;
    if (cached && age < (fresh ? SECRET_REFRESH_AFTER_MS : SECRET_TTL_MS)) return cached.secret;
    this.clients ??= createEventClients();
    const secret = await readWebhookSecret(this.clients.secrets, secretId);
    this.secrets.set(tenant, { secret, readAt: Date.now() });
    return secret;
  }

  /** One message on the event queue (source `webhook`); false when SQS refused it (logged). */
  private async enqueue(receiver: Receiver, verdict: Acceptance): Promise<boolean> {
    this.clients ??= createEventClients();
    const message = queueMessageOf({ ...verdict.event, source: 'webhook' });
    try {
      await this.clients.sqs.send(new SendMessageCommand({ QueueUrl: receiver.events.queueUrl, ...message }));
    } catch (error) {
      // A 5xx makes Qlik count a failed delivery (the scheduled run's webhook health check sees it) and retry.
      this.logger.error('verified delivery could not be enqueued', {
        tenant: verdict.event.tenant,
        error: messageOf(error),
      });
      return false;
    }
    this.metrics.addMetric(EventMetric.EventsEnqueued, MetricUnit.Count, 1);
    return true;
  }

  private accept(verdict: Acceptance): LambdaFunctionURLResult {
    this.logger.info('delivery accepted', { ...verdict.event, relevant: verdict.relevant });
    return { statusCode: 204 };
  }

  private reject(verdict: Rejection): LambdaFunctionURLResult {
    if (verdict.status === 401) this.metrics.addMetric(EventMetric.WebhookSignatureFailures, MetricUnit.Count, 1);
    // The reason names the check that failed; the tenant only when it is a configured one. Never the body or header.
    this.logger.warn('delivery rejected', {
      status: verdict.status,
      reason: verdict.reason,
      ...(verdict.tenant ? { tenant: verdict.tenant } : {}),
    });
    return { statusCode: verdict.status, ...(verdict.status === 405 ? { headers: { allow: 'POST' } } : {}) };
  }
}

/** Method, path, signature and the raw body bytes of a Function URL request. */
function readRequest(event: LambdaFunctionURLEvent) {
  const raw = event.body ?? '';
  // Base64 text is 4/3 of the bytes: a body whose encoding is already far over the cap is not decoded at all.
  const encodedLimit = event.isBase64Encoded ? Math.ceil((MAX_DELIVERY_BYTES * 4) / 3) + 4 : MAX_DELIVERY_BYTES * 4;
  const body =
    raw.length > encodedLimit ? new Uint8Array(0) : Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? '',
    signature: headerOf(event.headers, SIGNATURE_HEADER),
    body,
    bodyTooLarge: raw.length > encodedLimit || body.byteLength > MAX_DELIVERY_BYTES,
  };
}

function headerOf(headers: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
