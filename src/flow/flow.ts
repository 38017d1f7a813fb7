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
 * The numbers a flow keeps outside its object, in the order of their accessors' offsets, with their initial values:
 * its capture times and counters (but the packet counts, which packet() tests most), and marks the record and the
 * output read. Those every packet writes come first, so that a packet touches few of the block's cache lines. The
 * one list of them: the accessors below read them at these offsets (test/flow/flow.test.ts checks each against it),
 * and reset and new blocks take these values.
 *
 * Why outside: a flow's times are doubles, and V8 keeps each double field of an object in a heap box of its own; and
 * every field of the object is copied by each young-generation collection the flow survives (twice before it is
 * old), which on a flood of new flows was the largest part of the collector's work. Numbers in a typed array are
 * neither boxed nor copied.
 */
export const FLOW_NUMBERS = [
  ['lastSeenSec', 0], ['lastSec', 0], ['oLastSec', -1], ['rLastSec', -1], ['oIpBytes', 0], ['rIpBytes', 0],
  ['oWireBytes', 0], ['rWireBytes', 0], ['oPayloadBytes', 0], ['rPayloadBytes', 0], ['oAck', 0], ['rAck', 0],
  ['oPsh', 0], ['rPsh', 0], ['oDataBytes', 0], ['rDataBytes', 0], ['udpHistory', 0], ['oFirstSec', -1],
  ['rFirstSec', -1], ['startSec', 0], ['closeAtSec', Number.NaN], ['recordSeenSec', Number.NaN],
  ['lastReportSec', Number.NaN], ['oSyn', 0], ['rSyn', 0], ['oFin', 0], ['rFin', 0], ['oRst', 0], ['rRst', 0],
  ['oUrg', 0], ['rUrg', 0], ['flips', 0], ['recordFlips', 0], ['recordPkts', -1], ['vlan', -1], ['innerVlan', -1],
  ['serial', 0],
] as const;
const BLOCK = FLOW_NUMBERS.length;
const BLOCK_INITIAL = Float64Array.from(FLOW_NUMBERS, ([, v]) => v);

/**
 * Blocks of BLOCK numbers, PAGE_FLOWS flows to a page. A flow takes a block when it is made and keeps it for life
 * (flows are reused through the flow table's pool, not dropped): its page and offset are fields of its own. Pages
 * never move, so the store grows without copying (a single array doubled in size would need both copies at once, on
 * a flood of a million flows some hundreds of MB).
 */
const PAGE_FLOWS = 4096;
let openPage = new Float64Array(0);
let openPageUsed = PAGE_FLOWS;

/** Takes a fresh block (in the open page, or a new one), set to its initial values; returns its offset in openPage. */
function takeBlock(): number {
  if (openPageUsed === PAGE_FLOWS) {
    openPage = new Float64Array(PAGE_FLOWS * BLOCK);
    openPageUsed = 0;
  }
  const at = openPageUsed++ * BLOCK;
  initBlock(openPage, at);
  return at;
}

/** Sets the block at `at` of `page` to its initial values (a loop: TypedArray#set is a call into the runtime). */
function initBlock(page: Float64Array, at: number): void {
  const init = BLOCK_INITIAL;
  for (let i = 0; i < BLOCK; i++) page[at + i] = init[i]!; // i < BLOCK = init.length
}

/**
 * One flow. Field shapes are fixed at construction (one hidden class). Fields are declared in the order a packet needs
 * them (V8 lays them out that way): first what the lookup compares, then what every packet updates, then the rest,
 * so that a packet touches as few cache lines of the flow as it can.
 */
export class Flow {
  /**
   * Where this flow's numbers are (FLOW_NUMBERS, read through the accessors below): the offset of its block and its
   * page, fixed for the object's life, the first fields so that every flow has them at the same place.
   */
  readonly numsAt = takeBlock();
  readonly nums = openPage;
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
  // Capture times and the other counters (oIpBytes, oFirstSec, ...) are accessors over `nums`: see below.
  // Per-direction counters, `o*` for what the originator sent and `r*` for the responder: `swapDirections` flips them
  // with the roles.
  /** Packets sent. */
  oPkts = 0;
  /**
   * 1 once the flow's names (inspect/names.ts) look at no more of this direction's payload, else 0: kept beside the
   * direction's counters, which every packet loads, so that later packets skip the names without loading them.
   */
  oNamesDone = 0;
  rPkts = 0;
  rNamesDone = 0;

  /** IPv6 address words 0-2 (see oa3/ra3); 0 for IPv4. */
  oa0 = 0; oa1 = 0; oa2 = 0;
  ra0 = 0; ra1 = 0; ra2 = 0;

  // ── The rest ──────────────────────────────────────────────────────────────────────────────────────────────────
  uid = '';
  /** True when orientation was guessed from ports rather than seen (no SYN). */
  directionGuessed = false;
  /** Why the flow ended ('active' while open). */
  endReason: EndReason = 'active';
  /** The timer-wheel slot the flow is in (-1 when none); its list links are the table's (FlowTable.wheelNext). */
  slot = -1;
  /** The last record built for this flow (flowRecord reuses it while nothing changed: see recordSeenSec, recordPkts). */
  record: FlowRecord | null = null;
  /** How a CLOSING flow ended: both ends closed with FIN, or an RST. */
  closingReason: 'closed' | 'reset' = 'closed';
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
    return this.nums[this.numsAt + 0]!; // numsAt + 0 < nums.length
  }
  set lastSeenSec(v: number) {
    this.nums[this.numsAt + 0] = v;
  }
  /** Last packet that counts as activity (Zeek: not packets after both ends closed). */
  get lastSec(): number {
    return this.nums[this.numsAt + 1]!; // numsAt + 1 < nums.length
  }
  set lastSec(v: number) {
    this.nums[this.numsAt + 1] = v;
  }
  /** Capture time of the originator's last packet; -1 before any. */
  get oLastSec(): number {
    return this.nums[this.numsAt + 2]!; // numsAt + 2 < nums.length
  }
  set oLastSec(v: number) {
    this.nums[this.numsAt + 2] = v;
  }
  /** Capture time of the responder's last packet; -1 before any. */
  get rLastSec(): number {
    return this.nums[this.numsAt + 3]!; // numsAt + 3 < nums.length
  }
  set rLastSec(v: number) {
    this.nums[this.numsAt + 3] = v;
  }
  /** Sum of IPv4 total length / IPv6 payload length + 40 (Zeek *_ip_bytes), of what the originator sent. */
  get oIpBytes(): number {
    return this.nums[this.numsAt + 4]!; // numsAt + 4 < nums.length
  }
  set oIpBytes(v: number) {
    this.nums[this.numsAt + 4] = v;
  }
  get rIpBytes(): number {
    return this.nums[this.numsAt + 5]!; // numsAt + 5 < nums.length
  }
  set rIpBytes(v: number) {
    this.nums[this.numsAt + 5] = v;
  }
  /** Sum of frame lengths on the wire (tshark bytes). */
  get oWireBytes(): number {
    return this.nums[this.numsAt + 6]!; // numsAt + 6 < nums.length
  }
  set oWireBytes(v: number) {
    this.nums[this.numsAt + 6] = v;
  }
  get rWireBytes(): number {
    return this.nums[this.numsAt + 7]!; // numsAt + 7 < nums.length
  }
  set rWireBytes(v: number) {
    this.nums[this.numsAt + 7] = v;
  }
  /** Transport payload bytes as stated by headers, retransmissions included. */
  get oPayloadBytes(): number {
    return this.nums[this.numsAt + 8]!; // numsAt + 8 < nums.length
  }
  set oPayloadBytes(v: number) {
    this.nums[this.numsAt + 8] = v;
  }
  get rPayloadBytes(): number {
    return this.nums[this.numsAt + 9]!; // numsAt + 9 < nums.length
  }
  set rPayloadBytes(v: number) {
    this.nums[this.numsAt + 9] = v;
  }
  /** TCP ACK and PSH counts of the segments each side sent. */
  get oAck(): number {
    return this.nums[this.numsAt + 10]!; // numsAt + 10 < nums.length
  }
  set oAck(v: number) {
    this.nums[this.numsAt + 10] = v;
  }
  get rAck(): number {
    return this.nums[this.numsAt + 11]!; // numsAt + 11 < nums.length
  }
  set rAck(v: number) {
    this.nums[this.numsAt + 11] = v;
  }
  get oPsh(): number {
    return this.nums[this.numsAt + 12]!; // numsAt + 12 < nums.length
  }
  set oPsh(v: number) {
    this.nums[this.numsAt + 12] = v;
  }
  get rPsh(): number {
    return this.nums[this.numsAt + 13]!; // numsAt + 13 < nums.length
  }
  set rPsh(v: number) {
    this.nums[this.numsAt + 13] = v;
  }
  /**
   * Zeek orig_bytes for UDP (sum of UDP length - 8) and ICMP (IP payload - 8); resp_bytes in rDataBytes. TCP uses
   * sequence space instead.
   */
  get oDataBytes(): number {
    return this.nums[this.numsAt + 14]!; // numsAt + 14 < nums.length
  }
  set oDataBytes(v: number) {
    this.nums[this.numsAt + 14] = v;
  }
  get rDataBytes(): number {
    return this.nums[this.numsAt + 15]!; // numsAt + 15 < nums.length
  }
  set rDataBytes(v: number) {
    this.nums[this.numsAt + 15] = v;
  }
  /** Non-TCP history: bit 0 orig sent data, bit 1 resp sent data, bit 2 flipped, bits 3/4 orig/resp bad checksum. */
  get udpHistory(): number {
    return this.nums[this.numsAt + 16]!; // numsAt + 16 < nums.length
  }
  set udpHistory(v: number) {
    this.nums[this.numsAt + 16] = v;
  }
  /** Capture time of the originator's first packet, seconds since the epoch; -1 before any. */
  get oFirstSec(): number {
    return this.nums[this.numsAt + 17]!; // numsAt + 17 < nums.length
  }
  set oFirstSec(v: number) {
    this.nums[this.numsAt + 17] = v;
  }
  /** Capture time of the responder's first packet; -1 before any. */
  get rFirstSec(): number {
    return this.nums[this.numsAt + 18]!; // numsAt + 18 < nums.length
  }
  set rFirstSec(v: number) {
    this.nums[this.numsAt + 18] = v;
  }
  /** First packet's capture time (seconds since the epoch). */
  get startSec(): number {
    return this.nums[this.numsAt + 19]!; // numsAt + 19 < nums.length
  }
  set startSec(v: number) {
    this.nums[this.numsAt + 19] = v;
  }
  /** For CLOSING flows: capture time at which the flow is removed; NaN before. */
  get closeAtSec(): number {
    return this.nums[this.numsAt + 20]!; // numsAt + 20 < nums.length
  }
  set closeAtSec(v: number) {
    this.nums[this.numsAt + 20] = v;
  }
  /** The activity `record` reflects (see flowRecord); NaN before the first record. */
  get recordSeenSec(): number {
    return this.nums[this.numsAt + 21]!; // numsAt + 21 < nums.length
  }
  set recordSeenSec(v: number) {
    this.nums[this.numsAt + 21] = v;
  }
  /** When the last intermediate report of the flow was written (active timeout, see FlowTable); NaN before any. */
  get lastReportSec(): number {
    return this.nums[this.numsAt + 22]!; // numsAt + 22 < nums.length
  }
  set lastReportSec(v: number) {
    this.nums[this.numsAt + 22] = v;
  }
  /** Rarer TCP flag counts of the segments each side sent. */
  get oSyn(): number {
    return this.nums[this.numsAt + 23]!; // numsAt + 23 < nums.length
  }
  set oSyn(v: number) {
    this.nums[this.numsAt + 23] = v;
  }
  get rSyn(): number {
    return this.nums[this.numsAt + 24]!; // numsAt + 24 < nums.length
  }
  set rSyn(v: number) {
    this.nums[this.numsAt + 24] = v;
  }
  get oFin(): number {
    return this.nums[this.numsAt + 25]!; // numsAt + 25 < nums.length
  }
  set oFin(v: number) {
    this.nums[this.numsAt + 25] = v;
  }
  get rFin(): number {
    return this.nums[this.numsAt + 26]!; // numsAt + 26 < nums.length
  }
  set rFin(v: number) {
    this.nums[this.numsAt + 26] = v;
  }
  get oRst(): number {
    return this.nums[this.numsAt + 27]!; // numsAt + 27 < nums.length
  }
  set oRst(v: number) {
    this.nums[this.numsAt + 27] = v;
  }
  get rRst(): number {
    return this.nums[this.numsAt + 28]!; // numsAt + 28 < nums.length
  }
  set rRst(v: number) {
    this.nums[this.numsAt + 28] = v;
  }
  get oUrg(): number {
    return this.nums[this.numsAt + 29]!; // numsAt + 29 < nums.length
  }
  set oUrg(v: number) {
    this.nums[this.numsAt + 29] = v;
  }
  get rUrg(): number {
    return this.nums[this.numsAt + 30]!; // numsAt + 30 < nums.length
  }
  set rUrg(v: number) {
    this.nums[this.numsAt + 30] = v;
  }
  /** Times the flow's roles were swapped, and that count when `record` was built (recordFlips). */
  get flips(): number {
    return this.nums[this.numsAt + 31]!; // numsAt + 31 < nums.length
  }
  set flips(v: number) {
    this.nums[this.numsAt + 31] = v;
  }
  get recordFlips(): number {
    return this.nums[this.numsAt + 32]!; // numsAt + 32 < nums.length
  }
  set recordFlips(v: number) {
    this.nums[this.numsAt + 32] = v;
  }
  /** Packets (both sides) when `record` was built; -1 before. */
  get recordPkts(): number {
    return this.nums[this.numsAt + 33]!; // numsAt + 33 < nums.length
  }
  set recordPkts(v: number) {
    this.nums[this.numsAt + 33] = v;
  }
  /** VLAN IDs of the flow's first packet (outer, and inner in innerVlan; Zeek's vlan-logging), -1 when untagged. */
  get vlan(): number {
    return this.nums[this.numsAt + 34]!; // numsAt + 34 < nums.length
  }
  set vlan(v: number) {
    this.nums[this.numsAt + 34] = v;
  }
  get innerVlan(): number {
    return this.nums[this.numsAt + 35]!; // numsAt + 35 < nums.length
  }
  set innerVlan(v: number) {
    this.nums[this.numsAt + 35] = v;
  }
  /** Position in the creation order; the uid is derived from it. */
  get serial(): number {
    return this.nums[this.numsAt + 36]!; // numsAt + 36 < nums.length
  }
  set serial(v: number) {
    this.nums[this.numsAt + 36] = v;
  }

  /**
   * Makes the flow as good as new, for reuse (see FlowTable.recycle): every field back to its initializer above. The
   * flow table's pool hands out old flows again instead of new ones, so that the objects of ended flows are not left
   * as garbage in the old generation (every flow lives long enough to be promoted there).
   */
  reset(): void {
    initBlock(this.nums, this.numsAt);
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
    this.oNamesDone = 0; this.rNamesDone = 0;
    this.uid = '';
    this.directionGuessed = false;
    this.endReason = 'active';
    this.slot = -1;
    this.record = null;
    this.closingReason = 'closed';
    this.names = null;
    this.tunnelParents = null;
  }
}

/** Swaps the per-direction counters of `f` (the caller swaps its key fields and TCP ends). */
export function swapDirections(f: Flow): void {
  let t = f.oPkts; f.oPkts = f.rPkts; f.rPkts = t;
  t = f.oNamesDone; f.oNamesDone = f.rNamesDone; f.rNamesDone = t;
  const nums = f.nums, at = f.numsAt, pairs = SWAP_PAIRS;
  for (let k = 0; k < pairs.length; k += 2) {
    const a = at + pairs[k]!, b = at + pairs[k + 1]!; // k + 1 < length
    t = nums[a]!; // a < nums.length
    nums[a] = nums[b]!;
    nums[b] = t;
  }
}

/** The block offsets of each o* number of FLOW_NUMBERS and its r* twin, in pairs: what swapDirections swaps. */
const SWAP_PAIRS: readonly number[] = FLOW_NUMBERS.flatMap(([name], i) => {
  const twin = /^o[A-Z]/.test(name) ? FLOW_NUMBERS.findIndex(([n]) => n === `r${name.slice(1)}`) : -1;
  return twin >= 0 ? [i, twin] : [];
});

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
