/**
 * AWS for the CLI, built once per invocation and only when a command needs it, so local checks never load the AWS SDK.
 */
import type { AwsClients } from '../aws/clients';
import type { ObjectStore } from '../store/object-store';
import type { CliIo } from './command';

const clientsByIo = new WeakMap<CliIo, Promise<AwsClients>>();

/**
 * Credentials and region come from the usual SDK chain; AWS_ENDPOINT_URL (an AWS-compatible endpoint) also switches
 * S3 to path-style URLs.
 */
export function awsClients(io: CliIo): Promise<AwsClients> {
  let clients = clientsByIo.get(io);
  if (!clients) {
    clients = io.awsClients
      ? Promise.resolve(io.awsClients())
      : import('../aws/clients').then(({ createAwsClients }) =>
          createAwsClients({
            ...(io.env.AWS_ENDPOINT_URL ? { endpoint: io.env.AWS_ENDPOINT_URL, forcePathStyle: true } : {}),
          }),
        );
    clientsByIo.set(io, clients);
  }
  return clients;
}

/** The report archive in an S3 bucket (`--bucket`). */
export async function s3Store(bucket: string, io: CliIo): Promise<ObjectStore> {
  const { S3ObjectStore } = await import('../store/s3-object-store');
  return new S3ObjectStore((await awsClients(io)).s3, bucket);
}
