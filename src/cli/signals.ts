/**
 * SIGINT and SIGTERM for commands that read to an end (`flows`): the first stops reading and lets the run write
 * what it holds (every open flow, the summary), a second exits at once.
 */
import { Exit } from './errors.js';

/** Where the signals come from and how the process ends at once; injectable for tests. */
export interface SignalDeps {
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
  exit: (code: number) => void;
}

const PROCESS_DEPS: SignalDeps = { signals: process, exit: (code) => process.exit(code) };

/** Listens for SIGINT and SIGTERM until {@link dispose}; {@link signal} aborts on the first. */
export class StopOnSignals {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received: 'SIGINT' | 'SIGTERM' | undefined;
  private readonly abort = new AbortController();
  private readonly deps: SignalDeps;
  private readonly onSignal: (name: NodeJS.Signals) => void;

  /** @param say writes one line to stderr (nothing when quiet) */
  constructor(say: (line: string) => void, deps: SignalDeps = PROCESS_DEPS) {
    this.signal = this.abort.signal;
    this.deps = deps;
    this.onSignal = (name) => {
      const first = this.received === undefined;
      this.received ??= name === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
      if (!first) {
        deps.exit(exitCodeOf(name)); // a second signal: the user does not want to wait
        return;
      }
      say(`sockscope: ${name}: stopping; writing the open flows and the summary (again to quit at once)`);
      this.abort.abort();
    };
    deps.signals.on('SIGINT', this.onSignal);
    deps.signals.on('SIGTERM', this.onSignal);
  }

  /** 130 after SIGINT, 143 after SIGTERM, undefined when no signal came. */
  get exitCode(): number | undefined {
    return this.received === undefined ? undefined : exitCodeOf(this.received);
  }

  dispose(): void {
    this.deps.signals.off('SIGINT', this.onSignal);
    this.deps.signals.off('SIGTERM', this.onSignal);
  }
}

function exitCodeOf(name: NodeJS.Signals): number {
  return name === 'SIGTERM' ? Exit.SIGTERM : Exit.SIGINT;
}
