/**
 * FlowTable: the 5-tuple -> Flow map. Numeric symmetric hash, chained buckets, field-compare confirmation (no string
 * keys on the per-packet path), per-protocol idle timeouts on LRU lists, and capacity eviction.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { Flow, TIMEOUT_CLASSES, TimeoutClass } from './flow.js';

/** Idle timeouts and capacity. Defaults are Zeek's (init-bare.zeek): TCP 5 min, UDP/ICMP/other 1 min. */
export interface FlowTableOptions {
  /** Seconds of inactivity after which a TCP flow ends. @default 300 */
  tcpIdleSec?: number;
  /** @default 60 */
  udpIdleSec?: number;
  /** @default 60 */
  icmpIdleSec?: number;
  /** Other IP protocols. @default 60 */
  otherIdleSec?: number;
  /** Seconds a TCP flow stays after both ends closed or one reset (Zeek tcp_close_delay / tcp_reset_delay). @default 5 */
  closeDelaySec?: number;
  /** Most flows held at once; the least recently active flow is ended ('evicted') to make room. @default 1_000_000 */
  maxFlows?: number;
}

/** Resolved options with every default filled in. */
export type ResolvedTableOptions = Required<FlowTableOptions>;

export function resolveTableOptions(o: FlowTableOptions = {}): ResolvedTableOptions {
  return {
    tcpIdleSec: o.tcpIdleSec ?? 300,
    udpIdleSec: o.udpIdleSec ?? 60,
    icmpIdleSec: o.icmpIdleSec ?? 60,
    otherIdleSec: o.otherIdleSec ?? 60,
    closeDelaySec: o.closeDelaySec ?? 5,
    maxFlows: o.maxFlows ?? 1_000_000,
  };
}

/** Mixes one endpoint (address words + port) into 32 bits. */
function endpointHash(a0: number, a1: number, a2: number, a3: number, port: number): number {
  let h = a3 ^ Math.imul(a2, 0x27d4eb2d) ^ Math.imul(a1, 0x165667b1) ^ Math.imul(a0, 0x9e3779b1);
  h = Math.imul(h ^ (port * 0x10001), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Same value for a->b and b->a; `+` rather than `^` keeps a->a flows (same address and port) apart. */
function symmetricHash(sh: number, dh: number, proto: number): number {
  return Math.imul((sh + dh) | 0, 0x9e3779b1) ^ proto;
}

/** Called for every flow the table removes: expired, closed, evicted, or flushed. */
export type EndHandler = (flow: Flow) => void;

export class FlowTable {
  readonly options: ResolvedTableOptions;
  private buckets: (Flow | null)[];
  private mask: number;
  /** Flows currently held. */
  size = 0;
  /** Flows created over the table's life. */
  created = 0;
  /** Flows ended to make room. */
  evicted = 0;
  /** Set by {@link lookup}: whether the packet travels originator -> responder. */
  fromOrig = true;
  /** Heads (oldest) and tails (newest) of the idle lists, one per TimeoutClass. */
  private readonly heads: (Flow | null)[] = new Array<Flow | null>(TIMEOUT_CLASSES).fill(null);
  private readonly tails: (Flow | null)[] = new Array<Flow | null>(TIMEOUT_CLASSES).fill(null);
  private readonly idleSec: Float64Array;
  private readonly onEnd: EndHandler;
  /**
   * The key of the packet being looked up: source words 0-3, destination words 4-7, as int32. A typed array rather
   * than eight number fields: stores into it never allocate, whereas a field holding a value outside V8's small
   * integer range boxes it on every store.
   */
  private readonly k = new Int32Array(8);
  private h = 0;

  constructor(options: FlowTableOptions, onEnd: EndHandler) {
    this.options = resolveTableOptions(options);
    this.onEnd = onEnd;
    this.buckets = new Array<Flow | null>(1 << 12).fill(null);
    this.mask = (1 << 12) - 1;
    const o = this.options;
    this.idleSec = Float64Array.of(o.tcpIdleSec, o.udpIdleSec, o.icmpIdleSec, o.otherIdleSec, o.closeDelaySec);
  }

  /**
   * Finds the flow of packet `p` in either direction, or null. Sets {@link fromOrig}.
   */
  lookup(p: DecodedPacket): Flow | null {
    const h = this.loadKey(p);
    const k = this.k;
    const sp = p.srcPort, dp = p.dstPort, proto = p.proto;
    const s3 = k[3]!, d3 = k[7]!; // k has 8 entries
    let f = this.buckets[h & this.mask] ?? null;
    while (f !== null) {
      if (f.hash === h && f.proto === proto && f.ipVersion === p.ipVersion) {
        if (f.origPort === sp && f.respPort === dp && f.oa3 === s3 && f.ra3 === d3 && f.oa0 === k[0] &&
            f.oa1 === k[1] && f.oa2 === k[2] && f.ra0 === k[4] && f.ra1 === k[5] && f.ra2 === k[6]) {
          this.fromOrig = true;
          return f;
        }
        if (f.oneWay === 0 && f.origPort === dp && f.respPort === sp && f.oa3 === d3 && f.ra3 === s3 &&
            f.oa0 === k[4] && f.oa1 === k[5] && f.oa2 === k[6] && f.ra0 === k[0] && f.ra1 === k[1] &&
            f.ra2 === k[2]) {
          this.fromOrig = false;
          return f;
        }
      }
      f = f.nextInBucket;
    }
    return null;
  }

  /** Copies the packet's addresses into the key registers and returns the symmetric hash. */
  private loadKey(p: DecodedPacket): number {
    const k = this.k;
    if (p.ipVersion === 4) {
      k[0] = 0; k[1] = 0; k[2] = 0; k[3] = p.src4;
      k[4] = 0; k[5] = 0; k[6] = 0; k[7] = p.dst4;
    } else {
      const s = p.src6, d = p.dst6;
      k[0] = s[0]!; k[1] = s[1]!; k[2] = s[2]!; k[3] = s[3]!; // src6/dst6 have length 4
      k[4] = d[0]!; k[5] = d[1]!; k[6] = d[2]!; k[7] = d[3]!;
    }
    const sh = endpointHash(k[0]!, k[1]!, k[2]!, k[3]!, p.srcPort);
    const dh = endpointHash(k[4]!, k[5]!, k[6]!, k[7]!, p.dstPort);
    return (this.h = symmetricHash(sh, dh, p.proto));
  }

  /**
   * Creates the flow of packet `p` (which {@link lookup} did not find). `swap` makes the packet's destination the
   * originator. Ends the least recently active flow first when the table is full.
   */
  insert(p: DecodedPacket, swap: boolean, tsSec: number, timeoutClass: TimeoutClass): Flow {
    if (this.size >= this.options.maxFlows) this.evictOldest();
    this.loadKey(p);
    const f = new Flow();
    f.proto = p.proto;
    f.ipVersion = p.ipVersion;
    const k = this.k;
    const o = swap ? 4 : 0, r = swap ? 0 : 4;
    f.oa0 = k[o]!; f.oa1 = k[o + 1]!; f.oa2 = k[o + 2]!; f.oa3 = k[o + 3]!; // k has 8 entries
    f.ra0 = k[r]!; f.ra1 = k[r + 1]!; f.ra2 = k[r + 2]!; f.ra3 = k[r + 3]!;
    f.origPort = swap ? p.dstPort : p.srcPort;
    f.respPort = swap ? p.srcPort : p.dstPort;
    this.fromOrig = !swap;
    f.oneWay = p.icmpOneWay;
    f.hash = this.h;
    f.serial = this.created++;
    f.startSec = tsSec;
    f.lastSec = tsSec;
    f.lastSeenSec = tsSec;
    const b = this.h & this.mask;
    f.nextInBucket = this.buckets[b] ?? null;
    this.buckets[b] = f;
    this.size++;
    f.timeoutClass = timeoutClass;
    this.append(f);
    if (this.size > this.buckets.length) this.grow();
    return f;
  }

  /** Swaps originator and responder of `f` (its key fields); the caller swaps the per-direction state. */
  flipKey(f: Flow): void {
    let t = f.oa0; f.oa0 = f.ra0; f.ra0 = t;
    t = f.oa1; f.oa1 = f.ra1; f.ra1 = t;
    t = f.oa2; f.oa2 = f.ra2; f.ra2 = t;
    t = f.oa3; f.oa3 = f.ra3; f.ra3 = t;
    t = f.origPort; f.origPort = f.respPort; f.respPort = t;
  }

  /** Marks `f` active at `tsSec`: moves it to the newest end of its idle list. */
  touch(f: Flow, tsSec: number): void {
    f.lastSeenSec = tsSec;
    // Closing flows stay ordered by their close deadline; later packets (the last ACK) do not postpone it.
    if (this.tails[f.timeoutClass] === f || f.timeoutClass === TimeoutClass.CLOSING) return;
    this.unlink(f);
    this.append(f);
  }

  /** Moves a TCP flow whose ends have closed onto the close-delay list: it ends `closeDelaySec` after `tsSec`. */
  markClosing(f: Flow, tsSec: number, reason: 'closed' | 'reset'): void {
    if (f.timeoutClass === TimeoutClass.CLOSING) return;
    this.unlink(f);
    f.closingReason = reason;
    f.timeoutClass = TimeoutClass.CLOSING;
    f.closeAtSec = tsSec + this.options.closeDelaySec;
    this.append(f);
  }

  /**
   * Ends every flow idle for the timeout or longer (or at its close deadline) at capture time `nowSec`, as Zeek's
   * inactivity timer does (a packet exactly `idle` seconds after the last one starts a new connection). Returns how
   * many ended.
   */
  expire(nowSec: number): number {
    let n = 0;
    for (let c = 0; c < TIMEOUT_CLASSES; c++) {
      const idle = this.idleSec[c]!; // idleSec has TIMEOUT_CLASSES entries
      const closing = c === TimeoutClass.CLOSING;
      let f = this.heads[c] ?? null;
      while (f !== null && (closing ? f.closeAtSec <= nowSec : f.lastSeenSec + idle <= nowSec)) {
        const next = f.lruNext;
        if (f.endReason === 'active') f.endReason = closing ? f.closingReason : 'idle';
        this.remove(f);
        n++;
        f = next;
      }
    }
    return n;
  }

  /** Removes `f` and hands it to the end handler (its endReason must be set by the caller). */
  remove(f: Flow): void {
    const b = f.hash & this.mask;
    let cur = this.buckets[b] ?? null;
    if (cur === f) this.buckets[b] = f.nextInBucket;
    else {
      while (cur !== null && cur.nextInBucket !== f) cur = cur.nextInBucket;
      if (cur !== null) cur.nextInBucket = f.nextInBucket;
    }
    f.nextInBucket = null;
    this.unlink(f);
    this.size--;
    this.onEnd(f);
  }

  /** Ends every flow held, oldest activity first, with `reason`. */
  flush(reason: 'eof'): void {
    const all = this.flows();
    all.sort((a, b) => a.lastSeenSec - b.lastSeenSec || a.serial - b.serial);
    for (const f of all) {
      if (f.endReason === 'active') f.endReason = reason;
      this.remove(f);
    }
  }

  /** Every flow held, in no particular order (allocates: for snapshots, not the packet path). */
  flows(): Flow[] {
    const out: Flow[] = [];
    for (let c = 0; c < TIMEOUT_CLASSES; c++) {
      for (let f = this.heads[c] ?? null; f !== null; f = f.lruNext) out.push(f);
    }
    return out;
  }

  private evictOldest(): void {
    let oldest: Flow | null = null;
    for (let c = 0; c < TIMEOUT_CLASSES; c++) {
      const h = this.heads[c] ?? null;
      if (h !== null && (oldest === null || h.lastSeenSec < oldest.lastSeenSec)) oldest = h;
    }
    if (oldest === null) return;
    oldest.endReason = 'evicted';
    this.evicted++;
    this.remove(oldest);
  }

  private append(f: Flow): void {
    const c = f.timeoutClass;
    const tail = this.tails[c] ?? null;
    f.lruPrev = tail;
    f.lruNext = null;
    if (tail !== null) tail.lruNext = f;
    else this.heads[c] = f;
    this.tails[c] = f;
  }

  private unlink(f: Flow): void {
    const c = f.timeoutClass;
    if (f.lruPrev !== null) f.lruPrev.lruNext = f.lruNext;
    else if (this.heads[c] === f) this.heads[c] = f.lruNext;
    if (f.lruNext !== null) f.lruNext.lruPrev = f.lruPrev;
    else if (this.tails[c] === f) this.tails[c] = f.lruPrev;
    f.lruPrev = null;
    f.lruNext = null;
  }

  private grow(): void {
    const old = this.buckets;
    const n = old.length * 2;
    this.buckets = new Array<Flow | null>(n).fill(null);
    this.mask = n - 1;
    for (let i = 0; i < old.length; i++) {
      let f = old[i] ?? null;
      while (f !== null) {
        const next = f.nextInBucket;
        const b = f.hash & this.mask;
        f.nextInBucket = this.buckets[b] ?? null;
        this.buckets[b] = f;
        f = next;
      }
    }
  }
}
