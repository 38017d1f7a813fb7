/**
 * Demultiplexer: assigns each decoded packet to its flow, orients new flows (originator vs responder), keeps the
 * per-direction counters, drives the TCP tracker and the flow table's timeouts. Every packet is accounted for:
 * assigned to a flow, or counted by the reason it fits none.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { IpProto, TcpFlag } from '../decode/packet.js';
import { Status, STATUS_COUNT } from '../decode/status.js';
import { TcpConnection, TcpEvent } from '../tcp/connection.js';
import { type Direction, Flow, TimeoutClass } from './flow.js';
import { isLikelyServerPort } from './services.js';
import { FlowTable, type FlowTableOptions } from './table.js';

/** Reasons beyond the decoder's statuses for which a packet fits no flow. */
export const FRAGMENT_UNMATCHED = STATUS_COUNT;
/** Size of the per-reason counter array: decoder statuses plus FRAGMENT_UNMATCHED. */
export const REASON_COUNT = STATUS_COUNT + 1;

/** Fragments of an IPv4/IPv6 datagram whose first fragment made (or found) a flow. */
interface FragmentEntry {
  flow: Flow;
  /** The sender's counters (the object travels with the sender when the flow flips). */
  dir: Direction;
  untilSec: number;
}

/** How long a datagram's later fragments are attributed to its first fragment's flow (Linux ipfrag_time is 30 s). */
const FRAGMENT_TIMEOUT_SEC = 30;
/** Bound on datagrams awaiting later fragments. */
const MAX_FRAGMENT_ENTRIES = 65536;
const OK = Status.OK;

export class Demux {
  readonly table: FlowTable;
  /** Packets assigned to a flow (later fragments included). */
  assigned = 0;
  /** Packets not assigned, by reason code (decoder Status, or FRAGMENT_UNMATCHED). */
  readonly unassigned = new Float64Array(REASON_COUNT);
  private readonly fragments = new Map<string, FragmentEntry>();
  private nextExpirySec = 0;

  /** `onEnd` receives every flow the table ends (idle, closed, reset, reuse, evicted, eof). */
  constructor(options: FlowTableOptions, onEnd: (flow: Flow) => void) {
    this.table = new FlowTable(options, onEnd);
  }

  /**
   * Accounts for one decoded packet captured at `tsSec` (seconds since the epoch) with `wireLen` bytes on the wire.
   * Returns the flow it was assigned to, or null. Allocates only when a new flow starts.
   */
  packet(p: DecodedPacket, tsSec: number, wireLen: number): Flow | null {
    if (tsSec >= this.nextExpirySec) {
      // Timeouts are checked once per second of capture time, not per packet.
      this.table.expire(tsSec);
      this.nextExpirySec = tsSec + 1;
    }
    const status = p.status;
    if (status !== OK) {
      if (status === Status.FRAGMENT) return this.laterFragment(p, tsSec, wireLen);
      this.unassigned[status]!++; // status < STATUS_COUNT
      return null;
    }
    const table = this.table;
    let f = table.lookup(p);
    const isTcp = p.proto === IpProto.TCP;
    if (f !== null && isTcp && f.tcp !== null && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN &&
        f.tcp.isReuse(p, table.fromOrig)) {
      // A new SYN on a closed tuple, or with a new initial sequence number: a new connection (Zeek IsReuse).
      f.endReason = 'reuse';
      table.remove(f);
      f = null;
    }
    if (f === null) f = this.create(p, tsSec);
    const fromOrig = table.fromOrig;
    const d = fromOrig ? f.orig : f.resp;
    d.pkts++;
    d.ipBytes += p.ipBytes;
    d.wireBytes += wireLen;
    d.payloadBytes += p.payloadLen;
    if (d.firstSec < 0) d.firstSec = tsSec;
    d.lastSec = tsSec;
    f.lastSec = tsSec;
    if (isTcp) {
      const flags = p.tcpFlags;
      if (flags & TcpFlag.SYN) d.syn++;
      if (flags & TcpFlag.FIN) d.fin++;
      if (flags & TcpFlag.RST) d.rst++;
      if (flags & TcpFlag.ACK) d.ack++;
      if (flags & TcpFlag.PSH) d.psh++;
      if (flags & TcpFlag.URG) d.urg++;
      const tcp = f.tcp!; // every TCP flow gets a tracker in create()
      const ev = tcp.update(p, fromOrig, tsSec);
      if (ev & TcpEvent.FLIP) this.flip(f);
      if (ev & TcpEvent.CLOSED) table.markClosing(f, tsSec, (ev & TcpEvent.RESET) !== 0 ? 'reset' : 'closed');
    } else {
      if (p.proto === IpProto.UDP) d.dataBytes += p.udpLength > 8 ? p.udpLength - 8 : 0;
      else if (p.proto === IpProto.ICMP || p.proto === IpProto.ICMPV6) {
        const data = p.ipBytes - (p.l4 - p.l3) - 8;
        if (data > 0) d.dataBytes += data;
      }
      f.udpHistory |= fromOrig ? 1 : 2;
    }
    if (p.isFragment !== 0 && p.moreFragments !== 0) this.firstFragment(p, f, d, tsSec);
    table.touch(f, tsSec);
    this.assigned++;
    return f;
  }

  /** Ends every open flow (end of input). */
  flush(): void {
    this.table.flush('eof');
  }

  /** Expires flows idle at capture time `tsSec` (for live capture when no packets arrive). */
  expire(tsSec: number): void {
    this.table.expire(tsSec);
  }

  private create(p: DecodedPacket, tsSec: number): Flow {
    let swap = false;
    let guessed = false;
    let tc: TimeoutClass = TimeoutClass.OTHER;
    const proto = p.proto;
    if (proto === IpProto.TCP) {
      tc = TimeoutClass.TCP;
      guessed = (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN;
      swap = TcpConnection.initialFlip(p, (port) => isLikelyServerPort(port, IpProto.TCP));
    } else if (proto === IpProto.UDP) {
      tc = TimeoutClass.UDP;
      // Zeek: a first UDP packet from a likely server port to a port that is not one was sent by the responder.
      swap = isLikelyServerPort(p.srcPort, proto) && !isLikelyServerPort(p.dstPort, proto);
      guessed = swap;
    } else if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      tc = TimeoutClass.ICMP;
    }
    const f = this.table.insert(p, swap, tsSec, tc);
    f.directionGuessed = guessed;
    if (swap) f.udpHistory |= 4;
    if (proto === IpProto.TCP) {
      f.tcp = new TcpConnection();
      if (swap) f.tcp.markFlipped();
    }
    return f;
  }

  /** Swaps a flow's roles after the TCP tracker found that the first packet came from the responder. */
  private flip(f: Flow): void {
    this.table.flipKey(f);
    const t = f.orig;
    (f as { orig: typeof t }).orig = f.resp;
    (f as { resp: typeof t }).resp = t;
    this.table.fromOrig = !this.table.fromOrig;
    f.directionGuessed = false;
  }

  private fragKey(p: DecodedPacket): string {
    return p.ipVersion === 4
      ? `4:${p.src4}:${p.dst4}:${p.fragId}`
      : `6:${p.src6.join(',')}:${p.dst6.join(',')}:${p.fragId}`;
  }

  /** Remembers a first fragment's flow so that the datagram's later fragments are attributed to it. */
  private firstFragment(p: DecodedPacket, f: Flow, dir: Direction, tsSec: number): void {
    if (p.fragOffset !== 0) return;
    if (this.fragments.size >= MAX_FRAGMENT_ENTRIES) this.pruneFragments(tsSec, true);
    this.fragments.set(this.fragKey(p), { flow: f, dir, untilSec: tsSec + FRAGMENT_TIMEOUT_SEC });
  }

  /**
   * A later fragment (RFC 791 / RFC 8200 §4.5: only the first fragment carries the upper-layer header). It adds its
   * bytes to the datagram's flow; the datagram already counted as one packet, as tshark and Zeek count it.
   */
  private laterFragment(p: DecodedPacket, tsSec: number, wireLen: number): Flow | null {
    const key = this.fragKey(p);
    const e = this.fragments.get(key);
    if (e === undefined || e.untilSec < tsSec || e.flow.endReason !== 'active') {
      this.unassigned[FRAGMENT_UNMATCHED]!++;
      return null;
    }
    const dir = e.dir;
    dir.fragments++;
    dir.wireBytes += wireLen;
    // IP bytes of the reassembled datagram: only this fragment's data (its own header is not part of the datagram).
    dir.ipBytes += p.payloadLen;
    dir.lastSec = tsSec;
    if (p.moreFragments === 0) this.fragments.delete(key);
    this.table.touch(e.flow, tsSec);
    this.assigned++;
    return e.flow;
  }

  private pruneFragments(tsSec: number, all: boolean): void {
    for (const [k, e] of this.fragments) if (all || e.untilSec < tsSec) this.fragments.delete(k);
  }
}
