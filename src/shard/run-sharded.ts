/**
 * Reads capture files with several worker threads, one shard of the flows each (see protocol.ts), and merges their
 * records into the stream one pipeline would write: the same records, bytes and order, in less time. Each worker
 * still reads and decodes every packet (a few tenths of a microsecond each); what divides is the per-flow work
 * (lookup, counters, TCP tracking), which dominates on captures with many concurrent flows.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FlowTableOptions } from '../flow/table.js';
import type { CaptureStats } from '../pipeline-types.js';
import type { ChunkedOut } from '../sink/writers.js';
import { type BatchMessage, mergeStats, type ShardableFormat, type ShardJob, type WorkerMessage } from './protocol.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Whether worker threads can run here: the compiled worker exists (not when running from TypeScript sources). */
export function shardingAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

export interface ShardedRunOptions {
  paths: string[];
  /** Worker threads (shards), at least 2. */
  threads: number;
  format: ShardableFormat;
  flowTable?: FlowTableOptions;
  verifyChecksums?: boolean;
  /** Where the merged records go (the caller writes any header and footer). */
  out: ChunkedOut;
  /** Stop early: the workers write their open flows as at end of input. */
  signal?: AbortSignal;
}

export interface ShardedSummary {
  stats: CaptureStats;
  /** Input errors met (every shard meets the same; shard 0's are reported). */
  errors: string[];
}

/** One worker's stream of records: batches waiting to be merged, and how far its input has got. */
class Lane {
  readonly batches: BatchMessage[] = [];
  /** Index of the head record in batches[0], and the byte offset where it starts. */
  rec = 0;
  start = 0;
  /** Every record still to come from this worker has an ordinal above this. */
  watermark = -1;
  done = false;
  stats: CaptureStats | null = null;
  progress: number | undefined = 0;
  errors: string[] = [];
}

/** A sharded run in progress. */
export class ShardedRun {
  readonly done: Promise<ShardedSummary>;
  private readonly lanes: Lane[];
  private readonly workers: Worker[] = [];
  private readonly out: ChunkedOut;

  constructor(opts: ShardedRunOptions) {
    if (!(Number.isInteger(opts.threads) && opts.threads >= 2)) throw new RangeError(`threads must be 2 or more, not ${opts.threads}`);
    this.out = opts.out;
    this.lanes = Array.from({ length: opts.threads }, () => new Lane());
    this.done = new Promise<ShardedSummary>((resolve, reject) => {
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        for (const w of this.workers) void w.terminate();
        reject(e);
      };
      for (let index = 0; index < opts.threads; index++) {
        const job: ShardJob = {
          paths: opts.paths,
          index,
          count: opts.threads,
          format: opts.format,
          flowTable: opts.flowTable ?? {},
          verifyChecksums: opts.verifyChecksums === true,
        };
        const w = new Worker(WORKER_URL, { workerData: job });
        this.workers.push(w);
        const lane = this.lanes[index]!; // index < threads
        w.on('message', (m: WorkerMessage) => {
          if (failed) return;
          if (m.t === 'batch') {
            if (m.ends.length > 0) lane.batches.push(m);
            lane.watermark = m.watermark;
            lane.stats = m.stats;
            lane.progress = m.progress;
          } else if (m.t === 'done') {
            lane.done = true;
            lane.stats = m.stats;
            lane.progress = 1;
            lane.errors = m.errors;
          } else {
            fail(new Error(`shard ${index}: ${m.message}`));
            return;
          }
          this.drain();
          if (this.lanes.every((l) => l.done)) resolve({ stats: this.stats(), errors: this.lanes[0]!.errors });
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (!lane.done) fail(new Error(`shard ${index} stopped (exit code ${code}) before it was done`));
        });
      }
      opts.signal?.addEventListener('abort', () => {
        for (const w of this.workers) w.postMessage({ t: 'abort' });
      }, { once: true });
    });
  }

  /** The counters of all shards so far, as one pipeline's. */
  stats(): CaptureStats {
    return mergeStats(this.lanes.map((l) => l.stats ?? EMPTY_STATS));
  }

  /** Share of the input read (shard 0's: every shard reads all of it). */
  progress(): number | undefined {
    return this.lanes[0]!.progress; // at least two lanes
  }

  /**
   * Writes out every record that is certainly next: the smallest head record of all lanes, as long as no lane
   * without records waiting could still send a smaller one (its watermark is below the record's ordinal).
   */
  private drain(): void {
    const lanes = this.lanes;
    const out = this.out;
    for (;;) {
      let best: Lane | null = null;
      let b0 = 0, b1 = 0, b2 = 0;
      for (const l of lanes) {
        const head = l.batches[0];
        if (head === undefined) continue;
        const k = head.keys;
        const i = 3 * l.rec;
        const k0 = k[i]!, k1 = k[i + 1]!, k2 = k[i + 2]!; // rec < records in the head batch
        if (best === null || k0 < b0 || (k0 === b0 && (k1 < b1 || (k1 === b1 && k2 < b2)))) {
          best = l;
          b0 = k0; b1 = k1; b2 = k2;
        }
      }
      if (best === null) return;
      for (const l of lanes) {
        if (l !== best && l.batches.length === 0 && !l.done && !(b0 <= l.watermark)) return;
      }
      const batch = best.batches[0]!; // best has a head batch
      const end = batch.ends[best.rec]!;
      const n = end - best.start;
      out.reserve(n);
      out.buf.set(new Uint8Array(batch.bytes, best.start, n), out.len);
      out.len += n;
      out.written();
      best.start = end;
      if (++best.rec === batch.ends.length) {
        best.batches.shift();
        best.rec = 0;
        best.start = 0;
      }
    }
  }
}

const EMPTY_STATS: CaptureStats = {
  packetsRead: 0,
  packetsAssigned: 0,
  unassigned: {},
  packetsUnassigned: 0,
  wireBytes: 0,
  truncatedBySnaplen: 0,
  activeFlows: 0,
  totalFlows: 0,
  evictedFlows: 0,
  clockSec: 0,
  firstSec: 0,
  unsupportedLinkTypes: {},
  tunnelledPackets: 0,
  badChecksums: 0,
};
