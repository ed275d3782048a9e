/**
 * The AWS SDK clients the Lambda needs, built once per cold start. Region, credentials and endpoint come from the
 * environment as usual (including AWS_ENDPOINT_URL, which the SDK reads itself); tests pass them explicitly.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

export interface AwsClients {
  /** For `verify --anchor-log-group`; built by the CLI when it needs one (tests pass their own). */
  readonly logs?: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
}

export interface AwsClientSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: S3ClientConfig['credentials'];
  /** Path-style S3 URLs, for S3-compatible endpoints such as a local emulator. */
  readonly forcePathStyle?: boolean;
}

export function createAwsClients(settings: AwsClientSettings = {}): AwsClients {
  const common = {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
  return {
    s3: new S3Client({ ...common, ...(settings.forcePathStyle ? { forcePathStyle: true } : {}) }),
    sns: new SNSClient(common),
    secrets: new SecretsManagerClient(common),
  };
}
