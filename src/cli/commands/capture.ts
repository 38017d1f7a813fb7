/** `sockscope capture -i IFACE [BPF expression]`: live capture through `cap`, one record per flow. */
import {existsSync} from 'node:fs';
import {dirname} from 'node:path';
import {type Command, InvalidArgumentError, Option} from 'commander';
import {PcapWriter} from '../../sink/pcap-writer.js';
import {type LiveOptions, type LiveSource, LiveCaptureError, openLive} from '../../source/live.js';
import type {Frame, FrameHandler, PacketSource, SourceStats} from '../../source/types.js';
import type {Env} from '../env.js';
import {Exit, UsageError} from '../errors.js';
import {addFlowOptions, applyNameOptions, type FlowCliOptions, applyDecoderOptions, flowTableOptions} from '../options.js';
import {addIpfixOptions, type IpfixCliOptions, ipfixFileOptions, openIpfixSinks, outputEnv} from '../ipfix-options.js';
import {runFlows} from '../run-flows.js';
import {sanitize, sanitizeLines} from '../../tui/sanitize.js';
import {CaptureHealth} from '../../local/capture-health.js';
import {type LiveLocal, startLiveLocal} from '../../local/live-local.js';

/** What `capture` says about cap's limits, in `--help` and in the README. */
export const CAP_LIMITS_HELP = [
  'Limits of capturing through cap (libpcap seen from JavaScript):',
  '  - no kernel timestamps: packets are stamped when they reach JavaScript,',
  '    so durations and RTTs include event-loop latency;',
  '  - no wire length: a packet cut by the snap length counts with its',
  '    captured length;',
  '  - no drop counts: packets the kernel drops are not reported;',
  '  - always promiscuous, snap length at most 65535 bytes.',
  'When these matter, let tcpdump capture and sockscope read its stream, which',
  'has all three:',
  '  tcpdump -U -i IFACE -w - | sockscope flows -',
  'Capturing needs root or CAP_NET_RAW; to capture as a normal user:',
  '  sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))',
].join('\n');

/** Effects `capture` uses, injectable for tests. */
export interface CaptureDeps {
  openLive: (device: string, filter: string, opts: LiveOptions) => Promise<LiveSource>;
  /** Where SIGINT/SIGTERM come from. @default process */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

interface CaptureCliOptions extends FlowCliOptions, IpfixCliOptions {
  interface: string;
  count?: number;
  duration?: number;
  write?: string;
  snaplen?: number;
  bufferSize?: number;
  timeStampPrecision?: 'micro' | 'nano';
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function positiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

export function register(
  program: Command,
  env: Env,
  setExit: (code: number) => void,
  deps: CaptureDeps = {openLive, signals: process},
): void {
  const cmd = program
    .command('capture')
    .summary('capture live from an interface (through cap) and write one record per flow')
    .description(
      'Captures on a network interface through the optional cap package (libpcap), assigns every packet to ' +
        'its flow and follows TCP connections, like `sockscope flows` on a file. The BPF expression ' +
        '(pcap-filter(7), as for tcpdump) selects packets. Without a terminal, ndjson records are written as ' +
        'flows end. Ctrl-C (SIGINT) or SIGTERM stops cleanly: every open flow is written, the capture closed, ' +
        'the -w file completed.',
    )
    .requiredOption('-i, --interface <iface>', 'interface to capture on (see: sockscope interfaces)')
    .argument('[expression...]', 'BPF filter expression, e.g. tcp port 443 or host 10.0.0.1')
    .option('-c, --count <n>', 'stop after this many packets', positiveInt)
    .option('-d, --duration <sec>', 'stop after this many seconds', positiveSeconds)
    .option('-w, --write <file>', 'also save the captured packets to this pcap file (tcpdump and Wireshark read it)')
    .option('-s, --snaplen <bytes>', 'keep at most this many bytes of each packet (at most 65535)', positiveInt)
    .option('-B, --buffer-size <KiB>', 'libpcap kernel buffer size in KiB (default 16384)', positiveInt)
    .addOption(
      new Option('--time-stamp-precision <precision>', 'timestamp precision of the -w file').choices(['micro', 'nano']),
    );
  addFlowOptions(cmd)
    .addHelpText('after', `\n${CAP_LIMITS_HELP}\n`)
    .action(async (expression: string[], o: CaptureCliOptions) => {
      setExit(await capture(expression.join(' '), o, env, deps));
    });
  addIpfixOptions(cmd);
}

async function capture(filter: string, o: CaptureCliOptions, env: Env, deps: CaptureDeps): Promise<number> {
  if (o.write === '-') {
    throw new UsageError('-w - (pcap to standard output) is what tcpdump is for: tcpdump -U -i IFACE -w - | sockscope flows -');
  }
  if (o.write === '') throw new UsageError('-w needs a file name, e.g. -w capture.pcap');
  // The output file and the IPFIX collectors are ready before the device opens: a bad name stops the run at once.
  const output = await outputEnv(o, env);
  const sinks = await openIpfixSinks(o, output.env);
  const abort = new AbortController();
  let signalled = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signalled++;
    if (signalled === 1) {
      if (o.quiet !== true) env.stderr.write(`\nsockscope: ${name}: stopping, writing the open flows\n`);
      abort.abort();
    } else {
      process.exit(130); // a second Ctrl-C: the user does not want to wait
    }
  };
  deps.signals.on('SIGINT', onSignal);
  deps.signals.on('SIGTERM', onSignal);
  let writer: PcapWriter | undefined;
  let local: LiveLocal | undefined;
  try {
    const liveOpts: LiveOptions = {signal: abort.signal};
    if (o.count !== undefined) liveOpts.maxPackets = o.count;
    if (o.duration !== undefined) liveOpts.durationMs = o.duration * 1000;
    if (o.snaplen !== undefined) liveOpts.snaplen = o.snaplen;
    if (o.bufferSize !== undefined) liveOpts.bufferSize = o.bufferSize * 1024;
    let live: LiveSource;
    try {
      live = await deps.openLive(o.interface, filter, liveOpts);
    } catch (e) {
      if (e instanceof LiveCaptureError) throw new UsageError(e.message);
      throw e;
    }
    let source: PacketSource = live;
    if (o.write !== undefined) {
      // As tcpdump does: the -w file is opened (created, truncated) once the device is open and before the first
      // packet is taken, so a path that cannot be written stops the run at once instead of after the capture.
      try {
        writer = await PcapWriter.open(o.write, {
          linkType: live.linkType,
          snaplen: live.snaplen,
          nanosecond: o.timeStampPrecision === 'nano',
        });
      } catch (e) {
        await live.close();
        throw new UsageError(describeWriteError(o.write, e));
      }
      source = new TeeSource(live, writer);
    }
    if (o.quiet !== true) {
      env.stderr.write(
        `sockscope: listening on ${sanitize(live.name)}, link-type ${linkTypeName(live.linkType)}, ` +
          `snapshot length ${live.snaplen} bytes${filter === '' ? '' : `, filter "${sanitize(filter)}"`}\n`,
      );
    }
    applyNameOptions(o);
    // This host's sockets (src/local): read now and on a bounded timer; read once more when a signal stops the
    // capture (this listener runs before the pipeline's, which writes the open flows).
    local = startLiveLocal(o.localNets ?? null, (line) => {
      if (o.quiet !== true) env.stderr.write(`${sanitize(line)}\n`);
    });
    abort.signal.addEventListener('abort', () => local?.refresh(), {once: true});
    const health = new CaptureHealth(live.name, filter, () => live.stats().packets);
    applyDecoderOptions(o);
    const runOpts: Parameters<typeof runFlows>[1] = {
      format: o.format ?? (output.env.isTTY ? 'table' : 'ndjson'),
      flowTable: flowTableOptions(o),
      signal: abort.signal,
    };
    // A live count of packets and flows on a terminal's stderr, as tcpdump -v's "Got N" (run-flows' progress line),
    // unless records stream to the same terminal, where the line would break them up.
    runOpts.progress = o.quiet !== true && !(output.env.isTTY && ['ndjson', 'csv', 'zeek'].includes(runOpts.format));
    if (o.quiet === true) runOpts.quiet = true;
    if (o.verifyChecksums === true) runOpts.verifyChecksums = true;
    if (runOpts.format === 'ipfix') runOpts.ipfix = ipfixFileOptions(o);
    runOpts.sinks = [...sinks, health];
    const code = await runFlows([source], runOpts, output.env);
    await output.done();
    if (writer !== undefined) {
      await writer.finish();
      if (o.quiet !== true) {
        env.stderr.write(`sockscope: ${writer.packets} packets written to ${sanitize(writer.name)}\n`);
      }
      if (writer.dropped > 0) {
        env.stderr.write(`sockscope: warning: ${writer.dropped} packets not written to ${sanitize(writer.name)} (disk too slow)\n`);
      }
    }
    return code;
  } catch (e) {
    if (writer !== undefined) await writer.finish().catch(() => undefined);
    if (e instanceof Error && writer?.failed === e) {
      env.stderr.write(`sockscope: error: ${sanitizeLines(e.message)}\n`);
      return Exit.INPUT;
    }
    throw e;
  } finally {
    local?.stop();
    deps.signals.off('SIGINT', onSignal);
    deps.signals.off('SIGTERM', onSignal);
  }
}

/** Why the `-w` file cannot be opened, in one line that names the path, the reason and what to do. */
export function describeWriteError(path: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const head = `cannot write the pcap file ${path}`;
  const tail = 'nothing was captured';
  switch (err.code) {
    case 'ENOENT':
      return existsSync(dirname(path))
        ? `${head}: no such file or directory (ENOENT); choose another path; ${tail}`
        : `${head}: directory ${dirname(path)} does not exist (ENOENT); create it or choose another path; ${tail}`;
    case 'ENOTDIR':
      return `${head}: a part of the path is not a directory (ENOTDIR); ${tail}`;
    case 'EISDIR':
      return `${head}: it is a directory (EISDIR); name a file in it, e.g. -w ${path.replace(/\/+$/, '')}/capture.pcap; ${tail}`;
    case 'EACCES':
    case 'EPERM':
      return `${head}: permission denied (${err.code}); choose a path you may write to; ${tail}`;
    case 'EROFS':
      return `${head}: read-only file system (EROFS); choose another path; ${tail}`;
    default:
      return `${head}: ${e instanceof Error ? e.message : String(e)}; ${tail}`;
  }
}

const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {0: 'NULL', 1: 'ETHERNET', 101: 'RAW', 113: 'LINUX_SLL'};
function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? String(linkType);
}

/**
 * Passes every frame to a {@link PcapWriter} (which copies it) before handing it on: `-w FILE` beside the flow
 * records. The wrapped handler is made once per distinct `onFrame`, not per pump.
 */
export class TeeSource implements PacketSource {
  readonly name: string;
  readonly live: boolean;
  private readonly inner: PacketSource;
  private readonly writer: PcapWriter;
  private lastHandler: FrameHandler | undefined;
  private lastWrapped: FrameHandler | undefined;

  constructor(inner: PacketSource, writer: PcapWriter) {
    this.inner = inner;
    this.writer = writer;
    this.name = inner.name;
    this.live = inner.live;
  }

  pump(onFrame: FrameHandler): Promise<boolean> {
    if (onFrame !== this.lastHandler) {
      const writer = this.writer;
      this.lastHandler = onFrame;
      this.lastWrapped = (frame: Frame) => {
        writer.write(frame);
        return onFrame(frame);
      };
    }
    return this.inner.pump(this.lastWrapped!); // set just above whenever onFrame changes
  }

  stats(): SourceStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
