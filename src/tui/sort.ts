/**
 * The flows view's order. The table shows a screenful of tens of thousands of flows, so the order is not built whole:
 * every flow gets its sort keys as numbers in typed arrays (text columns ranked, sockets as address words), and the
 * rows on screen are found by selection (quickselect), then sorted among themselves; the selected flow's place is a
 * count. One render then costs O(n) compares of numbers, not a sort of n objects (issue #16: a sort key took 0.7 s
 * to show under load).
 */
import type { FlowRecord } from '../flow/record.js';
import { flowName } from './cells.js';
import { COLUMNS, type ColumnId } from './layout.js';
import { ageSec, handshakeRtt, totalBytes, totalPkts, totalRetx, type CellContext, type SortOrder } from './model.js';

/** Text sort keys of the columns that sort by text (A to Z). */
function textKey(r: FlowRecord, column: ColumnId): string {
  switch (column) {
    case 'proto': return r.proto;
    case 'origState': return r.orig.state ?? '';
    case 'respState': return r.resp.state ?? '';
    case 'conn': return r.connState;
    default: return flowName(r); // 'name'
  }
}

/** Number sort keys of the columns that sort by number. */
function numberKey(r: FlowRecord, column: ColumnId, ctx: CellContext): number {
  switch (column) {
    case 'pkts': return totalPkts(r);
    case 'bytes': return totalBytes(r);
    case 'rate': return ctx.rates.get(r.uid) ?? 0;
    case 'age': return ageSec(r, ctx.clockSec);
    case 'rtt': return handshakeRtt(r) ?? -1;
    default: return totalRetx(r); // 'retx'
  }
}

const TWO_16 = 65536;
const TWO_32 = 4294967296;
/** Where text that is no address sorts: after every address. */
const NOT_AN_ADDRESS = 2 ** 52;

/** The 16-bit groups of the last IPv6 address parsed (scratch: no allocation per address). */
const GROUPS = new Uint16Array(8);

/** The value of hex digit `c` (a char code), or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: `::` once, an IPv4 tail) into GROUPS; false when it is not one. Char by char,
 * without a string or array per address.
 */
function parseIpv6(a: string): boolean {
  let n = 0; // groups written before a `::`
  let gap = -1; // group index of the `::`
  let i = 0;
  const len = a.length;
  if (a.charCodeAt(0) === 0x3a) {
    if (a.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    if (n >= 8) return false;
    let v = 0;
    let digits = 0;
    const start = i;
    for (; i < len; i++) {
      const d = hexDigit(a.charCodeAt(i));
      if (d < 0) break;
      v = v * 16 + d;
      digits++;
    }
    if (i < len && a.charCodeAt(i) === 0x2e) {
      // An IPv4 tail (`::ffff:10.0.0.1`): two groups.
      const v4 = parseIpv4(a, start);
      if (v4 < 0 || n > 6) return false;
      GROUPS[n++] = v4 >>> 16;
      GROUPS[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    GROUPS[n++] = v;
    if (i >= len) break;
    if (a.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (a.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    }
  }
  if (gap < 0) return n === 8;
  // Move the groups after the `::` to the end, zeros between.
  const after = n - gap;
  for (let k = 0; k < after; k++) GROUPS[7 - k] = GROUPS[n - 1 - k]!; // n - 1 - k >= gap >= 0
  for (let k = gap; k < 8 - after; k++) GROUPS[k] = 0;
  return true;
}

/** Dotted IPv4 text from `from` to the end as a number, or -1. */
function parseIpv4(a: string, from = 0): number {
  let v = 0;
  let octet = -1;
  let dots = 0;
  for (let i = from; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x2e) {
      if (octet < 0 || ++dots > 3) return -1;
      v = v * 256 + octet;
      octet = -1;
    } else if (c >= 0x30 && c <= 0x39) {
      octet = (octet < 0 ? 0 : octet * 10) + (c - 0x30);
      if (octet > 255) return -1;
    } else return -1;
  }
  if (octet < 0 || dots !== 3) return -1;
  return v * 256 + octet;
}

/**
 * Writes an address and port as three numbers at `i` of `k1`, `k2`, `k3` that sort as addressKey and the port do
 * (IPv4 numerically before IPv6, IPv6 by its groups, then the port), each below 2^53 so a Float64Array holds them
 * exactly: IPv4 `[addr, 0, port]`; IPv6 `[2^32 + groups 0-2, groups 3-5, (groups 6-7) * 2^16 + port]`.
 */
export function addressKeys(addr: string, port: number, k1: Float64Array, k2: Float64Array, k3: Float64Array, i: number): void {
  if (!addr.includes(':')) {
    const v4 = parseIpv4(addr);
    k1[i] = v4 < 0 ? NOT_AN_ADDRESS : v4;
    k2[i] = 0;
    k3[i] = port;
    return;
  }
  if (!parseIpv6(addr)) {
    k1[i] = NOT_AN_ADDRESS;
    k2[i] = 0;
    k3[i] = port;
    return;
  }
  const g = GROUPS;
  k1[i] = TWO_32 + (g[0]! * TWO_16 + g[1]!) * TWO_16 + g[2]!; // GROUPS has 8 entries
  k2[i] = (g[3]! * TWO_16 + g[4]!) * TWO_16 + g[5]!;
  k3[i] = (g[6]! * TWO_16 + g[7]!) * TWO_16 + port;
}

/** Below this many flows the order is built whole (selection saves nothing there). */
const SELECT_FROM = 2048;

/**
 * Flows in a sort order, built as far as asked: {@link slice} sorts only the ranks it returns (and as many again
 * around them, for the next scroll), {@link indexOf} counts. Ties fall back to start time then uid, so rows with equal
 * keys keep their place from one snapshot to the next instead of jumping. Read-only; a new one per snapshot, filter
 * and order.
 */
export class SortedFlows {
  /** Number of flows. */
  readonly length: number;
  private readonly flows: readonly FlowRecord[];
  private readonly dir: number;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array | null;
  private readonly k3: Float64Array | null;
  private readonly starts: Float64Array;
  /** A permutation of the flows' indices; ranks [lo, hi) are in order, the rest partitioned around them. */
  private readonly idx: Uint32Array;
  private lo = 0;
  private hi = 0;
  private whole: FlowRecord[] | null = null;

  constructor(flows: readonly FlowRecord[], order: SortOrder, ctx: CellContext) {
    const column = order.column;
    const n = flows.length;
    this.flows = flows;
    this.length = n;
    this.dir = (COLUMNS[column].descending ? -1 : 1) * (order.reversed ? -1 : 1);
    const k1 = new Float64Array(n);
    let k2: Float64Array | null = null;
    let k3: Float64Array | null = null;
    if (column === 'orig' || column === 'resp') {
      k2 = new Float64Array(n);
      k3 = new Float64Array(n);
      const orig = column === 'orig';
      for (let i = 0; i < n; i++) {
        const r = flows[i]!; // i < n
        addressKeys(orig ? r.origAddr : r.respAddr, orig ? r.origPort : r.respPort, k1, k2, k3, i);
      }
    } else if (column === 'proto' || column === 'origState' || column === 'respState' || column === 'conn' || column === 'name') {
      // Text: a handful of distinct values, sorted once; each flow gets its value's rank.
      const texts = new Array<string>(n);
      const distinct = new Set<string>();
      for (let i = 0; i < n; i++) {
        const t = textKey(flows[i]!, column); // i < n
        texts[i] = t;
        distinct.add(t);
      }
      const rank = new Map<string, number>();
      [...distinct].sort().forEach((t, i) => rank.set(t, i));
      for (let i = 0; i < n; i++) k1[i] = rank.get(texts[i]!)!; // every text was ranked
    } else {
      for (let i = 0; i < n; i++) k1[i] = numberKey(flows[i]!, column, ctx); // i < n
    }
    this.k1 = k1;
    this.k2 = k2;
    this.k3 = k3;
    this.starts = new Float64Array(n);
    this.idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.starts[i] = flows[i]!.startSec; // i < n
      this.idx[i] = i;
    }
  }

  /** Negative when flow `a` comes before flow `b` (indices into the flows); never 0 for two flows (uids differ). */
  private readonly cmp = (a: number, b: number): number => {
    // a, b: indices of flows, below length.
    let d = this.k1[a]! - this.k1[b]!;
    if (d === 0 && this.k2 !== null) d = this.k2[a]! - this.k2[b]! || this.k3![a]! - this.k3![b]!; // k3 is set with k2
    if (d !== 0) return d * this.dir;
    const s = this.starts[a]! - this.starts[b]!;
    if (s !== 0) return s;
    const ua = this.flows[a]!.uid;
    const ub = this.flows[b]!.uid;
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  };

  /** The flows of ranks [from, to) in order (a new array). */
  slice(from = 0, to = this.length): FlowRecord[] {
    const n = this.length;
    const a = Math.max(0, Math.min(n, from));
    const b = Math.max(a, Math.min(n, to));
    if (a === b) return [];
    if (n < SELECT_FROM || b - a > n / 4) return this.all().slice(a, b);
    if (a < this.lo || b > this.hi) {
      // Sort the window and as much again on each side, so that scrolling on finds it ready.
      const pad = b - a;
      const lo = Math.max(0, a - pad);
      const hi = Math.min(n, b + pad);
      if (lo > 0) select(this.idx, lo, 0, n - 1, this.cmp);
      if (hi < n) select(this.idx, hi, lo, n - 1, this.cmp);
      sortRange(this.idx, lo, hi, this.cmp);
      this.lo = lo;
      this.hi = hi;
    }
    const out = new Array<FlowRecord>(b - a);
    for (let i = a; i < b; i++) out[i - a] = this.flows[this.idx[i]!]!; // a <= i < b <= n
    return out;
  }

  /** The flow of rank `i`, or undefined out of range. */
  at(i: number): FlowRecord | undefined {
    return i >= 0 && i < this.length ? this.slice(i, i + 1)[0] : undefined;
  }

  /** The rank of the flow with this uid, or -1 when it is not among them: a count, without sorting. */
  indexOf(uid: string): number {
    const flows = this.flows;
    let me = -1;
    for (let i = 0; i < flows.length; i++) {
      if (flows[i]!.uid === uid) {
        me = i;
        break;
      }
    }
    if (me < 0) return -1;
    if (this.whole !== null) return this.whole.indexOf(flows[me]!);
    let before = 0;
    for (let i = 0; i < flows.length; i++) if (i !== me && this.cmp(i, me) < 0) before++;
    return before;
  }

  /** Every flow in order (built once). */
  all(): FlowRecord[] {
    if (this.whole === null) {
      const idx = this.idx.slice();
      idx.sort(this.cmp);
      this.whole = Array.from(idx, (i) => this.flows[i]!); // a permutation of the indices
    }
    return this.whole;
  }
}

/**
 * Rearranges idx[left..right] so that idx[k] holds the element of rank k there, smaller ones before it and larger
 * after (Hoare's selection with a median-of-three pivot; every element differs, see SortedFlows.cmp).
 */
function select(idx: Uint32Array, k: number, left: number, right: number, cmp: (a: number, b: number) => number): void {
  // left <= k <= right < idx.length throughout: the loop narrows [left, right] around k.
  while (right > left) {
    const mid = (left + right) >>> 1;
    if (cmp(idx[mid]!, idx[left]!) < 0) swap(idx, mid, left);
    if (cmp(idx[right]!, idx[left]!) < 0) swap(idx, right, left);
    if (cmp(idx[right]!, idx[mid]!) < 0) swap(idx, right, mid);
    const pivot = idx[mid]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (cmp(idx[i]!, pivot) < 0) i++;
      while (cmp(idx[j]!, pivot) > 0) j--;
      if (i <= j) {
        swap(idx, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(idx: Uint32Array, a: number, b: number): void {
  const t = idx[a]!; // a, b < idx.length
  idx[a] = idx[b]!;
  idx[b] = t;
}

/** Sorts idx[from, to) in place. */
function sortRange(idx: Uint32Array, from: number, to: number, cmp: (a: number, b: number) => number): void {
  idx.subarray(from, to).sort(cmp);
}

/** `flows` sorted by `order` (a new array); see {@link SortedFlows}. */
export function sortFlows(flows: readonly FlowRecord[], order: SortOrder, ctx: CellContext): FlowRecord[] {
  return new SortedFlows(flows, order, ctx).all();
}
