/**
 * FlowTable: the 5-tuple -> Flow map. Numeric symmetric hash, open addressing, field-compare confirmation (no string
 * keys on the per-packet path), per-protocol idle timeouts on a timer wheel, and capacity eviction.
 *
 * Timeouts cost nothing per packet: a packet only records its time in the flow (`touch`). Each flow sits in the wheel
 * slot of the second its deadline fell in when it was last scheduled; when the wheel reaches that slot the flow either
 * ends (its deadline has passed) or moves to the slot of its real deadline. Lookups check the deadline too, so a
 * packet arriving after a flow's timeout always starts a new flow, exactly as Zeek's timers would have it.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { Flow, tcpAttemptExpired, tcpAttemptPending, TimeoutClass } from './flow.js';

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
  /** Seconds after which an unanswered SYN ends its connection (Zeek tcp_attempt_delay). @default 5 */
  attemptDelaySec?: number;
  /** Most flows held at once; the flow nearest its idle timeout is ended ('evicted') to make room. @default 1_000_000 */
  maxFlows?: number;
  /**
   * Memory budget for flow state, bytes (Suricata's flow memcap). Near it the table goes into emergency mode, then
   * ends flows to stay within it (see FlowTable). @default 480 MiB (with the process itself, under 600 MB)
   */
  memoryBytes?: number;
  /**
   * Seconds after which a long flow is reported though it goes on (YAF's and softflowd's active timeout): the handler
   * `onActive` gets it, then again every this many seconds, until it ends. 0: never. @default 0
   */
  activeTimeoutSec?: number;
  /**
   * In emergency mode, seconds after which a flow that never had an answer ends ('evicted'), instead of Zeek's attempt
   * delay or its idle timeout (Suricata's emergency timeouts). @default 1
   */
  emergencyTimeoutSec?: number;
}

/**
 * What the budget charges for each piece of flow state, bytes: measured peak memory per flow on floods (V8 heap with
 * its collection headroom, not only the object sizes), so that a budget bounds the process's growth. A flow; a TCP
 * flow's segment log (the small tier); a TCP tracker of its own (the full tier, replacing the log).
 */
export const FLOW_BYTES = 850;
export const SEGMENT_LOG_BYTES = 450;
export const TRACKER_BYTES = 2450;

const IP_PROTO_TCP = 6;

/** What the budget charges for flow `f` as it stands: the flow, and a TCP flow's log or tracker. */
export function flowBytes(f: Flow): number {
  if (f.proto !== IP_PROTO_TCP) return FLOW_BYTES;
  return FLOW_BYTES + (f.tcp !== null ? TRACKER_BYTES : SEGMENT_LOG_BYTES);
}

/** Emergency mode starts when the charged memory passes this share of the budget, and ends below the second. */
const EMERGENCY_ON = 0.9;
const EMERGENCY_OFF = 0.7;

/** Resolved options with every default filled in. */
export type ResolvedTableOptions = Required<FlowTableOptions>;

export function resolveTableOptions(o: FlowTableOptions = {}): ResolvedTableOptions {
  return {
    tcpIdleSec: o.tcpIdleSec ?? 300,
    udpIdleSec: o.udpIdleSec ?? 60,
    icmpIdleSec: o.icmpIdleSec ?? 60,
    otherIdleSec: o.otherIdleSec ?? 60,
    closeDelaySec: o.closeDelaySec ?? 5,
    attemptDelaySec: o.attemptDelaySec ?? 5,
    maxFlows: o.maxFlows ?? 1_000_000,
    memoryBytes: o.memoryBytes ?? 480 * 1024 * 1024,
    emergencyTimeoutSec: o.emergencyTimeoutSec ?? 1,
    activeTimeoutSec: o.activeTimeoutSec ?? 0,
  };
}

/** Mixes one endpoint (address words + port) into 32 bits. */
function endpointHash(a0: number, a1: number, a2: number, a3: number, port: number): number {
  return portHash(a3 ^ Math.imul(a2, 0x27d4eb2d) ^ Math.imul(a1, 0x165667b1) ^ Math.imul(a0, 0x9e3779b1), port);
}

/** The end of endpointHash: the address words' mix `a` with the port. */
function portHash(a: number, port: number): number {
  let h = Math.imul(a ^ (port * 0x10001), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Same value for a->b and b->a; `+` rather than `^` keeps a->a flows (same address and port) apart. */
function symmetricHash(sh: number, dh: number, proto: number): number {
  return Math.imul((sh + dh) | 0, 0x9e3779b1) ^ proto;
}

/** One-second slots of the timer wheel (a power of two; longer timeouts go round the wheel and are rescheduled). */
const WHEEL_SLOTS = 1024;
const WHEEL_MASK = WHEEL_SLOTS - 1;


/** Called for every flow the table removes: expired, closed, evicted, or flushed. */
export type EndHandler = (flow: Flow) => void;

export class FlowTable {
  readonly options: ResolvedTableOptions;
  /**
   * Open addressing with linear probing over slots of two int32 cells: `cells[2i]` the hash of the flow in slot i, 0
   * for an empty slot (keyHash never gives 0), `cells[2i + 1]` its id (byId). A lookup scans the hashes, 8 slots
   * to a cache line, and touches a flow only when its hash matches: a new flow's miss (every packet of a flood) then
   * costs about one cache miss instead of one per flow of a chain. Ids rather than references: growing copies
   * integers without a write barrier per flow (a reference stored into this large, old array costs one), and the
   * collector has no pointers to follow here. Removal shifts the rest of the cluster back (no tombstones). At most
   * half full (see grow).
   */
  private cells: Int32Array;
  /**
   * Every Flow this table made, by id: flows are reused through the pool, never dropped, so an id names one object
   * for the table's life (and the table's flows go with it).
   */
  private readonly byId: Flow[] = [];
  private mask: number;
  /** Flows currently held. */
  size = 0;
  /** Flows created over the table's life. */
  created = 0;
  /** Flows ended to make room: every reason, and those of them ended for the memory budget. */
  evicted = 0;
  evictedForMemory = 0;
  /** Unanswered flows ended by the emergency timeout (also counted in `evicted` and `evictedForMemory`). */
  emergencyEnded = 0;
  /** Closed flows ended before their close delay was over, to keep within the memory budget (end_reason closed/reset). */
  closedEarly = 0;
  /** Bytes charged to the flows held (see charge). */
  memory = 0;
  /** Highest `memory` reached. */
  peakMemory = 0;
  /** In emergency mode: unanswered flows end after emergencyTimeoutSec (see deadline). */
  emergency = false;
  /** Times emergency mode was entered. */
  emergencies = 0;
  /**
   * Timer wheel: the id of the first flow of the list of flows due in each one-second slot (-1: none), and each flow's
   * neighbours in its list, by id (-1: none). Ids in typed arrays, as in the slots: rescheduling a flow writes no
   * reference from an older flow to a younger one (a write barrier each).
   */
  private readonly wheel = new Int32Array(WHEEL_SLOTS).fill(-1);
  private wheelNext: Int32Array = new Int32Array(1024).fill(-1);
  private wheelPrev: Int32Array = new Int32Array(1024).fill(-1);
  /** The last whole second of capture time the wheel has processed (NaN before the first flow). */
  private wheelSec = Number.NaN;
  /** Idle timeout of each TimeoutClass (CLOSING flows use their closeAtSec instead). */
  private readonly idleSec: Float64Array;
  private readonly onEnd: EndHandler;
  private readonly onActive: EndHandler;
  /**
   * Flows in their close delay, in the order they closed, as a ring of their ids with the serial each had then (a
   * flow ended meanwhile and reused for another has another serial): over the memory budget these go first, since
   * their records are final. Ids in typed arrays, as the slots and the wheel keep them: no reference stored per flow
   * into a large array of the old generation (each a write barrier), no array compacted. `closingHead` is the first
   * entry's index, `closingCount` how many there are; the ring doubles when full.
   */
  private closingIds = new Int32Array(1024);
  private closingSerials = new Float64Array(1024);
  private closingHead = 0;
  private closingCount = 0;
  /** Flows reported by the active timeout (still open). */
  reported = 0;
  /**
   * The key of the packet being looked up: source words 0-3, destination words 4-7, as int32. A typed array rather
   * than eight number fields: stores into it never allocate, whereas a field holding a value outside V8's small
   * integer range boxes it on every store.
   */
  private readonly k = new Int32Array(8);
  private h = 0;
  /** Ended flows handed back by {@link recycle}, reset, for {@link insert} to reuse. */
  private readonly pool: Flow[] = [];

  /** `onEnd` gets every flow the table ends; `onActive` every long flow due for an intermediate report. */
  constructor(options: FlowTableOptions, onEnd: EndHandler, onActive: EndHandler = () => {}) {
    this.options = resolveTableOptions(options);
    this.onEnd = onEnd;
    this.onActive = onActive;
    this.cells = new Int32Array(2 << 13);
    this.mask = (1 << 13) - 1;
    const o = this.options;
    this.idleSec = Float64Array.of(o.tcpIdleSec, o.udpIdleSec, o.icmpIdleSec, o.otherIdleSec, o.closeDelaySec);
  }

  /** Finds the flow of packet `p` in either direction, or null (sentByOrig tells which). */
  lookup(p: DecodedPacket): Flow | null {
    return this.find(p, this.keyHash(p));
  }

  /**
   * {@link lookup} in two steps: `keyHash(p)` loads the packet's key and returns its symmetric hash (the same for
   * both directions), `find(p, hash)` then looks that key up. The demultiplexer picks its shard from the hash between.
   */
  find(p: DecodedPacket, h: number): Flow | null {
    const k = this.k;
    const sp = p.srcPort, dp = p.dstPort, proto = p.proto;
    const s3 = k[3]!, d3 = k[7]!; // k has 8 entries
    const version = p.ipVersion;
    // Words 0-2 of an IPv4 address are 0 in both the key and the flow: an IPv4 lookup leaves them (and the cache
    // lines they are on) alone.
    const v4 = version === 4;
    const cells = this.cells, mask = this.mask, byId = this.byId;
    for (let i = h & mask; cells[2 * i] !== 0; i = (i + 1) & mask) {
      if (cells[2 * i] !== h) continue;
      const f = byId[cells[2 * i + 1]!]!; // a tagged slot holds a flow's id
      if (f.proto === proto && f.ipVersion === version) {
        if (f.origPort === sp && f.respPort === dp && f.oa3 === s3 && f.ra3 === d3 &&
            (v4 || (f.oa0 === k[0] && f.oa1 === k[1] && f.oa2 === k[2] && f.ra0 === k[4] && f.ra1 === k[5] &&
              f.ra2 === k[6]))) {
          return f;
        }
        if (f.oneWay === 0 && f.origPort === dp && f.respPort === sp && f.oa3 === d3 && f.ra3 === s3 &&
            (v4 || (f.oa0 === k[4] && f.oa1 === k[5] && f.oa2 === k[6] && f.ra0 === k[0] && f.ra1 === k[1] &&
              f.ra2 === k[2]))) {
          return f;
        }
      }
    }
    return null;
  }

  /** Copies the packet's addresses into the key registers and returns the symmetric hash (see {@link find}). */
  keyHash(p: DecodedPacket): number {
    const k = this.k;
    if (p.ipVersion === 4) {
      const s = p.src4 | 0, d = p.dst4 | 0;
      k[0] = 0; k[1] = 0; k[2] = 0; k[3] = s;
      k[4] = 0; k[5] = 0; k[6] = 0; k[7] = d;
      // endpointHash with the three zero words left out (each term of theirs is 0).
      const h = symmetricHash(portHash(s, p.srcPort), portHash(d, p.dstPort), p.proto);
      return (this.h = h === 0 ? 1 : h); // 0 marks an empty slot
    }
    const s = p.src6, d = p.dst6;
    k[0] = s[0]!; k[1] = s[1]!; k[2] = s[2]!; k[3] = s[3]!; // src6/dst6 have length 4
    k[4] = d[0]!; k[5] = d[1]!; k[6] = d[2]!; k[7] = d[3]!;
    const sh = endpointHash(k[0]!, k[1]!, k[2]!, k[3]!, p.srcPort);
    const dh = endpointHash(k[4]!, k[5]!, k[6]!, k[7]!, p.dstPort);
    const h = symmetricHash(sh, dh, p.proto);
    return (this.h = h === 0 ? 1 : h); // 0 marks an empty slot
  }

  /**
   * Creates the flow of packet `p` (which {@link lookup} did not find). `swap` makes the packet's destination the
   * originator. `serial`: the flow's serial number (its uid and tie-breaking order derive from it), which the
   * pipeline takes from the packet's position in the input so that it is the same however the input is split
   * between threads; negative: numbered in creation order. Ends flows first when the table is full or the memory
   * budget would be passed.
   */
  insert(p: DecodedPacket, swap: boolean, tsSec: number, timeoutClass: TimeoutClass, serial = -1): Flow {
    if (this.size >= this.options.maxFlows) this.evictOldest(false);
    const cost = p.proto === IP_PROTO_TCP ? FLOW_BYTES + SEGMENT_LOG_BYTES : FLOW_BYTES; // a new TCP flow gets a log
    while (this.memory + cost > this.options.memoryBytes && this.size > 0) {
      if (!this.endClosedEarly()) this.evictOldest(true);
    }
    this.keyHash(p);
    const f = this.pool.pop() ?? this.newFlow();
    f.proto = p.proto;
    f.ipVersion = p.ipVersion;
    const k = this.k;
    const o = swap ? 4 : 0, r = swap ? 0 : 4;
    f.oa0 = k[o]!; f.oa1 = k[o + 1]!; f.oa2 = k[o + 2]!; f.oa3 = k[o + 3]!; // k has 8 entries
    f.ra0 = k[r]!; f.ra1 = k[r + 1]!; f.ra2 = k[r + 2]!; f.ra3 = k[r + 3]!;
    f.origPort = swap ? p.dstPort : p.srcPort;
    f.respPort = swap ? p.srcPort : p.dstPort;
    f.oneWay = p.icmpOneWay;
    f.hash = this.h;
    f.serial = serial >= 0 ? serial : this.created;
    this.created++;
    f.startSec = tsSec;
    f.lastSec = tsSec;
    f.lastSeenSec = tsSec;
    f.dueFloor = Math.floor(tsSec + this.idleSec[timeoutClass]!); // timeoutClass < 5
    this.place(f);
    this.size++;
    f.timeoutClass = timeoutClass;
    this.charge(cost);
    if (this.emergency) f.dueFloor = Math.floor(tsSec + this.options.emergencyTimeoutSec);
    if (Number.isNaN(this.wheelSec)) this.wheelSec = Math.floor(tsSec) - 1;
    // A TCP flow is first looked at after Zeek's attempt delay: an unanswered SYN ends then (see attemptOver), and
    // an answered one moves on to its idle deadline. In emergency mode, at the (earlier) emergency deadline.
    const due = this.deadline(f);
    let first = timeoutClass === TimeoutClass.TCP ? tsSec + this.options.attemptDelaySec : due;
    if (due < first) first = due;
    const active = this.options.activeTimeoutSec;
    if (active > 0 && tsSec + active < first) first = tsSec + active;
    this.schedule(f, first);
    if (2 * this.size > this.mask + 1) this.grow();
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

  /**
   * Marks `f` active at `tsSec`. Only a field write: the wheel finds out when it reaches the flow's old slot. Activity
   * moves the idle deadline later, which keeps `dueFloor` below it, except when capture time steps back: then the
   * floor comes down with the deadline.
   */
  touch(f: Flow, tsSec: number): void {
    f.lastSeenSec = tsSec;
    const idleDue = tsSec + this.idleSec[f.timeoutClass]!; // timeoutClass < 5
    if (idleDue < f.dueFloor) f.dueFloor = Math.floor(idleDue);
  }

  /**
   * Capture time at which `f` ends if nothing more arrives: its idle timeout, or its close deadline; in emergency mode,
   * for a flow that never had an answer, emergencyTimeoutSec after its last packet when that comes first.
   */
  deadline(f: Flow): number {
    if (f.timeoutClass === TimeoutClass.CLOSING) return f.closeAtSec;
    const idle = f.lastSeenSec + this.idleSec[f.timeoutClass]!; // timeoutClass < 5
    if (!this.emergency || f.rPkts !== 0) return idle;
    const urgent = f.lastSeenSec + this.options.emergencyTimeoutSec;
    return urgent < idle ? urgent : idle;
  }

  /**
   * Charges `bytes` more (or, negative, less) of the memory budget to the flows held (the demultiplexer charges the
   * difference when a flow moves from its log to a tracker; see flowBytes). Turns emergency mode on near the budget
   * and off well below it.
   */
  charge(bytes: number): void {
    const m = (this.memory += bytes);
    if (m > this.peakMemory) this.peakMemory = m;
    const budget = this.options.memoryBytes;
    if (!this.emergency) {
      if (m > budget * EMERGENCY_ON) {
        this.emergency = true;
        this.emergencies++;
      }
    } else if (m < budget * EMERGENCY_OFF) this.emergency = false;
  }

  /** Whether `f` is a TCP connection attempt still unanswered (only the originator has sent, SYNs). */
  private attemptPending(f: Flow): boolean {
    return f.timeoutClass === TimeoutClass.TCP && f.rPkts === 0 && tcpAttemptPending(f);
  }

  /** Whether Zeek's attempt timer has ended `f` by `nowSec`: a SYN unanswered for attemptDelaySec (5 s). */
  private attemptOver(f: Flow, nowSec: number): boolean {
    return (
      f.timeoutClass === TimeoutClass.TCP && f.rPkts === 0 && tcpAttemptExpired(f, nowSec, this.options.attemptDelaySec)
    );
  }

  /**
   * Whether `f` has ended by capture time `nowSec`: idle for its timeout or longer (Zeek's inactivity timer: a packet
   * exactly `idle` seconds after the last one starts a new connection), past its close deadline, or an unanswered SYN
   * past Zeek's attempt delay. The one test both the wheel and every lookup use.
   */
  isDue(f: Flow, nowSec: number): boolean {
    return (nowSec >= f.dueFloor && this.deadline(f) <= nowSec) || this.attemptOver(f, nowSec);
  }

  /**
   * Sets why a due flow ends: 'idle', or for a closing TCP flow 'closed' / 'reset'; 'evicted' when only the emergency
   * timeout had passed (see deadline).
   */
  private setDueReason(f: Flow, nowSec: number): void {
    if (f.endReason !== 'active') return;
    if (f.timeoutClass === TimeoutClass.CLOSING) f.endReason = f.closingReason;
    else if (this.emergency && f.lastSeenSec + this.idleSec[f.timeoutClass]! > nowSec && !this.attemptOver(f, nowSec)) {
      f.endReason = 'evicted';
      this.evicted++;
      this.evictedForMemory++;
      this.emergencyEnded++;
    } else f.endReason = 'idle';
  }

  /** Ends `f` because it is due at the time of a new packet (see {@link isDue}). */
  endDue(f: Flow, nowSec: number): void {
    this.setDueReason(f, nowSec);
    this.remove(f);
  }

  /** Moves a TCP flow whose ends have closed onto the close delay: it ends `closeDelaySec` after `tsSec`. */
  markClosing(f: Flow, tsSec: number, reason: 'closed' | 'reset'): void {
    if (f.timeoutClass === TimeoutClass.CLOSING) return;
    this.unschedule(f);
    f.closingReason = reason;
    f.timeoutClass = TimeoutClass.CLOSING;
    const closeAt = tsSec + this.options.closeDelaySec;
    f.closeAtSec = closeAt;
    this.pushClosing(f);
    f.dueFloor = Math.floor(closeAt);
    this.schedule(f, closeAt);
  }

  /**
   * Ends every flow due at capture time `nowSec` (see {@link isDue}); flows reached by the wheel that are not due yet
   * move to the slot of their deadline. Call it as capture time advances (the demultiplexer does, once a second).
   * Returns how many flows ended.
   */
  expire(nowSec: number): number {
    if (Number.isNaN(this.wheelSec)) return 0;
    const target = Math.floor(nowSec);
    const steps = Math.min(target - this.wheelSec, WHEEL_SLOTS);
    let n = 0;
    for (let i = 1; i <= steps; i++) {
      const slot = (this.wheelSec + i) & WHEEL_MASK;
      let id = this.wheel[slot]!; // slot <= WHEEL_MASK
      this.wheel[slot] = -1;
      while (id >= 0) {
        const f = this.byId[id]!; // a listed id is a flow's
        const following = this.wheelNext[id]!; // id < length
        this.wheelNext[id] = -1;
        this.wheelPrev[id] = -1;
        f.slot = -1;
        const due = this.deadline(f);
        if (due <= nowSec || this.attemptOver(f, nowSec)) { // isDue, with the deadline reused below
          this.setDueReason(f, nowSec);
          this.remove(f);
          n++;
        } else {
          // Not due yet (it was active since it was scheduled): to its deadline's slot, or the next second's; an
          // unanswered SYN is looked at again each second until Zeek's attempt timer would have fired. A long flow
          // whose active timeout has passed is reported first, and is looked at again at its next report.
          let next = this.attemptPending(f) ? target + 1 : due;
          const active = this.options.activeTimeoutSec;
          if (active > 0) {
            if (this.reportDue(f) <= nowSec) {
              f.lastReportSec = nowSec;
              this.reported++;
              this.onActive(f);
            }
            const report = this.reportDue(f);
            if (report < next) next = report;
          }
          this.schedule(f, next < target + 1 ? target + 1 : next);
        }
        id = following;
      }
    }
    if (steps > 0) this.wheelSec = target;
    this.dropStaleClosing();
    return n;
  }

  /** Capture time at which `f` is due for its next intermediate report (active timeout): from its start or last report. */
  private reportDue(f: Flow): number {
    const last = f.lastReportSec;
    return (Number.isNaN(last) ? f.startSec : last) + this.options.activeTimeoutSec;
  }

  /** Removes `f` and hands it to the end handler (its endReason must be set by the caller). */
  remove(f: Flow): void {
    this.unplace(f);
    this.unschedule(f);
    this.release(f);
  }

  /** The end of removing `f`, out of the slots and the wheel: uncounted, uncharged, handed to the end handler. */
  private release(f: Flow): void {
    this.size--;
    this.charge(-flowBytes(f));
    this.onEnd(f);
  }

  /**
   * Takes back an ended flow (removed, its record taken) for reuse by a later insert: the caller must hold no
   * reference to it any more. Optional: a flow never recycled is simply garbage.
   */
  recycle(f: Flow): void {
    if (f.slot >= 0) throw new Error('FlowTable.recycle: the flow is still in the table');
    if (this.byId[f.id] !== f) throw new Error('FlowTable.recycle: the flow is another table\'s');
    f.reset();
    // Every ended flow is kept for reuse: a Flow object keeps its slot of capture times for life (flow.ts), and the
    // pool is never larger than the table was at its fullest, which the memory budget bounds (Suricata keeps its
    // flows preallocated the same way).
    this.pool.push(f);
  }

  /** Ends every flow held, oldest activity first, with `reason`. */
  flush(reason: 'eof'): void {
    const all = this.beginFlush();
    for (let i = 0; i < all.length; i++) this.endFlushed(all[i]!, reason); // i < length
  }

  /**
   * Starts ending every flow held (the end of the input): returns them in the order to end them in (oldest activity
   * first, then serial), each then to be ended by endFlushed, in that order, in batches if need be. The slots and the
   * timer wheel are emptied at once rather than flow by flow (two or three cache misses a flow, with a million held):
   * no lookup finds these flows any more and no timeout ends them, while flows() (snapshots) still lists those not
   * yet ended. Nothing else may change the table until the last has been ended.
   */
  beginFlush(): Flow[] {
    const all = this.flushOrder();
    this.cells.fill(0);
    this.wheel.fill(-1);
    this.closingHead = 0;
    this.closingCount = 0;
    return all;
  }

  /** Every flow held, in the order flush ends them (oldest activity first, then serial). */
  private flushOrder(): Flow[] {
    const all = this.flows();
    // Sorted by keys copied into arrays first: a comparison then reads two dense arrays, not two flows and their
    // times (a cache miss each, with a million flows open at the end of a UDP flood).
    const n = all.length;
    const last = new Float64Array(n), serial = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const f = all[i]!; // i < n
      last[i] = f.lastSeenSec;
      serial[i] = f.serial;
    }
    const order = lastThenSerial(last, serial);
    const out = new Array<Flow>(n);
    for (let k = 0; k < n; k++) out[k] = all[order[k]!]!; // k < n, order[k] < n
    return out;
  }

  /** Ends `f`, one of beginFlush()'s flows, with `reason` (unless it already has one): remove() without the slots and wheel. */
  endFlushed(f: Flow, reason: 'eof'): void {
    if (f.endReason === 'active') f.endReason = reason;
    f.slot = -1; // the wheel was emptied by beginFlush
    this.release(f);
  }

  /** Every flow held, in no particular order (allocates: for snapshots, not the packet path). */
  flows(): Flow[] {
    // Every flow this table made, in the order they were made (and, mostly, laid out in memory), those held: a flow
    // in the table is always in a wheel slot, one ended or pooled never.
    const out: Flow[] = [];
    const byId = this.byId;
    for (let i = 0; i < byId.length; i++) {
      const f = byId[i]!; // i < length
      if (f.slot >= 0) out.push(f);
    }
    return out;
  }

  /**
   * Ends the flow nearest its timeout. Walks the wheel from the next second on; flows met there that were active
   * since they were scheduled move to their real deadline's slot first, so the victim is the least recently active.
   */
  private evictOldest(forMemory: boolean): void {
    const start = Number.isNaN(this.wheelSec) ? 0 : this.wheelSec + 1;
    for (let i = 0; i < WHEEL_SLOTS; i++) {
      const second = start + i;
      const slot = second & WHEEL_MASK;
      let id = this.wheel[slot]!; // slot <= WHEEL_MASK
      while (id >= 0) {
        const f = this.byId[id]!; // a listed id is a flow's
        const following = this.wheelNext[id]!; // id < length
        const due = Math.floor(this.deadline(f));
        if (due <= second) {
          this.evict(f, forMemory);
          return;
        }
        if (due < start + WHEEL_SLOTS) {
          this.unschedule(f);
          this.schedule(f, due);
        }
        id = following;
      }
    }
    // Every flow is further out than one turn of the wheel: take any.
    for (let s = 0; s < WHEEL_SLOTS; s++) {
      const id = this.wheel[s]!; // s < WHEEL_SLOTS
      if (id >= 0) {
        this.evict(this.byId[id]!, forMemory); // a listed id is a flow's
        return;
      }
    }
  }

  /**
   * Over the memory budget, ends the flow that closed first and still waits out its close delay (its record is final:
   * only late packets are lost), with its own end reason; false when there is none.
   */
  private endClosedEarly(): boolean {
    this.dropStaleClosing();
    if (this.closingCount === 0) return false;
    const f = this.byId[this.closingIds[this.closingHead]!]!; // a live entry (dropStaleClosing): the id of a flow
    this.closingHead = (this.closingHead + 1) & (this.closingIds.length - 1);
    this.closingCount--;
    f.endReason = f.closingReason;
    this.closedEarly++;
    this.remove(f);
    return true;
  }

  /** Skips the closing queue's first entries while their flows are no longer closing (ended, or reused for another flow). */
  private dropStaleClosing(): void {
    const ids = this.closingIds, serials = this.closingSerials, mask = ids.length - 1;
    let head = this.closingHead, count = this.closingCount;
    while (count > 0) {
      const f = this.byId[ids[head]!]!; // head <= mask; queued ids are flows'
      if (f.serial === serials[head] && f.timeoutClass === TimeoutClass.CLOSING && f.slot >= 0) break;
      head = (head + 1) & mask;
      count--;
    }
    this.closingHead = count === 0 ? 0 : head;
    this.closingCount = count;
  }

  /** Appends `f` to the closing queue (see closingIds), doubling the ring when it is full. */
  private pushClosing(f: Flow): void {
    let ids = this.closingIds, serials = this.closingSerials;
    if (this.closingCount === ids.length) {
      const grownIds = new Int32Array(ids.length * 2);
      const grownSerials = new Float64Array(ids.length * 2);
      for (let i = 0, at = this.closingHead; i < this.closingCount; i++, at = (at + 1) & (ids.length - 1)) {
        grownIds[i] = ids[at]!; // at < length
        grownSerials[i] = serials[at]!;
      }
      this.closingIds = ids = grownIds;
      this.closingSerials = serials = grownSerials;
      this.closingHead = 0;
    }
    const at = (this.closingHead + this.closingCount) & (ids.length - 1);
    ids[at] = f.id;
    serials[at] = f.serial;
    this.closingCount++;
  }

  private evict(f: Flow, forMemory: boolean): void {
    f.endReason = 'evicted';
    this.evicted++;
    if (forMemory) this.evictedForMemory++;
    this.remove(f);
  }

  /**
   * Puts `f` at the front of the wheel slot of capture time `atSec`, or of the next second the wheel will process if
   * `atSec` is behind it (capture time stepped back, as between files): a slot already passed would be reached only a
   * turn of the wheel later, and when depends on how far this table's wheel has run, which differs between tables
   * that hold different flows (the shards of a sharded run).
   */
  private schedule(f: Flow, atSec: number): void {
    const second = Math.floor(atSec);
    const slot = (second > this.wheelSec ? second : this.wheelSec + 1) & WHEEL_MASK;
    const head = this.wheel[slot]!; // slot <= WHEEL_MASK
    const id = f.id;
    this.wheelPrev[id] = -1;
    this.wheelNext[id] = head;
    if (head >= 0) this.wheelPrev[head] = id;
    this.wheel[slot] = id;
    f.slot = slot;
  }

  private unschedule(f: Flow): void {
    if (f.slot < 0) return;
    const id = f.id, prev = this.wheelPrev[id]!, next = this.wheelNext[id]!; // id < length
    if (prev >= 0) this.wheelNext[prev] = next;
    else this.wheel[f.slot] = next;
    if (next >= 0) this.wheelPrev[next] = prev;
    this.wheelPrev[id] = -1;
    this.wheelNext[id] = -1;
    f.slot = -1;
  }

  /** A Flow of this table's own (see byId). */
  private newFlow(): Flow {
    const f = new Flow();
    f.id = this.byId.length;
    this.byId.push(f);
    if (f.id >= this.wheelNext.length) {
      this.wheelNext = grownLinks(this.wheelNext);
      this.wheelPrev = grownLinks(this.wheelPrev);
    }
    return f;
  }

  /** Puts `f` (its hash set) in the first empty slot from its home. */
  private place(f: Flow): void {
    placeCell(this.cells, this.mask, f.hash, f.id);
  }

  /** Takes `f` out of its slot and moves the flows after it in the cluster back where they may stand (Knuth's R). */
  private unplace(f: Flow): void {
    const cells = this.cells, mask = this.mask, id = f.id;
    let i = f.hash & mask;
    for (;;) {
      if (cells[2 * i] === 0) throw new Error('FlowTable.remove: the flow is not in the table');
      if (cells[2 * i + 1] === id) break;
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; cells[2 * j] !== 0; j = (j + 1) & mask) {
      // The flow at j may move to the hole at i unless its home lies cyclically in (i, j].
      const home = cells[2 * j]! & mask; // j <= mask
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      cells[2 * i] = cells[2 * j]!;
      cells[2 * i + 1] = cells[2 * j + 1]!;
      i = j;
    }
    cells[2 * i] = 0;
    cells[2 * i + 1] = 0;
  }

  /** Twice the slots, every flow placed again from its cells alone (no flow is loaded). */
  private grow(): void {
    const old = this.cells;
    const slots = old.length; // twice the old slot count
    this.cells = new Int32Array(2 * slots);
    this.mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) {
      const tag = old[i]!; // i < length
      if (tag !== 0) placeCell(this.cells, this.mask, tag, old[i + 1]!);
    }
  }
}

/**
 * Whether packet `p` of flow `f` (found by FlowTable.find, or just created) was sent by the originator: its source
 * is the originator's socket. On a flow whose two sockets are the same the forward match wins, as in find.
 */
export function sentByOrig(f: Flow, p: DecodedPacket): boolean {
  if (f.origPort !== p.srcPort || f.respPort !== p.dstPort) return false;
  if (p.ipVersion === 4) return f.oa3 === (p.src4 | 0) && f.ra3 === (p.dst4 | 0);
  const s = p.src6, d = p.dst6;
  return f.oa0 === (s[0]! | 0) && f.oa1 === (s[1]! | 0) && f.oa2 === (s[2]! | 0) && f.oa3 === (s[3]! | 0) && // 4 words
    f.ra0 === (d[0]! | 0) && f.ra1 === (d[1]! | 0) && f.ra2 === (d[2]! | 0) && f.ra3 === (d[3]! | 0);
}

/**
 * The indices of `last` and `serial` (one entry per flow) ordered by last, then serial. Sorting a million indices with
 * a comparison function takes about 0.5 s; here, when the times span less than 2^32 µs (71 minutes), each index is
 * packed below its time in µs into a 64-bit integer and the integers are sorted natively (about 0.08 s), then runs of
 * equal times are put in serial order. The result is checked in one pass, and the comparison sort does the work
 * whenever the packed one cannot (a longer span, times that are not whole µs apart).
 */
export function lastThenSerial(last: Float64Array, serial: Float64Array): Uint32Array {
  const n = last.length;
  const before = (a: number, b: number): number => last[a]! - last[b]! || serial[a]! - serial[b]!; // a, b < n
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = last[i]!; // i < n
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const order = new Uint32Array(n);
  if (n > 1 && (max - min) * 1e6 < 2 ** 32 - 1) {
    const packed = new BigUint64Array(n);
    const words = new Uint32Array(packed.buffer); // little-endian: the index low, the time high
    for (let i = 0; i < n; i++) {
      words[2 * i] = i;
      words[2 * i + 1] = Math.round((last[i]! - min) * 1e6); // i < n
    }
    packed.sort();
    for (let k = 0; k < n; k++) order[k] = words[2 * k]!; // k < n
    // Equal times came out in index order: put each run of them in serial order.
    for (let k = 0; k < n; ) {
      let end = k + 1;
      while (end < n && last[order[end]!] === last[order[k]!]) end++; // end < n
      if (end - k > 1) order.subarray(k, end).sort(before);
      k = end;
    }
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) sorted = before(order[k - 1]!, order[k]!) < 0; // k < n
    if (sorted) return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort(before);
}

/** Puts hash `hash` and flow id `id` in the first empty slot from the hash's home. */
function placeCell(cells: Int32Array, mask: number, hash: number, id: number): void {
  let i = hash & mask;
  while (cells[2 * i] !== 0) i = (i + 1) & mask;
  cells[2 * i] = hash;
  cells[2 * i + 1] = id;
}

/** `links` at twice its length, the new entries -1. */
function grownLinks(links: Int32Array): Int32Array {
  const grown = new Int32Array(2 * links.length).fill(-1);
  grown.set(links);
  return grown;
}
