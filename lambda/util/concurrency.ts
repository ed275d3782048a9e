/**
 * Runs `work` over `items` with at most `limit` in flight, keeping the input order in the result. One item's
 * rejection does not stop the others: callers that need isolation catch inside `work`.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}

/** Thrown by {@link withDeadline} when the deadline passes first. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    super(`did not finish within ${Math.round(deadlineMs / 1000)} s`);
  }
}

/**
 * Runs `work` with an AbortSignal that fires after `deadlineMs`, and rejects with {@link DeadlineExceededError} at
 * the deadline even if `work` ignores the signal, so one slow tenant cannot hold the run.
 */
export async function withDeadline<R>(deadlineMs: number, work: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceededError(deadlineMs);
      controller.abort(error);
      reject(error);
    }, deadlineMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
