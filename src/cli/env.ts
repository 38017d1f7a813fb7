/**
 * The effects the CLI uses, gathered in one object so tests run whole commands with fakes (bandwhich's
 * OsInputOutput): the output streams, standard input, the clock, and whether the streams are terminals.
 */
import { fstatSync, readFileSync } from 'node:fs';

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
  /** True when the process started with standard output closed (`>&-`; see {@link stdoutWasClosed}). */
  stdoutClosed?: boolean;
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
    stdoutClosed: stdoutWasClosed(),
  };
}

/** /dev/null's device number (major 1, minor 3) as `fs.Stats.rdev` gives it on Linux. */
const DEV_NULL_RDEV = (1 << 8) | 3;
/** Access mode bits of open(2)'s flags, and O_RDWR. */
const O_ACCMODE = 3;
const O_RDWR = 2;

/**
 * Whether standard output was closed when the process started. Node replaces a closed descriptor 0-2 by /dev/null
 * opened for reading and writing before any JavaScript runs, so writes vanish without an error. A shell's
 * `> /dev/null` opens it write-only, which is how to discard the output on purpose. (Linux: reads /proc; a parent
 * that hands over /dev/null open for reading and writing, as Python's subprocess.DEVNULL does, looks the same.)
 */
export function stdoutWasClosed(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    if (fstatSync(1).rdev !== DEV_NULL_RDEV) return false;
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1]!, 8) & O_ACCMODE) === O_RDWR; // the pattern has one group
  } catch {
    return false;
  }
}
