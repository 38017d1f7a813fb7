/**
 * Wireshark's TCP analysis (`tcp.analysis.*` in epan/dissectors/packet-tcp.c, `tcp_analyze_sequence_number`, Wireshark
 * 4.0): retransmissions (fast and spurious ones too), out-of-order segments, duplicate ACKs, zero windows and probes,
 * keep-alives and lost segments, counted on each end. Plain functions over the ends' state (TcpEnd's `ws*` fields and
 * rare counters); the tracker calls analyzeSegment once per segment, after Zeek's and the netstat bookkeeping.
 */
import type { TcpEnd } from './end.js';
import type { TcpSegmentView } from './segment.js';
import { seqGt, seqLeq, seqLt } from './seq.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
/** Wireshark's fast-retransmission window after the last duplicate ACK, seconds. */
const FAST_RETRANSMIT_WINDOW_SEC = 0.02;
/** Wireshark's default out-of-order threshold when no handshake RTT is known, seconds. */
const DEFAULT_OOO_THRESHOLD_SEC = 0.003;

/**
 * Wireshark's out-of-order threshold: its initial RTT (`irttSec`, SYN -> first ACK) once measured (non-zero), else
 * 3 ms; seconds. A negative RTT (capture time stepped back) is a huge unsigned threshold in packet-tcp.c.
 */
export function outOfOrderThresholdSec(irttSec: number): number {
  if (irttSec === 0) return DEFAULT_OOO_THRESHOLD_SEC;
  return irttSec > 0 ? irttSec : Infinity;
}

/**
 * tcp_analyze_sequence_number (packet-tcp.c): flags segment `seg` from end `fwd` (its peer `rev`) and updates the
 * direction's state. `oooThresholdSec`: the out-of-order threshold (outOfOrderThresholdSec).
 */
export function analyzeSegment(fwd: TcpEnd, rev: TcpEnd, seg: TcpSegmentView, tsSec: number, oooThresholdSec: number): void {
  const flags = seg.tcpFlags;
  const seq = seg.seq >>> 0;
  const ack = seg.ack >>> 0;
  const win = seg.window;
  const seglen = seg.payloadLen;
  const ctl = flags & (SYN | FIN | RST);
  const synFin = flags & (SYN | FIN) ? 1 : 0;
  let zeroWindowProbe = false;
  let keepAlive = false;
  // ZERO WINDOW PROBE: one byte at the next expected sequence number while the peer's window is zero.
  if (seglen === 1 && fwd.wsHasNext && seq === fwd.wsNext && rev.wsWindow === 0) {
    zeroWindowProbe = true;
    fwd.zeroWindowProbes++;
  } else {
    // ZERO WINDOW: the sender advertises no room (SYN/FIN/RST excluded).
    if (win === 0 && ctl === 0) fwd.zeroWindows++;
    // PREVIOUS SEGMENT NOT CAPTURED: the sequence number jumps past the next expected one.
    if (fwd.wsHasNext && seqGt(seq, fwd.wsNext) && (flags & RST) === 0) fwd.lostSegments++;
    // KEEP ALIVE: 0 or 1 byte, one byte before the next expected sequence number.
    if (seglen <= 1 && ctl === 0 && fwd.wsHasNext && seq === ((fwd.wsNext - 1) >>> 0)) {
      keepAlive = true;
      fwd.keepAlives++;
    }
    // Same window, seq and ack as this end's previous segment, and nothing else.
    const sameAck =
      seglen === 0 &&
      win === fwd.wsWindow &&
      fwd.wsHasNext &&
      seq === fwd.wsNext &&
      fwd.wsAckSeen &&
      ack === fwd.wsLastAck &&
      ctl === 0;
    // KEEP ALIVE ACK: the answer to the peer's keep-alive repeats our last ACK; it is not a duplicate ACK.
    const keepAliveAck = sameAck && rev.wsLastKeepAlive;
    // DUPLICATE ACK: no data, same (non-zero) window, seq at the next expected, same ack as before.
    if (sameAck && win !== 0 && !keepAlive && !keepAliveAck) {
      fwd.wsDupAckNum++;
      fwd.dupAcks++;
    }
    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS: data (or SYN/FIN) that does not advance. The
    // order is packet-tcp.c's (Wireshark 4.0): spurious, fast, out-of-order, plain (a fast retransmission starts at
    // the peer's ACK, a spurious one ends at or below it: they exclude each other).
    if (!keepAlive && (seglen > 0 || synFin)) {
      // Not advanced: below the next expected sequence number, except more than one byte starting one byte below
      // it (after a zero-window probe, say), which adds new data.
      const notAdvanced =
        fwd.wsHasNext && seqLt(seq, fwd.wsNext) && (seglen <= 1 || seq !== ((fwd.wsNext - 1) >>> 0));
      if (seglen > 0 && rev.wsAckSeen && seqLeq((seq + seglen) >>> 0, rev.wsLastAck)) {
        fwd.spuriousRetransmissions++;
        fwd.retransmissions++;
      } else if (
        notAdvanced &&
        rev.wsDupAckNum >= 2 &&
        rev.wsLastAck === seq &&
        tsSec - rev.wsLastAckTimeSec < FAST_RETRANSMIT_WINDOW_SEC
      ) {
        fwd.fastRetransmissions++;
        fwd.retransmissions++;
      } else if (
        notAdvanced &&
        tsSec - fwd.wsNextTimeSec < oooThresholdSec &&
        fwd.wsNext !== ((seq + seglen + synFin) >>> 0)
      ) {
        fwd.outOfOrder++;
      } else if (notAdvanced) {
        fwd.retransmissions++;
      }
    }
  }
  // The highest sequence number seen so far (zero-window probes do not advance it).
  const next = (seq + seglen + synFin) >>> 0;
  if ((!fwd.wsHasNext || seqGt(next, fwd.wsNext)) && !zeroWindowProbe) {
    fwd.wsNext = next;
    fwd.wsNextTimeSec = tsSec;
    fwd.wsHasNext = true;
  }
  fwd.wsWindow = win;
  // The duplicate-ACK count restarts when this end's ACK number changes (packet-tcp.c, finished_fwd), not at every
  // segment that is no duplicate ACK: data from the end sending duplicate ACKs keeps it, so a fast retransmission
  // can follow. A segment without ACK restarts it too.
  if (flags & ACK) {
    if (ack !== fwd.wsLastAck) fwd.wsDupAckNum = 0;
    fwd.wsAckSeen = true;
    fwd.wsLastAck = ack;
    fwd.wsLastAckTimeSec = tsSec;
  } else {
    fwd.wsDupAckNum = 0;
  }
  fwd.wsLastKeepAlive = keepAlive;
}
