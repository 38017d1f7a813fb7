/**
 * A shard worker (worker_threads): demultiplexes the packets of its shard, which the reading thread decodes and
 * passes through a shared-memory ring (packet-ring.ts), and posts the records of its flows, written in the output
 * format, to the main thread in batches (see protocol.ts).
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { DecodedPacket } from '../decode/packet.js';
import { configureCommunityId } from '../flow/community-id.js';
import { Demux, type TunnelChain } from '../flow/demux.js';
import { EndOrder } from '../flow/end-order.js';
import type { Flow } from '../flow/flow.js';
import type { FlowRecord } from '../flow/record.js';
import { flowRecord, setUidSeed } from '../flow/snapshot.js';
import { configureLocal } from '../local/attribution.js';
import { LocalNets } from '../local/local-nets.js';
import { SERIALS_PER_FRAME } from '../pipeline.js';
import { encodeFlowJson } from '../sink/flow-json.js';
import { GrowingOut, makeWriter } from '../sink/writers.js';
import { RecordKind, RingReader } from './packet-ring.js';
import {
  BATCH_BYTES, BATCH_RECORDS, BATCH_ROOM, batchLayout, type BatchMessage, batchViews, type DoneMessage, type FatalMessage, POOL_LAYOUT, type ShardCounters,
  type ShardJob,
} from './protocol.js';

/** Post a batch (BATCH_BYTES at an input position's end: see protocol.ts), or this long after the last post. */
const BATCH_MS = 50;
/** The buffer of a batch without records. */
const NO_BYTES = new ArrayBuffer(0);
/** Open flows ended at a time at end of input, between posts. */
const FLUSH_BATCH = 4096;
/** Longest wait for the ring between looks at the clock (posts are due even when no packets come). */
const WAIT_MS = 20;

/**
 * The records of a worker's ended flows, gathered into a batch in memory of this thread's own (writing into shared
 * memory costs more per call) with each one's end and order key, then copied at once into one of the pool's buffers,
 * whose slots come back from the reading thread once merged.
 */
class Batches {
  /** The batch's record bytes. */
  readonly out = new GrowingOut();
  /** `count` records: each one's end in `out` and its order key (three numbers). */
  private ends = new Int32Array(4096);
  private keys = new Float64Array(3 * 4096);
  private count = 0;
  private lastPost = Date.now();
  private readonly free: number[];
  private readonly job: ShardJob;
  private readonly port: MessagePort;
  /** The worker's counters as they stand, posted with each batch. */
  private readonly counters: () => ShardCounters;

  constructor(job: ShardJob, port: MessagePort, counters: () => ShardCounters) {
    this.job = job;
    this.port = port;
    this.counters = counters;
    this.free = job.pool.map((_, i) => i);
  }

  /** Counts the record just written into `out`, with its order key (see PipelineOptions.onFlowEnd). */
  add(ordinal: number, tie1: number, tie2: number): void {
    const count = this.count;
    if (count === this.ends.length) {
      const e = new Int32Array(2 * count), k = new Float64Array(6 * count);
      e.set(this.ends);
      k.set(this.keys);
      this.ends = e;
      this.keys = k;
    }
    this.ends[count] = this.out.len;
    this.keys[3 * count] = ordinal;
    this.keys[3 * count + 1] = tie1;
    this.keys[3 * count + 2] = tie2;
    this.count = count + 1;
  }

  /** Whether a batch is due: BATCH_BYTES gathered, or BATCH_MS since the last post (`timed`). */
  due(timed: boolean): boolean {
    return this.out.len >= BATCH_BYTES || (timed && Date.now() - this.lastPost >= BATCH_MS);
  }

  /**
   * Posts the batch (possibly empty) with the watermark below which every record has been posted: into a free pool
   * buffer when it fits one, else (every pool buffer waits to be merged, or one input position ended more than a
   * buffer holds) into an ArrayBuffer of its own, passed on.
   */
  post(watermark: number): void {
    const { out, count } = this;
    const msg: BatchMessage = { t: 'batch', buffer: NO_BYTES, slot: -1, count, layout: POOL_LAYOUT, watermark, counters: this.counters() };
    this.lastPost = Date.now();
    if (count === 0) {
      this.port.postMessage(msg);
      return;
    }
    const slot = out.len <= BATCH_ROOM && count <= BATCH_RECORDS ? this.freeSlot() : -1;
    if (slot >= 0) {
      msg.buffer = this.job.pool[slot]!; // slot < POOL_BUFFERS
      msg.slot = slot;
    } else {
      msg.layout = batchLayout(out.len, count);
      msg.buffer = new ArrayBuffer(msg.layout.size);
    }
    const to = batchViews(msg.buffer, msg.layout, out.len, count);
    to.bytes.set(out.buf.subarray(0, out.len));
    to.ends.set(this.ends.subarray(0, count));
    to.keys.set(this.keys.subarray(0, 3 * count));
    out.len = 0;
    this.count = 0;
    if (slot >= 0) this.port.postMessage(msg);
    else this.port.postMessage(msg, [msg.buffer as ArrayBuffer]);
  }

  /** A free pool slot, or -1: the slots the reading thread has sent back are taken first. */
  private freeSlot(): number {
    const spent = this.job.spent;
    for (let m = receiveMessageOnPort(spent); m !== undefined; m = receiveMessageOnPort(spent)) this.free.push(m.message as number);
    return this.free.pop() ?? -1;
  }
}

/** The counters of a worker's demultiplexer, as it posts them with each batch. */
function countersOf(demux: Demux): ShardCounters {
  const t = demux.table;
  return {
    assigned: demux.assigned,
    activeFlows: t.size,
    totalFlows: t.created,
    evictedFlows: t.evicted,
    evictedForMemory: t.evictedForMemory,
    emergencyEnded: t.emergencyEnded,
    emergencies: t.emergencies,
    peakFlowMemory: t.peakMemory,
    memoryBudget: t.options.memoryBytes,
    activeReports: t.reported,
    closedEarly: t.closedEarly,
    badChecksums: demux.badChecksums,
  };
}

function main(job: ShardJob): void {
  const port = parentPort!; // this module only runs as a worker
  configureCommunityId(job.records.communityId);
  configureLocal({ nets: job.records.localNets === null ? null : new LocalNets(job.records.localNets) });
  const batches = new Batches(job, port, () => countersOf(demux));
  const writer = makeWriter(job.format, batches.out);
  /** Orders the flows ended by the records of each input position as one pipeline would (see EndOrder). */
  const order = new EndOrder(emit);
  const demux: Demux = new Demux(job.flowTable, (f: Flow) => order.ended(f), {
    externalClock: true,
    onActive: (f: Flow) => order.reported(f, flowRecord(f, 'active')),
  });

  /**
   * Writes the record of an ended flow with its order key (see PipelineOptions.onFlowEnd), then reuses the flow; or,
   * for an intermediate report, the report's record (the flow goes on).
   */
  function emit(f: Flow, ordinal: number, tie1: number, tie2: number, report: FlowRecord | null): void {
    if (report !== null) writer.write(report);
    else if (job.format === 'ndjson') encodeFlowJson(batches.out, f, f.endReason);
    else writer.write(flowRecord(f, f.endReason));
    batches.add(ordinal, tie1, tie2);
    if (report === null) demux.recycle(f);
  }

  const current = demuxRing(job, demux, order, batches);
  // End of input: the open flows, FLUSH_BATCH at a time, each batch posted at once (with a watermark below the flush
  // records' Infinity, so the merge still waits for the other shards' ones), so that neither this thread nor the
  // reading thread holds every open flow's record at the same time.
  const table = demux.table;
  const all = table.beginFlush();
  for (let i = 0; i < all.length; i += FLUSH_BATCH) {
    const end = Math.min(all.length, i + FLUSH_BATCH);
    order.flushWith(() => {
      for (let j = i; j < end; j++) table.endFlushed(all[j]!, 'eof'); // j < end <= length
    });
    if (end < all.length) batches.post(current);
  }
  all.length = 0;
  batches.post(Infinity);
  const msg: DoneMessage = { t: 'done', counters: countersOf(demux) };
  port.postMessage(msg);
}

/**
 * Feeds `demux` the ring's records until its END, posting batches as they fill (or age) at the end of an input
 * position; returns the input position of the last record.
 */
function demuxRing(job: ShardJob, demux: Demux, order: EndOrder, batches: Batches): number {
  const reader = new RingReader(job.ring);
  /** The flows of the current frame's layers so far, and the frame's input position. */
  const chain: TunnelChain = { flows: [], length: 0, shard: -1 };
  let chainOrdinal = -1;
  const p = new DecodedPacket();
  /** Input position of the records being processed: every record of earlier positions is done. */
  let current = 0;
  for (let done = false; !done; ) {
    const n = reader.wait(WAIT_MS);
    for (let i = 0; i < n; i++) {
      reader.next(p);
      if (reader.kind === RecordKind.END) {
        done = true;
        break;
      }
      if (reader.ordinal !== current) {
        order.positionDone(current);
        // Every record of `current` is written: a full batch goes now, while it fits a pool buffer.
        if (batches.due(false)) batches.post(current);
        current = reader.ordinal;
      }
      if (reader.kind === RecordKind.EXPIRE) demux.expire(reader.tsSec);
      else if (reader.kind === RecordKind.SEED) setUidSeed(reader.tsSec);
      else {
        // The layers of a tunnelled frame come in order, outermost first, all to this shard (see Pipeline.tunnels):
        // each inner layer's flow gets the flows of the layers before it as tunnel parents.
        const inner = reader.serial % SERIALS_PER_FRAME !== 0 && chainOrdinal === reader.ordinal;
        if (!inner) chain.length = 0;
        const f = demux.packet(p, reader.tsSec, reader.wireLen, reader.frames, reader.checksumBad, reader.serial, inner ? chain : null);
        chainOrdinal = reader.ordinal;
        if (f !== null) chain.flows[chain.length++] = f;
      }
    }
    // Records come in whole frames: those of `current` are all done, and every later record has a later position.
    order.positionDone(current);
    if (!done && batches.due(true)) batches.post(current);
  }
  return current;
}

try {
  main(workerData as ShardJob);
} catch (e) {
  const msg: FatalMessage = { t: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  parentPort?.postMessage(msg);
}
