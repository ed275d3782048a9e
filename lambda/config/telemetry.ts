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
