/** Apart from ./lambda.ts (which needs vitest), so benchmarks run outside vitest can use it too. */
import type { Context } from 'aws-lambda';

/** The context the Lambda runtime hands the checker; the handler reads the remaining time and the request id. */
export function lambdaContext(remainingMs = 300_000): Context {
  return {
    functionName: 'qag-checker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:qag-checker',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/qag-checker',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
