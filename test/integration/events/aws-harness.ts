/**
 * The AWS event path assembled on one machine for tests and the benchmark: the receiver Lambda handler behind a real
 * HTTP server on 127.0.0.1 (what a Function URL does: the request becomes a `LambdaFunctionURLEvent` with a base64
 * body), an SQS FIFO event queue on moto, and a pump that does what Lambda's event source mapping does (receive up to
 * ten messages, invoke the checker with them as an `SQSEvent`, delete those not reported as batch item failures).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, LambdaFunctionURLEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ReceiverHandler } from '../../../lambda/events/receiver-handler';
import { lambdaContext } from '../../support/lambda-context';

export interface FunctionUrl {
  readonly url: string;
  /** Answers given, in order. */
  readonly statuses: number[];
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 as a Function URL would invoke it. */
export async function serveFunctionUrl(handler: ReceiverHandler): Promise<FunctionUrl> {
  const statuses: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[key.toLowerCase()] = value;
      }
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        requestContext: { http: { method: request.method ?? 'GET', path: url.pathname } },
        body: Buffer.concat(chunks).toString('base64'),
        isBase64Encoded: true,
      } as unknown as LambdaFunctionURLEvent;
      handler(event).then(
        (result) => {
          const status = typeof result === 'object' ? (result.statusCode ?? 200) : 200;
          statuses.push(status);
          response.writeHead(status, typeof result === 'object' ? (result.headers as Record<string, string>) : {});
          response.end();
        },
        () => {
          statuses.push(500);
          response.writeHead(500);
          response.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An SQS FIFO queue like the stack's event queue, with the debounce as its delivery delay. */
export async function createEventQueue(sqs: SQSClient, name: string, delaySeconds = 0): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        DelaySeconds: String(delaySeconds),
        VisibilityTimeout: '30',
      },
    }),
  );
  return QueueUrl!;
}

export type QueueConsumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface PumpResult {
  /** Checker invocations. */
  readonly invocations: number;
  readonly messages: number;
  /** Message ids reported as batch item failures (left on the queue for SQS to deliver again). */
  readonly failed: string[];
  /** Their receipt handles, to make them visible again before the visibility timeout. */
  readonly failedReceipts: string[];
}

/** Receives what is visible now, batch by batch, invoking `consumer` like Lambda's SQS event source mapping. */
export async function pumpQueue(
  sqs: SQSClient,
  queueUrl: string,
  consumer: QueueConsumer,
  options: { readonly waitSeconds?: number } = {},
): Promise<PumpResult> {
  let invocations = 0;
  let messages = 0;
  const failed: string[] = [];
  const failedReceipts: string[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: invocations === 0 ? (options.waitSeconds ?? 0) : 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!Messages?.length) return { invocations, messages, failed, failedReceipts };
    invocations += 1;
    messages += Messages.length;
    const response = await consumer({ Records: Messages.map(record) }, lambdaContext());
    const failures = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    failed.push(...failures);
    failedReceipts.push(...Messages.filter((m) => failures.has(m.MessageId!)).map((m) => m.ReceiptHandle!));
    const done = Messages.filter((m) => !failures.has(m.MessageId!));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    // Failed messages stay in flight until their visibility timeout, as on SQS: this pump stops at them.
    if (failures.size > 0) return { invocations, messages, failed, failedReceipts };
  }
}

function record(message: Message): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'sender',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:qag-events.fifo',
    awsRegion: 'us-east-1',
  };
}
