/**
 * The TCP connection state machine of RFC 9293 §3.3.2 (Figure 5), as seen from the wire: a pure table, no I/O, no
 * clock, no flow table. Because sockscope observes both directions, every segment moves BOTH ends: the end that sent
 * it (Role.SENDER) and the end it was sent to (Role.RECEIVER). E.g. a FIN from A puts A in FIN_WAIT_1 and B in
 * CLOSE_WAIT; B's ACK covering that FIN moves A to FIN_WAIT_2.
 *
 * Some rows are *inferred*: the wire shows the result of a step we did not see (the SYN+ACK of a half-duplex capture,
 * the LISTEN of a server before it answers). `stepInferred()` says so, and the tracker marks the end's state.
 */

/** Netstat state of one end (names as `netstat`/`ss` print them). */
export const S = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  FIN_WAIT_1: 5,
  FIN_WAIT_2: 6,
  CLOSE_WAIT: 7,
  CLOSING: 8,
  LAST_ACK: 9,
  TIME_WAIT: 10,
} as const;
export type TcpState = (typeof S)[keyof typeof S];
/** TCP_STATE_NAME[state] is the netstat name, e.g. `FIN_WAIT_1`. */
export const TCP_STATE_NAME = Object.keys(S) as readonly (keyof typeof S)[];
/** Number of states (row count of the compiled table). */
export const STATE_COUNT = TCP_STATE_NAME.length;

/**
 * Segment classes: what a segment means to the state machine. ACK_OF_FIN / FIN_ACK_OF_FIN need the receiver's FIN
 * position, so `classify` takes whether the segment's ACK covers it.
 */
export const Seg = {
  /** SYN without ACK: an active open (or its retransmission). */
  SYN: 0,
  /** SYN with ACK: the answer to a SYN. */
  SYN_ACK: 1,
  /** No SYN/FIN/RST: a pure ACK or a data segment that does not acknowledge the receiver's FIN. */
  ACK: 2,
  /** No SYN/FIN/RST, and its ACK covers the FIN the receiver sent. */
  ACK_OF_FIN: 3,
  /** FIN whose ACK (if any) does not cover a FIN from the receiver. */
  FIN: 4,
  /** FIN whose ACK covers the receiver's FIN (the second FIN of a close, acknowledging the first). */
  FIN_ACK_OF_FIN: 5,
  /** RST (with or without other flags): aborts the connection. */
  RST: 6,
} as const;
export type SegClass = (typeof Seg)[keyof typeof Seg];
/** SEG_NAME[seg] is the class name, e.g. `ACK_OF_FIN`. */
export const SEG_NAME = Object.keys(Seg) as readonly (keyof typeof Seg)[];
export const SEG_COUNT = SEG_NAME.length;

/** Which end of the segment a transition applies to. */
export const Role = {
  /** The end that sent the segment. */
  SENDER: 0,
  /** The end the segment was sent to. */
  RECEIVER: 1,
} as const;
export type TcpRole = (typeof Role)[keyof typeof Role];

/** TCP flag bits (RFC 9293 §3.1), local copy so that tcp/ imports nothing outside tcp/. */
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/**
 * Classifies one segment. `acksReceiverFin`: the segment has ACK set and its acknowledgement number is at or past the
 * sequence number just after the FIN the receiver sent (so the receiver's FIN is acknowledged). RST dominates; a SYN
 * with FIN is treated as a SYN (Zeek records it as `q`, the state machine as an open attempt).
 */
export function classify(tcpFlags: number, acksReceiverFin: boolean): SegClass {
  if (tcpFlags & RST) return Seg.RST;
  if (tcpFlags & SYN) return tcpFlags & ACK ? Seg.SYN_ACK : Seg.SYN;
  if (tcpFlags & FIN) return acksReceiverFin ? Seg.FIN_ACK_OF_FIN : Seg.FIN;
  return acksReceiverFin ? Seg.ACK_OF_FIN : Seg.ACK;
}

/** One rule: in `state`, the end playing `role` for a segment of class `seg` moves to `next`; `inferred` when the
 * move implies a step the wire did not show. */
type Rule = readonly [state: TcpState, seg: SegClass, role: TcpRole, next: TcpState, inferred?: 'inferred'];

const SND = Role.SENDER;
const RCV = Role.RECEIVER;

/**
 * The transitions. Anything not listed keeps its state (retransmissions, data, window updates). RST rows for every
 * state are added by a loop below the table.
 */
const RULES: readonly Rule[] = [
  // ── CLOSED: opens ──────────────────────────────────────────────────────────────────────────────────────────────
  // Active open: "SYN sent" (RFC 9293 §3.3.2, CLOSED -> SYN-SENT on active OPEN).
  [S.CLOSED, Seg.SYN, SND, S.SYN_SENT],
  // The addressee of a SYN must have been listening for it to matter; we cannot see the listen itself.
  [S.CLOSED, Seg.SYN, RCV, S.LISTEN, 'inferred'],
  // A SYN+ACK with no SYN seen (capture started late, or reordered): the sender had received a SYN in LISTEN.
  [S.CLOSED, Seg.SYN_ACK, SND, S.SYN_RECEIVED, 'inferred'],
  // ...and the end it answers had sent that SYN; receiving the SYN+ACK completes its open.
  [S.CLOSED, Seg.SYN_ACK, RCV, S.ESTABLISHED, 'inferred'],

  // ── LISTEN ─────────────────────────────────────────────────────────────────────────────────────────────────────
  // Passive open answered: "rcv SYN; snd SYN,ACK" (LISTEN -> SYN-RECEIVED).
  [S.LISTEN, Seg.SYN_ACK, SND, S.SYN_RECEIVED],
  // The implied listener sends its own SYN instead: it was an active opener (simultaneous open; LISTEN -> SYN-SENT on SEND).
  [S.LISTEN, Seg.SYN, SND, S.SYN_SENT],
  // The listener's ACK or FIN shows it answered a SYN+ACK we did not capture (half-duplex capture).
  [S.LISTEN, Seg.ACK, SND, S.ESTABLISHED, 'inferred'],
  [S.LISTEN, Seg.FIN, SND, S.FIN_WAIT_1, 'inferred'],
  // Data/ACK/FIN arriving at the listener after the client's SYN: the server's SYN+ACK was not captured.
  [S.LISTEN, Seg.ACK, RCV, S.ESTABLISHED, 'inferred'],
  [S.LISTEN, Seg.FIN, RCV, S.CLOSE_WAIT, 'inferred'],

  // ── SYN_SENT ───────────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv SYN,ACK; snd ACK": the active opener is established (SYN-SENT -> ESTABLISHED).
  [S.SYN_SENT, Seg.SYN_ACK, RCV, S.ESTABLISHED],
  // Simultaneous open: "rcv SYN; snd SYN,ACK" while our own SYN is out (SYN-SENT -> SYN-RECEIVED).
  [S.SYN_SENT, Seg.SYN, RCV, S.SYN_RECEIVED],
  // Sending a SYN+ACK from SYN-SENT means a crossing SYN arrived (simultaneous open).
  [S.SYN_SENT, Seg.SYN_ACK, SND, S.SYN_RECEIVED, 'inferred'],
  // The opener sends data or an ACK: it received a SYN+ACK that was not captured.
  [S.SYN_SENT, Seg.ACK, SND, S.ESTABLISHED, 'inferred'],
  // The opener sends a FIN: established (unseen SYN+ACK) and now closing.
  [S.SYN_SENT, Seg.FIN, SND, S.FIN_WAIT_1, 'inferred'],

  // ── SYN_RECEIVED ───────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv ACK of SYN": the passive end is established (SYN-RECEIVED -> ESTABLISHED).
  [S.SYN_RECEIVED, Seg.ACK, RCV, S.ESTABLISHED],
  // Simultaneous open completes when the peer's SYN+ACK arrives.
  [S.SYN_RECEIVED, Seg.SYN_ACK, RCV, S.ESTABLISHED],
  // A FIN acknowledging our SYN also completes the open, and the peer is closing (SYN-RECEIVED -> CLOSE-WAIT).
  [S.SYN_RECEIVED, Seg.FIN, RCV, S.CLOSE_WAIT],
  // "CLOSE: snd FIN" from SYN-RECEIVED (RFC 9293 §3.10.4).
  [S.SYN_RECEIVED, Seg.FIN, SND, S.FIN_WAIT_1],
  // The passive end sends data before we saw the opener's ACK: the ACK was not captured.
  [S.SYN_RECEIVED, Seg.ACK, SND, S.ESTABLISHED, 'inferred'],

  // ── ESTABLISHED ────────────────────────────────────────────────────────────────────────────────────────────────
  // Active close: "CLOSE: snd FIN" (ESTABLISHED -> FIN-WAIT-1).
  [S.ESTABLISHED, Seg.FIN, SND, S.FIN_WAIT_1],
  // Passive close: "rcv FIN; snd ACK" (ESTABLISHED -> CLOSE-WAIT).
  [S.ESTABLISHED, Seg.FIN, RCV, S.CLOSE_WAIT],

  // ── FIN_WAIT_1 ─────────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv ACK of FIN" (FIN-WAIT-1 -> FIN-WAIT-2).
  [S.FIN_WAIT_1, Seg.ACK_OF_FIN, RCV, S.FIN_WAIT_2],
  // Simultaneous close: "rcv FIN; snd ACK" before our FIN is acknowledged (FIN-WAIT-1 -> CLOSING).
  [S.FIN_WAIT_1, Seg.FIN, RCV, S.CLOSING],
  // The peer's FIN acknowledges ours: "rcv FIN,ACK of FIN" (FIN-WAIT-1 -> TIME-WAIT).
  [S.FIN_WAIT_1, Seg.FIN_ACK_OF_FIN, RCV, S.TIME_WAIT],

  // ── FIN_WAIT_2 ─────────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv FIN; snd ACK" (FIN-WAIT-2 -> TIME-WAIT).
  [S.FIN_WAIT_2, Seg.FIN, RCV, S.TIME_WAIT],
  [S.FIN_WAIT_2, Seg.FIN_ACK_OF_FIN, RCV, S.TIME_WAIT],

  // ── CLOSE_WAIT ─────────────────────────────────────────────────────────────────────────────────────────────────
  // "CLOSE: snd FIN" (CLOSE-WAIT -> LAST-ACK): the FIN acknowledges the peer's FIN, so it was sent after that FIN
  // arrived.
  [S.CLOSE_WAIT, Seg.FIN_ACK_OF_FIN, SND, S.LAST_ACK],
  // A FIN that does not acknowledge the peer's FIN was sent before that FIN arrived, although the peer's FIN passed
  // the capture point first: a simultaneous close (RFC 9293 Figure 13), ESTABLISHED -> FIN-WAIT-1 -> CLOSING for this
  // end, which then reaches TIME-WAIT like the peer.
  [S.CLOSE_WAIT, Seg.FIN, SND, S.CLOSING],

  // ── CLOSING ────────────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv ACK of FIN" (CLOSING -> TIME-WAIT); a retransmitted FIN that acknowledges ours does the same.
  [S.CLOSING, Seg.ACK_OF_FIN, RCV, S.TIME_WAIT],
  [S.CLOSING, Seg.FIN_ACK_OF_FIN, RCV, S.TIME_WAIT],

  // ── LAST_ACK ───────────────────────────────────────────────────────────────────────────────────────────────────
  // "rcv ACK of FIN" (LAST-ACK -> CLOSED).
  [S.LAST_ACK, Seg.ACK_OF_FIN, RCV, S.CLOSED],
  [S.LAST_ACK, Seg.FIN_ACK_OF_FIN, RCV, S.CLOSED],

  // ── TIME_WAIT ──────────────────────────────────────────────────────────────────────────────────────────────────
  // TIME-WAIT ends after 2 MSL with no segment; on the wire it stays TIME_WAIT (retransmitted FINs are re-ACKed).
];

/** Index of (state, seg, role) in the compiled tables. */
function slot(state: number, seg: number, role: number): number {
  return (state * SEG_COUNT + seg) * 2 + role;
}

const TABLE_SIZE = STATE_COUNT * SEG_COUNT * 2;

function compile(rules: readonly Rule[]): { next: Uint8Array; inferred: Uint8Array } {
  const next = new Uint8Array(TABLE_SIZE);
  const inferred = new Uint8Array(TABLE_SIZE);
  // Default: every (state, seg, role) keeps its state.
  for (let s = 0; s < STATE_COUNT; s++) {
    for (let g = 0; g < SEG_COUNT; g++) {
      next[slot(s, g, SND)] = s;
      next[slot(s, g, RCV)] = s;
    }
  }
  // RFC 9293 §3.10.7: a RST aborts the connection in every synchronized state and refuses it in SYN-SENT; the sender
  // of a RST has dropped its connection too. From the wire both ends are CLOSED afterwards, whatever they were in.
  for (let s = 0; s < STATE_COUNT; s++) {
    next[slot(s, Seg.RST, SND)] = S.CLOSED;
    next[slot(s, Seg.RST, RCV)] = S.CLOSED;
  }
  for (const [state, seg, role, to, inf] of rules) {
    next[slot(state, seg, role)] = to;
    inferred[slot(state, seg, role)] = inf === 'inferred' ? 1 : 0;
  }
  return { next, inferred };
}

const COMPILED = compile(RULES);
const NEXT = COMPILED.next;
const INFERRED = COMPILED.inferred;

/** The state the end playing `role` moves to when a segment of class `seg` passes while it is in `state`. */
export function step(state: TcpState, seg: SegClass, role: TcpRole): TcpState {
  return NEXT[(state * SEG_COUNT + seg) * 2 + role] as TcpState;
}

/** True when `step(state, seg, role)` is an inferred transition (it implies a segment the wire did not show). */
export function stepInferred(state: TcpState, seg: SegClass, role: TcpRole): boolean {
  return INFERRED[(state * SEG_COUNT + seg) * 2 + role] === 1;
}

/**
 * Midstream pickup: the state both ends are assumed to be in before the first segment of a flow is applied. A flow
 * whose first segment has no SYN (and is not a RST) was already open: both ends ESTABLISHED, inferred; a FIN seen
 * then proceeds through the table normally. Flows that start with SYN, SYN+ACK or RST start from CLOSED.
 */
export function pickupState(seg: SegClass): TcpState {
  return seg === Seg.SYN || seg === Seg.SYN_ACK || seg === Seg.RST ? S.CLOSED : S.ESTABLISHED;
}

/** The rules as written, for tests and documentation (state, seg, role, next, inferred). */
export const TRANSITION_RULES: readonly Rule[] = RULES;
