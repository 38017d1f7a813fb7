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

/**
 * Whether new connections start in the log tier, and whether lone SYNs take the LoneSyn shortcut (both on; off only
 * in tests, which demand the same records either way: test/tcp/deferred.test.ts).
 */
export const tiers = { log: true, loneSyn: true };
export function useTiers(on: { log: boolean; loneSyn: boolean }): void {
  tiers.log = on.log;
  tiers.loneSyn = on.loneSyn;
}

/** A TcpSegmentView whose fields are set from a logged segment (the replay's segment). */
class ReplayedSegment implements TcpSegmentView {
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
 * One logged segment: the fields of a TcpSegmentView the tracker reads, its direction and capture time. Sequence
 * numbers and timestamp values are stored as int32 (`| 0`) so that they stay small integers inside the object (see
 * TcpEnd); `load` gives them back unsigned.
 */
class LoggedSegment {
  ts = Number.NaN;
  fromOrig = false;
  flags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  len = 0;
  captured = 0;
  mss = -1;
  wscale = -1;
  sackPerm = 0;
  sack = 0;
  tsOpt = 0;
  tsVal = 0;
  tsEcr = 0;
  /** The next segment of the log (kept, emptied, when the log is reused). */
  next: LoggedSegment | null = null;

  /** Stores segment `s`, sent by the originator when `fromOrig`, captured at `tsSec`. */
  store(s: TcpSegmentView, fromOrig: boolean, tsSec: number): void {
    this.ts = tsSec;
    this.fromOrig = fromOrig;
    this.flags = s.tcpFlags;
    this.seq = s.seq | 0;
    this.ack = s.ack | 0;
    this.window = s.window;
    this.len = s.payloadLen;
    this.captured = s.payloadCaptured;
    this.mss = s.optMss;
    this.wscale = s.optWscale;
    this.sackPerm = s.optSackPerm;
    this.sack = s.optSack;
    this.tsOpt = s.optTs;
    this.tsVal = s.tsVal | 0;
    this.tsEcr = s.tsEcr | 0;
  }

  /** Sets `into` to this segment as it arrived. */
  load(into: ReplayedSegment): void {
    into.tcpFlags = this.flags;
    into.seq = this.seq >>> 0;
    into.ack = this.ack >>> 0;
    into.window = this.window;
    into.payloadLen = this.len;
    into.payloadCaptured = this.captured;
    into.optMss = this.mss;
    into.optWscale = this.wscale;
    into.optSackPerm = this.sackPerm;
    into.optSack = this.sack;
    into.optTs = this.tsOpt;
    into.tsVal = this.tsVal >>> 0;
    into.tsEcr = this.tsEcr >>> 0;
  }
}

/**
 * The first segments of one connection (at most LOG_CAPACITY): the first in the log object itself, the next ones
 * linked after it; and what the flow table asks of every unanswered attempt without a replay.
 */
export class SegmentLog extends LoggedSegment {
  /** Segments held. */
  n = 0;
  /** The connection's roles were flipped before its first segment (the demultiplexer's initial flip). */
  flipped = false;
  /** After the last segment: the tracker's attemptPending(), and the time of the originator's first SYN (or -1). */
  attemptPending = false;
  attemptSynSec = -1;
  /**
   * What the shortcuts made of the log, when they took it: the lone SYN's signature (logLoneSyn), and the SYN and
   * answer's (logSynAnswer), so that its line finds them without working out the signatures again.
   */
  loneSyn: LoneSyn | null = null;
  answer: SynAnswer | null = null;

  /** Empties the log for reuse (its linked segment objects are kept for the next connection). */
  reset(): void {
    this.n = 0;
    this.flipped = false;
    this.attemptPending = false;
    this.attemptSynSec = -1;
    this.loneSyn = null;
    this.answer = null;
  }

  /** Appends segment `s` (n < LOG_CAPACITY). */
  append(s: TcpSegmentView, fromOrig: boolean, tsSec: number): void {
    let at: LoggedSegment = this;
    for (let i = 0; i < this.n; i++) at = at.next ?? (at.next = new LoggedSegment());
    at.store(s, fromOrig, tsSec);
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

const segment = new ReplayedSegment();

/**
 * Resets tracker `t` and feeds it the logged segments, as the connection's own tracker was fed them: `t` then holds
 * exactly the state that tracker would. Returns `t`.
 */
export function replay(log: SegmentLog, t: TcpConnection): TcpConnection {
  t.reset();
  if (log.flipped) t.markFlipped();
  let at: LoggedSegment | null = log;
  for (let i = 0; i < log.n && at !== null; i++, at = at.next) {
    at.load(segment);
    t.update(segment, at.fromOrig, at.ts);
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

/**
 * What one lone SYN makes of a new connection, the same for every SYN of its signature (synSignature): a tracker that
 * replayed it, the events it gave, and what the flow table asks of the attempt after it. A SYN flood's connections
 * all start so, and a flow's first segment and its record line then need no replay of their own.
 */
class LoneSyn {
  readonly tracker = new TcpConnection();
  events = 0;
  attemptPending = false;
  /** Whether the attempt timer started at the SYN (attemptStartSec is its time), else it did not start (-1). */
  attemptAtSyn = false;
  /** What the answers seen after SYNs of this signature make of a connection, by answerSignature (bounded: see ANSWERS_MAX). */
  readonly answers = new Map<number, SynAnswer>();
}

/**
 * What a lone SYN of one signature and one answer of one signature (answerSignature: a port scan's RST+ACK from a
 * closed port, or the originator's RST) make of a connection: a tracker that replayed the two, the second's events,
 * what the flow table asks of the attempt after it, and which of the two was its last activity. Like LoneSyn, the same
 * for every connection of the pair of signatures; never changed once made.
 */
class SynAnswer {
  readonly tracker: TcpConnection;
  readonly events: number;
  readonly attemptPending: boolean;
  readonly attemptAtSyn: boolean;
  /** Whether tracker.lastActivitySec() is the answer's time (else the SYN's). */
  readonly lastAtAnswer: boolean;
  constructor(tracker: TcpConnection, events: number, attemptAtSyn: boolean, lastAtAnswer: boolean) {
    this.tracker = tracker;
    this.events = events;
    this.attemptPending = tracker.attemptPending();
    this.attemptAtSyn = attemptAtSyn;
    this.lastAtAnswer = lastAtAnswer;
  }

  /** The last activity's time of a connection whose log is a SYN and answer of these signatures. */
  lastActivitySec(log: SegmentLog): number {
    return this.lastAtAnswer ? log.next!.ts : log.ts; // the log holds two segments
  }
}
/**
 * Answers kept per SYN signature, and in all: each holds a tracker (some 2 KB), outside the flow table's budget, so
 * the total stays small (about 4 MB) whatever the traffic varies (a window per RST). Past either bound, answers of
 * new signatures are replayed as any log is.
 */
const ANSWERS_MAX = 64;
const ANSWERS_TOTAL_MAX = 2048;
let answersHeld = 0;

/** LoneSyn by signature. Bounded: once full, a SYN of a new signature is replayed as any log is. */
const loneSyns = new Map<number, LoneSyn>();
const LONE_SYNS_MAX = 1024;
const TCP_SYN = 0x02;

/**
 * The signature of a first segment that is a SYN without ACK, payload, acknowledgement number or timestamp echo: its
 * direction, the connection's initial flip, its window and its SYN options, packed in a safe integer; -1 for any other
 * segment. Left out are exactly what does not change what the tracker makes of a lone SYN but for its times and
 * sequence space: its sequence number, timestamp value and capture time.
 */
function synSignature(
  flags: number, len: number, captured: number, ack: number, tsEcr: number, window: number, mss: number, wscale: number,
  sackPerm: number, sack: number, tsOpt: number, fromOrig: boolean, flipped: boolean,
): number {
  if (flags !== TCP_SYN || len !== 0 || captured !== 0 || ack !== 0 || tsEcr !== 0) return -1;
  const bits = (fromOrig ? 1 : 0) | (flipped ? 2 : 0) | (sackPerm !== 0 ? 4 : 0) | (sack !== 0 ? 8 : 0) | (tsOpt !== 0 ? 16 : 0);
  // window 16 bits, mss + 1 17 bits, wscale + 1 9 bits, bits 5: 47 bits.
  return ((window * 131072 + (mss + 1)) * 512 + (wscale + 1)) * 32 + bits;
}

/** The LoneSyn of signature `sig` (>= 0), made from segment `s` on first sight; null when the table is full. */
function loneSyn(sig: number, s: TcpSegmentView, fromOrig: boolean, flipped: boolean, tsSec: number): LoneSyn | null {
  let m = loneSyns.get(sig);
  if (m === undefined) {
    if (loneSyns.size >= LONE_SYNS_MAX) return null;
    m = new LoneSyn();
    if (flipped) m.tracker.markFlipped();
    m.events = m.tracker.update(s, fromOrig, tsSec);
    m.attemptPending = m.tracker.attemptPending();
    m.attemptAtSyn = m.tracker.attemptStartSec === tsSec;
    if (!m.attemptAtSyn && m.tracker.attemptStartSec !== -1) return null; // not a shape this shortcut knows
    loneSyns.set(sig, m);
  }
  return m;
}

/**
 * The first segment `s` of a connection whose log is empty, when it is a lone SYN of a known signature: logs it, notes
 * the attempt, and returns the tracker's events, as updateLogged would after a replay; -1 otherwise (nothing done).
 */
export function logLoneSyn(log: SegmentLog, s: TcpSegmentView, fromOrig: boolean, tsSec: number): number {
  const sig = synSignature(s.tcpFlags, s.payloadLen, s.payloadCaptured, s.ack, s.tsEcr, s.window, s.optMss, s.optWscale,
    s.optSackPerm, s.optSack, s.optTs, fromOrig, log.flipped);
  if (sig < 0 || !tiers.loneSyn) return -1;
  const m = loneSyn(sig, s, fromOrig, log.flipped, tsSec);
  if (m === null) return -1;
  log.append(s, fromOrig, tsSec);
  log.attemptPending = m.attemptPending;
  log.attemptSynSec = m.attemptAtSyn ? tsSec : -1;
  log.loneSyn = m;
  return m.events;
}

/**
 * For writing the line of a connection in the log tier (sink/flow-json.ts; other logs are replayed, replayForRecord):
 * the tracker of the signatures the shortcuts took it by, when they did (a lone SYN, logLoneSyn; a lone SYN and its
 * answer, logSynAnswer). It holds what replayForRecord(log) would as far as the line reads it (states, history,
 * conn_state, options, analysis counters, RTTs), but not its times or sequence space (see lastActivityOfLog; the line
 * writes no byte counts that differ for a connection without payload). It never changes after it is made, and is the
 * same object for every line of those signatures: a writer may keep what it wrote from it. Null for any other log.
 */
export function sharedTracker(log: SegmentLog): TcpConnection | null {
  if (!tiers.loneSyn) return null;
  if (log.n === 1) return log.loneSyn === null ? null : log.loneSyn.tracker;
  if (log.n === 2) return log.answer === null ? null : log.answer.tracker;
  return null;
}

/**
 * The time a connection in the log tier was last active, whose tracker as the line reads it is `t` (sharedTracker's, or
 * the replay's): its one segment's time, a SYN and answer's by their signatures, else the tracker's (`fallbackSec` when
 * it saw nothing).
 */
export function lastActivityOfLog(log: SegmentLog, t: TcpConnection, fallbackSec: number): number {
  if (log.n === 1) return log.ts;
  if (log.n === 2 && log.answer !== null && t === log.answer.tracker) return log.answer.lastActivitySec(log);
  return t.lastActivitySec(fallbackSec);
}

/**
 * The signature of a connection's second segment `s` after a lone SYN logged in `log`: one without SYN, payload or
 * options whose acknowledgement number is 0 or acknowledges the SYN and whose sequence number is 0 or the SYN's next,
 * captured no earlier than the SYN; its flags, direction (as the SYN's or not), window and those two relations, packed
 * in a safe integer; -1 for any other segment. Left out, as for the SYN, are its absolute sequence space and times.
 */
function answerSignature(log: SegmentLog, s: TcpSegmentView, fromOrig: boolean, tsSec: number): number {
  if ((s.tcpFlags & TCP_SYN) !== 0 || s.payloadLen !== 0 || s.payloadCaptured !== 0 || s.optMss !== -1 || s.optWscale !== -1 ||
      s.optSackPerm !== 0 || s.optSack !== 0 || s.optTs !== 0 || !(tsSec >= log.ts)) {
    return -1;
  }
  const next = (log.seq + 1) | 0;
  const ack = s.ack | 0, seq = s.seq | 0;
  const ackRel = ack === 0 ? 0 : ack === next ? 1 : -1;
  const seqRel = seq === 0 ? 0 : seq === next ? 1 : -1;
  if (ackRel < 0 || seqRel < 0) return -1;
  // flags 12 bits, window 16 bits, then 3 bits.
  return ((s.tcpFlags & 0xfff) * 65536 + s.window) * 8 + (fromOrig === log.fromOrig ? 4 : 0) + ackRel * 2 + seqRel;
}

/**
 * The second segment `s` of a connection whose log holds one lone SYN of a known signature, when it is an answer
 * answerSignature knows or can learn: logs it, notes the attempt, and returns the tracker's events, as updateLogged
 * would after a replay; -1 otherwise (nothing done).
 */
export function logSynAnswer(log: SegmentLog, s: TcpSegmentView, fromOrig: boolean, tsSec: number): number {
  const syn = log.n === 1 && tiers.loneSyn ? log.loneSyn : null; // the shortcut took the SYN
  if (syn === null) return -1;
  const sig = answerSignature(log, s, fromOrig, tsSec);
  if (sig < 0) return -1;
  let a = syn.answers.get(sig);
  if (a === undefined) {
    if (syn.answers.size >= ANSWERS_MAX || answersHeld >= ANSWERS_TOTAL_MAX) return -1;
    const t = replay(log, answerTracker);
    const events = t.update(s, fromOrig, tsSec);
    const learned = answerOf(log, t, events, tsSec);
    if (learned === null) {
      // A shape that does not carry over to other connections: this one is logged from the tracker just fed, as
      // updateLogged would log it after its own replay.
      log.append(s, fromOrig, tsSec);
      log.noteAttempt(t);
      return events;
    }
    answerTracker = new TcpConnection(); // the kept one is the answer's now
    syn.answers.set(sig, learned);
    answersHeld++;
    a = learned;
  }
  log.append(s, fromOrig, tsSec);
  log.attemptPending = a.attemptPending;
  log.attemptSynSec = a.attemptAtSyn ? log.ts : -1;
  log.answer = a;
  return a.events;
}

/** The tracker a new answer is tried on (one at a time, single-threaded); given away when its SynAnswer is kept. */
let answerTracker = new TcpConnection();

/**
 * What lone SYN `log` and its answer make of a connection, from tracker `t` fed both (the answer at `tsSec`, giving
 * `events`), as a SynAnswer to keep for their signatures; null when the connection's shape does not carry over to
 * others of the same signatures (an attempt timer not started at the SYN, or SYN and answer captured at the same
 * time, so that the last activity's time cannot be told by which it was).
 */
function answerOf(log: SegmentLog, t: TcpConnection, events: number, tsSec: number): SynAnswer | null {
  const attemptAtSyn = t.attemptStartSec === log.ts;
  const last = t.lastActivitySec(Number.NaN);
  if ((!attemptAtSyn && t.attemptStartSec !== -1) || tsSec === log.ts || (last !== tsSec && last !== log.ts)) return null;
  return new SynAnswer(t, events, attemptAtSyn, last === tsSec);
}

