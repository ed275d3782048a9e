import type { Context } from 'aws-lambda';
import { vi } from 'vitest';

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

/**
 * Runs `work` with stdout and stderr held back (Powertools writes its logs and metrics there), handing each line
 * written to `onLine`, so test output stays readable and a test can scan what the handler logged.
 */
export async function withOutputCaptured<T>(
  work: () => Promise<T>,
  onLine: (line: string) => void = () => {},
): Promise<T> {
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line) onLine(line);
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    return await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
