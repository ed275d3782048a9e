import { vi } from 'vitest';

export { lambdaContext } from './lambda-context';

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
