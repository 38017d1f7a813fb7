/**
 * `sockscope watch CAPTURE...` replays capture files in the terminal UI; `sockscope watch -i IFACE [BPF]` watches a
 * live interface. The UI (Ink, React) is imported only here and only when a terminal is there to show it.
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { openCaptures } from '../../source/lazy.js';
import type { PacketSource } from '../../source/types.js';
import type { Env } from '../env.js';
import { Exit, UsageError } from '../errors.js';
import { applyNameOptions, checkCaptureNames, type FlowCliOptions, applyDecoderOptions, flowTableOptions, localNets, localNetsHelp } from '../options.js';
import { CaptureHealth } from '../../local/capture-health.js';
import { type LiveLocal, startLiveLocal } from '../../local/live-local.js';
import { withListeners } from '../../local/services.js';
import { summaryText } from '../run-flows.js';
// The key ladder of + and - (model.ts is plain functions: importing it loads neither Ink nor React).
import { ROW_LAYOUTS, SPEEDS, type RowLayout } from '../../tui/model.js';
import { keysSummary } from '../../tui/keys.js';
import { describeOpenError } from './flows.js';
import { filterOption } from '../filter-option.js';
import { bpfOption, withBpf } from '../bpf-option.js';
import { FlowPacketMatcher, writeFlowPackets } from '../../filter/export.js';
import type { FlowRecord } from '../../flow/record.js';
import type { FlowFilter } from '../../filter/filter.js';
import { sanitize, sanitizeLines } from '../../tui/sanitize.js';

interface WatchOptions extends FlowCliOptions {
  interface?: string;
  speed: number;
  paused?: boolean;
  maxGap?: number;
  exitAtEnd?: boolean;
  headless?: boolean;
  filter?: FlowFilter;
  bpf?: string;
  layout?: RowLayout;
}

/** Slowest and fastest replay speeds as multiples of real time: the ends of the ladder + and - step through. */
export const MIN_SPEED = Math.min(...SPEEDS.filter((s) => s > 0));
export const MAX_SPEED = Math.max(...SPEEDS.filter((s) => s > 0));

/**
 * `max` or a multiple of real time (`1`, `4`, `0.5`) from MIN_SPEED to MAX_SPEED, the range the + and - keys move
 * in. Returns 0 for max (the replay's own code for it); 0 itself, negative numbers, NaN and anything out of range are
 * refused.
 */
export function parseSpeed(v: string): number {
  if (v === 'max') return 0;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < MIN_SPEED || n > MAX_SPEED) {
    throw new InvalidArgumentError(
      `expected a multiple of real time from ${MIN_SPEED} to ${MAX_SPEED} (1 = real time, 4, 0.5) or "max" (as fast as possible)`,
    );
  }
  return n;
}

function seed16(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a whole number from 0 to 65535');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** What `watch` says when its output is not a terminal (exit code 2). */
export const NOT_A_TERMINAL =
  'watch draws an interactive screen and needs a terminal on standard output, but stdout is not a terminal.\n' +
  '  For flow records in a pipe or file use:  sockscope flows CAPTURE --format ndjson   (or --format csv/json/zeek)\n' +
  '  For a live interface use:                 sockscope capture -i IFACE --format ndjson';

export function register(program: Command, env: Env, setExit: (code: number) => void): void {
  program
    .command('watch')
    .summary('watch flows in the terminal UI: replay a capture, or live with -i')
    .description(
      [
        "Shows every flow in an interactive terminal UI: sockets, both ends' TCP states, conn_state, counters, rates; " +
          'a services view (connections grouped by listening socket) and a detail view per flow.',
        'A capture file is replayed on its own clock (real time by default; --speed, or + and - while running), so ' +
          'flows start, end and expire as they did. "-" reads standard input (tcpdump -U -w - | sockscope watch -); ' +
          'keys are then read from the terminal.',
        "Live (-i): packets get arrival timestamps; libpcap's JS binding reports no kernel drop counts and no wire " +
          'length. For kernel timestamps use: tcpdump -U -i IFACE -w - | sockscope watch -',
        keysSummary(),
        'Needs a terminal on stdout; otherwise it exits with code 2 and names the commands that write records ' +
          'instead (sockscope flows, sockscope capture).',
      ].join('\n\n'),
    )
    .argument('[args...]', 'capture files (- for standard input); with -i, a BPF filter expression (pcap-filter(7))')
    .option('-i, --interface <iface>', 'watch this live interface instead of replaying a file')
    .option(
      '--speed <x>',
      `replay speed from ${MIN_SPEED} to ${MAX_SPEED}: 1 = real time, 4 = four times faster; max = as fast as possible`,
      parseSpeed,
      1,
    )
    .option('--paused', 'start the replay paused (space resumes, n steps)')
    .option('--max-gap <sec>', 'skip idle gaps in the capture longer than this (the clock moves on to the next packet; > skips one by hand)', seconds)
    .option('--exit-at-end', 'quit once the whole input has been read (scripted runs, benchmarks)')
    .option('--headless', 'no screen or keyboard: run the UI code path into a hidden 120x40 screen and quit at the end (benchmarks)')
    .option('--tcp-timeout <sec>', 'end a TCP flow after this much inactivity (Zeek: 300)', seconds)
    .option('--udp-timeout <sec>', 'end a UDP flow after this much inactivity (Zeek: 60)', seconds)
    .option('--icmp-timeout <sec>', 'end an ICMP flow after this much inactivity (Zeek: 60)', seconds)
    .option('--local-nets <cidrs>', localNetsHelp, localNets)
    .option(
      '--names',
      "look at each flow's first packets for its service (Zeek's) and names, as flows --names does: a Name column " +
        '(TLS/QUIC server name, else HTTP host, else the name a DNS answer in the capture gave the address), the ' +
        'confirmed service beside the responder (a port-only guess dimmed), every name in the detail view, name: and ' +
        'service: in the filter',
    )
    .option('--community-id-seed <n>', 'seed of the community_id flow hash the detail view shows (Community ID v1; default 0)', seed16)
    .option(
      '--filter <expr>',
      'start with this filter (the filter language of / and flows --filter: port:443, host:, net:CIDR, proto:, state:, ' +
        'name:example.org, service:ssl, bytes>1M, !, and, or, parentheses)',
      filterOption,
    )
    .addOption(
      new Option(
        '--layout <layout>',
        'rows of the flows view: one-line, two-line (sockets on the first line of a flow, states and counters on the ' +
          'second), auto (two lines when one would cut an IPv6 socket or, with --names, hide the names); L switches',
      ).choices(ROW_LAYOUTS).default('auto'),
    )
    .option('--bpf <expr>', 'replay only the packets this BPF expression matches (pcap-filter(7), as tcpdump -r FILE EXPR)', bpfOption)
    .option('-q, --quiet', 'no summary on stderr after a headless run')
    .action(async (args: string[], o: WatchOptions) => {
      setExit(await watch(args, o, env));
    });
}

/** Runs `watch`; resolves to the exit code. */
async function watch(args: string[], o: WatchOptions, env: Env): Promise<number> {
  if (o.interface === undefined && args.length === 0) {
    throw new UsageError('watch needs a capture file (sockscope watch fixtures/demo.pcap) or an interface (sockscope watch -i eth0)');
  }
  if (o.interface === undefined) checkCaptureNames(args); // with -i the arguments are a BPF expression
  const headless = o.headless === true;
  if (!env.isTTY && !headless) {
    env.stderr.write(`sockscope: error: ${NOT_A_TERMINAL}\n`);
    return Exit.USAGE;
  }
  const readsStdin = o.interface === undefined && args.includes('-');
  const keyboard = headless ? (env.stdin as NodeJS.ReadStream) : keyboardStream(env, readsStdin);
  if (keyboard === null) {
    env.stderr.write('sockscope: watch needs a keyboard: standard input is not a terminal and /dev/tty cannot be opened\n');
    return Exit.USAGE;
  }

  const sources: PacketSource[] = [];
  try {
    if (o.interface !== undefined) {
      const { openLive } = await import('../../source/live.js');
      sources.push(await openLive(o.interface, args.join(' ')));
    } else {
      sources.push(...withBpf(await openCaptures(args, { stdin: env.stdin }), o.bpf));
    }
  } catch (e) {
    for (const s of sources) await s.close();
    if (e instanceof Error && e.name === 'LiveCaptureError') throw new UsageError(e.message);
    env.stderr.write(`sockscope: error: ${sanitize(describeOpenError(e))}\n`);
    return Exit.INPUT;
  }

  // Ink prints only the final frame when it believes it runs in CI (is-in-ci reads these at import). A terminal on
  // stdout means a person (or tmux) is watching, so the UI must draw live.
  if (!headless) {
    delete process.env['CI'];
    delete process.env['CONTINUOUS_INTEGRATION'];
  }
  // React's development build records every render for its profiler, cloning props (the whole flow list) into
  // performance entries: at 50,000 flows that exhausts the heap. Users get the production build unless they ask.
  process.env['NODE_ENV'] ??= 'production';
  const { runTui } = await import('../../tui/run-tui.js');
  applyNameOptions(o);
  // Live: this host's sockets beside the flows (src/local), and the capture's health in the header.
  let local: LiveLocal | undefined;
  let health: CaptureHealth | undefined;
  const notices: string[] = [];
  if (o.interface !== undefined) {
    local = startLiveLocal(o.localNets ?? null, (line) => notices.push(line));
    const live = sources[0]!; // opened above
    health = new CaptureHealth(o.interface, args.join(' '), () => live.stats().packets);
  }
  applyDecoderOptions(o);
  const result = await runTui({
    sources,
    live: o.interface !== undefined,
    speed: o.speed,
    paused: o.paused === true,
    ...(o.maxGap !== undefined ? { maxGapSec: o.maxGap } : {}),
    exitAtEnd: o.exitAtEnd === true,
    flowTable: flowTableOptions(o),
    stdout: env.stdout as NodeJS.WriteStream,
    stdin: keyboard,
    stderr: env.stderr,
    headless,
    ...(o.filter !== undefined ? { filter: o.filter.source } : {}),
    names: o.names === true,
    ...(o.layout !== undefined ? { layout: o.layout } : {}),
    ...(o.interface === undefined && !readsStdin ? { exportPackets: exporter(args, o.bpf) } : {}),
    ...(health === undefined ? {} : { health: (s) => health.headerText(s.stats.packetsRead, s.flows, s.stats.clockSec) }),
    ...(local === undefined ? {} : { listeners: (groups) => withListeners(groups, local.sockets) }),
  });
  local?.stop();
  for (const line of notices) env.stderr.write(`${sanitize(line)}\n`);
  if (keyboard !== env.stdin) keyboard.destroy();
  if (result.summary && !(headless && o.quiet === true)) env.stderr.write(summaryText(result.summary.stats));
  if (result.error !== undefined) {
    const e = result.error;
    env.stderr.write(`sockscope: error: ${sanitizeLines(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return Exit.INPUT;
  }
  for (const e of result.summary?.errors ?? []) env.stderr.write(`sockscope: error: ${sanitize(e.message)}\n`);
  return (result.summary?.errors.length ?? 0) > 0 ? Exit.INPUT : Exit.OK;
}

/**
 * The TUI's w and W keys for a replay of files: the files read again from the start, the packets of the flows
 * written to `name` in the current directory.
 */
function exporter(files: readonly string[], bpf: string | undefined) {
  return async (flows: readonly FlowRecord[], name: string): Promise<string> => {
    const matcher = new FlowPacketMatcher();
    for (const r of flows) matcher.add(r);
    const res = await writeFlowPackets(withBpf(await openCaptures(files), bpf), matcher, name);
    const other = res.otherLinkType > 0 ? ` (${res.otherLinkType} of another link type left out)` : '';
    return `wrote ${res.packets} packet${res.packets === 1 ? '' : 's'} of ${flows.length} flow${flows.length === 1 ? '' : 's'} to ${res.file}${other}`;
  };
}

/** The stream keys come from: stdin when it is a terminal, else /dev/tty (stdin may carry the capture); or null. */
function keyboardStream(env: Env, readsStdin: boolean): NodeJS.ReadStream | null {
  const stdin = env.stdin as NodeJS.ReadStream;
  if (!readsStdin && stdin.isTTY === true) return stdin;
  try {
    return new ReadStream(openSync('/dev/tty', 'r')) as unknown as NodeJS.ReadStream;
  } catch {
    return null;
  }
}
