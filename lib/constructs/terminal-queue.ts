import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue at the end of a delivery chain (failed invocations, undeliverable schedule events or emails):
 * encrypted, TLS only, messages kept 14 days for inspection. Nothing consumes it; monitoring alarms on its depth.
 *
 * @param holds what ends up here, for people and for the cdk-nag acknowledgement reason
 * @param options.fifo a FIFO queue, as the dead-letter queue of a FIFO queue must be
 * @param options.redriveTarget another queue's redrive policy names it, which cdk-nag's AwsSolutions-SQS3 recognises
 *   as a dead-letter queue on its own (the Serverless pack does not)
 */
export function createTerminalQueue(
  scope: Construct,
  id: string,
  holds: string,
  options: { readonly fifo?: boolean; readonly redriveTarget?: boolean } = {},
): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    ...(options.fifo ? { fifo: true } : {}),
    // SQS-managed keys: the producers (Lambda, Scheduler, SNS) then need no KMS permissions, and the messages hold
    // run ids, error messages or alert text, never a credential.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const reason =
    `This queue is itself the dead-letter queue for ${holds}. It has no consumer, keeps messages 14 days for ` +
    'inspection, and an alarm fires on its first visible message; a further redrive target would never receive anything.';
  if (!options.redriveTarget) Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  Validations.of(queue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason });
  return queue;
}
