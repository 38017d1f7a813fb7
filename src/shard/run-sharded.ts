/**
 * Reads capture files with several worker threads and merges their records into the stream one pipeline would write:
 * the same records, bytes and order, in less time. The calling thread reads and decodes every packet once (reassembly
 * and tunnels included) and hands it to the worker of its flow's shard through a ring in shared memory; the workers
 * do the per-flow work (lookup, counters, TCP tracking, records), which dominates on captures with many concurrent
 * flows.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { DecodedPacket } from '../decode/packet.js';
import { communityIdSettings } from '../flow/community-id.js';
import type { PacketDispatch } from '../flow/demux.js';
import { type FlowTableOptions, resolveTableOptions } from '../flow/table.js';
import { localNetsSetting } from '../local/attribution.js';
import { frameOfSerial, Pipeline } from '../pipeline.js';
import type { CaptureStats } from '../pipeline-types.js';
import type { ChunkedOut } from '../sink/writers.js';
import { openCaptures } from '../source/lazy.js';
import type { PacketSource } from '../source/types.js';
import { createRing, RingClosedError, RingWriter } from './packet-ring.js';
import {
  BATCH_RECORDS, BATCH_ROOM, type BatchMessage, type BatchView, batchViews, mergeStats, POOL_BUFFERS, POOL_LAYOUT, type ShardableFormat, type ShardCounters, type ShardJob,
  type WorkerMessage,
} from './protocol.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Records per worker ring (a power of two), and how many are passed on at a time. */
const RING_RECORDS = 1 << 14;
const PUBLISH_EVERY = 512;
/** Room a frame may need: its packet, tunnelled layers, and a clock tick. */
const FRAME_ROOM = 16;
/**
 * Young generation of a worker's heap, MB. Flows live long enough to leave it anyway; V8's default (several times
 * this) costs each worker tens of megabytes for no measurable speed (2-thread benchmark: 325-335 MB peak by default,
 * 280-305 MB with this, same times).
 */
const WORKER_YOUNG_MB = 8;

/** Whether worker threads can run here: the compiled worker exists (not when running from TypeScript sources). */
export function shardingAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

export interface ShardedRunOptions {
  /** The captures to read (or `paths`: capture files, `-` for standard input). */
  sources?: PacketSource[];
  paths?: string[];
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
  /** Input errors met. */
  errors: string[];
}

/** One worker's stream of records: batches waiting to be merged, and how far its input has got. */
class Lane {
  readonly batches: BatchMessage[] = [];
  /** Where the slots of merged pool buffers go back to the worker (see ShardJob.spent). */
  spent: MessagePort | null = null;
  /**
   * The head batch (batches[0]): its records' bytes, ends and order keys (EMPTY_BATCH when there is none), the index
   * of its head record and the byte offset where that starts. A head batch in a pool buffer is copied into memory of this
   * thread's own first, each part in one piece, and the buffer goes back to the worker at once: V8 copies out of
   * shared memory with relaxed atomic loads, word by word only where source and target line up, so the merge's many
   * small copies (a record or a few each, at any offset) cost twice what they cost from memory of this thread's own.
   */
  head: BatchView = EMPTY_BATCH;
  rec = 0;
  start = 0;
  private scratch: BatchView | null = null;
  /** Every record still to come from this worker has an ordinal above this. */
  watermark = -1;
  done = false;
  counters: ShardCounters = {
    assigned: 0, activeFlows: 0, totalFlows: 0, evictedFlows: 0, evictedForMemory: 0, emergencyEnded: 0, emergencies: 0,
    peakFlowMemory: 0, memoryBudget: 0, activeReports: 0, closedEarly: 0, badChecksums: 0,
  };
  /** Queues a batch with records. */
  add(b: BatchMessage): void {
    this.batches.push(b);
    if (this.batches.length === 1) this.load(b);
  }
  /** Drops the head batch, all of it written, and makes the next one the head. */
  next(): void {
    this.batches.shift();
    this.rec = 0;
    this.start = 0;
    const head = this.batches[0];
    if (head !== undefined) this.load(head);
    else this.head = EMPTY_BATCH;
  }
  /** Makes `b` the head batch: a pool buffer's parts are copied, and its slot sent back to the worker to fill again. */
  private load(b: BatchMessage): void {
    const n = b.count;
    const from = batchViews(b.buffer, b.layout, b.layout.endsAt, n);
    if (b.slot < 0) {
      this.head = from;
      return;
    }
    const s = (this.scratch ??= { bytes: new Uint8Array(BATCH_ROOM), ends: new Int32Array(BATCH_RECORDS), keys: new Float64Array(3 * BATCH_RECORDS) });
    s.ends.set(from.ends);
    s.keys.set(from.keys);
    s.bytes.set(from.bytes.subarray(0, s.ends[n - 1]!)); // a queued batch has records
    this.head = { bytes: s.bytes, ends: s.ends.subarray(0, n), keys: s.keys.subarray(0, 3 * n) };
    this.spent?.postMessage(b.slot);
  }
}

/** The head of a lane without batches. */
const EMPTY_BATCH: BatchView = { bytes: new Uint8Array(0), ends: new Int32Array(0), keys: new Float64Array(0) };

/** Passes each packet to the ring of its shard (see DemuxOptions.dispatch). */
class RingDispatch implements PacketDispatch {
  readonly count: number;
  private readonly rings: RingWriter[];
  constructor(rings: RingWriter[]) {
    this.rings = rings;
    this.count = rings.length;
  }
  expire(tsSec: number, serial: number): void {
    const ordinal = frameOfSerial(serial);
    for (const r of this.rings) r.expire(tsSec, ordinal);
  }
  seed(seed: number, ordinal: number): void {
    for (const r of this.rings) r.seed(seed, ordinal);
  }
  packet(shard: number, p: DecodedPacket, tsSec: number, wireLen: number, frames: number, serial: number, checksumBad: boolean): void {
    this.rings[shard]!.packet(p, tsSec, wireLen, frames, frameOfSerial(serial), serial, checksumBad); // shard < count
  }
  /** Between frames: passes on what has piled up; false when a ring is about full (the reader then waits for room). */
  afterFrame(): boolean {
    let room = true;
    for (const r of this.rings) {
      if (r.unpublished >= PUBLISH_EVERY) r.publish();
      if (r.free() < FRAME_ROOM) room = false;
    }
    return room;
  }
  /** Passes everything on and waits until every ring has room for a frame. */
  async settle(): Promise<void> {
    for (const r of this.rings) r.publish();
    for (const r of this.rings) await r.waitForRoom(FRAME_ROOM);
  }
}

/** A sharded run in progress. */
export class ShardedRun {
  readonly done: Promise<ShardedSummary>;
  private readonly lanes: Lane[];
  private readonly workers: Worker[] = [];
  private readonly out: ChunkedOut;
  /** The run's memory budget (--memory), of which the threads take their part first (shardMemoryBytes). */
  private readonly memoryBudget: number;
  private pipeline: Pipeline | null = null;
  private readDone = false;

  constructor(opts: ShardedRunOptions) {
    if (!(Number.isInteger(opts.threads) && opts.threads >= 2)) throw new RangeError(`threads must be 2 or more, not ${opts.threads}`);
    this.out = opts.out;
    this.memoryBudget = resolveTableOptions(opts.flowTable).memoryBytes;
    this.lanes = Array.from({ length: opts.threads }, () => new Lane());
    const rings = Array.from({ length: opts.threads }, () => createRing(RING_RECORDS));
    const writers = rings.map((r) => new RingWriter(r));
    const workersDone = new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        for (const w of this.workers) void w.terminate();
        for (const r of writers) r.close(); // the reading side stops instead of waiting for room
        reject(e);
      };
      for (let index = 0; index < opts.threads; index++) {
        const spent = new MessageChannel();
        const job: ShardJob = {
          ring: rings[index]!, // index < threads
          pool: Array.from({ length: POOL_BUFFERS }, () => new SharedArrayBuffer(POOL_LAYOUT.size)),
          spent: spent.port2,
          index,
          count: opts.threads,
          format: opts.format,
          // The memory budget is the run's: each shard holds its share of the flows within its share of what the
          // threads themselves leave of it (shardMemoryBytes).
          flowTable: { ...opts.flowTable, memoryBytes: shardMemoryBytes(resolveTableOptions(opts.flowTable).memoryBytes, opts.threads) },
          records: { communityId: { ...communityIdSettings }, localNets: localNetsSetting() },
        };
        const w = new Worker(WORKER_URL, { workerData: job, transferList: [spent.port2], resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
        this.workers.push(w);
        const lane = this.lanes[index]!; // index < threads
        lane.spent = spent.port1;
        w.on('message', (m: WorkerMessage) => {
          if (failed) return;
          if (m.t === 'batch') {
            if (m.count > 0) lane.add(m);
            lane.watermark = m.watermark;
            lane.counters = m.counters;
          } else if (m.t === 'done') {
            lane.done = true;
            lane.counters = m.counters;
            lane.spent?.close();
            lane.spent = null;
          } else {
            fail(new Error(`shard ${index}: ${m.message}`));
            return;
          }
          this.drain();
          if (this.lanes.every((l) => l.done)) resolve();
        });
        w.on('error', (e) => fail(e));
        w.on('exit', (code) => {
          if (!lane.done) fail(new Error(`shard ${index} stopped (exit code ${code}) before it was done`));
        });
      }
    });
    const dispatch = new RingDispatch(writers);
    const read = (async () => {
      const pipelineOpts: ConstructorParameters<typeof Pipeline>[0] = {
        sources: opts.sources ?? (await openCaptures(opts.paths ?? [])),
        verifyChecksums: opts.verifyChecksums === true,
        dispatch,
        // Reading also waits while the output holds a backlog (a reader slower than sockscope).
        afterFrame: () => dispatch.afterFrame() && !opts.out.full(),
        afterPump: async () => {
          await dispatch.settle();
          await opts.out.room(opts.signal);
        },
      };
      if (opts.flowTable !== undefined) pipelineOpts.flowTable = opts.flowTable;
      if (opts.signal !== undefined) pipelineOpts.signal = opts.signal;
      const pipeline = new Pipeline(pipelineOpts);
      this.pipeline = pipeline;
      try {
        return await pipeline.run();
      } finally {
        this.readDone = true;
        for (const w of writers) {
          await w.waitForRoom(1);
          w.end();
          w.publish();
        }
      }
    })();
    read.catch(() => {
      for (const w of this.workers) void w.terminate();
    });
    // Settles once both sides have stopped (nothing is left running or waiting), with the failure that came first:
    // the reader's own (a worker stopped by it then fails too), or a worker's (the reader then finds its ring closed).
    this.done = Promise.allSettled([workersDone, read]).then(([workers, reading]) => {
      if (reading.status === 'rejected' && !(reading.reason instanceof RingClosedError)) throw reading.reason;
      if (workers.status === 'rejected') throw workers.reason;
      if (reading.status === 'rejected') throw reading.reason;
      return { stats: this.stats(), errors: reading.value.errors.map((e) => e.message) };
    });
  }

  /** The counters so far, as one pipeline's (the budget is the run's: the threads' own part and the shards' shares). */
  stats(): CaptureStats {
    const reader = this.pipeline === null ? EMPTY_STATS : this.pipeline.stats();
    return { ...mergeStats(reader, this.lanes.map((l) => l.counters)), memoryBudget: this.memoryBudget };
  }

  /** Share of the input read. */
  progress(): number | undefined {
    if (this.readDone && this.lanes.every((l) => l.done)) return 1;
    return this.pipeline === null ? 0 : Math.min(this.pipeline.progress() ?? 0, 0.999);
  }

  /**
   * Writes out every record that is certainly next: the smallest head record of all lanes, as long as no lane
   * without records waiting could still send a smaller one (its watermark is below the record's ordinal). The records
   * of one lane that come next in a row are copied at once.
   */
  private drain(): void {
    const lanes = this.lanes;
    const out = this.out;
    for (;;) {
      // In one pass: the lane with the smallest head record (best, b0-b2), the smallest head record of the others
      // (n0-n2), and the lowest watermark of the lanes not done that have nothing waiting (wm).
      let best: Lane | null = null;
      let b0 = Infinity, b1 = Infinity, b2 = Infinity;
      let n0 = Infinity, n1 = Infinity, n2 = Infinity;
      let wm = Infinity;
      for (const l of lanes) {
        if (l.batches.length === 0) {
          if (!l.done && l.watermark < wm) wm = l.watermark;
          continue;
        }
        const k = l.head.keys;
        const i = 3 * l.rec;
        const k0 = k[i]!, k1 = k[i + 1]!, k2 = k[i + 2]!; // rec < records in the head batch
        if (best === null || keyBefore(k0, k1, k2, b0, b1, b2)) {
          if (best !== null) {
            n0 = b0; n1 = b1; n2 = b2;
          }
          best = l;
          b0 = k0; b1 = k1; b2 = k2;
        } else if (keyBefore(k0, k1, k2, n0, n1, n2)) {
          n0 = k0; n1 = k1; n2 = k2;
        }
      }
      if (best === null || !(b0 <= wm)) return;
      // best's head batch goes as far as it stays below the others' head records and within their watermarks.
      const { bytes: from, ends, keys } = best.head;
      const count = ends.length;
      let last = best.rec + 1;
      while (last < count) {
        const k0 = keys[3 * last]!, k1 = keys[3 * last + 1]!, k2 = keys[3 * last + 2]!; // last < records
        if (!(k0 <= wm) || !keyBefore(k0, k1, k2, n0, n1, n2)) break;
        last++;
      }
      const end = ends[last - 1]!; // last - 1 < records
      const n = end - best.start;
      out.reserve(n);
      out.buf.set(new Uint8Array(from.buffer, from.byteOffset + best.start, n), out.len); // a view made directly: cheaper than subarray
      out.len += n;
      out.written();
      best.start = end;
      best.rec = last;
      if (last === count) best.next();
    }
  }
}

/** Whether order key (a0, a1, a2) comes before (b0, b1, b2) (see PipelineOptions.onFlowEnd). */
function keyBefore(a0: number, a1: number, a2: number, b0: number, b1: number, b2: number): boolean {
  return a0 < b0 || (a0 === b0 && (a1 < b1 || (a1 === b1 && a2 < b2)));
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

/**
 * What the worker threads cost of a run's memory budget before any flow: each worker's own heap (young generation,
 * code, the collector's headroom), the rings, and the records waiting to be merged. Measured on a 2M-packet SYN flood
 * at the default budget (480 MiB): one thread peaks at 473 MB, -j 2 at 717 MB and -j 4 at 742 MB.
 */
const THREADS_OVERHEAD_BYTES = 256 * 1024 * 1024;
/** Least budget of a shard, however many threads share a small one. */
const MIN_SHARD_BYTES = 16 * 1024 * 1024;

/** Each of `threads` shards' share of a run's flow-memory budget of `total` bytes, the threads' own cost taken first. */
export function shardMemoryBytes(total: number, threads: number): number {
  return Math.max(MIN_SHARD_BYTES, (total - THREADS_OVERHEAD_BYTES) / threads);
}

