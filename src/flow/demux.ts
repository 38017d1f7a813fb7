/**
 * Demultiplexer: assigns each decoded packet to its flow, orients new flows (originator vs responder), keeps the
 * per-direction counters, drives the TCP tracker and the flow table's timeouts. Every packet is accounted for:
 * assigned to a flow, or counted by the reason it fits none.
 */
import type { DecodedPacket } from '../decode/packet.js';
import { TUNNEL_PORT } from '../decode/fields.js';
import { IpProto, TcpFlag } from '../decode/packet.js';
import { ipv4HeaderChecksumOk, transportChecksumOk } from '../decode/checksum.js';
import { Status, STATUS_COUNT } from '../decode/status.js';
import { TcpConnection, TcpEvent } from '../tcp/connection.js';
import { LOG_CAPACITY, logLoneSyn, logSynAnswer, replay, SegmentLog, tiers } from '../tcp/deferred.js';
import { addTunnelParents, Flow, swapDirections, TimeoutClass } from './flow.js';
import { isLikelyServerPort } from './services.js';
import { inspectFlow, nameSettings, releaseFlowNames, swappedNames } from '../inspect/names.js';
import { FlowTable, type FlowTableOptions, SEGMENT_LOG_BYTES, sentByOrig, TRACKER_BYTES } from './table.js';

/** Reasons beyond the decoder's statuses for which a packet fits no flow: fragments of a datagram never completed. */
export const FRAGMENT_INCOMPLETE = STATUS_COUNT;
/** A wrong IPv4 header checksum (only with checksum verification on). */
export const BAD_IP_CHECKSUM = STATUS_COUNT + 1;
/** Size of the per-reason counter array: decoder statuses plus the reasons above. */
export const REASON_COUNT = STATUS_COUNT + 2;

/** Demultiplexer options beyond the flow table's. */
export interface DemuxOptions {
  /**
   * Verify IPv4, TCP, UDP and ICMP checksums as Zeek does by default: a packet with a wrong transport checksum is
   * dropped from its flow's counters (history `C`/`c`), one with a wrong IPv4 header checksum fits no flow.
   * @default false (like tshark: captures with checksum offload hold packets whose checksums are filled in later)
   */
  verifyChecksums?: boolean;
  /**
   * Hand packets to shards instead of holding flows: every packet that would be looked up goes to
   * `dispatch.packet` with its shard (by the key's symmetric hash: see shardOfHash), and the flow table's
   * clock (the once-a-second expiry) to `dispatch.expire`. Packets that fit no flow are still counted here. The shards'
   * demultiplexers (with `externalClock`) fed those calls in order hold exactly the flows one demultiplexer would.
   */
  dispatch?: PacketDispatch;
  /** Expire flows only when told to (`expire()`), not on the packets' capture times: see `dispatch`. */
  externalClock?: boolean;
  /** Receives each long flow due for an intermediate report (FlowTableOptions.activeTimeoutSec); it stays open. */
  onActive?: (flow: Flow) => void;
  /**
   * Look at the first payload packets of each direction for the flow's service and names (inspect/names.ts).
   * @default nameSettings.payload for a demultiplexer that holds flows and has the packets' bytes (not a dispatching
   * one, not a shard worker's, whose packets come without their bytes)
   */
  inspectPayload?: boolean;
}

/** Where a dispatching demultiplexer sends packets (see DemuxOptions.dispatch). */
export interface PacketDispatch {
  /** Number of shards. */
  readonly count: number;
  /**
   * The flow tables' clock reached `tsSec` at the packet about to be passed on with serial `serial`: expire what is
   * due (call every shard's `Demux.expire`).
   */
  expire(tsSec: number, serial: number): void;
  /** The input's uid seed (see setUidSeed), for every shard, before the first packet of position `ordinal`. */
  seed(seed: number, ordinal: number): void;
  /**
   * A packet for shard `shard`, to pass on to that shard's `Demux.packet` with the same arguments. `checksumBad`: its transport checksum is wrong (with verifyChecksums).
   */
  packet(shard: number, p: DecodedPacket, tsSec: number, wireLen: number, frames: number, serial: number, checksumBad: boolean): void;
}

/**
 * The flows of the layers around a tunnelled packet, outermost first (`flows[0..length)`, reused from packet to
 * packet), and the shard the packet goes to when dispatching (-1: by its own key). Every layer of a packet that
 * carries a tunnel goes to one shard, TUNNEL_SHARD, whose worker then holds the flows of both ends of each tunnel
 * link: an inner flow may come through several outer flows (both directions of a VXLAN link are two UDP flows), and
 * its parents must be flows of its own table. A flow seen both inside and outside tunnels is the price: with threads
 * its tunnelled and untunnelled packets may make two flows (README).
 */
export interface TunnelChain {
  readonly flows: Flow[];
  length: number;
  shard: number;
}

/** The shard every layer of tunnelled packets goes to (see TunnelChain). */
export const TUNNEL_SHARD = 0;

/** UDP ports of the tunnels the decoder opens (decode/fields.ts TUNNEL_PORT). */
const TUNNEL_PORTS = new Set<number>(Object.values(TUNNEL_PORT));

/**
 * Whether packet `p`'s key is that of a flow that carries tunnels: IP-in-IP, GRE, L2TPv3 or MPLS over IP, or UDP to or
 * from a tunnel port. Keyed, so that every packet of such a flow (an L2TP control message as much as a data message)
 * goes to the tunnel shard.
 */
function tunnelCarrierKey(p: DecodedPacket): boolean {
  const proto = p.proto;
  if (proto === IpProto.UDP) return TUNNEL_PORTS.has(p.dstPort) || TUNNEL_PORTS.has(p.srcPort);
  return proto === 4 || proto === 41 || proto === 47 || proto === 115 || proto === 137;
}

/** The shard of a flow whose key hashes to `h` (high bits: the flow table's buckets use the low ones). */
export function shardOfHash(h: number, count: number): number {
  return (Math.imul(h, 0x9e3779b1) >>> 16) % count;
}

const OK = Status.OK;
/** Most TCP trackers kept for reuse. */
const MAX_POOLED_TCP = 1 << 16;
/** Most segment logs kept for reuse. */
const MAX_POOLED_LOGS = 1 << 16;

export class Demux {
  readonly table: FlowTable;
  /** Packets assigned to a flow (later fragments included). */
  assigned = 0;
  /** Packets not assigned, by reason code (decoder Status, or FRAGMENT_INCOMPLETE). */
  readonly unassigned = new Float64Array(REASON_COUNT);
  /** Packets dropped from their flow's counters for a wrong transport checksum (with verifyChecksums). */
  badChecksums = 0;
  private nextExpirySec = 0;
  /** Trackers of recycled flows, reset, for flows leaving the log tier. */
  private readonly tcpPool: TcpConnection[] = [];
  /** Segment logs of recycled flows, emptied, for new TCP flows. */
  private readonly logPool: SegmentLog[] = [];
  /** The tracker logged flows are replayed into (see updateLogged). */
  private replayTracker = new TcpConnection();
  private readonly verifyChecksums: boolean;
  /** With verifyChecksums: the verdict on the last packet's checksums (see checksumsOk). */
  private checksumsRight = true;
  private readonly dispatch: PacketDispatch | null;
  private readonly externalClock: boolean;
  /** See DemuxOptions.inspectPayload. */
  private readonly inspectPayload: boolean;

  /** `onEnd` receives every flow the table ends (idle, closed, reset, reuse, evicted, eof). */
  constructor(options: FlowTableOptions, onEnd: (flow: Flow) => void, demuxOptions: DemuxOptions = {}) {
    this.table = new FlowTable(options, onEnd, demuxOptions.onActive);
    this.verifyChecksums = demuxOptions.verifyChecksums === true;
    this.dispatch = demuxOptions.dispatch ?? null;
    this.externalClock = demuxOptions.externalClock === true;
    this.inspectPayload = demuxOptions.inspectPayload ?? (nameSettings.payload && this.dispatch === null && !this.externalClock);
  }

  /**
   * Accounts for one decoded packet captured at `tsSec` (seconds since the epoch) with `wireLen` bytes on the wire.
   * `frames` is how many captured frames carried it (more than 1 for a reassembled IP datagram). Returns the flow it
   * was assigned to, or null. Allocates only when a new flow starts. `checksumBad`: the packet's transport checksum
   * is known to be wrong (from a dispatching demultiplexer, which had the packet's bytes). `serial`: the serial number
   * a flow this packet starts gets (see FlowTable.insert). `tunnel`: for a packet inside tunnels, the flows of the
   * layers around it (they become its flow's tunnel parents) and, when dispatching, the shard they are in.
   */
  packet(
    p: DecodedPacket, tsSec: number, wireLen: number, frames = 1, checksumBad = false, serial = -1,
    tunnel: TunnelChain | null = null,
  ): Flow | null {
    if (tsSec >= this.nextExpirySec && !this.externalClock) {
      // Timeouts are checked once per second of capture time, not per packet.
      if (this.dispatch !== null) this.dispatch.expire(tsSec, serial);
      else this.table.expire(tsSec);
      this.nextExpirySec = tsSec + 1;
    }
    const status = p.status;
    if (status !== OK) {
      this.unassigned[status]! += frames; // status < STATUS_COUNT
      return null;
    }
    if (this.verifyChecksums) {
      if (!ipv4HeaderChecksumOk(p)) {
        this.checksumsRight = false;
        this.unassigned[BAD_IP_CHECKSUM]! += frames;
        return null;
      }
      this.checksumsRight = transportChecksumOk(p);
      if (!this.checksumsRight) checksumBad = true;
    }
    const table = this.table;
    const h = table.keyHash(p);
    const dispatch = this.dispatch;
    if (dispatch !== null) {
      const toTunnelShard = (tunnel !== null && tunnel.shard >= 0) || tunnelCarrierKey(p);
      const shard = toTunnelShard ? TUNNEL_SHARD : shardOfHash(h, dispatch.count);
      dispatch.packet(shard, p, tsSec, wireLen, frames, serial, checksumBad);
      return null;
    }
    let f = table.find(p, h);
    if (f !== null && table.isDue(f, tsSec)) {
      // Idle for its timeout, past its close delay, or an unanswered SYN past the attempt delay: this packet starts
      // a new connection.
      table.endDue(f, tsSec);
      f = null;
    }
    const isTcp = p.proto === IpProto.TCP;
    // Whether the replay tracker holds the replay of this flow's log (the reuse check below made it): its update then
    // goes on from there instead of replaying the log again.
    let logReplayed = false;
    if (f !== null && isTcp && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.RST)) === TcpFlag.SYN) {
      logReplayed = f.tcp === null;
      if (this.trackerOf(f).isReuse(p, sentByOrig(f, p))) {
        // A new SYN (or a SYN+ACK before the originator sent anything) on a closed tuple, or with a new initial
        // sequence number: a new connection (Zeek IsReuse).
        f.endReason = 'reuse';
        table.remove(f);
        f = null;
        logReplayed = false;
      }
    }
    if (f === null) f = this.create(p, tsSec, serial);
    if (tunnel !== null && tunnel.length > 0) addTunnelParents(f, tunnel.flows, tunnel.length);
    const fromOrig = sentByOrig(f, p);
    if (checksumBad) {
      // Zeek drops the packet before any accounting; only the history notes it.
      this.badChecksums += frames;
      if (isTcp) this.ownTracker(f).checksumError(fromOrig);
      else if (p.proto === IpProto.UDP) f.udpHistory |= fromOrig ? 8 : 16;
      this.assigned += frames;
      return f;
    }
    const ipBytes = p.ipBytes, payloadLen = p.payloadLen;
    if (fromOrig) {
      f.oPkts++;
      f.oIpBytes += ipBytes;
      f.oWireBytes += wireLen;
      f.oPayloadBytes += payloadLen;
      // The first packet sets the first time. Tested on the count, which is in the object, rather than on the time,
      // which V8 keeps in a box of its own: a load from it would wait on a likely cache miss, a store does not.
      if (f.oPkts === 1) f.oFirstSec = tsSec;
      f.oLastSec = tsSec;
    } else {
      f.rPkts++;
      f.rIpBytes += ipBytes;
      f.rWireBytes += wireLen;
      f.rPayloadBytes += payloadLen;
      if (f.rPkts === 1) f.rFirstSec = tsSec;
      f.rLastSec = tsSec;
    }
    f.lastSec = tsSec;
    // Only a direction's first packets are looked at, until the names say they are done with it: tested on its
    // packet count and done flag, beside the counters this packet just loaded, so that later packets touch no more of
    // the flow than without names (a field further on is a cache miss). The flow's first packet, payload or not, looks
    // up its addresses' names (passive DNS).
    if (this.inspectPayload && (fromOrig ? f.oPkts : f.rPkts) <= NAMES_PACKETS && (fromOrig ? f.oNamesDone : f.rNamesDone) === 0 &&
        (p.payloadCaptured > 0 || f.oPkts + f.rPkts === 1) && !inspectFlow(f, p, fromOrig)) {
      if (fromOrig) f.oNamesDone = 1;
      else f.rNamesDone = 1;
    }
    if (isTcp) {
      const flags = p.tcpFlags;
      if (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST | TcpFlag.URG)) countRareFlags(f, flags, fromOrig);
      if (flags & TcpFlag.ACK) {
        if (fromOrig) f.oAck++;
        else f.rAck++;
      }
      if (flags & TcpFlag.PSH) {
        if (fromOrig) f.oPsh++;
        else f.rPsh++;
      }
      // Every TCP flow has a log or a tracker (see create()).
      const tcp = f.tcp;
      let ev: number;
      if (tcp === null) ev = this.updateLogged(f, p, fromOrig, tsSec, logReplayed);
      else ev = fromOrig ? tcp.updateEnds(p, f.tcpOrig!, f.tcpResp!, tsSec) : tcp.updateEnds(p, f.tcpResp!, f.tcpOrig!, tsSec);
      if (ev & TcpEvent.FLIP) this.flip(f);
      if (ev & TcpEvent.CLOSED) table.markClosing(f, tsSec, (ev & TcpEvent.RESET) !== 0 ? 'reset' : 'closed');
    } else {
      let data = 0;
      if (p.proto === IpProto.UDP) data = p.udpLength > 8 ? p.udpLength - 8 : 0;
      else if (p.proto === IpProto.ICMP || p.proto === IpProto.ICMPV6) data = Math.max(0, ipBytes - (p.l4 - p.l3) - 8);
      if (fromOrig) f.oDataBytes += data;
      else f.rDataBytes += data;
      f.udpHistory |= fromOrig ? 1 : 2;
    }
    table.touch(f, tsSec);
    this.assigned += frames;
    return f;
  }

  /**
   * Whether the checksums of the last packet given to {@link packet} let its contents count: always without
   * verifyChecksums; with it, its IPv4 header and transport checksums were right. The pipeline decodes the tunnel
   * inside a packet only then, since Zeek forwards nothing from a packet it dropped for its checksum.
   */
  checksumsOk(): boolean {
    return !this.verifyChecksums || this.checksumsRight;
  }

  /**
   * Judges one IP fragment before it is held for reassembly (fragments reach `packet` only as the whole datagram).
   * With verifyChecksums, one with a wrong IPv4 header checksum counts as BAD_IP_CHECKSUM and must not be used: Zeek
   * drops it before reassembly, and the checksum belongs to each fragment as sent (the reassembled datagram's header
   * is rebuilt, with a checksum of its own). Returns whether the fragment may be reassembled.
   */
  acceptFragment(p: DecodedPacket): boolean {
    if (!this.verifyChecksums || ipv4HeaderChecksumOk(p)) return true;
    this.unassigned[BAD_IP_CHECKSUM]!++; // BAD_IP_CHECKSUM < REASON_COUNT
    return false;
  }

  /**
   * Takes back an ended flow and its TCP tracker for reuse (see FlowTable.recycle); call it once the flow's record is
   * taken and nothing refers to the flow any more. Optional.
   */
  recycle(f: Flow): void {
    const tcp = f.tcp;
    if (tcp !== null && this.tcpPool.length < MAX_POOLED_TCP) {
      tcp.reset();
      this.tcpPool.push(tcp);
    }
    const log = f.tcpLog;
    if (log !== null && this.logPool.length < MAX_POOLED_LOGS) {
      log.reset();
      this.logPool.push(log);
    }
    if (f.names !== null) releaseFlowNames(f.names);
    f.tcp = null;
    f.tcpLog = null;
    f.tcpOrig = null;
    f.tcpResp = null;
    this.table.recycle(f);
  }

  /**
   * The shard that tunnelled traffic goes to when dispatching (every layer of a packet that carries a tunnel, outer
   * and inner: see TunnelChain), or -1 when this demultiplexer holds the flows itself.
   */
  get tunnelShard(): number {
    return this.dispatch === null ? -1 : TUNNEL_SHARD;
  }

  /** Ends every open flow (end of input). */
  flush(): void {
    this.table.flush('eof');
  }

  /** Expires flows idle at capture time `tsSec` (for live capture when no packets arrive). */
  expire(tsSec: number): void {
    this.table.expire(tsSec);
  }

  private create(p: DecodedPacket, tsSec: number, serial: number): Flow {
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
    // Zeek (IPBasedAnalyzer::NewConn) never flips a flow by its ports when the packet went to the IPv4 broadcast
    // address: a DHCP server's broadcast 67 -> 68 stays the originator.
    if (swap && p.ipVersion === 4 && p.dst4 === 0xffffffff) {
      swap = false;
      if (proto === IpProto.UDP) guessed = false; // a TCP guess is about the missing SYN, not the ports
    }
    const f = this.table.insert(p, swap, tsSec, tc, serial);
    f.vlan = p.vlan;
    f.innerVlan = p.innerVlan;
    f.directionGuessed = guessed;
    if (swap) f.udpHistory |= 4;
    if (proto === IpProto.TCP) {
      // A connection starts in the small tier: its segments are logged until they no longer fit (updateLogged).
      const log = this.logPool.pop() ?? new SegmentLog();
      log.flipped = swap;
      f.tcpLog = log;
      if (!tiers.log) this.ownTracker(f); // (tests) every connection with a tracker of its own from the start
    }
    return f;
  }

  /**
   * The tracker of TCP flow `f` as it stands: its own, or for a flow in the log tier the demultiplexer's replay
   * tracker fed its logged segments (valid until the next replay).
   */
  private trackerOf(f: Flow): TcpConnection {
    return f.tcp ?? replay(f.tcpLog!, this.replayTracker); // a TCP flow has one or the other
  }

  /** Moves TCP flow `f` to a tracker of its own (if not there yet) and returns it. */
  private ownTracker(f: Flow): TcpConnection {
    if (f.tcp !== null) return f.tcp;
    const t = replay(f.tcpLog!, this.tcpPool.pop() ?? new TcpConnection()); // a TCP flow has one or the other
    this.adopt(f, t);
    return t;
  }

  /** Gives logged flow `f` tracker `t` (fed every segment so far) and takes back its log. */
  private adopt(f: Flow, t: TcpConnection): void {
    const log = f.tcpLog!; // only logged flows are adopted
    this.table.charge(TRACKER_BYTES - SEGMENT_LOG_BYTES); // flowBytes(f) once f.tcp is set
    f.tcp = t;
    f.tcpOrig = t.orig;
    f.tcpResp = t.resp;
    f.tcpLog = null;
    if (this.logPool.length < MAX_POOLED_LOGS) {
      log.reset();
      this.logPool.push(log);
    }
  }

  /**
   * One segment of a flow in the log tier: the replay tracker, fed the logged segments and then this one, gives the
   * segment's events. The segment is logged while there is room; otherwise the replay tracker, which has now seen
   * every segment, becomes the flow's own tracker. `replayed`: the replay tracker already holds the log's replay.
   */
  private updateLogged(f: Flow, p: DecodedPacket, fromOrig: boolean, tsSec: number, replayed: boolean): number {
    const log = f.tcpLog!; // a TCP flow without a tracker has a log
    if (log.n === 0) {
      // A connection's first segment: a lone SYN of a signature seen before needs no replay (tcp/deferred.ts).
      const ev = logLoneSyn(log, p, fromOrig, tsSec);
      if (ev >= 0) return ev;
    } else if (log.n === 1) {
      // Its second, after a lone SYN: an answer of a signature seen before needs no replay either (a port scan's RSTs).
      const ev = logSynAnswer(log, p, fromOrig, tsSec);
      if (ev >= 0) return ev;
    }
    const t = replayed ? this.replayTracker : replay(log, this.replayTracker);
    const ev = t.update(p, fromOrig, tsSec);
    if (log.n < LOG_CAPACITY) {
      log.append(p, fromOrig, tsSec);
      log.noteAttempt(t);
    } else {
      this.adopt(f, t);
      this.replayTracker = this.tcpPool.pop() ?? new TcpConnection();
    }
    return ev;
  }

  /** Swaps a flow's roles after the TCP tracker found that the first packet came from the responder. */
  private flip(f: Flow): void {
    const tcp = f.tcp; // only TCP flows flip; a logged one replays its flips
    if (tcp !== null) {
      f.tcpOrig = tcp.orig;
      f.tcpResp = tcp.resp;
    }
    this.table.flipKey(f);
    f.flips++;
    swapDirections(f);
    if (f.names !== null) f.names = swappedNames(f.names);
    f.directionGuessed = false;
  }
}

/**
 * Packets of a direction (payload or not) within which its payload is handed to the flow's names: room for the
 * handshake and the 16 payload packets a STARTTLS exchange may need (names.ts stops earlier by itself).
 */
const NAMES_PACKETS = 32;

/** SYN, FIN, RST and URG are rare: counted out of line. */
function countRareFlags(f: Flow, flags: number, fromOrig: boolean): void {
  // Without a branch per flag: every counter is read and written at every call, so the code V8 compiles for it has
  // seen them all, and a flag first seen late in the capture (an URG, the responder's first RST) does not throw away
  // the compiled packet() that inlines this (to be compiled again).
  const fin = flags & TcpFlag.FIN, syn = (flags & TcpFlag.SYN) >>> 1; // 0x01, 0x02
  const rst = (flags & TcpFlag.RST) >>> 2, urg = (flags & TcpFlag.URG) >>> 5; // 0x04, 0x20
  if (fromOrig) {
    f.oSyn += syn;
    f.oFin += fin;
    f.oRst += rst;
    f.oUrg += urg;
  } else {
    f.rSyn += syn;
    f.rFin += fin;
    f.rRst += rst;
    f.rUrg += urg;
  }
}
