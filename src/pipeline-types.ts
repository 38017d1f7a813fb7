/**
 * The contracts between the pipeline (source -> decode -> demux) and its consumers: record writers, the TUI, the CLI.
 * Consumers see snapshots, never live flows.
 */
import type { FlowRecord } from './flow/record.js';

/** Every packet is accounted for: read = assigned + unassigned. */
export interface CaptureStats {
  /** Packets read from all sources. */
  readonly packetsRead: number;
  /** Packets that were assigned to a flow. */
  readonly packetsAssigned: number;
  /** Packets not assigned to any flow, by reason name (`not_ip`, `truncated_tcp`, `unsupported_link`, ...). */
  readonly unassigned: Readonly<Record<string, number>>;
  /** Sum of unassigned. */
  readonly packetsUnassigned: number;
  /** Frame bytes on the wire of all packets read. */
  readonly wireBytes: number;
  /** Packets cut by the snap length (caplen < wire length); they still count in flows. */
  readonly truncatedBySnaplen: number;
  /**
   * Of those, packets of live capture through cap, which exposes no wire length: they are counted with their
   * captured length (files count the wire length of a cut packet).
   */
  readonly cutWithoutWireLength?: number;
  /** Flows currently open, and flows seen in total. */
  readonly activeFlows: number;
  readonly totalFlows: number;
  /** Flows pushed out of a full table (they were written out), in all. */
  readonly evictedFlows: number;
  /**
   * Of those, flows ended to keep within the memory budget, and of these the unanswered flows ended by the emergency
   * timeout; the rest of evictedFlows made room under --max-flows.
   */
  readonly evictedForMemory?: number;
  readonly emergencyEnded?: number;
  /** Times the flow table went into emergency mode, and the highest memory charged to flows, bytes. */
  readonly emergencies?: number;
  readonly peakFlowMemory?: number;
  /** The memory budget for flow state, bytes. */
  readonly memoryBudget?: number;
  /** Closed TCP flows ended before their close delay was over, for the memory budget. */
  readonly closedEarly?: number;
  /** Intermediate reports written for long flows (active timeout). */
  readonly activeReports?: number;
  /** Capture clock: time of the newest packet, seconds since the epoch (0 before the first packet). */
  readonly clockSec: number;
  /** Capture time of the first packet (0 before it). */
  readonly firstSec: number;
  /** Packets whose link type sockscope does not decode, by LINKTYPE number (they are in unassigned too). */
  readonly unsupportedLinkTypes: Readonly<Record<number, number>>;
  /** Packets inside tunnels (VXLAN, Geneve, GTP-U, GRE, Teredo, IP-in-IP) that were also assigned to inner flows. */
  readonly tunnelledPackets: number;
  /**
   * What the decoder could not carry further, by the number that stopped it, largest first:
   * `{ 'unknown_ethertype 0x88e5': 12, 'unknown_gre_protocol 0x1234': 3 }` (outer and inner layers alike).
   */
  readonly undecoded?: Readonly<Record<string, number>>;
  /** Tunnel layers that were not followed, by reason: `depth_exceeded`, or the inner packet's status (`truncated_ip`). */
  readonly tunnelLayersCut?: Readonly<Record<string, number>>;
  /** Packets dropped from their flow's counters for a wrong checksum (only with checksum verification on). */
  readonly badChecksums: number;
  /** Live capture only: packets dropped by the kernel when known; undefined when the backend cannot tell. */
  readonly dropped?: number | undefined;
}

/** What a consumer renders: a consistent picture of the flow table at one moment. */
export interface Snapshot {
  /** Open flows, plus flows that ended recently (endReason !== 'active'), newest last; never mutated. */
  readonly flows: readonly FlowRecord[];
  readonly stats: CaptureStats;
  /** Name of the source being read (file path, `-`, or interface). */
  readonly source: string;
  /** Share of the input read, 0..1, when known (files), else undefined. */
  readonly progress?: number | undefined;
  /** True once the input is exhausted (or capture stopped). */
  readonly done: boolean;
  /** Replay state, when the pipeline is paced. */
  readonly paused: boolean;
  /** A paced replay waiting for its next packet: that packet's capture time (absent or NaN otherwise). */
  readonly nextPacketSec?: number;
  /** Replay speed: 0 = as fast as possible, 1 = real time, 10 = ten times real time. */
  readonly speed: number;
}

/** A stream of snapshots for `useSyncExternalStore`: `current()` returns the same object until the next publish. */
export interface SnapshotFeed {
  subscribe(listener: () => void): () => void;
  current(): Snapshot;
}
