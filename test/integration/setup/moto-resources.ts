/** AWS resources the integration tests set up on moto: a locked report bucket, SQS queues subscribed to topics. */
import { CreateBucketCommand, PutObjectLockConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A bucket like the stack's report archive: Object Lock with a 30-day COMPLIANCE default retention. */
export async function createLockedBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } },
      },
    }),
  );
}

/** A new SQS queue subscribed to the topic with the given subscription attributes; returns the queue URL. */
export async function queueSubscribedTo(
  clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
  topicArn: string,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: attributes,
    }),
  );
  return QueueUrl!;
}

/** Receives every message waiting in the queue, with all message attributes. */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (!Messages?.length) return messages;
    messages.push(...Messages);
  }
}
