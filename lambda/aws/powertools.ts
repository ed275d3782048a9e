/**
 * The Powertools logger and metrics every Lambda entry (checker, receiver, poller) starts with: service name and
 * namespace from the Powertools environment the stack sets, else the project's own (../config/telemetry.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../config/telemetry';

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The given logger and metrics (tests), else new ones named from `env`. */
export function createTelemetry(
  env: Readonly<Record<string, string | undefined>>,
  given: { readonly logger?: Logger; readonly metrics?: Metrics } = {},
): Telemetry {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME;
  return {
    logger: given.logger ?? new Logger({ serviceName }),
    metrics:
      given.metrics ?? new Metrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName }),
  };
}
