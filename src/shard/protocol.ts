/**
 * What a shard worker and the thread that runs it say to each other. Each worker reads and decodes every packet of
 * the input but holds only its share of the flows (by key hash; see DemuxOptions.shard), writes the records of its
 * flows in the output format, and posts them in batches with their order keys; the main thread merges the batches
 * by key into the one stream a single pipeline would write.
 */
import type { FlowTableOptions } from '../flow/table.js';
import type { CaptureStats } from '../pipeline-types.js';

/** The formats whose records are written one at a time as flows end (no sorting, no column widths). */
export const SHARDABLE_FORMATS = ['ndjson', 'csv', 'zeek'] as const;
export type ShardableFormat = (typeof SHARDABLE_FORMATS)[number];

/** The worker's `workerData`. */
export interface ShardJob {
  paths: string[];
  index: number;
  count: number;
  format: ShardableFormat;
  flowTable: FlowTableOptions;
  verifyChecksums: boolean;
}

/**
 * Records of ended flows: `bytes` holds them one after another in the output format, record i ending at `ends[i]`,
 * with order key (keys[3i], keys[3i+1], keys[3i+2]) (see PipelineOptions.onFlowEnd). Every record still to come from
 * this worker has an ordinal above `watermark`.
 */
export interface BatchMessage {
  t: 'batch';
  bytes: ArrayBuffer;
  ends: Int32Array<ArrayBuffer>;
  keys: Float64Array<ArrayBuffer>;
  watermark: number;
  stats: CaptureStats;
  progress: number | undefined;
}

/** The worker is done: its final counters and the input errors met (messages; the same in every shard). */
export interface DoneMessage {
  t: 'done';
  stats: CaptureStats;
  errors: string[];
}

/** The worker failed (a bug, not bad input: that is reported in DoneMessage.errors). */
export interface FatalMessage {
  t: 'fatal';
  message: string;
}

export type WorkerMessage = BatchMessage | DoneMessage | FatalMessage;

/** Main thread to worker: stop reading (flows still open are written as at end of input). */
export interface AbortMessage {
  t: 'abort';
}

/**
 * The counters of all shards as one pipeline's: packets and flows held add up; totals every shard counts alike
 * (packets read, wire bytes, clocks, link types) and packets that fit no flow come from shard 0 (see PipelineOptions).
 */
export function mergeStats(shards: readonly CaptureStats[]): CaptureStats {
  const first = shards[0]!; // at least one shard
  const unassigned: Record<string, number> = { ...first.unassigned };
  let assigned = 0;
  let active = 0;
  let total = 0;
  let evicted = 0;
  let tunnelled = 0;
  let badChecksums = 0;
  for (const s of shards) {
    assigned += s.packetsAssigned;
    active += s.activeFlows;
    total += s.totalFlows;
    evicted += s.evictedFlows;
    tunnelled += s.tunnelledPackets;
    badChecksums += s.badChecksums;
  }
  return {
    ...first,
    packetsAssigned: assigned,
    unassigned,
    activeFlows: active,
    totalFlows: total,
    evictedFlows: evicted,
    tunnelledPackets: tunnelled,
    badChecksums,
  };
}
