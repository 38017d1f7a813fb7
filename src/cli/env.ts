/**
 * The effects the CLI uses, gathered in one object so tests run whole commands with fakes (bandwhich's
 * OsInputOutput): the output streams, standard input, the clock, and whether the streams are terminals.
 */
export interface Env {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Wall clock in milliseconds. */
  now(): number;
  /** Whether stdout / stderr are terminals (tables and progress are for people; pipes get records). */
  isTTY: boolean;
  errIsTTY: boolean;
  /** Terminal width in columns (80 when unknown). */
  columns: number;
}

/** The real process environment. */
export function processEnv(): Env {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    now: Date.now,
    isTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true,
    columns: process.stdout.columns ?? 80,
  };
}
