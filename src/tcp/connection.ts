/**
 * TcpConnection: the per-flow TCP tracker. One fixed-shape object per TCP flow, fed every segment of the flow in
 * capture order. It keeps, for each of the two ends:
 *
 * - Zeek's endpoint state machine, ported from zeek/zeek `TCPSessionAdapter.cc` (`Process`, `init_endpoint`,
 *   `update_last_seq`, `UpdateStateMachine` and its `Update*State` helpers, `ConnectionClosed`, `IsReuse`,
 *   `FlipRoles`) and `TCP_Endpoint` (`Size`), so that `conn_state`, `history`, `orig_bytes`/`resp_bytes` and
 *   `missed_bytes` come out as Zeek writes them;
 * - the netstat state of the end's socket (`state.ts`'s machine, stepped for both ends by `netstat.ts`);
 * - Wireshark's `tcp.analysis` counters (retransmissions, out-of-order, duplicate ACKs, zero windows, keep-alives),
 *   after `tcp_analyze_sequence_number` in epan/dissectors/packet-tcp.c (`analysis.ts`);
 * - the options of the end's SYN, and the handshake round-trip times.
 *
 * The ends themselves (TcpEnd, Zeek's TCP_Endpoint and the state every model keeps per end) are in `end.ts`, the
 * history letters in `history.ts`; a connection with few segments has no tracker at all but a log (`deferred.ts`).
 *
 * Hot path: `update()` allocates nothing (no objects, strings or closures). Per flow: the connection object (which
 * also holds the history letters), its two ends, one transition log at the first state change, and, only when needed,
 * an end's block list (data out of order) and rare-event counters (anomalies). State is kept in plain small-integer
 * fields rather than small typed arrays or boxed doubles where it can be, with the per-segment fields first: with tens
 * of thousands of open connections the working set is far beyond the CPU caches, so every separate object or cache
 * line a segment touches is a likely miss, and every object costs the garbage collector.
 * Getters that build strings or arrays are meant for record/snapshot time.
 */
import type { TcpSegmentView } from './segment.js';
import { classify, pickupState, Role, S, Seg } from './state.js';
import { Hist, History, Letter, Scaled, scaledEntry, updateHistory } from './history.js';
import { connState, ZeekState } from './conn-state.js';
import { seqDiff, seqGeq } from './seq.js';
import { analyzeSegment, outOfOrderThresholdSec } from './analysis.js';
import {
  asSmallInteger, isClean, MAX_BLOCKS, SEEN_BOTH, SEEN_ORIG, SEEN_RESP, setZeekState, TCP_ATTEMPT_DELAY_SEC, TcpEnd, TOO_LARGE_SEQ_DELTA,
  updateAckSeq, updateLastSeq,
} from './end.js';
import { netstatStep, recordTransition } from './netstat.js';

export { TcpEnd } from './end.js';

/**
 * Whether segments of established connections take `updateEstablished`, the short path (on, but for the test that
 * runs the corpus both ways and demands the same records: test/tcp/fast-path.test.ts).
 */
let fastPath = true;

/** Turns the short path for established connections on or off (tests). */
export function useFastPath(on: boolean): void {
  fastPath = on;
}

/** Bits of the value `TcpConnection.update()` returns. */
export const TcpEvent = {
  /**
   * Originator and responder swapped (Zeek's FlipRoles, e.g. a bare SYN from the responder of a flow whose first
   * packet was the SYN+ACK). The tracker has already swapped its ends and added `^`; the caller swaps its own
   * per-direction counters and addresses.
   */
  FLIP: 0x1,
  /**
   * Both ends are done (Zeek's `close_complete`: this end reset, or both sent FIN, or the peer never sent anything).
   * Zeek removes the connection `tcp_close_delay` (5 s) after its last activity; reported once.
   */
  CLOSED: 0x2,
  /** The originator sent its first SYN: Zeek starts its `tcp_attempt_delay` (5 s) timer; see `attemptPending()`. */
  ATTEMPT: 0x4,
  /**
   * One end closed (FIN) while the other is still open (Zeek's half-close: the connection then lives until both
   * close or it goes idle). Informational.
   */
  HALF_CLOSED: 0x8,
  /** Set with CLOSED when the close was a reset (the closing end sent RST). */
  RESET: 0x10,
} as const;

/** What `initialFlip` needs from the first packet of a flow (DecodedPacket satisfies it). */
export interface FirstPacketView {
  readonly tcpFlags: number;
  /** Source and destination ports of the packet as captured. */
  readonly srcPort: number;
  readonly dstPort: number;
}

/** Per-end summary for records (plain data; see DirectionRecord in flow/record.ts). */
export interface TcpEndSummary {
  /** Zeek orig_bytes/resp_bytes: payload by sequence space. */
  readonly seqBytes: number;
  readonly retransmissions: number;
  readonly outOfOrder: number;
  readonly dupAcks: number;
  readonly zeroWindows: number;
  readonly keepAlives: number;
  /** Netstat state name. */
  readonly state: string;
  readonly stateInferred: boolean;
  readonly transitions: readonly { readonly tsSec: number; readonly state: string }[];
  readonly options: {
    readonly mss: number | null;
    readonly wscale: number | null;
    readonly sackPermitted: boolean;
    readonly timestamps: boolean;
  } | null;
  /** Zeek endpoint state name (INACTIVE, SYN_SENT, ..., RESET). */
  readonly zeekState: string;
  /** Zeek missed_bytes of this end's stream. */
  readonly missedBytes: number;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/**
 * The per-flow TCP tracker. See the module comment. It extends History so that the Zeek history letters are stored in
 * the connection object itself (one object and one likely cache miss fewer per segment); `history()` is the public
 * way to read them.
 */
export class TcpConnection extends History {
  // Field order is memory order: what every segment touches first (see TcpEnd).
  /** The current originator's and responder's ends (swapped by a flip). */
  orig: TcpEnd;
  resp: TcpEnd;
  /** Zeek's first_packet_seen (SEEN_ORIG / SEEN_RESP bits, used by its gap reporting). */
  private firstSeen = 0;
  /** TcpEvent bits of the segment being processed. */
  private events = 0;
  /** Zeek's do_close for the segment being processed. */
  private doClose = false;
  /** Set by relSeq() when a sequence number lies before the end's start (Zeek's seq_underflow). */
  private underflow = false;
  /**
   * The SYN+ACK was seen and the ACK that completes the handshake is still to come (rttAck not yet measured). Tested
   * by every ACK before rttAck itself, a double that V8 keeps in a box of its own: a load from it would wait on a
   * likely cache miss.
   */
  private rttAckPending = false;
  /**
   * A SYN was seen and Wireshark's initial RTT (`irttSec`) is still to be measured at the next segment with ACK and
   * without SYN; tested by those segments for the same reason as rttAckPending.
   */
  private irttPending = false;
  /**
   * Handshake timing: the end that sent the most recent bare SYN while the handshake was open, and the sender of the
   * most recent SYN+ACK that answered it.
   */
  private synEnd: TcpEnd | null = null;
  private synAckEnd: TcpEnd | null = null;
  /** Zeek's Conn()->LastTime(): last packet before both ends closed, seconds. */
  private lastTimeSec = 0;
  /** Zeek's is_partial. */
  private isPartial = false;
  private anySeen = false;
  private closeCompleteFlag = false;
  private netstatStarted = false;
  /** Time of the most recent SYN without ACK, from either end (Wireshark's `ts_mru_syn`). */
  private synTimeSec = 0;
  private synAckTimeSec = 0;
  private rttSyn = -1;
  private rttAck = -1;
  /**
   * Wireshark's `ts_first_rtt`: from the most recent SYN to the first segment with ACK and without SYN, in either
   * direction, also when no SYN+ACK was seen; 0 until measured. The out-of-order threshold.
   */
  private irttSec = 0;
  /** Time of the originator's first SYN (Zeek starts its attempt timer then), or -1. */
  private attemptSynSec = -1;

  constructor() {
    super();
    this.orig = new TcpEnd(true);
    this.resp = new TcpEnd(false);
    this.orig.peer = this.resp;
    this.resp.peer = this.orig;
  }

  /** Returns the tracker to its freshly constructed state, for reuse by a pool. */
  override reset(): void {
    // Restore the construction-time pairing in case a flip swapped them.
    const a = this.orig.isOrig ? this.orig : this.resp;
    const b = a.peer;
    this.orig = a;
    this.resp = b;
    a.reset(true);
    b.reset(false);
    super.reset();
    this.isPartial = false;
    this.firstSeen = 0;
    this.lastTimeSec = 0;
    this.anySeen = false;
    this.closeCompleteFlag = false;
    this.netstatStarted = false;
    this.underflow = false;
    this.doClose = false;
    this.events = 0;
    this.synEnd = null;
    this.synTimeSec = 0;
    this.synAckEnd = null;
    this.synAckTimeSec = 0;
    this.rttSyn = -1;
    this.rttAck = -1;
    this.rttAckPending = false;
    this.irttPending = false;
    this.irttSec = 0;
    this.attemptSynSec = -1;
  }

  /**
   * Zeek's first-packet rule for TCP (`TCPAnalyzer::WantConnection`, packet_analysis/protocol/tcp/TCP.cc): when the
   * first packet of a connection is not a bare SYN (no SYN, or SYN+ACK) and its source port is a likely server
   * port, the sender is taken as the responder (roles flipped, history starts with `^`). If the destination port is
   * a likely server port too, flip only when the packet is not a SYN+ACK (stealth scans) and the source port is the
   * lower one. The caller then calls `flip()` before the first `update()`.
   */
  static initialFlip(p: FirstPacketView, isLikelyServerPort: (port: number) => boolean): boolean {
    const tcpFlags = p.tcpFlags;
    const srcPort = p.srcPort;
    const dstPort = p.dstPort;
    if ((tcpFlags & SYN) === 0 || (tcpFlags & ACK) !== 0) {
      if (isLikelyServerPort(srcPort)) {
        if (isLikelyServerPort(dstPort)) return (tcpFlags & SYN) === 0 && srcPort < dstPort;
        return true;
      }
    }
    return false;
  }

  /** The demultiplexer's initial flip (`initialFlip` said so): same as `flip()`, before the first `update()`. */
  markFlipped(): void {
    this.flip();
  }

  /** Swaps originator and responder and records `^` (Zeek's Connection::FlipRoles). */
  flip(): void {
    this.swapEnds();
    this.add(Letter.FLIP);
  }

  /** Swaps the two ends and Zeek's per-direction bookkeeping (no history letter). */
  private swapEnds(): void {
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    const f = this.firstSeen;
    this.firstSeen = (f & SEEN_ORIG ? SEEN_RESP : 0) | (f & SEEN_RESP ? SEEN_ORIG : 0);
    this.isPartial = false;
  }

  /**
   * Zeek's `IsReuse` (TCPSessionAdapter.cc): does this SYN start a new connection on the same 5-tuple? Only SYNs
   * qualify (a SYN+ACK only while the originator has sent nothing). True when either end already closed (FIN or RST
   * reported), or the SYN's sequence number differs from the recorded initial one, except for the SYN of a flow whose
   * SYN+ACK came first (that SYN flips the flow instead). Like Zeek, the direction of the SYN does not matter: a
   * crossing SYN of a simultaneous open with its own ISN also counts as reuse. Call before `update()`.
   */
  isReuse(seg: TcpSegmentView, _fromOrig: boolean): boolean {
    const flags = seg.tcpFlags;
    if ((flags & SYN) === 0 || !this.anySeen) return false;
    let connOrig = this.orig;
    if (flags & ACK) {
      if (this.orig.zeekState !== ZeekState.INACTIVE) return false;
      connOrig = this.resp;
    }
    if (!this.orig.didClose && !this.resp.didClose) {
      const base = seg.seq;
      if (base === connOrig.startSeq) return false;
      if (
        (flags & ACK) === 0 &&
        connOrig.zeekState === ZeekState.SYN_ACK_SENT &&
        this.resp.zeekState === ZeekState.INACTIVE &&
        base === this.resp.startSeq
      )
        return false;
    }
    return true;
  }

  /**
   * Zeek's bad-checksum handling: the packet is dropped before any accounting, only the history gets `C`/`c`
   * (logarithmically). Call instead of `update()` for a TCP segment whose checksum failed.
   */
  checksumError(fromOrig: boolean): void {
    scaledEntry(this, fromOrig ? this.orig : this.resp, Scaled.CHECKSUM);
    // The connection exists from this packet on, as in Zeek: a SYN+ACK that follows a dropped SYN is a reuse
    // (zeek/tcp-bad-checksum-localhost logs the bad SYN and the SYN+ACK's connection apart).
    this.anySeen = true;
  }

  /**
   * Feeds one segment. `fromOrig`: sent by the current originator. `tsSec`: capture time, seconds since the epoch.
   * Returns a bitmask of {@link TcpEvent}. Allocates nothing.
   */
  update(seg: TcpSegmentView, fromOrig: boolean, tsSec: number): number {
    return fromOrig ? this.updateEnds(seg, this.orig, this.resp, tsSec) : this.updateEnds(seg, this.resp, this.orig, tsSec);
  }

  /**
   * `update()` with the sending end `ep` and its `peer` passed in (the current orig/resp pair, in either order). The
   * demultiplexer keeps them in the flow, so that loading them does not wait for this object's cache line: with tens
   * of thousands of open connections each of the three objects is a likely cache miss, and the misses then overlap
   * instead of following one another.
   */
  updateEnds(seg: TcpSegmentView, ep: TcpEnd, peer: TcpEnd, tsSec: number): number {
    if (
      fastPath &&
      (seg.tcpFlags & (SYN | FIN | RST)) === 0 &&
      ep.zeekState === ZeekState.ESTABLISHED &&
      peer.zeekState === ZeekState.ESTABLISHED &&
      this.firstSeen === SEEN_BOTH
    ) {
      return this.updateEstablished(seg, ep, peer, tsSec);
    }
    return this.updateAny(seg, ep.isOrig, tsSec);
  }

  /**
   * `updateAny` for the common case, in a short straight path: no SYN/FIN/RST, both ends seen and established in
   * Zeek's model (so the partial status, init_endpoint, the Zeek state machine and the first-packet bookkeeping
   * change nothing and are skipped). Every remaining step runs in the same order as in `updateAny`.
   */
  private updateEstablished(seg: TcpSegmentView, ep: TcpEnd, peer: TcpEnd, tsSec: number): number {
    this.events = 0;
    this.doClose = false;
    const flags = seg.tcpFlags;
    const len = seg.payloadLen;
    const baseSeq = seg.seq >>> 0;
    const ackSeq = seg.ack >>> 0;
    const hasAck = (flags & ACK) !== 0;
    const seqOnePast = (baseSeq + len) >>> 0;
    this.underflow = false;
    const relSeq = this.relSeq(ep, seg, false);
    const seqUnderflow = this.underflow;
    // update_history without SYN/FIN/RST: `D` or `A`, once per direction.
    if (len > 0) this.check(ep.isOrig, Hist.DATA_PKT, Letter.D);
    else if (hasAck) this.check(ep.isOrig, Hist.ACK_PKT, Letter.A);
    // update_window: no RST, and the peer has not closed (it is established).
    if (seg.window === 0) scaledEntry(this, ep, Scaled.WIN0);
    if (!ep.didClose || !peer.didClose) this.lastTimeSec = tsSec;
    let relAck = 0;
    if (hasAck) {
      this.underflow = false;
      relAck = this.relSeq(peer, seg, true);
      if (this.underflow) relAck = 0;
      else {
        const d = seqDiff(ackSeq, peer.ackSeq);
        if (!(ackSeq === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) updateAckSeq(peer, ackSeq);
      }
    }
    // update_last_seq without SYN/FIN/RST from an established end.
    if (seqDiff(seqOnePast, ep.lastSeq) > 0) updateLastSeq(ep, seqOnePast);
    else if (len > 0) scaledEntry(this, ep, Scaled.RXMIT);
    if (hasAck) this.ackReceived(peer, relAck);
    if (len > 0 && seg.payloadCaptured >= len && !seqUnderflow) this.dataSent(ep, relSeq, len);
    const cls = hasAck && peer.finSent && seqGeq(ackSeq, peer.finNext) ? Seg.ACK_OF_FIN : Seg.ACK;
    netstatStep(ep, cls, Role.SENDER, tsSec);
    netstatStep(peer, cls, Role.RECEIVER, tsSec);
    if (this.rttAckPending && hasAck && this.synAckEnd === peer && this.synEnd === ep) this.measureRttAck(tsSec);
    analyzeSegment(ep, peer, seg, tsSec, outOfOrderThresholdSec(this.irttSec));
    if (this.irttPending && hasAck) this.measureIrtt(tsSec); // after analyze(), as in dissect_tcp
    return this.events;
  }

  /** `update()` for any segment: the full Zeek, netstat, RTT and Wireshark bookkeeping. */
  private updateAny(seg: TcpSegmentView, fromOrig: boolean, tsSec: number): number {
    this.events = 0;
    this.doClose = false;
    const flags = seg.tcpFlags;
    const ep = fromOrig ? this.orig : this.resp;
    const peer = ep.peer;
    const len = seg.payloadLen;
    const baseSeq = seg.seq >>> 0;
    const ackSeq = seg.ack >>> 0;
    const syn = (flags & SYN) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const hasAck = (flags & ACK) !== 0;
    if (!this.anySeen) {
      this.anySeen = true;
      this.lastTimeSec = tsSec;
    }

    // Zeek (PR #2191): a connection that began with SYN+ACKs from its "originator" is flipped as soon as an ACK or
    // data segment follows in either direction: a stealth scan would not continue that way. The history is rewritten
    // as if the roles had been right from the start (`H` -> `^h`), and the SYN+ACK sender counts as established.
    if (
      this.orig.zeekState === ZeekState.SYN_ACK_SENT &&
      this.resp.zeekState === ZeekState.INACTIVE &&
      (flags & (SYN | FIN | RST)) === 0 &&
      (hasAck || len > 0)
    ) {
      const synAckSender = this.orig;
      this.swapEnds();
      this.rewriteFlipped();
      setZeekState(synAckSender, ZeekState.ESTABLISHED);
      this.events |= TcpEvent.FLIP;
    }

    // ── Zeek: TCPAnalyzer::DeliverPacket / TCPSessionAdapter::Process ───────────────────────────────────────────────
    this.setPartialStatus(flags, ep.isOrig);
    let segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (rst) segLen -= len; // RST payload is not part of the stream
    const seqOnePast = (baseSeq + segLen) >>> 0;
    this.initEndpoint(ep, seg, segLen);
    this.underflow = false;
    const relSeq = this.relSeq(ep, seg, false);
    const seqUnderflow = this.underflow;
    updateHistory(this, ep, flags, relSeq, len);
    // update_window: zero windows count unless they come with/after a RST or after the peer's FIN.
    if (seg.window === 0 && !rst && peer.zeekState !== ZeekState.CLOSED && ep.zeekState !== ZeekState.RESET) {
      scaledEntry(this, ep, Scaled.WIN0);
    }
    if (!this.orig.didClose || !this.resp.didClose) this.lastTimeSec = tsSec;
    if (syn && !ep.synSeen) {
      ep.synSeen = true;
      ep.mss = seg.optMss;
      ep.wscale = seg.optWscale;
      ep.sackPermitted = seg.optSackPerm !== 0;
      ep.timestamps = seg.optTs !== 0;
    }
    if (fin) {
      ++ep.finCnt;
      ep.finSeq = relSeq + segLen;
    }
    if (rst) ++ep.rstCnt;
    let relAck = 0;
    if (hasAck) {
      if (peer.zeekState === ZeekState.INACTIVE) {
        relAck = 1;
        // init_peer: number the peer's sequence space as though its SYN had been seen.
        const s = (ackSeq - 1) >>> 0;
        peer.startSeq = s;
        peer.ackSeq = s;
        peer.lastSeq = s;
      } else {
        this.underflow = false;
        relAck = this.relSeq(peer, seg, true);
        if (this.underflow) relAck = 0;
        else if (!rst) {
          const d = seqDiff(ackSeq, peer.ackSeq);
          // A zero ack far ahead is more likely broken than a huge connection landing on 0.
          if (!(ackSeq === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) updateAckSeq(peer, ackSeq);
        }
      }
    }
    this.updateLast(ep, seg, segLen);
    this.updateStateMachine(ep, peer, seg, ep.isOrig);
    if (hasAck) this.ackReceived(peer, relAck);
    if (len > 0 && seg.payloadCaptured >= len && !rst && !seqUnderflow) {
      this.dataSent(ep, syn ? relSeq + 1 : relSeq, len);
    }
    this.markFirstPacket(fromOrig);
    if (this.doClose) this.connectionClosed(ep, peer);

    // ── Netstat states of both ends ───────────────────────────────────────────────────────────────────────────────
    const acksPeerFin = hasAck && peer.finSent && seqGeq(ackSeq, peer.finNext);
    const cls = classify(flags, acksPeerFin);
    if (!this.netstatStarted) {
      this.netstatStarted = true;
      if (pickupState(cls) === S.ESTABLISHED) {
        // Midstream pickup: both sockets were already open; nothing on the wire showed it.
        ep.state = S.ESTABLISHED;
        ep.stateInferred = true;
        recordTransition(ep, tsSec, S.ESTABLISHED);
        peer.state = S.ESTABLISHED;
        peer.stateInferred = true;
        recordTransition(peer, tsSec, S.ESTABLISHED);
      }
    }
    netstatStep(ep, cls, Role.SENDER, tsSec);
    netstatStep(peer, cls, Role.RECEIVER, tsSec);
    if (fin && !rst && !ep.finSent) {
      ep.finSent = true;
      ep.finNext = seqOnePast;
    }

    // ── Handshake RTT ──────────────────────────────────────────────────────────────────────────────────────────────
    // rttSyn: the most recent SYN -> the SYN+ACK answering it (each SYN+ACK before the ACK measures again); rttAck:
    // that SYN+ACK -> the SYN sender's ACK. Their sum is Wireshark's initial RTT unless a SYN follows the last SYN+ACK.
    if (syn && !hasAck) {
      // Wireshark's ts_mru_syn (any SYN without ACK); its initial RTT is measured once, at the next ACK.
      this.synTimeSec = tsSec;
      if (this.irttSec === 0) this.irttPending = true;
      if (!rst && (this.synAckEnd === null || this.rttAckPending)) this.synEnd = ep;
    } else if (syn && !rst) {
      if (this.synEnd === peer && (this.synAckEnd === null || this.rttAckPending)) {
        this.synAckEnd = ep;
        this.synAckTimeSec = tsSec;
        this.rttSyn = tsSec - this.synTimeSec;
        this.rttAckPending = true;
      }
    } else if (hasAck && !rst && this.rttAckPending && this.synAckEnd === peer && this.synEnd === ep) {
      this.measureRttAck(tsSec);
    }

    analyzeSegment(ep, peer, seg, tsSec, outOfOrderThresholdSec(this.irttSec));
    // dissect_tcp sets ts_first_rtt after tcp_analyze_sequence_number: this segment was judged without it.
    if (this.irttPending && hasAck && !syn) this.measureIrtt(tsSec);
    return this.events;
  }

  // ── Zeek internals ──────────────────────────────────────────────────────────────────────────────────────────────

  /** The handshake's ACK half: from the SYN+ACK to this ACK (measured again at the next ACK if time stepped back). */
  private measureRttAck(tsSec: number): void {
    const rtt = tsSec - this.synAckTimeSec;
    this.rttAck = rtt;
    this.rttAckPending = rtt < 0;
  }

  /**
   * Wireshark's initial RTT (`ts_first_rtt`): the most recent SYN -> this segment (ACK, no SYN, either direction).
   * A zero result counts as not measured, as in packet-tcp.c (`nstime_is_zero`).
   */
  private measureIrtt(tsSec: number): void {
    const rtt = tsSec - this.synTimeSec;
    this.irttSec = rtt;
    this.irttPending = rtt === 0;
  }

  /** Zeek's SetPartialStatus. */
  private setPartialStatus(flags: number, isOrig: boolean): void {
    if (isOrig) {
      if (!(this.firstSeen & SEEN_ORIG)) this.isPartial = (flags & SYN) === 0 || (flags & ACK) !== 0;
    } else if (!(this.firstSeen & SEEN_RESP) && !this.isPartial) {
      this.isPartial = (flags & SYN) === 0;
    }
  }

  /** Zeek's CheckPIA_FirstPacket bookkeeping (first_packet_seen), by the packet's direction on arrival. */
  private markFirstPacket(fromOrig: boolean): void {
    this.firstSeen |= fromOrig ? SEEN_ORIG : SEEN_RESP;
  }

  /** Zeek's init_endpoint: sets up or re-initialises an end's sequence space. */
  private initEndpoint(e: TcpEnd, seg: TcpSegmentView, segLen: number): void {
    const syn = (seg.tcpFlags & SYN) !== 0;
    const firstSeq = seg.seq >>> 0;
    let lastSeqArg = (firstSeq + segLen) >>> 0;
    switch (e.zeekState) {
      case ZeekState.INACTIVE:
        if (syn) {
          e.ackSeq = firstSeq;
          e.startSeq = firstSeq;
        } else {
          // A partial connection: number as though a SYN had been seen, and don't mark the first packet a duplicate.
          const s = (firstSeq - 1) >>> 0;
          e.ackSeq = s;
          e.startSeq = s;
          lastSeqArg = firstSeq;
        }
        e.lastSeq = lastSeqArg;
        break;
      case ZeekState.SYN_SENT:
      case ZeekState.SYN_ACK_SENT:
        if (syn && firstSeq !== e.startSeq) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeqArg;
        }
        break;
      case ZeekState.ESTABLISHED:
      case ZeekState.PARTIAL:
        if (syn) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeqArg;
        }
        break;
      case ZeekState.RESET:
        if (syn && e.zeekPrevState === ZeekState.INACTIVE) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeqArg;
        }
        break;
      default:
        break;
    }
  }

  /**
   * Zeek's get_relative_seq for the segment's sequence number relative to `e` (`ofAck` false: e sent it; true: its
   * acknowledgement number, e received it); sets `this.underflow` when it lies before the start (no wraps yet).
   */
  private relSeq(e: TcpEnd, seg: TcpSegmentView, ofAck: boolean): number {
    // The segment itself rather than its numbers is passed (here and to the other Zeek helpers): unsigned 32-bit
    // values above 2^31 would be boxed into heap numbers to cross a call that V8 does not inline.
    const cur = (ofAck ? seg.ack : seg.seq) >>> 0;
    const last = ofAck ? e.ackSeq : e.lastSeq;
    let wraps = ofAck ? e.ackWraps : e.seqWraps;
    const d = seqDiff(cur, last);
    if (d < 0) {
      if (wraps && cur > last) --wraps;
    } else if (d > 0) {
      if (cur < last) ++wraps;
    }
    if (wraps === 0) {
      const r = seqDiff(cur, e.startSeq);
      if (r < 0) this.underflow = true;
      return r;
    }
    return e.relative(cur, wraps);
  }

  /** Zeek's update_last_seq; a payload that does not advance the end is a retransmission (`T`). */
  private updateLast(e: TcpEnd, seg: TcpSegmentView, segLen: number): number {
    const flags = seg.tcpFlags;
    const len = seg.payloadLen;
    const lastSeqArg = ((seg.seq >>> 0) + segLen) >>> 0;
    const delta = seqDiff(lastSeqArg, e.lastSeq);
    if ((flags & (SYN | RST)) !== 0 && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
      // Not trusted.
    } else if ((flags & FIN) !== 0 && e.lastSeq === ((e.startSeq + 1) >>> 0)) {
      updateLastSeq(e, lastSeqArg); // > 2 GB connections of which only the SYN and the FIN were seen
    } else if (e.zeekState === ZeekState.RESET) {
      // Don't trust sequence numbers after a RST.
    } else if (delta > 0) {
      updateLastSeq(e, lastSeqArg);
    } else if (len > 0) {
      scaledEntry(this, e, Scaled.RXMIT);
    }
    return delta;
  }

  /** Zeek's UpdateStateMachine, dispatching on the sending end's state. */
  private updateStateMachine(ep: TcpEnd, peer: TcpEnd, seg: TcpSegmentView, isOrig: boolean): void {
    const flags = seg.tcpFlags;
    const baseSeq = seg.seq >>> 0;
    const len = seg.payloadLen;
    const syn = (flags & SYN) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const hasAck = (flags & ACK) !== 0;
    switch (ep.zeekState) {
      case ZeekState.INACTIVE:
        if (syn) {
          if (isOrig) {
            setZeekState(ep, hasAck ? ZeekState.SYN_ACK_SENT : ZeekState.SYN_SENT);
            this.events |= TcpEvent.ATTEMPT;
            this.attemptSynSec = this.lastTimeSec;
          } else {
            if (!hasAck && peer.zeekState === ZeekState.SYN_ACK_SENT && baseSeq === ep.startSeq) {
              // SYN/SYN-ACK reversal (IsReuse's exception): flip the roles and establish.
              this.isPartial = false;
              this.flip();
              this.events |= TcpEvent.FLIP;
              setZeekState(peer, ZeekState.ESTABLISHED);
              this.firstSeen |= SEEN_ORIG;
            }
            if (peer.zeekState === ZeekState.SYN_SENT) setZeekState(peer, ZeekState.ESTABLISHED);
            setZeekState(ep, ZeekState.ESTABLISHED);
          }
        }
        if (fin) {
          setZeekState(ep, ZeekState.CLOSED);
          this.doClose = true;
        }
        if (rst) {
          setZeekState(ep, ZeekState.RESET);
          this.doClose = true;
        }
        if (ep.zeekState === ZeekState.INACTIVE) {
          // No control flags changed the state.
          if (!isOrig && len === 0 && this.orig.zeekState === ZeekState.SYN_SENT) {
            // Some stacks ACK a SYN before answering it: not a partial connection.
          } else if (hasAck && peer.zeekState === ZeekState.ESTABLISHED) {
            // SYN+ACK seen from the peer and now a pure ACK: the SYN was missed; establish.
            setZeekState(ep, ZeekState.ESTABLISHED);
            this.isPartial = false;
            this.firstSeen |= isOrig ? SEEN_ORIG : SEEN_RESP;
          } else {
            setZeekState(ep, ZeekState.PARTIAL);
          }
        }
        break;
      case ZeekState.SYN_SENT:
      case ZeekState.SYN_ACK_SENT:
        if (fin) {
          setZeekState(ep, ZeekState.CLOSED);
          this.doClose = true;
        }
        if (rst) {
          setZeekState(ep, ZeekState.RESET);
          this.doClose = true;
        }
        break;
      case ZeekState.ESTABLISHED:
      case ZeekState.PARTIAL:
        if (syn && ep.zeekState === ZeekState.PARTIAL && peer.zeekState === ZeekState.INACTIVE && !hasAck) {
          setZeekState(ep, ZeekState.SYN_SENT); // SYN_after_partial
        }
        if (fin && !rst) {
          setZeekState(ep, ZeekState.CLOSED);
          // The peer sent FIN then RST: that was a normal termination after all.
          if (peer.zeekState === ZeekState.RESET && peer.zeekPrevState === ZeekState.CLOSED) {
            setZeekState(peer, ZeekState.CLOSED);
          }
          this.doClose = true;
        }
        if (rst) {
          setZeekState(ep, ZeekState.RESET);
          this.doClose = true;
        }
        break;
      case ZeekState.CLOSED:
        // A RST after our FIN changes nothing once the peer has closed too (the FIN exchange already happened).
        if (rst && peer.zeekState !== ZeekState.CLOSED) {
          setZeekState(ep, ZeekState.RESET);
          if (!ep.didClose) this.doClose = true;
        }
        break;
      default:
        break; // RESET: nothing changes
    }
  }

  /** Zeek's ConnectionClosed (without data-pending deferral). */
  private connectionClosed(ep: TcpEnd, peer: TcpEnd): void {
    if (ep.didClose) return;
    ep.didClose = true;
    const complete =
      ep.zeekState === ZeekState.RESET || peer.didClose || peer.zeekState === ZeekState.INACTIVE;
    if (complete) {
      if (!this.closeCompleteFlag) {
        this.closeCompleteFlag = true;
        this.events |= ep.zeekState === ZeekState.RESET ? TcpEvent.CLOSED | TcpEvent.RESET : TcpEvent.CLOSED;
      }
    } else {
      this.events |= TcpEvent.HALF_CLOSED;
    }
  }

  // ── Zeek reassembler model (missed_bytes, `g`) ─────────────────────────────────────────────────────────────────

  /**
   * TCP_Reassembler::DataSent + Reassembler::NewBlock, keeping only positions (no payload). In the block code below,
   * every `!` index is below 2 * nBlocks <= blocks.length (MAX_BLOCKS pairs).
   */
  private dataSent(e: TcpEnd, seq: number, len: number): void {
    const ack = e.relative(e.ackSeq, e.ackWraps);
    let upper = seq + len;
    if (seq < ack) {
      if (upper <= ack) return; // already delivered and acknowledged
      seq = ack;
    }
    if (upper <= e.trimSeq) return;
    if (seq < e.trimSeq) seq = e.trimSeq;
    if (seq <= e.reassemSeq) {
      if (upper > e.reassemSeq) {
        e.reassemSeq = upper;
        this.absorbBlocks(e);
      }
      return;
    }
    // Out of order: remember [seq, upper) until the hole fills or is acknowledged.
    let b = e.blocks;
    if (b === null) {
      b = new Float64Array(MAX_BLOCKS * 2);
      e.blocks = b;
    }
    let n = e.nBlocks;
    let i = 0;
    while (i < n && b[2 * i + 1]! < seq) i++; // first block that ends at/after seq
    let j = i;
    let lo = seq;
    while (j < n && b[2 * j]! <= upper) {
      if (b[2 * j]! < lo) lo = b[2 * j]!;
      if (b[2 * j + 1]! > upper) upper = b[2 * j + 1]!;
      j++;
    }
    const merged = j - i;
    if (merged === 0) {
      if (n === MAX_BLOCKS) {
        // Full: coalesce with the neighbour below (or above); the hole between counts as seen.
        if (i > 0) {
          if (upper > b[2 * i - 1]!) b[2 * i - 1] = upper;
        } else if (b[0]! > lo) b[0] = lo;
        return;
      }
      for (let k = n; k > i; k--) {
        b[2 * k] = b[2 * k - 2]!;
        b[2 * k + 1] = b[2 * k - 1]!;
      }
      b[2 * i] = lo;
      b[2 * i + 1] = upper;
      e.nBlocks = n + 1;
      return;
    }
    b[2 * i] = lo;
    b[2 * i + 1] = upper;
    const shift = merged - 1;
    if (shift > 0) {
      for (let k = j; k < n; k++) {
        b[2 * (k - shift)] = b[2 * k]!;
        b[2 * (k - shift) + 1] = b[2 * k + 1]!;
      }
      n -= shift;
      e.nBlocks = n;
    }
  }

  /** Delivers pending blocks that now touch the in-order position. */
  private absorbBlocks(e: TcpEnd): void {
    const b = e.blocks;
    if (b === null) return;
    let n = e.nBlocks;
    let k = 0;
    while (k < n && b[2 * k]! <= e.reassemSeq) {
      if (b[2 * k + 1]! > e.reassemSeq) e.reassemSeq = asSmallInteger(b[2 * k + 1]!);
      k++;
    }
    if (k > 0) {
      for (let m = k; m < n; m++) {
        b[2 * (m - k)] = b[2 * m]!;
        b[2 * (m - k) + 1] = b[2 * m + 1]!;
      }
      n -= k;
      e.nBlocks = n;
    }
  }

  /** TCP_Reassembler::AckReceived: the peer acknowledged `relAck` of this end's stream. */
  private ackReceived(e: TcpEnd, relAck: number): void {
    let seq = relAck;
    if (e.finCnt > 0 && seq >= e.finSeq) seq = e.finSeq - 1;
    if (seq <= e.trimSeq) return;
    if (seq > e.reassemSeq) this.undelivered(e, seq);
    e.trimSeq = seq;
    // Blocks wholly below the trim point were delivered by undelivered(); nothing else to drop.
  }

  /** TCP_Reassembler::Undelivered: everything below `upTo` that was never seen is a content gap. */
  private undelivered(e: TcpEnd, upTo: number): void {
    if (upTo <= 2 && this.isPartial) return; // Zeek: a partial connection's first ack is no gap
    const b = e.blocks;
    if (b !== null) {
      let n = e.nBlocks;
      while (n > 0 && b[0]! < upTo) {
        const bs = asSmallInteger(b[0]!);
        if (bs > e.reassemSeq) this.gap(e, bs - e.reassemSeq);
        if (b[1]! > e.reassemSeq) e.reassemSeq = asSmallInteger(b[1]!);
        for (let m = 1; m < n; m++) {
          b[2 * (m - 1)] = b[2 * m]!;
          b[2 * (m - 1) + 1] = b[2 * m + 1]!;
        }
        n--;
      }
      e.nBlocks = n;
    }
    if (upTo > e.reassemSeq) {
      this.gap(e, upTo - e.reassemSeq);
      e.reassemSeq = upTo;
    }
  }

  /** TCP_Reassembler::Gap: counted (missed_bytes, `G`) only while both ends are established or cleanly closing. */
  private gap(e: TcpEnd, lenBytes: number): void {
    if (isClean(e) && isClean(e.peer)) {
      scaledEntry(this, e, Scaled.GAP);
      e.missedBytes += lenBytes;
    }
  }

  // ── Wireshark tcp.analysis ─────────────────────────────────────────────────────────────────────────────────────

  // ── Results ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Zeek history letters, e.g. `ShADadFf` (builds the string on demand; cached until the next letter). */
  history(): string {
    return this.toString();
  }

  /** Zeek conn_state from the two ends' Zeek states and the history. */
  connState(): string {
    const o = this.orig.zeekState;
    const r = this.resp.zeekState;
    // The sizes only matter when both ends reset (and computing them is not free: records are built often).
    const sized = o === ZeekState.RESET && r === ZeekState.RESET;
    return connState(o, r, this.toString(), sized ? this.orig.seqBytes : 0, sized ? this.resp.seqBytes : 0);
  }

  /** Zeek missed_bytes: content gaps of both directions, bytes. */
  get missedBytes(): number {
    return this.orig.missedBytes + this.resp.missedBytes;
  }

  /** SYN -> SYN+ACK time in seconds, or null when the pair was not seen. */
  get rttSynSec(): number | null {
    return this.rttSyn >= 0 ? this.rttSyn : null;
  }

  /** SYN+ACK -> ACK time in seconds, or null when not seen. */
  get rttAckSec(): number | null {
    return this.rttAck >= 0 ? this.rttAck : null;
  }

  /**
   * Zeek's LastTime: capture time of the last packet that counted as activity. Packets that arrive after both ends
   * closed (e.g. the last ACK of a FIN exchange) do not extend it, so Zeek's duration ends earlier than tshark's.
   */
  lastActivitySec(fallbackSec = 0): number {
    return this.anySeen ? this.lastTimeSec : fallbackSec;
  }

  /** True once both ends are done (the CLOSED event was reported). */
  get closeComplete(): boolean {
    return this.closeCompleteFlag;
  }

  /**
   * Zeek's AttemptTimer condition (`tcp_attempt_delay`, 5 s after the first SYN): the originator is still in
   * SYN_SENT/SYN_ACK_SENT and the responder has sent nothing. When this holds at the timer, Zeek ends the connection.
   */
  attemptPending(): boolean {
    const o = this.orig.zeekState;
    return (
      (o === ZeekState.SYN_SENT || o === ZeekState.SYN_ACK_SENT) && this.resp.zeekState === ZeekState.INACTIVE
    );
  }

  /** Capture time of the originator's first SYN (when Zeek's attempt timer starts), or -1. */
  get attemptStartSec(): number {
    return this.attemptSynSec;
  }

  /**
   * True when Zeek's attempt timer has fired by `nowSec` with the attempt unanswered: Zeek then removes the
   * connection (event connection_attempt), so a later packet on the tuple (a retransmitted SYN, or the rest of a
   * half-duplex capture) starts a new connection. `delaySec`: Zeek's tcp_attempt_delay. Check before `update()`.
   */
  attemptExpired(nowSec: number, delaySec = TCP_ATTEMPT_DELAY_SEC): boolean {
    // attemptPending() first: it reads the two ends, which the segment's update() needs next anyway, and is false for
    // almost every connection, so the timer field is rarely read.
    return this.attemptPending() && this.attemptSynSec >= 0 && nowSec >= this.attemptSynSec + delaySec;
  }

  /** Summary of the originator's (`isOrig`) or responder's end for records (allocates). */
  endSummary(isOrig: boolean): TcpEndSummary {
    const e = isOrig ? this.orig : this.resp;
    return {
      seqBytes: e.seqBytes,
      retransmissions: e.retransmissions,
      outOfOrder: e.outOfOrder,
      dupAcks: e.dupAcks,
      zeroWindows: e.zeroWindows,
      keepAlives: e.keepAlives,
      state: e.stateName,
      stateInferred: e.stateInferred,
      transitions: e.transitions(),
      options: e.options(),
      zeekState: e.zeekStateName,
      missedBytes: e.missedBytes,
    };
  }

  /** Netstat states of both ends as `[orig, resp]` names (allocates; for display). */
  stateNames(): [string, string] {
    return [this.orig.stateName, this.resp.stateName];
  }
}

