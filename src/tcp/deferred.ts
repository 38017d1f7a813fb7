/**
 * The small tier of TCP state: the first segments of a connection, kept as they arrived instead of a tracker.
 *
 * Most TCP flows of a SYN flood, a port scan or a burst of short connections end after one or two segments. A full
 * {@link TcpConnection} (Zeek's endpoint machine and history, both netstat states, Wireshark's analysis, RTTs, options:
 * four objects and some 1.5 KB) for each of them is what made such captures slow and large. A connection starts with a
 * {@link SegmentLog} instead: the fields of its first {@link LOG_CAPACITY} segments, in one small object. Whatever the
 * tracker would know of the connection is had by replaying those segments through a tracker kept for the purpose
 * ({@link replay}); a connection moves to a tracker of its own (the one its segments were just replayed into) when a
 * segment no longer fits the log. There is one TCP logic, the tracker's: the log only defers it, so records are the
 * same whichever tier a connection reached (test/tcp/deferred.test.ts runs the corpus both ways).
 */
import { TcpConnection } from './connection.js';
import type { TcpSegmentView } from './segment.js';

/** Segments a log holds; the next one moves the connection to a tracker of its own. */
export const LOG_CAPACITY = 2;

/** A TcpSegmentView whose fields are set from a log (the replay's segment). */
class StoredSegment implements TcpSegmentView {
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  payloadLen = 0;
  payloadCaptured = 0;
  optMss = -1;
  optWscale = -1;
  optSackPerm = 0;
  optSack = 0;
  optTs = 0;
  tsVal = 0;
  tsEcr = 0;
}

/**
 * The first segments of one connection (at most LOG_CAPACITY) with the direction and capture time of each, and what
 * the flow table asks of every unanswered attempt without a replay. Sequence numbers and timestamp values are stored
 * as int32 (`| 0`) so that they stay small integers inside the object (see TcpEnd).
 */
export class SegmentLog {
  /** Segments held. */
  n = 0;
  /** The connection's roles were flipped before its first segment (the demultiplexer's initial flip). */
  flipped = false;
  /** After the last segment: the tracker's attemptPending(), and the time of the originator's first SYN (or -1). */
  attemptPending = false;
  attemptSynSec = -1;
  // Segment 0.
  ts0 = Number.NaN;
  fromOrig0 = false;
  flags0 = 0;
  seq0 = 0;
  ack0 = 0;
  window0 = 0;
  len0 = 0;
  captured0 = 0;
  mss0 = -1;
  wscale0 = -1;
  sackPerm0 = 0;
  sack0 = 0;
  tsOpt0 = 0;
  tsVal0 = 0;
  tsEcr0 = 0;
  // Segment 1.
  ts1 = Number.NaN;
  fromOrig1 = false;
  flags1 = 0;
  seq1 = 0;
  ack1 = 0;
  window1 = 0;
  len1 = 0;
  captured1 = 0;
  mss1 = -1;
  wscale1 = -1;
  sackPerm1 = 0;
  sack1 = 0;
  tsOpt1 = 0;
  tsVal1 = 0;
  tsEcr1 = 0;

  /** Empties the log for reuse. */
  reset(): void {
    this.n = 0;
    this.flipped = false;
    this.attemptPending = false;
    this.attemptSynSec = -1;
  }

  /** Appends segment `s` (n < LOG_CAPACITY). */
  append(s: TcpSegmentView, fromOrig: boolean, tsSec: number): void {
    if (this.n === 0) {
      this.ts0 = tsSec;
      this.fromOrig0 = fromOrig;
      this.flags0 = s.tcpFlags;
      this.seq0 = s.seq | 0;
      this.ack0 = s.ack | 0;
      this.window0 = s.window;
      this.len0 = s.payloadLen;
      this.captured0 = s.payloadCaptured;
      this.mss0 = s.optMss;
      this.wscale0 = s.optWscale;
      this.sackPerm0 = s.optSackPerm;
      this.sack0 = s.optSack;
      this.tsOpt0 = s.optTs;
      this.tsVal0 = s.tsVal | 0;
      this.tsEcr0 = s.tsEcr | 0;
    } else {
      this.ts1 = tsSec;
      this.fromOrig1 = fromOrig;
      this.flags1 = s.tcpFlags;
      this.seq1 = s.seq | 0;
      this.ack1 = s.ack | 0;
      this.window1 = s.window;
      this.len1 = s.payloadLen;
      this.captured1 = s.payloadCaptured;
      this.mss1 = s.optMss;
      this.wscale1 = s.optWscale;
      this.sackPerm1 = s.optSackPerm;
      this.sack1 = s.optSack;
      this.tsOpt1 = s.optTs;
      this.tsVal1 = s.tsVal | 0;
      this.tsEcr1 = s.tsEcr | 0;
    }
    this.n++;
  }

  /** Notes what the flow table asks of an unanswered attempt, from the tracker that has seen every segment. */
  noteAttempt(t: TcpConnection): void {
    this.attemptPending = t.attemptPending();
    this.attemptSynSec = t.attemptStartSec;
  }

  /** Zeek's attempt timer has fired by `nowSec` (TcpConnection.attemptExpired, from the noted facts). */
  attemptExpired(nowSec: number, delaySec: number): boolean {
    return this.attemptPending && this.attemptSynSec >= 0 && nowSec >= this.attemptSynSec + delaySec;
  }
}

const segment = new StoredSegment();

function load(log: SegmentLog, i: number): void {
  const s = segment;
  if (i === 0) {
    s.tcpFlags = log.flags0;
    s.seq = log.seq0 >>> 0;
    s.ack = log.ack0 >>> 0;
    s.window = log.window0;
    s.payloadLen = log.len0;
    s.payloadCaptured = log.captured0;
    s.optMss = log.mss0;
    s.optWscale = log.wscale0;
    s.optSackPerm = log.sackPerm0;
    s.optSack = log.sack0;
    s.optTs = log.tsOpt0;
    s.tsVal = log.tsVal0 >>> 0;
    s.tsEcr = log.tsEcr0 >>> 0;
  } else {
    s.tcpFlags = log.flags1;
    s.seq = log.seq1 >>> 0;
    s.ack = log.ack1 >>> 0;
    s.window = log.window1;
    s.payloadLen = log.len1;
    s.payloadCaptured = log.captured1;
    s.optMss = log.mss1;
    s.optWscale = log.wscale1;
    s.optSackPerm = log.sackPerm1;
    s.optSack = log.sack1;
    s.optTs = log.tsOpt1;
    s.tsVal = log.tsVal1 >>> 0;
    s.tsEcr = log.tsEcr1 >>> 0;
  }
}

/**
 * Resets tracker `t` and feeds it the logged segments, as the connection's own tracker was fed them: `t` then holds
 * exactly the state that tracker would. Returns `t`.
 */
export function replay(log: SegmentLog, t: TcpConnection): TcpConnection {
  t.reset();
  if (log.flipped) t.markFlipped();
  if (log.n > 0) {
    load(log, 0);
    t.update(segment, log.fromOrig0, log.ts0);
  }
  if (log.n > 1) {
    load(log, 1);
    t.update(segment, log.fromOrig1, log.ts1);
  }
  return t;
}

/** The tracker records of logged connections are built from (one at a time, single-threaded). */
const recordTracker = new TcpConnection();

/**
 * What the tracker of a connection in the log tier would hold, for building its record: valid until the next call
 * (read it at once, keep nothing of it).
 */
export function replayForRecord(log: SegmentLog): TcpConnection {
  return replay(log, recordTracker);
}
