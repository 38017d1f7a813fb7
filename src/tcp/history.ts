/**
 * Zeek's connection history letters (`history` in conn.log), with Zeek's exact recording rules
 * (zeek/zeek `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc` `update_history`, `src/Conn.h` `CheckHistory`,
 * `src/Conn.cc` `ScaledHistoryEntry`, `src/analyzer/protocol/tcp/TCP_Endpoint.cc`):
 *
 * - upper case when the originator sent the packet, lower case for the responder;
 * - `A` pure ACK, `D` payload, `I` FIN+RST, `Q` SYN+FIN or SYN+RST: at most once per direction (a bit in a 32-bit
 *   mask, originator bits low, responder bits shifted left by 16; the mask stays put when roles flip);
 * - `S`/`H` (SYN / SYN+ACK), `F`, `R`: the first one always, later ones only when their sequence number differs from
 *   the previous one of that kind from the same end (for a FIN the number *after* its payload);
 * - `C` bad checksum, `G` content gap, `T` retransmitted payload, `W` zero window: logarithmic, the 1st, 10th,
 *   100th, ... event of that kind per end adds a letter;
 * - a packet with 2 or more of SYN/FIN/RST records only `I`/`Q`; with exactly one of them no `A`/`D`;
 * - `^` when Zeek flips the roles.
 *
 * The letters live in a small byte array that grows rarely; `toString()` builds the string only when asked.
 */

/** Zeek's `HIST_*` masks (TCP_Endpoint.h); the responder's bits are these shifted left by 16. */
export const Hist = {
  SYN_PKT: 0x1,
  FIN_PKT: 0x2,
  RST_PKT: 0x4,
  FIN_RST_PKT: 0x8,
  DATA_PKT: 0x10,
  ACK_PKT: 0x20,
  MULTI_FLAG_PKT: 0x40,
  CORRUPT_PKT: 0x80,
  RXMIT: 0x100,
  WIN0: 0x200,
} as const;

/** Upper-case history letters as char codes (the responder's are these + 32). */
export const Letter = {
  S: 0x53,
  H: 0x48,
  A: 0x41,
  D: 0x44,
  F: 0x46,
  R: 0x52,
  C: 0x43,
  G: 0x47,
  T: 0x54,
  W: 0x57,
  I: 0x49,
  Q: 0x51,
  /** `^`: roles flipped (no case). */
  FLIP: 0x5e,
} as const;

/** Indices of the logarithmic ("scaled") counters in {@link HistoryEnd.scaled}: each uses [2k] count, [2k+1] threshold. */
export const Scaled = { CHECKSUM: 0, GAP: 1, RXMIT: 2, WIN0: 3 } as const;
export type ScaledKind = (typeof Scaled)[keyof typeof Scaled];
/** Letters of the scaled kinds, by {@link Scaled} index. */
const SCALED_LETTER = [Letter.C, Letter.G, Letter.T, Letter.W] as const;
/** Zeek's `ScaledHistoryEntry` base: thresholds 1, 10, 100, ... */
const SCALING_BASE = 10;

/** Per-end history state (Zeek keeps it in TCP_Endpoint; it moves with the end when roles flip). */
export interface HistoryEnd {
  /** True while this end is the originator (decides the letter case). */
  isOrig: boolean;
  /** Relative sequence number of the last SYN / FIN (end of it) / RST this end sent, 0 before any. */
  histLastSyn: number;
  histLastFin: number;
  histLastRst: number;
  /** Scaled counters: [count, threshold] per {@link Scaled} kind; thresholds start at 1. */
  readonly scaled: Uint32Array;
}

/** Creates the scaled-counter array for a {@link HistoryEnd}, thresholds at 1. */
export function newScaledCounters(): Uint32Array {
  const a = new Uint32Array(8);
  resetScaledCounters(a);
  return a;
}

/** Resets scaled counters to count 0, threshold 1. */
export function resetScaledCounters(a: Uint32Array): void {
  for (let k = 0; k < 8; k += 2) {
    a[k] = 0;
    a[k + 1] = 1;
  }
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const INITIAL_CAPACITY = 16;

/** One connection's history: letters in order plus Zeek's `hist_seen` mask. */
export class History {
  private codes = new Uint8Array(INITIAL_CAPACITY);
  private len = 0;
  /** Zeek's `hist_seen`: originator masks in bits 0-15, responder masks in bits 16-31. */
  private seen = 0;
  private cached = '';
  private cachedLen = 0;

  /** Forgets every letter (for reuse of the owning tracker). */
  reset(): void {
    this.len = 0;
    this.seen = 0;
    this.cached = '';
    this.cachedLen = 0;
  }

  /** Number of letters recorded. */
  get length(): number {
    return this.len;
  }

  /** Appends one letter (a char code). Grows the buffer by doubling in the rare case it is full. */
  add(code: number): void {
    if (this.len === this.codes.length) {
      const bigger = new Uint8Array(this.codes.length * 2);
      bigger.set(this.codes);
      this.codes = bigger;
    }
    this.codes[this.len++] = code;
  }

  /** Appends `letter` in the case of the end (`isOrig` upper, else lower). */
  addFor(isOrig: boolean, letter: number): void {
    this.add(isOrig ? letter : letter + 32);
  }

  /**
   * Zeek's `CheckHistory`: the first time `mask` is seen for this end, records the letter and returns false;
   * afterwards records nothing and returns true ("already seen").
   */
  check(isOrig: boolean, mask: number, letter: number): boolean {
    const m = isOrig ? mask : mask << 16;
    if ((this.seen & m) === 0) {
      this.seen |= m;
      this.addFor(isOrig, letter);
      return false;
    }
    return true;
  }

  /**
   * Rewrites the history as if the roles had been the other way round from the start: `^` first, then every letter
   * with its case swapped, and the originator/responder halves of the seen-mask exchanged. Zeek does this when it
   * flips a connection that began with a SYN+ACK once an ACK or data follows (zeek/zeek PR #2191): `H` becomes `^h`.
   */
  rewriteFlipped(): void {
    this.add(0); // make room for the `^`
    const c = this.codes;
    for (let i = this.len - 1; i > 0; i--) {
      const ch = c[i - 1]!; // i - 1 < len
      c[i] = ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch >= 0x61 && ch <= 0x7a ? ch - 32 : ch;
    }
    c[0] = Letter.FLIP;
    this.seen = ((this.seen >>> 16) | (this.seen << 16)) >>> 0;
    this.cachedLen = -1;
  }

  /** The letters as a string, e.g. `ShADadFf`; cached until the next letter. */
  toString(): string {
    if (this.cachedLen !== this.len) {
      let s = '';
      for (let i = 0; i < this.len; i++) s += String.fromCharCode(this.codes[i]!); // i < len <= codes.length
      this.cached = s;
      this.cachedLen = this.len;
    }
    return this.cached;
  }
}

/**
 * Zeek's `ScaledHistoryEntry` for one end: counts one event of `kind` and records its letter when the count reaches
 * the current threshold (1, 10, 100, ...). Returns true when a letter was added.
 */
export function scaledEntry(h: History, end: HistoryEnd, kind: ScaledKind): boolean {
  const c = end.scaled;
  const i = kind * 2;
  const count = (c[i]! + 1) >>> 0; // kind*2+1 < 8 = c.length
  c[i] = count;
  const threshold = c[i + 1]!;
  if (count !== threshold) return false;
  h.addFor(end.isOrig, SCALED_LETTER[kind]);
  const next = threshold * SCALING_BASE;
  // Zeek: on 32-bit wrap-around keep the threshold and restart the count.
  if (next > 0xffffffff) c[i] = 0;
  else c[i + 1] = next;
  return true;
}

/**
 * Zeek's `update_history` for one packet from `end`. `relSeq`: the packet's sequence number relative to the end's
 * initial sequence number (Zeek's `rel_seq`); `payloadLen`: payload bytes.
 */
export function updateHistory(h: History, end: HistoryEnd, tcpFlags: number, relSeq: number, payloadLen: number): void {
  const syn = tcpFlags & SYN ? 1 : 0;
  const fin = tcpFlags & FIN ? 1 : 0;
  const rst = tcpFlags & RST ? 1 : 0;
  const bits = syn + fin + rst;
  const o = end.isOrig;
  if (bits > 1) {
    if (fin && rst) h.check(o, Hist.FIN_RST_PKT, Letter.I);
    else h.check(o, Hist.MULTI_FLAG_PKT, Letter.Q);
  } else if (bits === 1) {
    if (syn) {
      const code = tcpFlags & ACK ? Letter.H : Letter.S;
      if (h.check(o, Hist.SYN_PKT, code) && relSeq !== end.histLastSyn) h.addFor(o, code);
      end.histLastSyn = relSeq;
    }
    if (fin) {
      // For FINs the sequence number that counts is at the end of the payload (Zeek's comment).
      const finSeq = relSeq + payloadLen;
      if (h.check(o, Hist.FIN_PKT, Letter.F) && finSeq !== end.histLastFin) h.addFor(o, Letter.F);
      end.histLastFin = finSeq;
    }
    if (rst) {
      if (h.check(o, Hist.RST_PKT, Letter.R) && relSeq !== end.histLastRst) h.addFor(o, Letter.R);
      end.histLastRst = relSeq;
    }
  } else if (payloadLen > 0) {
    h.check(o, Hist.DATA_PKT, Letter.D);
  } else if (tcpFlags & ACK) {
    h.check(o, Hist.ACK_PKT, Letter.A);
  }
}
