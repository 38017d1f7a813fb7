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
 * The letters live in small-integer fields (a byte array only past 16 letters); `toString()` builds the string only
 * when asked.
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

/** The logarithmic ("scaled") kinds; each has a count and a next-threshold field in {@link HistoryEnd}. */
export const Scaled = { CHECKSUM: 0, GAP: 1, RXMIT: 2, WIN0: 3 } as const;
export type ScaledKind = (typeof Scaled)[keyof typeof Scaled];
/** Zeek's `ScaledHistoryEntry` base: thresholds 1, 10, 100, ... */
const SCALING_BASE = 10;
/** Counts are unsigned 32-bit in Zeek; a threshold that would pass this is not raised (the count restarts). */
const MAX_U32 = 0xffffffff;

/**
 * Per-end history state (Zeek keeps it in TCP_Endpoint; it moves with the end when roles flip). The scaled counters
 * are plain fields (small integers: thresholds stop at 10^9), so they live inside the end object itself.
 */
export interface HistoryEnd {
  /** True while this end is the originator (decides the letter case). */
  isOrig: boolean;
  /** Relative sequence number of the last SYN / FIN (end of it) / RST this end sent, 0 before any. */
  histLastSyn: number;
  histLastFin: number;
  histLastRst: number;
  /** Scaled counters per kind: events counted (unsigned 32-bit) and the count that adds the next letter (from 1). */
  checksumCount: number;
  checksumNext: number;
  gapCount: number;
  gapNext: number;
  rxmitCount: number;
  rxmitNext: number;
  win0Count: number;
  win0Next: number;
}

/** The scaled-counter fields of a fresh {@link HistoryEnd}: no events, first letter at the first event. */
export const SCALED_COUNTERS_INITIAL = {
  checksumCount: 0,
  checksumNext: 1,
  gapCount: 0,
  gapNext: 1,
  rxmitCount: 0,
  rxmitNext: 1,
  win0Count: 0,
  win0Next: 1,
} as const;

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
/** Letters kept in the packed fields (4 fields of 4 seven-bit char codes); longer histories spill into `histMore`. */
const PACKED_LETTERS = 16;
const MORE_INITIAL_CAPACITY = 16;

/**
 * One connection's history: letters in order plus Zeek's `hist_seen` mask. The first 16 letters are packed four to a
 * small-integer field (letter i in bits 7*(i%4).. of field i/4), so a history costs no separate allocation unless it
 * grows longer; `TcpConnection` extends this class so that the letters live in the connection object itself.
 */
export class History {
  /** Zeek's `hist_seen`: originator masks in bits 0-15, responder masks in bits 16-31. */
  private histSeen = 0;
  private histLen = 0;
  private histL0 = 0;
  private histL1 = 0;
  private histL2 = 0;
  private histL3 = 0;
  /** Letters from the 17th on; null until a history grows that long. */
  private histMore: Uint8Array | null = null;
  private histCached = '';
  private histCachedLen = 0;

  /** Forgets every letter (for reuse of the owning tracker). */
  reset(): void {
    this.histLen = 0;
    this.histSeen = 0;
    this.histL0 = 0;
    this.histL1 = 0;
    this.histL2 = 0;
    this.histL3 = 0;
    this.histCached = '';
    this.histCachedLen = 0;
  }

  /** Number of letters recorded. */
  get length(): number {
    return this.histLen;
  }

  /** The char code of letter `i` (< length). */
  private letterAt(i: number): number {
    if (i >= PACKED_LETTERS) return this.histMore![i - PACKED_LETTERS]!; // i < histLen: histMore holds the rest
    const shift = 7 * (i & 3);
    const q = i >> 2;
    const w = q === 0 ? this.histL0 : q === 1 ? this.histL1 : q === 2 ? this.histL2 : this.histL3;
    return (w >> shift) & 0x7f;
  }

  /** Sets letter `i` (<= length; the caller updates the length) to char code `code` (< 128). */
  private setLetter(i: number, code: number): void {
    if (i >= PACKED_LETTERS) {
      let more = this.histMore;
      const k = i - PACKED_LETTERS;
      if (more === null || k === more.length) {
        const bigger = new Uint8Array(more === null ? MORE_INITIAL_CAPACITY : more.length * 2);
        if (more !== null) bigger.set(more);
        this.histMore = more = bigger;
      }
      more[k] = code;
      return;
    }
    const shift = 7 * (i & 3);
    const mask = ~(0x7f << shift);
    const v = code << shift;
    switch (i >> 2) {
      case 0:
        this.histL0 = (this.histL0 & mask) | v;
        break;
      case 1:
        this.histL1 = (this.histL1 & mask) | v;
        break;
      case 2:
        this.histL2 = (this.histL2 & mask) | v;
        break;
      default:
        this.histL3 = (this.histL3 & mask) | v;
        break;
    }
  }

  /** Appends one letter (a char code). Allocates only past 16 letters, rarely (the overflow doubles). */
  add(code: number): void {
    this.setLetter(this.histLen, code);
    this.histLen++;
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
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
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
    for (let i = this.histLen - 1; i > 0; i--) {
      const ch = this.letterAt(i - 1);
      this.setLetter(i, ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch >= 0x61 && ch <= 0x7a ? ch - 32 : ch);
    }
    this.setLetter(0, Letter.FLIP);
    this.histSeen = ((this.histSeen >>> 16) | (this.histSeen << 16)) >>> 0;
    this.histCachedLen = -1;
  }

  /** The letters as a string, e.g. `ShADadFf`; cached until the next letter. */
  toString(): string {
    if (this.histCachedLen !== this.histLen) {
      let s = '';
      for (let i = 0; i < this.histLen; i++) s += String.fromCharCode(this.letterAt(i));
      this.histCached = s;
      this.histCachedLen = this.histLen;
    }
    return this.histCached;
  }
}

/**
 * Zeek's `ScaledHistoryEntry` for one end: counts one event of `kind` and records its letter when the count reaches
 * the current threshold (1, 10, 100, ...). Returns true when a letter was added. On 32-bit wrap-around of the
 * threshold Zeek keeps the threshold and restarts the count.
 */
export function scaledEntry(h: History, end: HistoryEnd, kind: ScaledKind): boolean {
  let letter: number;
  switch (kind) {
    case Scaled.CHECKSUM:
      end.checksumCount = (end.checksumCount + 1) >>> 0;
      if (end.checksumCount !== end.checksumNext) return false;
      if (end.checksumNext * SCALING_BASE > MAX_U32) end.checksumCount = 0;
      else end.checksumNext *= SCALING_BASE;
      letter = Letter.C;
      break;
    case Scaled.GAP:
      end.gapCount = (end.gapCount + 1) >>> 0;
      if (end.gapCount !== end.gapNext) return false;
      if (end.gapNext * SCALING_BASE > MAX_U32) end.gapCount = 0;
      else end.gapNext *= SCALING_BASE;
      letter = Letter.G;
      break;
    case Scaled.RXMIT:
      end.rxmitCount = (end.rxmitCount + 1) >>> 0;
      if (end.rxmitCount !== end.rxmitNext) return false;
      if (end.rxmitNext * SCALING_BASE > MAX_U32) end.rxmitCount = 0;
      else end.rxmitNext *= SCALING_BASE;
      letter = Letter.T;
      break;
    default:
      end.win0Count = (end.win0Count + 1) >>> 0;
      if (end.win0Count !== end.win0Next) return false;
      if (end.win0Next * SCALING_BASE > MAX_U32) end.win0Count = 0;
      else end.win0Next *= SCALING_BASE;
      letter = Letter.W;
      break;
  }
  h.addFor(end.isOrig, letter);
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
