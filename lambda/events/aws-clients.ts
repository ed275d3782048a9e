/**
 * The AWS SDK clients of the event path's functions (receiver, audit poller), built once per cold start from the
 * environment like the checker's (lambda/aws/clients.ts); tests pass clients pointed at moto.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface EventClients {
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
  readonly s3: S3Client;
}

export function createEventClients(): EventClients {
  return { sqs: new SQSClient({}), secrets: new SecretsManagerClient({}), s3: new S3Client({}) };
}
