/** Errors the CLI reports as one line without a stack trace. */

/** Wrong use of the command line (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Process exit codes. */
export const Exit = {
  OK: 0,
  /** The input was malformed or could not be read; what came before was still written. */
  INPUT: 1,
  USAGE: 2,
} as const;
