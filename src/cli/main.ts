/** The sockscope command line: wires sources, pipeline and sinks together. */
import { Command, CommanderError } from 'commander';
import { register as registerCapture } from './commands/capture.js';
import { register as registerFlows } from './commands/flows.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerInterfaces } from './commands/interfaces.js';
import { register as registerListeners } from './commands/listeners.js';
import { type Env, processEnv } from './env.js';
import { describeOutputError, Exit, UsageError } from './errors.js';
import { sanitizeLines } from '../tui/sanitize.js';

/** Builds the program; `setExit` receives each command's exit code. */
export function buildProgram(env: Env, setExit: (code: number) => void): Command {
  const program = new Command('sockscope')
    .description('See every socket on the wire: flows, TCP connection states and counters from pcap/pcapng files or a live interface.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => env.stdout.write(s),
      // commander's own errors (`error: unknown option ...`) get the prefix every error of sockscope has.
      writeErr: (s) => env.stderr.write(sanitizeLines(s.startsWith('error: ') ? `sockscope: ${s}` : s)),
    });
  registerFlows(program, env, setExit);
  registerWatch(program, env, setExit);
  registerCapture(program, env, setExit);
  registerInterfaces(program, env, setExit);
  registerListeners(program, env, setExit);
  return program;
}

/** Runs the command line `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], env: Env = processEnv()): Promise<number> {
  if (env.stdoutClosed === true) {
    env.stderr.write(`sockscope: error: ${STDOUT_CLOSED}\n`);
    return Exit.OUTPUT;
  }
  let code: number = Exit.OK;
  const program = buildProgram(env, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? Exit.OK : Exit.USAGE;
    if (e instanceof UsageError) {
      env.stderr.write(`sockscope: error: ${sanitizeLines(e.message)}\n`);
      return Exit.USAGE;
    }
    throw e;
  }
  return code;
}

/** What `sockscope ... >&-` is told. */
export const STDOUT_CLOSED =
  'standard output is closed (>&-): the records would be lost; redirect it to a file, or to /dev/null (> /dev/null) to discard them';

const isMain = process.argv[1] !== undefined && /sockscope(\.js)?$|cli[\\/]main\.js$/.test(process.argv[1]);
if (isMain) {
  let outputError: Error | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `sockscope flows x.pcap | head` closes stdout early: that is not an error, and nothing more is wanted.
    if (e.code === 'EPIPE') process.exit(Exit.OK);
    // A command that writes records reports its own output errors (run-flows); this catches the others (--help).
    outputError ??= e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      if (outputError !== undefined && code === Exit.OK) {
        process.stderr.write(`sockscope: error: ${describeOutputError(outputError)}\n`);
        code = Exit.OUTPUT;
      }
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`sockscope: error: ${sanitizeLines(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
