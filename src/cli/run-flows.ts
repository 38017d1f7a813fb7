/**
 * The shared body of `flows`, `capture` and `watch` without a terminal: run the pipeline over sources, write each
 * flow record in the chosen format, report progress on a terminal's stderr and a summary at the end.
 */
import { availableParallelism } from 'node:os';
import { Pipeline, type FlowTableOptions } from '../pipeline.js';
import { encodeFlowJson } from '../sink/flow-json.js';
import { encodeRecordJson } from '../sink/json-bytes.js';
import type { CaptureStats } from '../pipeline-types.js';
import { SHARDABLE_FORMATS, type ShardableFormat } from '../shard/protocol.js';
import { ShardedRun, shardingAvailable } from '../shard/run-sharded.js';
import { humanCount } from '../sink/format.js';
import { MAX_ADDRESSES, passiveDnsStats } from '../inspect/passive-dns.js';
import { type ByteSink, ChunkedOut, type Format, makeWriter, type RecordWriter } from '../sink/writers.js';
import type { PacketSource } from '../source/types.js';
import type { TableLayout, TimeZone } from '../sink/table-layout.js';
import type { FlowRecord } from '../flow/record.js';
import type { FlowSink, IpfixFileOptions } from '../sink/ipfix.js';
import type { Env } from './env.js';
import { sanitize, sanitizeLines } from '../tui/sanitize.js';
import { describeOutputError, Exit } from './errors.js';

export type { Format } from '../sink/writers.js';

export interface RunFlowsOptions {
  format: Format;
  flowTable?: FlowTableOptions;
  signal?: AbortSignal;
  /** Show progress on stderr when it is a terminal. @default true */
  progress?: boolean;
  /** No summary on stderr. @default false */
  quiet?: boolean;
  /** Verify checksums as Zeek does. @default false */
  verifyChecksums?: boolean;
  /** Also given every record (IPFIX export; runFlows only, not sharded); closed after the run, their lines end the summary. */
  sinks?: readonly FlowSink[];
  /** The -f ipfix file's settings. */
  ipfix?: IpfixFileOptions;
  /** The table format's lines per flow. @default auto */
  layout?: TableLayout;
  /** The table format's time zone. @default utc */
  zone?: TimeZone;
  /** Only the records this accepts are written (flows --filter; runFlows only, not sharded). */
  filter?: (r: FlowRecord) => boolean;
}

/** Below this much input, starting worker threads costs more than it saves. */
const SHARD_MIN_BYTES = 64 << 20;
/** Most worker threads picked by `-j auto`. */
const SHARD_MAX_AUTO = 4;
/**
 * Worker threads of a run that asks for none. The main thread reads and decodes, the workers do the per-flow work,
 * each with a heap of its own: two cost the benchmark capture about 60 MB more than one thread (256-270 MB against
 * 192-198 MB, within the 300 MB the project allows itself), four about 140 MB. On two cores the three threads share
 * them and still finish sooner, for 40-50% more CPU time: a 2M-packet SYN flood in 4.78 s against 5.15 s, the port
 * scan in 9.89 against 12.12 s, the benchmark capture in 3.45 against 4.07 s (median of three in turns).
 */
const SHARD_DEFAULT = 2;

/**
 * How many worker threads should demultiplex `sources` (1: the calling thread alone). Threads need captures read from
 * files (not live, not standard input: the input's size must be known), a format written record by record (ndjson,
 * csv, zeek), the compiled worker, two cores or more, and 64 MiB of input or more. `requested` undefined (no -j) is
 * up to SHARD_DEFAULT; `'auto'` one per core up to 4; a number is taken as it is (where threads can run at all).
 */
export function pickThreads(sources: readonly PacketSource[], format: Format, requested: number | 'auto' | undefined): number {
  if (requested === 1) return 1;
  if (!(SHARDABLE_FORMATS as readonly string[]).includes(format) || !shardingAvailable()) return 1;
  if (sources.some((s) => s.live)) return 1;
  if (requested !== 'auto' && requested !== undefined) return requested;
  let bytes = 0;
  for (const s of sources) {
    const total = s.stats().totalBytes;
    if (total === undefined) return 1; // standard input, a FIFO: size unknown
    bytes += total;
  }
  const cores = availableParallelism();
  if (bytes < SHARD_MIN_BYTES || cores < 2) return 1;
  return Math.min(requested === 'auto' ? SHARD_MAX_AUTO : SHARD_DEFAULT, cores);
}

/**
 * `runFlows` with `threads` worker threads (see pickThreads): the same output, bytes and order. Resolves to the
 * process exit code.
 */
export function runFlowsSharded(sources: PacketSource[], threads: number, opts: RunFlowsOptions, env: Env): Promise<number> {
  return writeRecords(opts, env, (out, _writer, signal) => {
    const run = new ShardedRun({
      sources,
      threads,
      format: opts.format as ShardableFormat,
      flowTable: opts.flowTable ?? {},
      verifyChecksums: opts.verifyChecksums === true,
      out,
      signal,
    });
    return { run, done: run.done };
  });
}

/** Runs the pipeline over `sources` and writes records to env.stdout. Resolves to the process exit code. */
export function runFlows(sources: PacketSource[], opts: RunFlowsOptions, env: Env): Promise<number> {
  const sinks = opts.sinks ?? [];
  const filter = opts.filter;
  return writeRecords(opts, env, (out, writer, signal) => {
    const pipelineOpts: ConstructorParameters<typeof Pipeline>[0] = {
      sources,
      onFlowEnd: sinks.length === 0 && filter === undefined ? (r) => writer.write(r) : (r) => {
        if (filter !== undefined && !filter(r)) return;
        writer.write(r);
        for (const sink of sinks) sink.write(r);
      },
      signal,
      // Backpressure: reading waits while the output holds a backlog (a reader slower than sockscope).
      afterFrame: () => !out.full(),
      afterPump: () => out.room(signal) ?? undefined,
    };
    if (opts.flowTable !== undefined) pipelineOpts.flowTable = opts.flowTable;
    if (opts.verifyChecksums === true) pipelineOpts.verifyChecksums = true;
    // ndjson alone: each line straight from the flow's state, without a record object.
    if (opts.format === 'ndjson' && sinks.length === 0 && filter === undefined) pipelineOpts.onFlowEndState = (f, _o, _t1, _t2, report) => {
      // An intermediate report (active timeout) is written from its record: the flow has moved on since.
      if (report === null) encodeFlowJson(out, f, f.endReason);
      else encodeRecordJson(out, report);
    };
    const pipeline = new Pipeline(pipelineOpts);
    const done = pipeline.run().then((s) => ({ stats: s.stats, errors: s.errors.map((e) => e.message) }));
    return { run: pipeline, done };
  });
}

/** What writeRecords watches: a pipeline, or the worker threads of a sharded one. */
interface RecordRun {
  run: { stats(): CaptureStats; progress(): number | undefined };
  done: Promise<{ stats: CaptureStats; errors: readonly string[] }>;
}

/**
 * The frame of both: the writer's header, the run `start` begins (records go to the writer or straight into `out`;
 * it stops when `signal` aborts: the caller's signal, or the output failing), progress on a terminal's stderr, the
 * writer's end, the summary and the errors. Resolves to the exit code once the output has taken every byte.
 */
async function writeRecords(
  opts: RunFlowsOptions,
  env: Env,
  start: (out: ChunkedOut, writer: RecordWriter, signal: AbortSignal) => RecordRun,
): Promise<number> {
  // The output failing (the reader gone, a full disk) stops reading at once: nothing more could be written.
  const outputFailed = new AbortController();
  const signal = opts.signal === undefined ? outputFailed.signal : AbortSignal.any([opts.signal, outputFailed.signal]);
  const out = new ChunkedOut(env.stdout as ByteSink, 100, () => outputFailed.abort());
  const onOutputError = (e: Error): void => out.fail(e);
  // A test's stand-in for stdout may be a bare object with write() alone.
  const events = env.stdout as Partial<Pick<NodeJS.WritableStream, 'on' | 'off'>>;
  events.on?.('error', onOutputError);
  try {
    // Lines are cut to the terminal's width only on a terminal; a pipe or file gets them whole.
    const writer = makeWriter(opts.format, out, {
      now: env.now,
      width: env.isTTY ? Math.max(80, env.columns) : Infinity,
      ...(opts.layout !== undefined ? { layout: opts.layout } : {}),
      ...(opts.zone !== undefined ? { zone: opts.zone } : {}),
      ...(opts.ipfix !== undefined ? { ipfix: opts.ipfix } : {}),
    });
    writer.begin();
    const { run, done } = start(out, writer, signal);
    const stopProgress = opts.progress !== false && env.errIsTTY ? startProgress(run, env) : undefined;
    let summary;
    try {
      summary = await done;
    } finally {
      stopProgress?.();
    }
    const sinkLines: string[] = [];
    for (const sink of opts.sinks ?? []) sinkLines.push(...(await sink.close()));
    if (writer.endPaced !== undefined) await writer.endPaced(() => (out.failure === null ? out.room() : false));
    else writer.end();
    out.flush();
    await out.settled();
    const failure = out.failure as NodeJS.ErrnoException | null;
    // The reader has gone (`sockscope flows x | head`): it wanted no more, which is no error.
    if (failure?.code === 'EPIPE') return Exit.OK;
    if (opts.quiet !== true) env.stderr.write(sanitizeLines(summaryText(summary.stats)));
    for (const line of sinkLines) if (opts.quiet !== true || line.includes('warning')) env.stderr.write(`${sanitize(line)}\n`);
    for (const e of summary.errors) env.stderr.write(`sockscope: error: ${sanitize(e)}\n`);
    if (failure !== null) {
      const path = (env.stdout as { path?: unknown }).path; // a file named with -o
      env.stderr.write(`sockscope: error: ${sanitize(describeOutputError(failure, typeof path === 'string' ? path : undefined))}\n`);
      return Exit.OUTPUT;
    }
    return summary.errors.length > 0 ? Exit.INPUT : Exit.OK;
  } finally {
    events.off?.('error', onOutputError);
  }
}

/** The end-of-run accounting: every packet read is either in a flow or counted by why it is not. */
export function summaryText(s: CaptureStats): string {
  const lines: string[] = [];
  let line = `sockscope: ${plural(s.packetsRead, 'packet')} read, ${s.packetsAssigned} assigned to ${plural(s.totalFlows, 'flow')}`;
  line += `, ${s.packetsUnassigned} not assigned`;
  const reasons = Object.entries(s.unassigned).map(([k, n]) => `${k} ${n}`);
  if (reasons.length > 0) line += ` (${reasons.join(', ')})`;
  lines.push(line);
  if (s.tunnelledPackets > 0) lines.push(`sockscope: ${s.tunnelledPackets} tunnelled packets also counted in their inner flows`);
  const undecoded = Object.entries(s.undecoded ?? {});
  if (undecoded.length > 0) {
    lines.push(`sockscope: not decoded further: ${undecoded.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  }
  const cut = Object.entries(s.tunnelLayersCut ?? {});
  if (cut.length > 0) lines.push(`sockscope: tunnel layers not followed: ${cut.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  const cutLive = s.cutWithoutWireLength ?? 0;
  if (s.truncatedBySnaplen > cutLive) {
    lines.push(`sockscope: ${s.truncatedBySnaplen - cutLive} packets were cut by the snap length (counted with their wire length)`);
  }
  if (cutLive > 0) {
    lines.push(
      `sockscope: ${cutLive} live packets were cut by the snap length (cap keeps at most 65535 bytes and gives no wire ` +
        'length: counted with their captured length, their missing bytes seen as gaps; tcpdump -s 0 -w - | sockscope flows - keeps them whole)',
    );
  }
  if (s.badChecksums > 0) lines.push(`sockscope: ${s.badChecksums} packets with a wrong checksum were left out of their flows' counters`);
  const forMemory = s.evictedForMemory ?? 0;
  if (s.evictedFlows > forMemory) {
    lines.push(`sockscope: ${s.evictedFlows - forMemory} flows were written early because the flow table was full (--max-flows)`);
  }
  if ((s.closedEarly ?? 0) > 0) {
    const mib = Math.round((s.memoryBudget ?? 0) / 1048576);
    lines.push(`sockscope: ${s.closedEarly} closed TCP flows were written before their close delay was over, to keep flow state within its ${mib} MiB (--memory)`);
  }
  if ((s.activeReports ?? 0) > 0) {
    lines.push(`sockscope: ${s.activeReports} intermediate records of long flows (end_reason active: --active-timeout)`);
  }
  if (forMemory > 0) {
    const mib = Math.round((s.memoryBudget ?? 0) / 1048576);
    const urgent = s.emergencyEnded ?? 0;
    lines.push(
      `sockscope: ${forMemory} flows were written early (end_reason evicted) to keep flow state within its ${mib} MiB (--memory): ` +
        `${urgent} unanswered flows ended by the 1 s emergency timeout, ${forMemory - urgent} nearest their timeout`,
    );
  }
  for (const [lt, n] of Object.entries(s.unsupportedLinkTypes)) {
    lines.push(`sockscope: warning: link type ${lt} is not supported: ${n} packets not decoded`);
  }
  if (s.dropped !== undefined) lines.push(`sockscope: ${s.dropped} packets dropped by the kernel`);
  // Passive DNS (--names) is this thread's: its map of names is process-wide (inspect/passive-dns.ts).
  const namesDropped = passiveDnsStats().dropped;
  if (namesDropped > 0) {
    lines.push(`sockscope: ${namesDropped} names of addresses from DNS answers were forgotten, the oldest first, to keep at most ${MAX_ADDRESSES} (resp_name)`);
  }
  return `${lines.join('\n')}\n`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Writes `42% 1.2M pkts 3.4M pkt/s` to a terminal's stderr every 250 ms; returns the function that clears it. */
function startProgress(pipeline: RecordRun['run'], env: Env): () => void {
  const started = env.now();
  let shown = false;
  const timer = setInterval(() => {
    const s = pipeline.stats();
    const secs = (env.now() - started) / 1000;
    const p = pipeline.progress();
    const share = p === undefined ? '' : `${(p * 100).toFixed(0).padStart(3)}%  `;
    env.stderr.write(`\r${share}${humanCount(s.packetsRead)} pkts  ${humanCount(s.packetsRead / Math.max(secs, 0.001))} pkt/s  ${humanCount(s.activeFlows)} open flows\x1b[K`);
    shown = true;
  }, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (shown) env.stderr.write('\r\x1b[K');
  };
}
