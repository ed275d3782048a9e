/**
 * Error codes of the run report contract (docs/architecture.md). A tenant that cannot be checked ends with one of these,
 * never with a pass.
 */
export const CHECK_ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'rate-limited',
  'unreachable',
  'timeout',
  'bad-response',
  'bad-input',
] as const;
export type CheckErrorCode = (typeof CHECK_ERROR_CODES)[number];

/** Base class for every error that should end a tenant's check with a report error code. */
export class CheckError extends Error {
  override readonly name: string = 'CheckError';
  constructor(
    readonly code: CheckErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A user mistake in a file the user gave us (policy, config, tenants file). Names the file, the path inside it and
 * what was expected, so the CLI can print it without a stack trace.
 */
export class InputError extends CheckError {
  override readonly name = 'InputError';
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
    options?: { cause?: unknown },
  ) {
    super('bad-input', `${file}${path ? ` at ${path}` : ''}: ${expected}`, options);
  }
}

/** The message of anything thrown, for logs and reports (our errors never carry a credential in their message). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
