/**
 * Turns internal flows into FlowRecords: plain, read-only data with addresses as text. Allocates, so it runs when a
 * flow ends and on the snapshot timer, never per packet.
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { IpProto } from '../decode/packet.js';
import { udpConnState } from '../tcp/conn-state.js';
import type { TcpConnection } from '../tcp/connection.js';
import { replayForRecord } from '../tcp/deferred.js';
import type { Flow } from './flow.js';
import { namesRecord } from '../inspect/names.js';
import type { DirectionRecord, EndReason, FlowRecord, ProtoName, StateTransition } from './record.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The input's identity, folded into every uid (setUidSeed); 0 before one is set. */
let uidSeed = 0;

/**
 * Sets the uid seed of this thread's records: a number derived from the input's first frame (see uidSeedOf), so that
 * uids are the same on every run over one input and differ between inputs (logs of different captures can be joined
 * on uid without collisions). Shard workers get it from the reading thread.
 */
export function setUidSeed(seed: number): void {
  uidSeed = seed | 0;
}

/**
 * The uid seed of an input whose first frame is `bytes[offset, offset + caplen)`, captured at `tsSec`.`tsNsec` with
 * `wireLen` bytes on the wire: FNV-1a (32 bits) over them, the frame's first 128 bytes at most.
 */
export function uidSeedOf(bytes: Uint8Array, offset: number, caplen: number, tsSec: number, tsNsec: number, wireLen: number): number {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    for (let i = 0; i < 4; i++) {
      h ^= (v >>> (8 * i)) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  };
  mix(tsSec >>> 0);
  mix(Math.floor(tsSec / 4294967296));
  mix(tsNsec >>> 0);
  mix(wireLen >>> 0);
  const n = Math.min(caplen, 128);
  for (let i = 0; i < n; i++) {
    h ^= bytes[offset + i]!; // i < n <= caplen
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * A Zeek-style connection uid (`C` + 17 base-62 characters) derived from the flow's serial number (which the pipeline
 * derives from the position of the flow's first packet in the input): unique within a run and the same on every run
 * over the same input, however many threads read it, so outputs can be diffed.
 */
export function flowUid(serial: number): string {
  return String.fromCharCode.apply(null, uidCodes(serial));
}

/** flowUid(serial) written at `at` of `out` (18 bytes), without a string; returns the position after it. */
export function writeFlowUid(out: Uint8Array, at: number, serial: number): number {
  const codes = uidCodes(serial);
  for (let i = 0; i < 18; i++) out[at + i] = codes[i]!; // i < 18
  return at + 18;
}

/** The character codes of flowUid(serial), in a reused array. */
function uidCodes(serial: number): number[] {
  // Serials above 2^32 (inputs of over 500 million packets: see Pipeline) fold their high word in.
  const hi = Math.floor(serial / 4294967296);
  if (hi > 0) serial = (serial ^ Math.imul(hi, 0x27d4eb2d)) >>> 0;
  let a = Math.imul(serial ^ 0x2545f491, 0x9e3779b1) >>> 0;
  // The first six characters come from the serial alone (distinct serials, distinct uids); the rest from the input's
  // seed too (the same serial of two inputs, different uids).
  let b = Math.imul((serial + 0x6a09e667) ^ (a >>> 15) ^ uidSeed, 0x85ebca6b) >>> 0;
  let c = Math.imul(b ^ (b >>> 13) ^ serial ^ Math.imul(uidSeed, 0x27d4eb2d), 0xc2b2ae35) >>> 0;
  const codes = UID_CODES;
  base62Digits(codes, a, 0, 6, 0x27d4eb2d);
  base62Digits(codes, b, 6, 12, 0x165667b1);
  base62Digits(codes, c, 12, 17, 0x85ebca6b);
  return codes;
}

/**
 * Characters `from` to `to` (exclusive) of a uid after its `C`, from the 32-bit word `w`: a base-62 digit each, the
 * word divided by 62 and stirred with `mul` between them. Integer steps only (a double's % or Math.floor is a call).
 */
function base62Digits(codes: number[], w: number, from: number, to: number, mul: number): void {
  for (let i = from; i < to; i++) {
    const q = (w / 62) >>> 0; // w < 2^32: the quotient, rounded down
    codes[i + 1] = BASE62_CODES[w - 62 * q]!; // < 62
    w = (q ^ Math.imul(i + 1, mul)) >>> 0;
  }
}

const BASE62_CODES: readonly number[] = Array.from(BASE62, (ch) => ch.charCodeAt(0));
/** The uid's character codes, reused: `C` and 17 base-62 digits. */
const UID_CODES: number[] = Array.from({ length: 18 }, () => 0x43); // C

export function protoName(proto: number): ProtoName {
  if (proto === IpProto.TCP) return 'tcp';
  if (proto === IpProto.UDP) return 'udp';
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return 'icmp';
  return 'unknown_transport';
}

/** Flow address words are stored as int32 (see FlowTable); the formatters take unsigned words. */
function addr(version: number, w0: number, w1: number, w2: number, w3: number): string {
  return version === 4 ? formatIpv4(w3 >>> 0) : formatIpv6([w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0]);
}

const NO_TRANSITIONS: readonly StateTransition[] = Object.freeze([]);

function directionRecord(f: Flow, tcp: TcpConnection | null, isOrig: boolean): DirectionRecord {
  // The TCP end itself (not a summary object): a record per flow is built on large captures.
  const e = tcp === null ? null : isOrig ? tcp.orig : tcp.resp;
  const firstSec = isOrig ? f.oFirstSec : f.rFirstSec;
  const lastSec = isOrig ? f.oLastSec : f.rLastSec;
  return {
    pkts: isOrig ? f.oPkts : f.rPkts,
    ipBytes: isOrig ? f.oIpBytes : f.rIpBytes,
    wireBytes: isOrig ? f.oWireBytes : f.rWireBytes,
    payloadBytes: isOrig ? f.oPayloadBytes : f.rPayloadBytes,
    seqBytes: e === null ? (isOrig ? f.oDataBytes : f.rDataBytes) : e.seqBytes,
    firstSec: firstSec < 0 ? null : firstSec,
    lastSec: lastSec < 0 ? null : lastSec,
    syn: isOrig ? f.oSyn : f.rSyn,
    fin: isOrig ? f.oFin : f.rFin,
    rst: isOrig ? f.oRst : f.rRst,
    ack: isOrig ? f.oAck : f.rAck,
    psh: isOrig ? f.oPsh : f.rPsh,
    urg: isOrig ? f.oUrg : f.rUrg,
    retransmissions: e === null ? 0 : e.retransmissions,
    outOfOrder: e === null ? 0 : e.outOfOrder,
    dupAcks: e === null ? 0 : e.dupAcks,
    zeroWindows: e === null ? 0 : e.zeroWindows,
    keepAlives: e === null ? 0 : e.keepAlives,
    state: e === null ? null : e.stateName,
    stateInferred: e === null ? false : e.stateInferred,
    transitions: e === null ? NO_TRANSITIONS : e.transitions(),
    options: e === null ? null : e.options(),
  };
}

/**
 * Non-TCP history as Zeek writes it for UDP: `D` orig sent, `d` resp sent, `^` flipped, in order of first send;
 * `C`/`c` when a packet with a wrong checksum was dropped (checksum verification only).
 */
export function udpHistory(f: Flow): string {
  if (f.proto !== IpProto.UDP) return '';
  const flipped = (f.udpHistory & 4) !== 0;
  let h = flipped ? '^' : '';
  if (f.udpHistory & 8) h += 'C';
  if (f.udpHistory & 16) h += 'c';
  const o = (f.udpHistory & 1) !== 0, r = (f.udpHistory & 2) !== 0;
  const origFirst = !r || (o && f.oFirstSec <= f.rFirstSec && !(f.rFirstSec === f.oFirstSec && flipped));
  if (origFirst) h += (o ? 'D' : '') + (r ? 'd' : '');
  else h += (r ? 'd' : '') + (o ? 'D' : '');
  return h;
}

const NO_PARENTS: readonly string[] = Object.freeze([]);

/** The uids of `f`'s tunnel parents (Zeek's tunnel_parents), empty when it was never inside a tunnel. */
export function tunnelParentUids(f: Flow): readonly string[] {
  const p = f.tunnelParents;
  return p === null ? NO_PARENTS : p.map(flowUid);
}

/** Zeek's conn_state of `f`, whose tracker (flowTracker) is `tcp`. */
export function connStateOf(f: Flow, tcp: TcpConnection | null): string {
  if (tcp !== null) return tcp.connState();
  return f.proto === IpProto.UDP ? udpConnState(f.oPkts > 0, f.rPkts > 0) : 'OTH';
}

/** Zeek's history of `f`, whose tracker (flowTracker) is `tcp`: TCP's letters, UDP's D/d, nothing for the rest. */
export function historyOf(f: Flow, tcp: TcpConnection | null): string {
  if (tcp !== null) return tcp.history();
  return f.proto === IpProto.UDP ? udpHistory(f) : '';
}

/**
 * The TCP tracker of `f` as it stands for a record: its own, or for a flow in the log tier (tcp/deferred.ts) the
 * tracker its segments were just replayed into (valid until the next call); null for other protocols.
 */
export function flowTracker(f: Flow): TcpConnection | null {
  return f.tcp ?? (f.tcpLog === null ? null : replayForRecord(f.tcpLog));
}

/**
 * The record of `f` as of now; `reason` says why it is written ('active' for a snapshot of an open flow). A flow that
 * saw no packet since its last record gets the same record object back: snapshots of a large, mostly idle table cost
 * little.
 */
export function flowRecord(f: Flow, reason: EndReason): FlowRecord {
  const cached = f.record;
  if (cached !== null && cached.endReason === reason && f.recordSeenSec === f.lastSeenSec && f.recordPkts === f.oPkts + f.rPkts) {
    return cached;
  }
  const r = buildRecord(f, reason);
  f.record = r;
  f.recordSeenSec = f.lastSeenSec;
  f.recordPkts = f.oPkts + f.rPkts;
  return r;
}

function buildRecord(f: Flow, reason: EndReason): FlowRecord {
  if (f.uid === '') f.uid = flowUid(f.serial);
  // Formatting addresses allocates: take them from the flow's previous record unless the flow flipped since.
  const prev = f.record;
  const same = prev !== null && prev.origPort === f.origPort && prev.respPort === f.respPort && f.recordFlips === f.flips;
  const origAddr = same ? prev.origAddr : addr(f.ipVersion, f.oa0, f.oa1, f.oa2, f.oa3);
  const respAddr = same ? prev.respAddr : addr(f.ipVersion, f.ra0, f.ra1, f.ra2, f.ra3);
  f.recordFlips = f.flips;
  const tcp = flowTracker(f);
  const lastSec = tcp === null ? f.lastSec : tcp.lastActivitySec(f.lastSec);
  const connState = connStateOf(f, tcp);
  const history = historyOf(f, tcp);
  return {
    uid: f.uid,
    proto: protoName(f.proto),
    ipProto: f.proto,
    ipVersion: f.ipVersion,
    origAddr,
    origPort: f.origPort,
    respAddr,
    respPort: f.respPort,
    startSec: f.startSec,
    lastSec,
    durationSec: Math.max(0, lastSec - f.startSec),
    orig: directionRecord(f, tcp, true),
    resp: directionRecord(f, tcp, false),
    connState,
    history,
    missedBytes: tcp === null ? 0 : tcp.missedBytes,
    directionGuessed: f.directionGuessed,
    rttSynSec: tcp === null ? null : tcp.rttSynSec,
    rttAckSec: tcp === null ? null : tcp.rttAckSec,
    endReason: reason,
    names: f.names === null ? null : namesRecord(f.names),
    tunnelParents: tunnelParentUids(f),
    vlan: f.vlan,
    innerVlan: f.innerVlan,
  };
}
