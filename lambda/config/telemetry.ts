/**
 * The names the checker logs and emits metrics under, shared by the handler (which emits them) and the CDK stack
 * (which sets the Powertools environment and alarms on the metrics), so the two cannot drift apart.
 */

/** Powertools `service` (a dimension of every metric, a key of every log line). */
export const SERVICE_NAME = 'qlik-access-guard';
/** CloudWatch namespace of the checker's own metrics. */
export const METRICS_NAMESPACE = 'QlikAccessGuard';

/** The EMF metrics the checker emits (Powertools; every metric has the `service` dimension). */
export const CheckerMetric = {
  /** One per completed run; no other dimension. The heartbeat. */
  RunsCompleted: 'RunsCompleted',
  /** Tenants whose reports could not be stored in a run; no other dimension. */
  ArchiveFailures: 'ArchiveFailures',
  /** 1 when some alerts of a run were not delivered; no other dimension. */
  PublishFailures: 'PublishFailures',
  // Per tenant, with the `tenant` dimension = the tenant's configured name:
  FailingFindings: 'FailingFindings',
  NewFindings: 'NewFindings',
  ResolvedFindings: 'ResolvedFindings',
  TenantErrors: 'TenantErrors',
  ApiRequests: 'ApiRequests',
  RateLimited: 'RateLimited',
  TenantDurationMs: 'TenantDurationMs',
} as const;

/**
 * The EMF metrics of the event path (docs/events.md), same namespace and `service` dimension as {@link CheckerMetric}.
 * Receiver and poller have no other dimension; the checker's event metrics have none either (tenant names are in logs).
 */
export const EventMetric = {
  /** Receiver: a delivery for a known tenant without a valid `Qlik-Signature` (401). Alarm: someone probes the URL. */
  WebhookSignatureFailures: 'WebhookSignatureFailures',
  /** Receiver: a verified delivery (204), relevant or not. */
  WebhookDeliveriesAccepted: 'WebhookDeliveriesAccepted',
  /** Receiver and poller: event messages sent to the queue. */
  EventsEnqueued: 'EventsEnqueued',
  /** Poller: tenants whose audit poll failed (credential, Qlik, cursor write). */
  AuditPollFailures: 'AuditPollFailures',
  /** Checker: tenants checked because of queued events. */
  EventChecks: 'EventChecks',
  /** Checker: event messages acknowledged without a check, because a check that started after them finished. */
  EventsCoalesced: 'EventsCoalesced',
  /** Checker: tenants left unchecked because another check held the tenant's lease (retried by SQS or next run). */
  TenantBusy: 'TenantBusy',
  /** Scheduled run: tenants whose webhook is disabled or whose recent deliveries failed. */
  WebhookProblems: 'WebhookProblems',
} as const;
