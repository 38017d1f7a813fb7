/**
 * What a shard worker and the thread that runs it say to each other. The main thread reads and decodes the input and
 * hands each packet to the worker of its flow's shard (by key hash; see DemuxOptions.dispatch) through a ring in
 * shared memory; each worker holds its share of the flows, writes their records in the output format, and posts them
 * in batches with their order keys; the main thread merges the batches by key into the one stream a single pipeline
 * would write.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CommunityIdSettings } from '../flow/community-id.js';
import type { FlowTableOptions } from '../flow/table.js';
import type { Cidr } from '../local/local-nets.js';
import type { CaptureStats } from '../pipeline-types.js';
import type { RingBuffers } from './packet-ring.js';

/** The formats whose records are written one at a time as flows end (no sorting, no column widths). */
export const SHARDABLE_FORMATS = ['ndjson', 'csv', 'zeek'] as const;
export type ShardableFormat = (typeof SHARDABLE_FORMATS)[number];

/**
 * The settings that shape a run's records, which each thread keeps process-wide: `--community-id-seed` and
 * `--no-community-id`, and `--local-nets` (local_orig, local_resp). A worker is configured with the reading thread's,
 * so that its records are the ones one thread would write. (`--names` needs payload, which the ring does not carry: it
 * runs on one thread.)
 */
export interface RecordSettings {
  communityId: CommunityIdSettings;
  localNets: readonly Cidr[] | null;
}

/** The worker's `workerData`. */
export interface ShardJob {
  /** The ring the reading thread passes the shard's packets through. */
  ring: RingBuffers;
  index: number;
  count: number;
  format: ShardableFormat;
  flowTable: FlowTableOptions;
  /** The run's record settings, process-wide in each thread: the worker takes the reading thread's (see RecordSettings). */
  records: RecordSettings;
  /**
   * Buffers in memory shared with the reading thread, POOL_BUFFERS of POOL_LAYOUT.size bytes, that the worker copies
   * its batches of records into, with their ends and order keys (BatchMessage.slot; see batchViews): made once, so that
   * no memory outside the heap comes and goes with each batch (V8 counts memory that arrives in a transferred
   * ArrayBuffer towards its next full collection, and batches in new ones made the workers collect every 100 ms).
   */
  pool: SharedArrayBuffer[];
  /**
   * Where the reading thread sends back the slot of each pool buffer it has merged, for the worker to fill again:
   * read with receiveMessageOnPort, without waiting.
   */
  spent: MessagePort;
}

/** A batch of records is posted once it holds this many bytes, at the end of an input position. */
export const BATCH_BYTES = 1 << 20;
/** Room for records in a pool buffer: a batch takes a buffer of its own only when one input position ends many flows. */
export const BATCH_ROOM = BATCH_BYTES + (1 << 16);
/** Most records of a batch in a pool buffer (a batch with more takes a buffer of its own). */
export const BATCH_RECORDS = 1 << 14;
/** Pool buffers per worker: when all wait to be merged, a batch takes a buffer of its own. */
export const POOL_BUFFERS = 8;

/**
 * Where a batch's parts are in its buffer: the records' bytes from 0, the end of each (int32) from `endsAt`, its
 * order key (three float64) from `keysAt`; `size` the bytes of the whole.
 */
export interface BatchLayout {
  endsAt: number;
  keysAt: number;
  size: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The layout of a batch of `count` records in `bytes` bytes, in a buffer of its own. */
export function batchLayout(bytes: number, count: number): BatchLayout {
  const endsAt = align8(bytes);
  const keysAt = endsAt + align8(4 * count);
  return { endsAt, keysAt, size: keysAt + 24 * count };
}

/** The layout of every pool buffer: room for BATCH_ROOM bytes of BATCH_RECORDS records. */
export const POOL_LAYOUT: BatchLayout = batchLayout(BATCH_ROOM, BATCH_RECORDS);

/** A batch's parts: its records' bytes, the end of each, and the order keys (three numbers a record). */
export interface BatchView {
  bytes: Uint8Array;
  ends: Int32Array;
  keys: Float64Array;
}

/** Views of the parts of a batch of `count` records in `buffer` laid out as `layout`, its first `bytes` bytes the records'. */
export function batchViews(buffer: ArrayBufferLike, layout: BatchLayout, bytes: number, count: number): BatchView {
  return {
    bytes: new Uint8Array(buffer, 0, bytes),
    ends: new Int32Array(buffer, layout.endsAt, count),
    keys: new Float64Array(buffer, layout.keysAt, 3 * count),
  };
}

/** A worker's flow counters (the reading thread counts the packets). */
export interface ShardCounters {
  /** Packets assigned to flows (tunnelled layers included). */
  assigned: number;
  activeFlows: number;
  totalFlows: number;
  evictedFlows: number;
  evictedForMemory: number;
  emergencyEnded: number;
  emergencies: number;
  peakFlowMemory: number;
  memoryBudget: number;
  activeReports: number;
  closedEarly: number;
  /** Packets dropped from their flow's counters for a wrong transport checksum. */
  badChecksums: number;
}

/**
 * Records of ended flows, `count` of them: `buffer` holds them one after another in the output format, record i
 * ending at ends[i], with order key (keys[3i], keys[3i+1], keys[3i+2]) (see PipelineOptions.onFlowEnd), where
 * `layout` says. Every record still to come from this worker has an ordinal above `watermark`.
 */
export interface BatchMessage {
  t: 'batch';
  /** A pool buffer (ShardJob.pool[slot], laid out as POOL_LAYOUT), or when slot is -1 an ArrayBuffer of its own. */
  buffer: ArrayBufferLike;
  slot: number;
  count: number;
  layout: BatchLayout;
  watermark: number;
  counters: ShardCounters;
}

/** The worker is done: its final counters. */
export interface DoneMessage {
  t: 'done';
  counters: ShardCounters;
}

/** The worker failed (a bug, not bad input: the reading thread reports that). */
export interface FatalMessage {
  t: 'fatal';
  message: string;
}

export type WorkerMessage = BatchMessage | DoneMessage | FatalMessage;

/**
 * The counters of a dispatching pipeline (packets read, packets that fit no flow, tunnels, clocks) completed with its
 * shards' flow counters: one pipeline's counters.
 */
export function mergeStats(reader: CaptureStats, shards: readonly ShardCounters[]): CaptureStats {
  let assigned = 0;
  let active = 0;
  let total = 0;
  let evicted = 0;
  let forMemory = 0;
  let emergencyEnded = 0;
  let emergencies = 0;
  let peak = 0;
  let budget = 0;
  let reports = 0;
  let closedEarly = 0;
  let badChecksums = 0;
  for (const s of shards) {
    assigned += s.assigned;
    active += s.activeFlows;
    total += s.totalFlows;
    evicted += s.evictedFlows;
    forMemory += s.evictedForMemory;
    emergencyEnded += s.emergencyEnded;
    emergencies += s.emergencies;
    peak += s.peakFlowMemory;
    budget += s.memoryBudget;
    reports += s.activeReports;
    closedEarly += s.closedEarly;
    badChecksums += s.badChecksums;
  }
  return {
    ...reader,
    packetsAssigned: assigned - reader.tunnelledPackets,
    activeFlows: active,
    totalFlows: total,
    evictedFlows: evicted,
    evictedForMemory: forMemory,
    emergencyEnded,
    emergencies,
    peakFlowMemory: peak,
    memoryBudget: budget,
    activeReports: reports,
    closedEarly,
    badChecksums,
  };
}
