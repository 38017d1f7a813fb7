/**
 * One end of a TCP connection (TcpEnd): what it sent and the state of its socket, as Zeek's TCP_Endpoint, the netstat
 * machine and Wireshark's analysis keep them, plus the small helpers over an end that Zeek's endpoint code has
 * (`is_clean`, `UpdateLastSeq`, ...). The tracker (connection.ts) drives two of them per connection.
 */
import type { TcpState } from './state.js';
import { S, TCP_STATE_NAME } from './state.js';
import type { HistoryEnd } from './history.js';
import { ZeekState, ZEEK_STATE_NAME } from './conn-state.js';
import type { ZeekEndpointState } from './conn-state.js';
import { SEQ_SPACE } from './seq.js';

/** Zeek's TOO_LARGE_SEQ_DELTA: SYN/RST sequence jumps larger than this (bytes) are not trusted. */
export const TOO_LARGE_SEQ_DELTA = 1048576;
/** Transitions kept per end; later ones overwrite the last slot so the current state is always listed. */
export const TRANSITION_CAPACITY = 12;
/** Code of an unused pair in a transition log: never a valid code, and not an integer (see EMPTY_TRANSITION_LOG). */
export const UNUSED_TRANSITION = -1.5;
/**
 * A fresh transition log: 12 unused [tsSec, code] pairs, room for both ends of a typical connection (about 5
 * transitions each), copied with slice(). The non-integer filler makes it an array of unboxed doubles from the start,
 * so storing a time never converts it, and the right size means no regrowth.
 */
export const EMPTY_TRANSITION_LOG: readonly number[] = Array.from({ length: 24 }, () => UNUSED_TRANSITION);
/** Out-of-order blocks kept per end for gap (missed_bytes) accounting; beyond this, neighbours are coalesced. */
export const MAX_BLOCKS = 8;
/** Zeek's `tcp_attempt_delay` default, seconds. */
export const TCP_ATTEMPT_DELAY_SEC = 5;
/** `firstSeen` bits (Zeek's first_packet_seen). */
export const SEEN_ORIG = 1;
export const SEEN_RESP = 2;
export const SEEN_BOTH = SEEN_ORIG | SEEN_RESP;

/**
 * Counters of one end that only anomalies move (Wireshark's analysis flags, Zeek's logarithmic history counters).
 * Most ends never need them (about 6% of the ends in the 2M-packet benchmark capture do), so TcpEnd creates this
 * object at the first such event and answers the defaults before; TcpEnd's accessors of the same names are the API.
 */
class TcpEndRareCounters {
  retransmissions = 0;
  fastRetransmissions = 0;
  spuriousRetransmissions = 0;
  outOfOrder = 0;
  dupAcks = 0;
  zeroWindows = 0;
  zeroWindowProbes = 0;
  keepAlives = 0;
  lostSegments = 0;
  checksumCount = 0;
  checksumNext = 1;
  gapCount = 0;
  gapNext = 1;
  rxmitCount = 0;
  rxmitNext = 1;
  win0Count = 0;
  win0Next = 1;
}

/** One end of a TCP connection: what it sent and the state of its socket. Fields are read-only for callers. */
export class TcpEnd implements HistoryEnd {
  // Field order is memory order. The fields that every segment reads or writes come first, so that they share the
  // first cache lines of the object, and the number boxes of the double-valued ones (sequence numbers, times; V8
  // allocates a box per such field, in this order) share theirs. The rest is touched only by handshakes, closes and
  // anomalies. With tens of thousands of open connections, each further line a segment touches is a likely cache miss.

  // ── Read or written by every segment ────────────────────────────────────────────────────────────────────────────
  /** True while this end is the originator. */
  isOrig: boolean;
  /** The other end (fixed for the life of the connection; roles may flip, peers do not). */
  peer: TcpEnd = this;
  /** Zeek endpoint state (see ZeekState). */
  zeekState: ZeekEndpointState = ZeekState.INACTIVE;
  /** Zeek's did_close: this end's close (FIN/RST) has been reported. */
  didClose = false;
  /** Netstat state of this end's socket. */
  state: TcpState = S.CLOSED;
  /** Netstat: this end sent a FIN (`finNext` is the sequence number just after it). */
  finSent = false;
  /** FIN packets sent. */
  finCnt = 0;
  /** Times lastSeq / ackSeq wrapped past 2^32. */
  seqWraps = 0;
  ackWraps = 0;
  /** Wireshark: `wsNext` is set; the end has sent an ACK (`wsLastAck`); its last window field (-1 before any). */
  wsHasNext = false;
  wsAckSeen = false;
  wsWindow = -1;
  wsDupAckNum = 0;
  /** The last segment from this end was a keep-alive (its answer is a keep-alive ACK, not a duplicate ACK). */
  wsLastKeepAlive = false;
  /** Out-of-order data above reassemSeq: [seq, upper) pairs, sorted, disjoint; null until first needed. */
  blocks: Float64Array | null = null;
  // Absolute sequence numbers are stored as signed 32-bit values (`| 0`): V8 keeps those as small integers inside the
  // object, where an unsigned value above 2^31 would need a separate heap-number box (one more object to allocate,
  // trace and miss in the cache). The accessors of the same names without `Bits` present them unsigned.
  private lastSeqBits = 0;
  private ackSeqBits = 0;
  private startSeqBits = 0;
  /** Zeek reassembler positions (relative): data delivered in order up to reassemSeq; acked/trimmed up to trimSeq. */
  reassemSeq = 1;
  trimSeq = 1;
  private wsNextBits = 0;
  private wsLastAckBits = 0;
  private finNextBits = 0;
  /** Wireshark: when `wsNext` was last set, and when this end last sent an ACK; seconds. */
  wsNextTimeSec = 0;
  wsLastAckTimeSec = 0;

  // ── Zeek endpoint (TCP_Endpoint), rarely changing ───────────────────────────────────────────────────────────────
  /** The Zeek endpoint state before the current one. */
  zeekPrevState: ZeekEndpointState = ZeekState.INACTIVE;
  /** RST packets sent. */
  rstCnt = 0;
  /** Relative sequence number just past this end's FIN (Zeek's FIN_seq). */
  finSeq = 0;
  /** Pairs used in `blocks`. */
  nBlocks = 0;
  /** Zeek missed_bytes from this end's stream: acknowledged (or skipped over) but never captured. */
  missedBytes = 0;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /** Counters of rare events (see TcpEndRareCounters); null until the first one. Read them through the accessors. */
  private rare: TcpEndRareCounters | null = null;

  // ── Netstat transitions ─────────────────────────────────────────────────────────────────────────────────────────
  /** True when `state` was reached by an inferred transition (a step the wire did not show). */
  stateInferred = false;
  /**
   * Netstat transitions of both ends, oldest first, as [tsSec, tag * 16 + state] pairs (`tag`: which end), then unused
   * pairs (code UNUSED_TRANSITION); one array shared with the peer (transitions of both ends often come from the same
   * segment), null until the first one.
   */
  transitionLog: number[] | null = null;
  /** This end's entries in `transitionLog` (at most TRANSITION_CAPACITY), and the index of its newest pair. */
  nTransitions = 0;
  lastTransitionAt = 0;
  /** Transitions recorded for this end so far (overwrites included): tells whether `transitions()` changed. */
  transitionCount = 0;
  /** The last `transitions()` and `options()` results, shared by the records built while they stay the same. */
  private transitionsMade: { tsSec: number; state: string }[] | null = null;
  private transitionsMadeAt = -1;
  private optionsMade: { mss: number | null; wscale: number | null; sackPermitted: boolean; timestamps: boolean } | null = null;
  /** Tells this end's transitions from the peer's in the shared log: 0 or 1, fixed at construction. */
  readonly tag: number;

  // ── SYN options ─────────────────────────────────────────────────────────────────────────────────────────────────
  /** True once this end's SYN (or SYN+ACK) was seen; the options below are from the first one. */
  synSeen = false;
  /** MSS option, -1 when absent. */
  mss = -1;
  /** Window-scale shift, -1 when absent. */
  wscale = -1;
  sackPermitted = false;
  timestamps = false;

  constructor(isOrig: boolean) {
    this.isOrig = isOrig;
    this.tag = isOrig ? 0 : 1;
  }

  /** The rare-event counters, created on first use. */
  private rareCounters(): TcpEndRareCounters {
    let r = this.rare;
    if (r === null) {
      r = new TcpEndRareCounters();
      this.rare = r;
    }
    return r;
  }

  /** Segments Wireshark flags as retransmissions (including fast and spurious ones). */
  get retransmissions(): number {
    return this.rare === null ? 0 : this.rare.retransmissions;
  }
  set retransmissions(value: number) {
    this.rareCounters().retransmissions = value;
  }

  /** Wireshark fast retransmissions (also counted in `retransmissions`). */
  get fastRetransmissions(): number {
    return this.rare === null ? 0 : this.rare.fastRetransmissions;
  }
  set fastRetransmissions(value: number) {
    this.rareCounters().fastRetransmissions = value;
  }

  /** Wireshark spurious retransmissions (also counted in `retransmissions`). */
  get spuriousRetransmissions(): number {
    return this.rare === null ? 0 : this.rare.spuriousRetransmissions;
  }
  set spuriousRetransmissions(value: number) {
    this.rareCounters().spuriousRetransmissions = value;
  }

  /** Segments Wireshark flags as out-of-order. */
  get outOfOrder(): number {
    return this.rare === null ? 0 : this.rare.outOfOrder;
  }
  set outOfOrder(value: number) {
    this.rareCounters().outOfOrder = value;
  }

  /** Duplicate ACKs (Wireshark). */
  get dupAcks(): number {
    return this.rare === null ? 0 : this.rare.dupAcks;
  }
  set dupAcks(value: number) {
    this.rareCounters().dupAcks = value;
  }

  /** Segments advertising a zero window (Wireshark: not SYN/FIN/RST). */
  get zeroWindows(): number {
    return this.rare === null ? 0 : this.rare.zeroWindows;
  }
  set zeroWindows(value: number) {
    this.rareCounters().zeroWindows = value;
  }

  /** Wireshark zero-window probes. */
  get zeroWindowProbes(): number {
    return this.rare === null ? 0 : this.rare.zeroWindowProbes;
  }
  set zeroWindowProbes(value: number) {
    this.rareCounters().zeroWindowProbes = value;
  }

  /** Wireshark keep-alives. */
  get keepAlives(): number {
    return this.rare === null ? 0 : this.rare.keepAlives;
  }
  set keepAlives(value: number) {
    this.rareCounters().keepAlives = value;
  }

  /** Segments after a hole in this end's sequence space ("previous segment not captured"). */
  get lostSegments(): number {
    return this.rare === null ? 0 : this.rare.lostSegments;
  }
  set lostSegments(value: number) {
    this.rareCounters().lostSegments = value;
  }

  /** Scaled history counter (see HistoryEnd): bad checksums counted. */
  get checksumCount(): number {
    return this.rare === null ? 0 : this.rare.checksumCount;
  }
  set checksumCount(value: number) {
    this.rareCounters().checksumCount = value;
  }

  /** Scaled history counter: the count that adds the next `C`. */
  get checksumNext(): number {
    return this.rare === null ? 1 : this.rare.checksumNext;
  }
  set checksumNext(value: number) {
    this.rareCounters().checksumNext = value;
  }

  /** Scaled history counter: content gaps counted. */
  get gapCount(): number {
    return this.rare === null ? 0 : this.rare.gapCount;
  }
  set gapCount(value: number) {
    this.rareCounters().gapCount = value;
  }

  /** Scaled history counter: the count that adds the next `G`. */
  get gapNext(): number {
    return this.rare === null ? 1 : this.rare.gapNext;
  }
  set gapNext(value: number) {
    this.rareCounters().gapNext = value;
  }

  /** Scaled history counter: retransmitted payloads counted. */
  get rxmitCount(): number {
    return this.rare === null ? 0 : this.rare.rxmitCount;
  }
  set rxmitCount(value: number) {
    this.rareCounters().rxmitCount = value;
  }

  /** Scaled history counter: the count that adds the next `T`. */
  get rxmitNext(): number {
    return this.rare === null ? 1 : this.rare.rxmitNext;
  }
  set rxmitNext(value: number) {
    this.rareCounters().rxmitNext = value;
  }

  /** Scaled history counter: zero windows counted. */
  get win0Count(): number {
    return this.rare === null ? 0 : this.rare.win0Count;
  }
  set win0Count(value: number) {
    this.rareCounters().win0Count = value;
  }

  /** Scaled history counter: the count that adds the next `W`. */
  get win0Next(): number {
    return this.rare === null ? 1 : this.rare.win0Next;
  }
  set win0Next(value: number) {
    this.rareCounters().win0Next = value;
  }

  /** Highest sequence number sent (one past the segment), unsigned 32-bit. */
  get lastSeq(): number {
    return this.lastSeqBits >>> 0;
  }
  set lastSeq(seq: number) {
    this.lastSeqBits = seq | 0;
  }

  /** Highest sequence number of this end acknowledged by the peer, unsigned 32-bit. */
  get ackSeq(): number {
    return this.ackSeqBits >>> 0;
  }
  set ackSeq(seq: number) {
    this.ackSeqBits = seq | 0;
  }

  /** Initial sequence number (or the first seen minus 1 when no SYN), unsigned 32-bit. */
  get startSeq(): number {
    return this.startSeqBits >>> 0;
  }
  set startSeq(seq: number) {
    this.startSeqBits = seq | 0;
  }

  /** Wireshark: next expected sequence number (highest seq + len seen), unsigned 32-bit. */
  get wsNext(): number {
    return this.wsNextBits >>> 0;
  }
  set wsNext(seq: number) {
    this.wsNextBits = seq | 0;
  }

  /** Wireshark: the last acknowledgement number this end sent, unsigned 32-bit. */
  get wsLastAck(): number {
    return this.wsLastAckBits >>> 0;
  }
  set wsLastAck(seq: number) {
    this.wsLastAckBits = seq | 0;
  }

  /** Netstat: the sequence number just after this end's FIN (valid when `finSent`), unsigned 32-bit. */
  get finNext(): number {
    return this.finNextBits >>> 0;
  }
  set finNext(seq: number) {
    this.finNextBits = seq | 0;
  }

  /** Restores the freshly constructed state (keeps the block list and the emptied transition log for reuse). */
  reset(isOrig: boolean): void {
    this.isOrig = isOrig;
    this.zeekState = ZeekState.INACTIVE;
    this.zeekPrevState = ZeekState.INACTIVE;
    this.startSeq = 0;
    this.lastSeq = 0;
    this.ackSeq = 0;
    this.seqWraps = 0;
    this.ackWraps = 0;
    this.finCnt = 0;
    this.rstCnt = 0;
    this.finSeq = 0;
    this.didClose = false;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.rare = null;
    this.reassemSeq = 1;
    this.trimSeq = 1;
    this.nBlocks = 0;
    this.missedBytes = 0;
    this.state = S.CLOSED;
    this.stateInferred = false;
    // The log shared with the peer (reset with this end) is kept for the next connection, emptied.
    // A loop: Array#fill is a call into the runtime, costlier than these 24 stores.
    const log = this.transitionLog;
    if (log !== null) for (let i = 0; i < log.length; i++) log[i] = UNUSED_TRANSITION;
    this.nTransitions = 0;
    this.lastTransitionAt = 0;
    this.transitionCount = 0;
    this.transitionsMade = null;
    this.transitionsMadeAt = -1;
    this.optionsMade = null;
    this.finSent = false;
    this.finNext = 0;
    this.wsHasNext = false;
    this.wsNext = 0;
    this.wsNextTimeSec = 0;
    this.wsAckSeen = false;
    this.wsLastAck = 0;
    this.wsLastAckTimeSec = 0;
    this.wsWindow = -1;
    this.wsDupAckNum = 0;
    this.wsLastKeepAlive = false;
    this.synSeen = false;
    this.mss = -1;
    this.wscale = -1;
    this.sackPermitted = false;
    this.timestamps = false;
  }

  /** Netstat name of the state, e.g. `FIN_WAIT_2`. */
  get stateName(): string {
    return TCP_STATE_NAME[this.state]!; // state < STATE_COUNT
  }

  /** Zeek endpoint state name, e.g. `SYN_ACK_SENT`. */
  get zeekStateName(): string {
    return ZEEK_STATE_NAME[this.zeekState]!; // zeekState < 7
  }

  /**
   * Zeek's `Size()`: payload bytes by sequence space: the highest sequence number sent or acknowledged minus the
   * initial one, minus 1 for the SYN and 1 for a FIN; 64-bit positions, so 32-bit wraparound is counted.
   */
  get seqBytes(): number {
    const peer = this.peer;
    if (
      this.zeekPrevState === ZeekState.SYN_SENT &&
      this.zeekState === ZeekState.RESET &&
      peer.zeekState === ZeekState.INACTIVE &&
      !this.noDataAcked()
    )
      return 0; // a half-open connection discovered and aborted
    const last = this.seqWraps * SEQ_SPACE + this.lastSeq;
    const acked = this.ackWraps * SEQ_SPACE + this.ackSeq;
    let size = (last > acked ? last : acked) - this.startSeq;
    if (size !== 0) --size;
    if (this.finCnt > 0 && size !== 0) --size;
    return size < 0 ? 0 : size;
  }

  /** Zeek's NoDataAcked: the peer has acknowledged nothing beyond our SYN. */
  noDataAcked(): boolean {
    const acked = this.ackWraps * SEQ_SPACE + this.ackSeq;
    return acked === this.startSeq || acked === this.startSeq + 1;
  }

  /** Relative position of `seq` with `wraps` wraps (Zeek's ToRelativeSeqSpace). */
  relative(seq: number, wraps: number): number {
    return asSmallInteger(wraps * SEQ_SPACE + seq - this.startSeq);
  }

  /**
   * Transitions of the netstat state, oldest first, as plain objects, for records: the same array until the next
   * transition (records of a flow share it; treat it as read-only).
   */
  transitions(): readonly { tsSec: number; state: string }[] {
    if (this.transitionsMade !== null && this.transitionsMadeAt === this.transitionCount) return this.transitionsMade;
    const out: { tsSec: number; state: string }[] = [];
    const log = this.transitionLog;
    if (log !== null) {
      for (let i = 0; i + 1 < log.length; i += 2) {
        const code = log[i + 1]!; // i + 1 < log.length
        if (code >= 0 && code >> 4 === this.tag) out.push({ tsSec: log[i]!, state: TCP_STATE_NAME[code & 15]! }); // state < 11
      }
    }
    this.transitionsMade = out;
    this.transitionsMadeAt = this.transitionCount;
    return out;
  }

  /** Options of this end's SYN, or null when no SYN was seen, for records (one object, made once; read-only). */
  options(): { mss: number | null; wscale: number | null; sackPermitted: boolean; timestamps: boolean } | null {
    if (!this.synSeen) return null;
    if (this.optionsMade === null) {
      this.optionsMade = {
        mss: this.mss < 0 ? null : this.mss,
        wscale: this.wscale < 0 ? null : this.wscale,
        sackPermitted: this.sackPermitted,
        timestamps: this.timestamps,
      };
    }
    return this.optionsMade;
  }
}

/**
 * `n` itself, but as a small integer when it is a 32-bit integer. V8's interpreter returns arithmetic on numbers
 * above 2^31 (unsigned sequence numbers) as heap numbers even when the result is small, and a single heap number
 * stored into an integer field (the reassembler positions) turns that field into a boxed double in every TcpEnd.
 */
export function asSmallInteger(n: number): number {
  const i = n | 0;
  return i === n ? i : n;
}

/** Zeek's `is_clean`: established, or closed by FIN straight from established. */
export function isClean(e: TcpEnd): boolean {
  return (
    e.zeekState === ZeekState.ESTABLISHED ||
    (e.zeekState === ZeekState.CLOSED && e.zeekPrevState === ZeekState.ESTABLISHED)
  );
}

export function setZeekState(e: TcpEnd, next: ZeekEndpointState): void {
  if (next !== e.zeekState) {
    e.zeekPrevState = e.zeekState;
    e.zeekState = next;
  }
}

/** Zeek's UpdateLastSeq / UpdateAckSeq: a smaller unsigned value means the 32-bit space wrapped. */
export function updateLastSeq(e: TcpEnd, seq: number): void {
  if (seq < e.lastSeq) ++e.seqWraps;
  e.lastSeq = seq;
}

export function updateAckSeq(e: TcpEnd, seq: number): void {
  if (seq < e.ackSeq) ++e.ackWraps;
  e.ackSeq = seq;
}
