/**
 * Flow: the mutable, internal state of one connection (one 5-tuple, both directions). Only the flow table and the
 * demultiplexer touch it; consumers get {@link FlowRecord} snapshots.
 */
import type { TcpConnection, TcpEnd } from '../tcp/connection.js';
import type { FlowNames } from '../inspect/names.js';
import type { SegmentLog } from '../tcp/deferred.js';
import type { EndReason, FlowRecord } from './record.js';

/** Timeout classes: each has its own idle timeout (CLOSING flows end at their close deadline). */
export const TimeoutClass = { TCP: 0, UDP: 1, ICMP: 2, OTHER: 3, CLOSING: 4 } as const;
export type TimeoutClass = (typeof TimeoutClass)[keyof typeof TimeoutClass];

/**
 * The capture times of every Flow of this thread, TIME_FIELDS per flow, at the flow's `times` offset: a flow's times
 * are doubles, and V8 keeps each double field of an object in a heap box of its own (nine more objects per flow for
 * the collector to trace, and 16 bytes each); here they are plain numbers in one array. A Flow object keeps its slot
 * for life: flows are reused through the flow table's pool, not dropped (see FlowTable.recycle).
 */
const TIME_FIELDS = 10;
/** Initial values of a flow's times, in accessor order (lastSeenSec ... lastReportSec). */
const TIME_INITIAL = Float64Array.of(0, 0, -1, -1, -1, -1, Number.NaN, 0, Number.NaN, Number.NaN);
let TIMES = new Float64Array(TIME_FIELDS * 4096);
let timeSlots = 0;

/** Takes a fresh slot of TIME_FIELDS times (growing the store), set to their initial values; returns its offset. */
function allocTimes(): number {
  const at = timeSlots * TIME_FIELDS;
  if (at + TIME_FIELDS > TIMES.length) {
    const grown = new Float64Array(TIMES.length * 2);
    grown.set(TIMES);
    TIMES = grown;
  }
  initTimes(at);
  timeSlots++;
  return at;
}

/** Sets the TIME_FIELDS times at `at` to their initial values (a loop: TypedArray#set is a call into the runtime). */
function initTimes(at: number): void {
  const t = TIMES, init = TIME_INITIAL;
  for (let i = 0; i < TIME_FIELDS; i++) t[at + i] = init[i]!; // i < TIME_FIELDS = init.length
}

/**
 * One flow. Field shapes are fixed at construction (one hidden class). Fields are declared in the order a packet needs
 * them (V8 lays them out that way): first what the lookup compares, then what every packet updates, then the rest,
 * so that a packet touches as few cache lines of the flow as it can.
 */
export class Flow {
  /**
   * Where this flow's capture times are, in TIMES (see the accessors below): fixed for the object's life, the first
   * field so that every flow has it at the same place.
   */
  readonly times = allocTimes();
  /**
   * Its number in the flow table that made it (FlowTable.byId), fixed for the object's life, which it spends in that
   * table or its pool (reset leaves it); -1 until a table takes it.
   */
  id = -1;
  // ── Read by every lookup (an IPv4 one reads no further than oa3/ra3) ─────────────────────────────────────────
  /** Symmetric hash of the key (same for both directions). */
  hash = 0;
  /** IANA protocol number. */
  proto = 0;
  /** 4 or 6. */
  ipVersion = 0;
  origPort = 0;
  respPort = 0;
  /** ICMP message without a counterpart: matched in its own direction only (Zeek's is_one_way). */
  oneWay = 0;
  /**
   * Originator and responder addresses as int32 words: IPv4 in oa3/ra3 (the other words 0); IPv6 as four big-endian
   * words, of which words 0-2 are further down, with what IPv4 flows never read.
   */
  oa3 = 0;
  ra3 = 0;
  /**
   * A whole second no later than the flow's idle or close deadline (see FlowTable.isDue): a packet before it cannot
   * find the flow due, and is told so without loading the deadline's times (boxed doubles, a likely cache miss).
   */
  dueFloor = 0;

  // ── Updated by every packet ───────────────────────────────────────────────────────────────────────────────────
  /**
   * The TCP tracker's current originator and responder ends (tcp.orig / tcp.resp, kept in step by the
   * demultiplexer), null for other protocols. A segment loads its ends from here rather than through the tracker,
   * so that the cache misses on the tracker and on its ends overlap instead of following one another.
   */
  tcpOrig: TcpEnd | null = null;
  tcpResp: TcpEnd | null = null;
  /**
   * TCP state in one of two tiers: the first segments as they arrived (`tcpLog`, see tcp/deferred.ts) while they fit
   * its log, then a tracker of the flow's own (`tcp`, with `tcpOrig`/`tcpResp`). Both null for other protocols.
   */
  tcp: TcpConnection | null = null;
  tcpLog: SegmentLog | null = null;
  timeoutClass: TimeoutClass = TimeoutClass.OTHER;
  // Capture times (lastSeenSec, lastSec, oFirstSec, ...) are accessors over TIMES: see below.
  // Per-direction counters, `o*` for what the originator sent and `r*` for the responder, kept in the flow itself
  // rather than in two objects of their own: a packet then touches one object less (with tens of thousands of open
  // flows every separate object is a likely cache miss). Each side's counters are together, so that a packet touches
  // the cache lines of its own side only. `swapDirections` flips them with the roles.
  /** Packets sent. */
  oPkts = 0;
  /** Sum of IPv4 total length / IPv6 payload length + 40 (Zeek *_ip_bytes). */
  oIpBytes = 0;
  /** Sum of frame lengths on the wire (tshark bytes). */
  oWireBytes = 0;
  /** Transport payload bytes as stated by headers, retransmissions included. */
  oPayloadBytes = 0;
  /** TCP ACK and PSH counts of the segments sent (the other flags are rare; below). */
  oAck = 0;
  oPsh = 0;
  /**
   * 1 once the flow's names (inspect/names.ts) look at no more of this direction's payload, else 0: kept beside the
   * direction's counters, which every packet loads, so that later packets skip the names without loading them.
   */
  oNamesDone = 0;
  rPkts = 0;
  rIpBytes = 0;
  rWireBytes = 0;
  rPayloadBytes = 0;
  rAck = 0;
  rPsh = 0;
  rNamesDone = 0;

  /** IPv6 address words 0-2 (see oa3/ra3); 0 for IPv4. */
  oa0 = 0; oa1 = 0; oa2 = 0;
  ra0 = 0; ra1 = 0; ra2 = 0;

  // ── The rest ──────────────────────────────────────────────────────────────────────────────────────────────────
  /** Zeek orig_bytes for UDP (sum of UDP length - 8) and ICMP (IP payload - 8). TCP uses sequence space instead. */
  oDataBytes = 0; rDataBytes = 0;
  /** Rarer TCP flag counts. */
  oSyn = 0; rSyn = 0;
  oFin = 0; rFin = 0;
  oRst = 0; rRst = 0;
  oUrg = 0; rUrg = 0;
  /** Position in the creation order; the uid is derived from it. */
  serial = 0;
  uid = '';
  /** Non-TCP history: bit 0 orig sent data, bit 1 resp sent data, bit 2 flipped, bits 3/4 orig/resp bad checksum. */
  udpHistory = 0;
  /** True when orientation was guessed from ports rather than seen (no SYN). */
  directionGuessed = false;
  /** Why the flow ended ('active' while open). */
  endReason: EndReason = 'active';
  /** The timer-wheel slot the flow is in (-1 when none); its list links are the table's (FlowTable.wheelNext). */
  slot = -1;
  /** The last record built for this flow (flowRecord reuses it while nothing changed: see recordSeenSec, recordPkts). */
  record: FlowRecord | null = null;
  recordPkts = -1;
  /** Times the flow's roles were swapped, and that count when `record` was built. */
  flips = 0;
  recordFlips = 0;
  /** How a CLOSING flow ended: both ends closed with FIN, or an RST. */
  closingReason: 'closed' | 'reset' = 'closed';
  /** VLAN IDs of the flow's first packet (outer and inner tag; Zeek's vlan-logging), -1 when untagged. */
  vlan = -1;
  innerVlan = -1;
  /** What the payload says the flow is (service, server names: inspect/names.ts); null until payload is looked at. */
  names: FlowNames | null = null;
  /**
   * Serial numbers of the flows whose packets carried this one (Zeek's tunnel_parents: the layer right around it,
   * over every packet, so several when its packets came through several tunnels), in the order first seen; null for
   * a flow never seen inside a tunnel.
   */
  tunnelParents: number[] | null = null;

  /** Last packet of any kind (drives idle expiry). */
  get lastSeenSec(): number {
    return TIMES[this.times + 0]!; // times + 0 < TIMES.length
  }
  set lastSeenSec(v: number) {
    TIMES[this.times + 0] = v;
  }

  /** Last packet that counts as activity (Zeek: not packets after both ends closed). */
  get lastSec(): number {
    return TIMES[this.times + 1]!; // times + 1 < TIMES.length
  }
  set lastSec(v: number) {
    TIMES[this.times + 1] = v;
  }

  /** Capture time of the originator's first packet, seconds since the epoch; -1 before any. */
  get oFirstSec(): number {
    return TIMES[this.times + 2]!; // times + 2 < TIMES.length
  }
  set oFirstSec(v: number) {
    TIMES[this.times + 2] = v;
  }

  /** Capture time of the originator's last packet; -1 before any. */
  get oLastSec(): number {
    return TIMES[this.times + 3]!; // times + 3 < TIMES.length
  }
  set oLastSec(v: number) {
    TIMES[this.times + 3] = v;
  }

  /** Capture time of the responder's first packet; -1 before any. */
  get rFirstSec(): number {
    return TIMES[this.times + 4]!; // times + 4 < TIMES.length
  }
  set rFirstSec(v: number) {
    TIMES[this.times + 4] = v;
  }

  /** Capture time of the responder's last packet; -1 before any. */
  get rLastSec(): number {
    return TIMES[this.times + 5]!; // times + 5 < TIMES.length
  }
  set rLastSec(v: number) {
    TIMES[this.times + 5] = v;
  }

  /** For CLOSING flows: capture time at which the flow is removed; NaN before. */
  get closeAtSec(): number {
    return TIMES[this.times + 6]!; // times + 6 < TIMES.length
  }
  set closeAtSec(v: number) {
    TIMES[this.times + 6] = v;
  }

  /** First packet's capture time (seconds since the epoch). */
  get startSec(): number {
    return TIMES[this.times + 7]!; // times + 7 < TIMES.length
  }
  set startSec(v: number) {
    TIMES[this.times + 7] = v;
  }

  /** The activity `record` reflects (see flowRecord); NaN before the first record. */
  get recordSeenSec(): number {
    return TIMES[this.times + 8]!; // times + 8 < TIMES.length
  }
  set recordSeenSec(v: number) {
    TIMES[this.times + 8] = v;
  }

  /**
   * Makes the flow as good as new, for reuse (see FlowTable.recycle): every field back to its initializer above. The
   * flow table's pool hands out old flows again instead of new ones, so that the objects of ended flows are not left
   * as garbage in the old generation (every flow lives long enough to be promoted there).
   */
  reset(): void {
    initTimes(this.times);
    this.hash = 0;
    this.proto = 0;
    this.ipVersion = 0;
    this.origPort = 0;
    this.respPort = 0;
    this.oneWay = 0;
    this.dueFloor = 0;
    this.oa3 = 0; this.oa0 = 0; this.oa1 = 0; this.oa2 = 0;
    this.ra3 = 0; this.ra0 = 0; this.ra1 = 0; this.ra2 = 0;
    this.tcpOrig = null;
    this.tcpResp = null;
    this.tcp = null;
    this.tcpLog = null;
    this.timeoutClass = TimeoutClass.OTHER;
    this.oPkts = 0; this.rPkts = 0;
    this.oIpBytes = 0; this.rIpBytes = 0;
    this.oWireBytes = 0; this.rWireBytes = 0;
    this.oPayloadBytes = 0; this.rPayloadBytes = 0;
    this.oAck = 0; this.rAck = 0;
    this.oPsh = 0; this.rPsh = 0;
    this.oNamesDone = 0; this.rNamesDone = 0;
    this.oDataBytes = 0; this.rDataBytes = 0;
    this.oSyn = 0; this.rSyn = 0;
    this.oFin = 0; this.rFin = 0;
    this.oRst = 0; this.rRst = 0;
    this.oUrg = 0; this.rUrg = 0;
    this.serial = 0;
    this.uid = '';
    this.udpHistory = 0;
    this.directionGuessed = false;
    this.endReason = 'active';
    this.slot = -1;
    this.record = null;
    this.recordPkts = -1;
    this.flips = 0;
    this.recordFlips = 0;
    this.closingReason = 'closed';
    this.vlan = -1;
    this.innerVlan = -1;
    this.names = null;
    this.tunnelParents = null;
  }
  /** When the last intermediate report of the flow was written (active timeout, see FlowTable); NaN before any. */
  get lastReportSec(): number {
    return TIMES[this.times + 9]!; // times + 9 < TIMES.length
  }
  set lastReportSec(v: number) {
    TIMES[this.times + 9] = v;
  }
}

/** Swaps the per-direction counters of `f` (the caller swaps its key fields and TCP ends). */
export function swapDirections(f: Flow): void {
  let t = f.oPkts; f.oPkts = f.rPkts; f.rPkts = t;
  t = f.oIpBytes; f.oIpBytes = f.rIpBytes; f.rIpBytes = t;
  t = f.oWireBytes; f.oWireBytes = f.rWireBytes; f.rWireBytes = t;
  t = f.oPayloadBytes; f.oPayloadBytes = f.rPayloadBytes; f.rPayloadBytes = t;
  t = f.oDataBytes; f.oDataBytes = f.rDataBytes; f.rDataBytes = t;
  t = f.oFirstSec; f.oFirstSec = f.rFirstSec; f.rFirstSec = t;
  t = f.oLastSec; f.oLastSec = f.rLastSec; f.rLastSec = t;
  t = f.oSyn; f.oSyn = f.rSyn; f.rSyn = t;
  t = f.oFin; f.oFin = f.rFin; f.rFin = t;
  t = f.oRst; f.oRst = f.rRst; f.rRst = t;
  t = f.oAck; f.oAck = f.rAck; f.rAck = t;
  t = f.oPsh; f.oPsh = f.rPsh; f.rPsh = t;
  t = f.oUrg; f.oUrg = f.rUrg; f.rUrg = t;
  t = f.oNamesDone; f.oNamesDone = f.rNamesDone; f.rNamesDone = t;
}

/** Whether `f` is a TCP connection attempt still unanswered in Zeek's model (TcpConnection.attemptPending). */
export function tcpAttemptPending(f: Flow): boolean {
  if (f.tcp !== null) return f.tcp.attemptPending();
  return f.tcpLog !== null && f.tcpLog.attemptPending;
}

/** Whether Zeek's attempt timer ended `f` by `nowSec` (TcpConnection.attemptExpired). */
export function tcpAttemptExpired(f: Flow, nowSec: number, delaySec: number): boolean {
  if (f.tcp !== null) return f.tcp.attemptExpired(nowSec, delaySec);
  return f.tcpLog !== null && f.tcpLog.attemptExpired(nowSec, delaySec);
}

/**
 * Adds the tunnel parent of a packet of `f` to its set: the innermost of `chain` (the flows of the layers around the
 * packet, outermost first, `n` of them), as Zeek's conn.log names only the tunnel right around a connection.
 */
export function addTunnelParents(f: Flow, chain: readonly Flow[], n: number): void {
  const serial = chain[n - 1]!.serial; // n > 0
  const parents = f.tunnelParents;
  if (parents === null) f.tunnelParents = [serial];
  else if (!parents.includes(serial)) parents.push(serial);
}
