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
  /** The output could not be written (a full disk, a closed standard output); reading stopped there. */
  OUTPUT: 3,
  /** Stopped by SIGINT (Ctrl-C) or SIGTERM, as shells report a process they ended: 128 + the signal number. */
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** Why the output failed, in one line: `cannot write the output: no space left on device (ENOSPC)`. */
export function describeOutputError(e: Error, output = 'standard output'): string {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = OUTPUT_REASONS[code ?? ''] ?? e.message;
  return `cannot write the output (${output}): ${reason}${code !== undefined && reason !== e.message ? ` (${code})` : ''}`;
}

const OUTPUT_REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EBADF: 'it is closed',
  EPIPE: 'the reader has gone',
  EROFS: 'read-only file system',
};
