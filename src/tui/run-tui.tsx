/**
 * Runs the terminal UI over a pipeline: the glue between `sockscope watch` and Ink. Owns the terminal while it runs
 * (alternate screen, raw keyboard) and gives it back exactly as it found it: on `q`, Ctrl+C, SIGTERM, end of input
 * with `exitAtEnd`, and on errors.
 */
import { PassThrough, Writable } from 'node:stream';
import { render } from 'ink';
import { Pipeline, ReplayControl, type FlowTableOptions, type RunSummary } from '../pipeline.js';
import type { PacketSource } from '../source/types.js';
import App from './App.js';

/** Options of {@link runTui}. */
export interface RunTuiOptions {
  readonly sources: PacketSource[];
  /** True for a live capture: no replay controls, rates on the wall clock. */
  readonly live: boolean;
  /** Replay speed: 0 = as fast as possible, 1 = real time. @default 1 */
  readonly speed?: number;
  /** Start the replay paused. @default false */
  readonly paused?: boolean;
  /** Skip idle gaps in a replay longer than this many seconds (ReplayControl.maxGapSec). @default Infinity */
  readonly maxGapSec?: number;
  /** Quit by itself when the input is exhausted. @default false */
  readonly exitAtEnd?: boolean;
  readonly flowTable?: FlowTableOptions;
  /** The terminal: output, keyboard (raw mode), and where errors go once the screen is restored. */
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WritableStream;
  /** Frames per second at most. @default 10 */
  readonly maxFps?: number;
  /**
   * Run the whole UI code path (snapshots, rates, sorting, layout, Ink rendering) into a discarded 120x40 screen
   * with no keyboard, and quit at the end of input: what `npm run bench` times against `sockscope flows`.
   * @default false
   */
  readonly headless?: boolean;
  /** Writes the packets of flows to a pcap file (the TUI's w and W keys); absent when the input cannot be read again. */
  readonly exportPackets?: (flows: readonly import('../flow/record.js').FlowRecord[], name: string) => Promise<string>;
  /** The filter to start with (watch --filter), as the `/` key edits it. @default none */
  readonly filter?: string;
  /** Live: the capture's health for the header (local/capture-health.ts), from each snapshot. */
  readonly health?: (snapshot: import('../pipeline-types.js').Snapshot) => string;
  /** Live: joins the host's listening sockets into the services view (local/services.ts). */
  readonly listeners?: (groups: readonly import('./model.js').ServiceGroup[]) => readonly import('./model.js').ServiceGroup[];
  /** Payload inspection is on (watch --names): the flows view shows a name column. @default false */
  readonly names?: boolean;
  /** Rows of the flows view to start with (watch --layout; the L key switches). @default auto */
  readonly layout?: import('./model.js').RowLayout;
}

/** A terminal-sized sink for headless runs: Ink renders into it as into a 120x40 screen; the frames are dropped. */
function nullScreen(): NodeJS.WriteStream {
  const out = new Writable({ write: (_chunk, _enc, done) => done() }) as unknown as NodeJS.WriteStream;
  Object.assign(out, { columns: 120, rows: 40, isTTY: false });
  return out;
}

/** The outcome: how the pipeline ended, and an error that stopped the UI, if one did. */
export interface TuiResult {
  readonly summary: RunSummary | undefined;
  readonly error: unknown;
}

/** Switch to the alternate screen and home the cursor (xterm private mode 1049), and back. */
const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';
/** Show the cursor (DECTCEM), in case the UI stopped while it was hidden. */
const SHOW_CURSOR = '\u001b[?25h';

/**
 * Replays or watches `sources` in the TUI until the user quits. Snapshots are published every 200 ms of wall time
 * and rendered at most `maxFps` times a second, never per packet. Resolves once the terminal is restored and the
 * pipeline has stopped (open flows flushed, sources closed).
 */
export async function runTui(opts: RunTuiOptions): Promise<TuiResult> {
  const headless = opts.headless === true;
  const stdout = headless ? nullScreen() : opts.stdout;
  const stdin = headless ? (new PassThrough() as unknown as NodeJS.ReadStream) : opts.stdin;
  const abort = new AbortController();
  const replay = opts.live ? undefined : new ReplayControl(opts.speed ?? 1);
  if (replay && opts.paused) replay.pause();
  if (replay && opts.maxGapSec !== undefined) replay.maxGapSec = opts.maxGapSec;
  const pipeline = new Pipeline({
    sources: opts.sources,
    snapshotIntervalMs: 200,
    keepEnded: 5000,
    signal: abort.signal,
    ...(replay ? { replay } : {}),
    ...(opts.flowTable ? { flowTable: opts.flowTable } : {}),
  });

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  if (headless) restored = true;
  else {
    process.once('exit', restore);
    stdout.write(ENTER_ALT_SCREEN);
  }

  let error: unknown;
  let summary: RunSummary | undefined;
  const exitAtEnd = headless || (opts.exitAtEnd ?? false);
  const app = (notice?: string) => (
    <App
      feed={pipeline.feed}
      replay={replay}
      live={opts.live}
      exitAtEnd={exitAtEnd}
      keyboard={!headless}
      notice={notice}
      initialFilter={opts.filter ?? ''}
      exportPackets={opts.exportPackets}
      health={opts.health}
      listeners={opts.listeners}
      names={opts.names === true}
      initialLayout={opts.layout ?? 'auto'}
    />
  );
  const instance = render(app(), {
    stdout,
    stdin,
    stderr: process.stderr,
    maxFps: opts.maxFps ?? 10,
    // Whole-frame updates wrapped in synchronized output (DEC mode 2026, which Ink emits on terminals): Ink 6.8's
    // incremental mode left the first frame's top line behind on the alternate screen (seen in tmux 3.3a).
    incrementalRendering: false,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  const stop = () => instance.unmount();
  // Ctrl+C arrives as a key in raw mode (Ink quits on it); these come from outside (kill, a closed terminal).
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);

  const running = pipeline.run().then(
    (s) => {
      summary = s;
      // With exitAtEnd the UI is quitting on the final snapshot: rendering it again would take the keyboard (raw
      // mode) back and keep the process alive; the error is printed once the screen is restored.
      if (s.error && !exitAtEnd) instance.rerender(app(`stopped reading: ${s.error.message}`));
    },
    (e: unknown) => {
      error = e;
      instance.unmount();
    },
  );
  try {
    await instance.waitUntilExit();
  } catch (e) {
    error ??= e;
  } finally {
    abort.abort();
    await running;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    instance.cleanup();
    restore();
    process.off('exit', restore);
  }
  return { summary, error };
}
