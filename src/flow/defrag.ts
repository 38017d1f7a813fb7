/**
 * IP reassembly (RFC 791 §3.2, RFC 8200 §4.5), so that a fragmented datagram counts as one packet of its flow and
 * its transport header (and any tunnel inside it) is decoded from the whole datagram, as tshark and Zeek do.
 *
 * Fragments are rare on real networks, so this path may allocate: each pending datagram keeps a copy of its first
 * header and of the data received so far (the frame bytes are borrowed and overwritten after each packet).
 */
import type { DecodedPacket } from '../decode/packet.js';

/** How long the fragments of one datagram are held waiting for the rest (Linux ipfrag_time is 30 s). */
export const FRAGMENT_TIMEOUT_SEC = 30;
/** Most datagrams held at once; the oldest is dropped (and counted) beyond it. */
export const MAX_PENDING_DATAGRAMS = 4096;
/**
 * Most fragment bytes held at once (Linux holds at most 4 MiB per network namespace, ipfrag_high_thresh); beyond it
 * the oldest datagrams are dropped and counted, so a capture of fragments that never complete cannot grow memory.
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;
/** Largest reassembled datagram: IPv4's 65535, and IPv6 without jumbograms. */
const MAX_DATAGRAM_BYTES = 65535 + 40;

/**
 * What each piece of fragment data costs beyond its bytes: its start, arena offset and length (three array slots) and
 * at most one range (two), with the arrays' growth room. Counted in the budget, so that many tiny fragments cannot
 * hide behind their few bytes.
 */
const PIECE_OVERHEAD_BYTES = 64;
/** First size of a datagram's data arena. */
const ARENA_MIN_BYTES = 256;

class Pending {
  /** The first fragment's IP header (IPv4 with options; IPv6 fixed header only), copied; null until it arrives. */
  header: Uint8Array | null = null;
  /**
   * The fragments' data as captured, copied one after another into `arena`, and per piece where it starts in the
   * datagram, where it sits in the arena and how long it is, in arrival order (a later one wins where they overlap).
   * Memory follows what arrived, not the offsets it claims.
   */
  arena: Uint8Array = new Uint8Array(0);
  arenaUsed = 0;
  /** start, arena offset, length per piece. */
  readonly pieces: number[] = [];
  /** Bytes held: header, arena (its whole size) and the pieces' bookkeeping. */
  held = 0;
  /**
   * Received byte ranges of the data, merged: sorted, disjoint and not touching [start, end) pairs, so a fragment
   * costs a binary search (and the merge of the ranges it joins), and completeness is one comparison.
   */
  readonly ranges: number[] = [];
  /** Length of the whole data, known once the last fragment (MF = 0) arrived; -1 before. */
  totalLen = -1;
  /** Frames held and their wire bytes. */
  frames = 0;
  wireBytes = 0;
  firstSec = 0;
  /** 4 or 6, and the protocol of the fragmentable part. */
  readonly version: number;
  readonly nextHeader: number;
  constructor(version: number, nextHeader: number) {
    this.version = version;
    this.nextHeader = nextHeader;
  }

  /** Copies `bytes[from, to)`, the data at datagram offset `start`; returns the bytes this added to {@link held}. */
  addPiece(bytes: Uint8Array, from: number, to: number, start: number): number {
    const len = to - from;
    let grown = 0;
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(ARENA_MIN_BYTES, 2 * this.arena.length, this.arenaUsed + len));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      grown = bigger.length - this.arena.length;
      this.arena = bigger;
    }
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.pieces.push(start, this.arenaUsed, len);
    this.arenaUsed += len;
    this.held += grown + PIECE_OVERHEAD_BYTES;
    return grown + PIECE_OVERHEAD_BYTES;
  }

  /** Adds [start, end) to the received ranges (see {@link ranges}). */
  addRange(start: number, end: number): void {
    const r = this.ranges;
    // First range that ends at or after `start` (it touches or follows the new one): binary search over the pairs.
    let lo = 0;
    let hi = r.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid + 1]! < start) lo = mid + 1; // mid < pairs
      else hi = mid;
    }
    let j = lo;
    let s = start;
    let e = end;
    for (; 2 * j < r.length && r[2 * j]! <= e; j++) {
      if (r[2 * j]! < s) s = r[2 * j]!; // j < pairs
      if (r[2 * j + 1]! > e) e = r[2 * j + 1]!;
    }
    if (j === lo + 1 && r[2 * lo] === s && r[2 * lo + 1] === e) return; // inside one range already (a duplicate)
    r.splice(2 * lo, 2 * (j - lo), s, e);
  }

  /** Whether the data is all there: the last fragment came and one range covers [0, totalLen). */
  complete(): boolean {
    if (this.header === null || this.totalLen < 0) return false;
    return this.totalLen === 0 || (this.ranges[0] === 0 && this.ranges[1]! >= this.totalLen);
  }
}

/** The datagram completed by the last fragment given to {@link Defragmenter.add}. */
export interface Reassembled {
  /** The whole IP datagram: header then data, with its length, fragment and (IPv4) checksum fields rewritten. */
  readonly bytes: Uint8Array;
  /** How many frames carried it, and their wire bytes together. */
  readonly frames: number;
  readonly wireBytes: number;
}

export class Defragmenter {
  private readonly pending = new Map<string, Pending>();
  /** Bytes held by all pending datagrams (see MAX_PENDING_BYTES). */
  private heldBytes = 0;
  /** Bytes held by all pending datagrams now, their bookkeeping included; at most MAX_PENDING_BYTES between calls. */
  get bytesHeld(): number {
    return this.heldBytes;
  }
  /** Frames whose datagram never completed (timed out, evicted, or still pending at the end). */
  incompleteFrames = 0;

  /**
   * Adds the fragment decoded in `p` (captured `wireLen` bytes at `tsSec`). Returns the reassembled datagram when
   * this fragment completes it, else null (the frame is held).
   */
  add(p: DecodedPacket, tsSec: number, wireLen: number): Reassembled | null {
    const key = p.ipVersion === 4
      ? `4 ${p.src4} ${p.dst4} ${p.fragNext} ${p.fragId}`
      : `6 ${p.src6.join(' ')} ${p.dst6.join(' ')} ${p.fragId}`;
    let d = this.pending.get(key);
    if (d !== undefined && d.firstSec + FRAGMENT_TIMEOUT_SEC < tsSec) {
      this.drop(key, d);
      d = undefined;
    }
    if (d === undefined) {
      if (this.pending.size >= MAX_PENDING_DATAGRAMS) this.expire(Infinity, 1);
      d = new Pending(p.ipVersion, p.fragNext);
      d.firstSec = tsSec;
      this.pending.set(key, d);
    }
    d.frames++;
    d.wireBytes += wireLen;
    const bytes = p.bytes;
    const start = p.fragOffset;
    const statedEnd = p.l3 + p.ipBytes;
    const capEnd = statedEnd < p.end ? statedEnd : p.end;
    const len = statedEnd - p.fragData;
    if (p.fragData < 0 || len < 0 || start + len > MAX_DATAGRAM_BYTES) return null; // impossible: held, counted at expiry
    if (start === 0) {
      const hdrLen = p.ipVersion === 4 ? p.fragData - p.l3 : 40;
      if (d.header === null) this.hold(d, hdrLen);
      d.header = bytes.slice(p.l3, p.l3 + hdrLen);
    }
    // Bytes the snap length cut stay zero: the flow still counts the datagram.
    if (capEnd > p.fragData) this.heldBytes += d.addPiece(bytes, p.fragData, capEnd, start);
    if (len > 0) d.addRange(start, start + len);
    if (p.moreFragments === 0) d.totalLen = start + len;
    if (!d.complete()) {
      if (this.heldBytes > MAX_PENDING_BYTES) this.overBudget(key, d);
      return null;
    }
    this.pending.delete(key);
    this.heldBytes -= d.held;
    return { bytes: build(d), frames: d.frames, wireBytes: d.wireBytes };
  }

  /**
   * Over the byte budget: drops the oldest datagrams, the one just added to last; when it alone is over the budget
   * (thousands of fragments of one datagram), it goes too, and its later fragments start again from nothing.
   */
  private overBudget(key: string, d: Pending): void {
    for (const [k, old] of this.pending) {
      if (this.heldBytes <= MAX_PENDING_BYTES) return;
      if (old !== d) this.drop(k, old);
    }
    if (this.heldBytes > MAX_PENDING_BYTES) this.drop(key, d);
  }

  private hold(d: Pending, n: number): void {
    d.held += n;
    this.heldBytes += n;
  }

  /** Drops datagrams older than the fragment timeout at `tsSec` (at most `limit`); their frames count as incomplete. */
  expire(tsSec: number, limit = Infinity): void {
    let n = 0;
    for (const [key, d] of this.pending) {
      if (n >= limit) break;
      if (d.firstSec + FRAGMENT_TIMEOUT_SEC < tsSec) {
        this.drop(key, d);
        n++;
      }
    }
  }

  /** Ends reassembly: every datagram still pending is incomplete. */
  flush(): void {
    for (const [key, d] of this.pending) this.drop(key, d);
  }

  private drop(key: string, d: Pending): void {
    this.incompleteFrames += d.frames;
    this.heldBytes -= d.held;
    this.pending.delete(key);
  }
}

/**
 * The datagram as one unfragmented IP packet: header (lengths and fragment fields rewritten) + data. An IPv4 header
 * gets its checksum recomputed over the rewritten fields: the fragments' own checksums were judged as they arrived
 * (Demux.acceptFragment), and the rebuilt header must not look corrupt to anything that checks it afterwards.
 */
function build(d: Pending): Uint8Array {
  const h = d.header!; // add() returns before build() until the first fragment arrived
  const out = new Uint8Array(h.length + d.totalLen);
  out.set(h);
  const total = d.totalLen;
  const pieces = d.pieces;
  for (let i = 0; i < pieces.length; i += 3) {
    const start = pieces[i]!; // three entries per piece
    const at = pieces[i + 1]!;
    const len = Math.min(pieces[i + 2]!, total - start);
    if (len > 0) out.set(d.arena.subarray(at, at + len), h.length + start);
  }
  const v = new DataView(out.buffer);
  if (d.version === 4) {
    v.setUint16(2, Math.min(0xffff, out.length)); // total length
    v.setUint16(6, 0); // flags and fragment offset
    v.setUint16(10, ipv4HeaderChecksum(out, h.length));
  } else {
    v.setUint16(4, d.totalLen); // payload length
    out[6] = d.nextHeader; // the fragmentable part follows the fixed header directly
  }
  return out;
}

/** RFC 791 header checksum of the IPv4 header bytes[0, len) (an even length), its own checksum field taken as 0. */
function ipv4HeaderChecksum(bytes: Uint8Array, len: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < len; i += 2) if (i !== 10) sum += (bytes[i]! << 8) | bytes[i + 1]!; // i + 1 < len <= length
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
