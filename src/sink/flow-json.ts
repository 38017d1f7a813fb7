/**
 * The ndjson line of an ended flow, encoded straight from the flow's state into an output chunk: the same bytes as
 * `encodeRecordJson(out, flowRecord(f, reason))` without building the record (its direction objects, address and
 * option objects) or going through a field getter per column. On floods and scans, where every flow is short, the
 * record was most of a flow's cost.
 *
 * The columns are the fields of ALL_FIELDS (sink/fields.ts), in order; this module checks at load that the list
 * starts with the columns it writes (CORE_NAMES), and writes any later field of the list (names, added at the end)
 * from a record built for them. test/sink/flow-json.test.ts compares both encoders on every corpus capture.
 */
import { formatIpv6 } from '../decode/address.js';
import type { Flow } from '../flow/flow.js';
import type { EndReason, FlowRecord } from '../flow/record.js';
import { connStateOf, flowRecord, historyOf, protoName, writeFlowUid } from '../flow/snapshot.js';
import { lastActivityOfLog, replayForRecord, sharedTracker } from '../tcp/deferred.js';
import { writeCommunityIdOfFlow } from '../flow/community-id.js';
import { TCP_STATE_NAME } from '../tcp/state.js';
import type { TcpConnection, TcpEnd } from '../tcp/connection.js';
import { ALL_FIELDS, FLOW_GATED_FIELDS, NAME_FIELDS, otherGatedFieldsUnset, type Field } from './fields.js';
import type { FlowNames } from '../inspect/names.js';
import { FRACTION, writeFractionOf, writeJsonString, writeUint } from './json-bytes.js';
import type { ChunkedOut } from './writers.js';

/** The columns written here, in ALL_FIELDS order. */
const CORE_NAMES = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_bytes', 'resp_bytes',
  'conn_state', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'ip_proto',
  'orig_state', 'resp_state', 'orig_state_inferred', 'resp_state_inferred', 'direction_guessed', 'orig_wire_bytes',
  'resp_wire_bytes', 'orig_payload_bytes', 'resp_payload_bytes', 'orig_retransmissions', 'resp_retransmissions',
  'orig_out_of_order', 'resp_out_of_order', 'orig_dup_acks', 'resp_dup_acks', 'orig_zero_windows', 'resp_zero_windows',
  'orig_keep_alives', 'resp_keep_alives', 'orig_mss', 'resp_mss', 'orig_wscale', 'resp_wscale', 'orig_sack_permitted',
  'resp_sack_permitted', 'orig_timestamps', 'resp_timestamps', 'rtt_syn', 'rtt_ack', 'last_ts', 'ip_version', 'end_reason',
] as const;
type CoreName = (typeof CORE_NAMES)[number];

for (let i = 0; i < CORE_NAMES.length; i++) {
  if (ALL_FIELDS[i]?.name !== CORE_NAMES[i]) {
    throw new Error(`flow-json: field ${i} is ${ALL_FIELDS[i]?.name}, expected ${CORE_NAMES[i]}: update CORE_NAMES and the encoder`);
  }
}
/** Fields after the core ones, written from a record. */
const EXTRA_FIELDS: readonly Field[] = ALL_FIELDS.slice(CORE_NAMES.length);

/**
 * Constant text of a line: its bytes, and the same as little-endian 32-bit words. A short run is written a word at a
 * time through a DataView (inlined stores; the last word may spill up to 3 bytes past the run, into room the line
 * reserves, overwritten next), a long one with TypedArray#set (a memmove, but a call).
 */
class Lit {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  readonly length: number;
  constructor(text: string) {
    this.bytes = Uint8Array.from(Buffer.from(text, 'latin1'));
    this.length = this.bytes.length;
    const padded = new Uint8Array(4 * Math.ceil(this.length / 4));
    padded.set(this.bytes);
    this.words = new Int32Array(padded.length / 4);
    const view = new DataView(padded.buffer);
    for (let i = 0; i < this.words.length; i++) this.words[i] = view.getInt32(4 * i, true);
  }
}
/** Runs longer than this are copied with TypedArray#set. */
const SHORT_LIT = 48;

/** The constant `s` (latin-1). */
function lit(s: string): Lit {
  return new Lit(s);
}
/** `,"name":` of column `name`, and with `"` after it for a string column. */
function keyText(name: CoreName, quoted = false): string {
  return `,${JSON.stringify(name)}:${quoted ? '"' : ''}`;
}
function key(name: CoreName, quoted = false): Lit {
  return lit(keyText(name, quoted));
}
/**
 * The constant text of a line, one Uint8Array each, copied with TypedArray#set (a memmove: about twice as fast as a
 * loop for a key, many times for longer runs). Text that is the same for many flows is one run: a string column's
 * quotes go with the keys around it, and a value with few possible forms (proto, states, flags, a TCP end without
 * analysis events) is precomputed with its key.
 */
const TS_KEY = lit('{"ts":');
const K_UID = key('uid', true);
const K_ORIG_H = lit(`"${keyText('id.orig_h', true)}`);
const K_ORIG_P = lit(`"${keyText('id.orig_p')}`);
const K_RESP_H = key('id.resp_h', true);
const K_RESP_P = lit(`"${keyText('id.resp_p')}`);
const K_DURATION = key('duration'), K_ORIG_BYTES = key('orig_bytes'), K_RESP_BYTES = key('resp_bytes');
const K_CONN_STATE = key('conn_state', true);
const K_MISSED = lit(`"${keyText('missed_bytes')}`);
const K_HISTORY = key('history', true);
const K_ORIG_PKTS = key('orig_pkts'), K_ORIG_IP_BYTES = key('orig_ip_bytes'), K_RESP_PKTS = key('resp_pkts');
const K_RESP_IP_BYTES = key('resp_ip_bytes'), K_IP_PROTO = key('ip_proto');
const K_RESP_WIRE = key('resp_wire_bytes'), K_ORIG_PAYLOAD = key('orig_payload_bytes');
const K_RESP_PAYLOAD = key('resp_payload_bytes');
const K_ORIG_RETX = key('orig_retransmissions'), K_RESP_RETX = key('resp_retransmissions');
const K_ORIG_OOO = key('orig_out_of_order'), K_RESP_OOO = key('resp_out_of_order');
const K_ORIG_DUP = key('orig_dup_acks'), K_RESP_DUP = key('resp_dup_acks');
const K_ORIG_ZWIN = key('orig_zero_windows'), K_RESP_ZWIN = key('resp_zero_windows');
const K_ORIG_KA = key('orig_keep_alives'), K_RESP_KA = key('resp_keep_alives');
const K_ORIG_MSS = key('orig_mss'), K_RESP_MSS = key('resp_mss'), K_ORIG_WSCALE = key('orig_wscale');
const K_RESP_WSCALE = key('resp_wscale');
const K_RTT_SYN = key('rtt_syn'), K_RTT_ACK = key('rtt_ack'), K_LAST_TS = key('last_ts');
const QUOTE = lit('"');
/** `,"proto":"tcp"` and the like, by protocol number. */
const PROTO: readonly Lit[] = Array.from({ length: 256 }, (_, p) => lit(`${keyText('proto')}"${protoName(p)}"`));
/** `,"orig_state":"ESTABLISHED"` and the like, by netstat state; the same for the responder. */
const ORIG_STATE: readonly Lit[] = TCP_STATE_NAME.map((n) => lit(`,"orig_state":"${n}"`));
const RESP_STATE: readonly Lit[] = TCP_STATE_NAME.map((n) => lit(`,"resp_state":"${n}"`));
/**
 * The flags between the states and the wire bytes, up to the key of orig_wire_bytes: by `inferred orig << 2 |
 * inferred resp << 1 | direction guessed` for TCP, by direction guessed alone (GUESSED) for the rest.
 */
const TCP_FLAGS: readonly Lit[] = Array.from({ length: 8 }, (_, i) =>
  lit(`,"orig_state_inferred":${(i & 4) !== 0},"resp_state_inferred":${(i & 2) !== 0},"direction_guessed":${(i & 1) !== 0},"orig_wire_bytes":`),
);
const GUESSED: readonly Lit[] = [lit(',"direction_guessed":false,"orig_wire_bytes":'), lit(',"direction_guessed":true,"orig_wire_bytes":')];
/** Wireshark's analysis counters of both ends when all are zero (most connections). */
const NO_ANALYSIS = lit(
  [
    'orig_retransmissions', 'resp_retransmissions', 'orig_out_of_order', 'resp_out_of_order', 'orig_dup_acks',
    'resp_dup_acks', 'orig_zero_windows', 'resp_zero_windows', 'orig_keep_alives', 'resp_keep_alives',
  ].map((n) => `,"${n}":0`).join(''),
);
/** `,"orig_sack_permitted":true` and the like: by field (sack orig, sack resp, ts orig, ts resp) * 2 + value. */
const SYN_FLAGS: readonly Lit[] = ['orig_sack_permitted', 'resp_sack_permitted', 'orig_timestamps', 'resp_timestamps'].flatMap(
  (n) => [lit(`,"${n}":false`), lit(`,"${n}":true`)],
);
/** `,"ip_version":4,"end_reason":"` by IP version (index 4 or 6; others built on use). */
const VERSION_END: Lit[] = Array.from({ length: 7 }, (_, v) => lit(`,"ip_version":${v},"end_reason":"`));
const EXTRA_KEY: readonly Lit[] = EXTRA_FIELDS.map((f) => lit(`,${JSON.stringify(f.name)}:`));
const TRUE = lit('true');
const FALSE = lit('false');
/** Room a line needs at most, but for its strings (reserved as they come). */
const LINE_RESERVE = 4096;

/**
 * Where the line being written is: the chunk (as a plain Uint8Array over the output Buffer's memory: V8 indexes a
 * Uint8Array faster than a Buffer, a subclass) and the position in it. One per module: encoding is not reentrant.
 */
let chunk: Buffer = Buffer.alloc(0);
let buf: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(new ArrayBuffer(0));
let pos = 0;

/** Makes `buf` the bytes of `out.buf` and `pos` its fill. */
function enter(out: ChunkedOut): void {
  if (out.buf !== chunk) {
    chunk = out.buf;
    buf = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
  }
  pos = out.len;
}

function bytes(b: Lit): void {
  const n = b.length;
  if (n > SHORT_LIT) buf.set(b.bytes, pos);
  else {
    const w = b.words, v = view, p = pos;
    for (let i = 0; i < w.length; i++) v.setInt32(p + 4 * i, w[i]!, true); // i < length
  }
  pos += n;
}

function uint(v: number): void {
  pos = writeUint(buf, pos, v);
}

/** A number as encodeRecordJson writes it (intervals rounded to the microsecond). */
function num(v: number, interval: boolean): void {
  if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) uint(v);
  else {
    FRACTION[0] = v;
    pos = writeFractionOf(buf, pos, interval);
  }
}

/** Text known to be printable ASCII without `"` or `\\` (names, states, addresses, uids), without quotes. */
function ascii(s: string): void {
  const b = buf, p = pos, n = s.length;
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  pos = p + n;
}

function bool(v: boolean): void {
  bytes(v ? TRUE : FALSE);
}

/** An address of the flow's key: IPv4 digits written in place, IPv6 formatted (RFC 5952) first. */
function addr(version: number, w0: number, w1: number, w2: number, w3: number): void {
  if (version !== 4) {
    ascii(formatIpv6([w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0]));
    return;
  }
  uint((w3 >>> 24) & 0xff);
  buf[pos++] = 0x2e;
  uint((w3 >>> 16) & 0xff);
  buf[pos++] = 0x2e;
  uint((w3 >>> 8) & 0xff);
  buf[pos++] = 0x2e;
  uint(w3 & 0xff);
}

/** Appends the ndjson line of flow `f`, written for `reason`, to `out`. */
export function encodeFlowJson(out: ChunkedOut, f: Flow, reason: EndReason): void {
  out.reserve(LINE_RESERVE);
  enter(out);
  const log = f.tcp === null ? f.tcpLog : null;
  const shared = log !== null ? sharedTracker(log) : null;
  const tcp = log === null ? f.tcp : shared ?? replayForRecord(log);
  const lastSec = tcp === null ? f.lastSec : log !== null ? lastActivityOfLog(log, tcp, f.lastSec) : tcp.lastActivitySec(f.lastSec);
  const duration = Math.max(0, lastSec - f.startSec);
  bytes(TS_KEY);
  num(f.startSec, false);
  bytes(K_UID);
  if (f.uid === '') pos = writeFlowUid(buf, pos, f.serial);
  else ascii(f.uid);
  bytes(K_ORIG_H);
  addr(f.ipVersion, f.oa0, f.oa1, f.oa2, f.oa3);
  bytes(K_ORIG_P);
  uint(f.origPort);
  bytes(K_RESP_H);
  addr(f.ipVersion, f.ra0, f.ra1, f.ra2, f.ra3);
  bytes(K_RESP_P);
  uint(f.respPort);
  bytes(PROTO[f.proto & 0xff]!); // < 256
  const o = tcp === null ? null : tcp.orig;
  const r = tcp === null ? null : tcp.resp;
  if (duration > 0) {
    bytes(K_DURATION);
    num(duration, true);
    bytes(K_ORIG_BYTES);
    uint(o === null ? f.oDataBytes : o.seqBytes);
    bytes(K_RESP_BYTES);
    uint(r === null ? f.rDataBytes : r.seqBytes);
  }
  // A shared tracker's connection is one packet (a lone SYN) or two (a SYN and its answer).
  if (shared !== null) cachedMiddle(f, shared, trackerMiddles(shared), log!.n === 1 ? onePacketKey(f) : twoPacketKey(f));
  else if (tcp === null && f.proto === 17 && f.udpHistory === 1) cachedMiddle(f, null, DATAGRAM_MIDDLES, onePacketKey(f));
  else middle(f, tcp);
  bytes(K_LAST_TS);
  num(lastSec, false);
  versionEnd(f.ipVersion);
  ascii(reason);
  bytes(QUOTE);
  if (EXTRA_FIELDS.length > 0) extras(out, f, reason);
  buf[pos++] = 0x7d; // }
  buf[pos++] = 0x0a; // \n
  out.len = pos;
  out.written();
}

/** The line from conn_state to the RTTs: the columns that come from the tracker and the flow's counters. */
function middle(f: Flow, tcp: TcpConnection | null): void {
  const o = tcp === null ? null : tcp.orig;
  const r = tcp === null ? null : tcp.resp;
  bytes(K_CONN_STATE);
  ascii(connStateOf(f, tcp));
  bytes(K_MISSED);
  uint(tcp === null ? 0 : tcp.missedBytes);
  const history = historyOf(f, tcp);
  if (history !== '') {
    bytes(K_HISTORY);
    ascii(history);
    buf[pos++] = 0x22; // "
  }
  bytes(K_ORIG_PKTS);
  uint(f.oPkts);
  bytes(K_ORIG_IP_BYTES);
  uint(f.oIpBytes);
  bytes(K_RESP_PKTS);
  uint(f.rPkts);
  bytes(K_RESP_IP_BYTES);
  uint(f.rIpBytes);
  bytes(K_IP_PROTO);
  uint(f.proto);
  const guessed = f.directionGuessed ? 1 : 0;
  if (o !== null && r !== null) {
    bytes(ORIG_STATE[o.state]!); // state < STATE_COUNT
    bytes(RESP_STATE[r.state]!);
    bytes(TCP_FLAGS[(o.stateInferred ? 4 : 0) | (r.stateInferred ? 2 : 0) | guessed]!); // < 8
  } else {
    bytes(GUESSED[guessed]!); // < 2
  }
  uint(f.oWireBytes);
  bytes(K_RESP_WIRE);
  uint(f.rWireBytes);
  bytes(K_ORIG_PAYLOAD);
  uint(f.oPayloadBytes);
  bytes(K_RESP_PAYLOAD);
  uint(f.rPayloadBytes);
  if (o !== null && r !== null) {
    tcpAnalysis(o, r);
    tcpOptions(o, r);
  }
  if (tcp !== null) rtts(tcp);
}

/**
 * Middles already written, by what they were written from. A flow of one packet has a middle that depends only on its
 * tracker (a lone SYN's is its signature's, which never changes once made: TRACKER_MIDDLES has a map per tracker) or,
 * without one, on its protocol and UDP history (DATAGRAM_MIDDLES: one UDP datagram from the originator), and on the
 * packet's counts (onePacketKey); a connection of a lone SYN and its answer has one that depends only on their
 * signatures' tracker (TRACKER_MIDDLES again) and the two packets' counts (twoPacketKey). A SYN flood's, a port scan's
 * and a UDP flood's lines mostly repeat there: one copy then, not some twenty keys and numbers. Each map is bounded:
 * emptied when full.
 */
const DATAGRAM_MIDDLES = new Map<number, Uint8Array>();
const TRACKER_MIDDLES = new WeakMap<TcpConnection, Map<number, Uint8Array>>();
const MIDDLES_MAX = 4096;

/**
 * For a flow of one packet: its direction, IP, wire and payload bytes and whether its direction was guessed, packed in
 * a safe integer; -1 for any other flow.
 */
function onePacketKey(f: Flow): number {
  if (f.oPkts + f.rPkts !== 1) return -1;
  const o = f.oPkts === 1;
  const ip = o ? f.oIpBytes : f.rIpBytes, payload = o ? f.oPayloadBytes : f.rPayloadBytes;
  const frame = (o ? f.oWireBytes : f.rWireBytes) - ip;
  if (ip > 0x1ffff || frame < 0 || frame > 0xffff || payload > 0x1ffff) return -1;
  return (((ip * 0x10000 + frame) * 0x20000 + payload) * 2 + (f.directionGuessed ? 1 : 0)) * 2 + (o ? 1 : 0); // < 2^52
}

/**
 * For a flow of two packets without payload: how many came from the originator, their IP bytes and frame bytes by
 * direction and whether its direction was guessed, packed in a safe integer; -1 for any other flow (or counts too
 * large to pack, which a SYN and its answer never have).
 */
function twoPacketKey(f: Flow): number {
  if (f.oPkts + f.rPkts !== 2 || f.oPayloadBytes !== 0 || f.rPayloadBytes !== 0) return -1;
  const oFrame = f.oWireBytes - f.oIpBytes, rFrame = f.rWireBytes - f.rIpBytes;
  if (f.oIpBytes > 0xfff || f.rIpBytes > 0xfff || oFrame < 0 || oFrame > 0xff || rFrame < 0 || rFrame > 0xff) return -1;
  return ((((f.oIpBytes * 0x1000 + f.rIpBytes) * 0x100 + oFrame) * 0x100 + rFrame) * 4 + f.oPkts) * 2 + (f.directionGuessed ? 1 : 0); // < 2^44
}

/** The middles written from a signature's tracker `t`, a lone SYN's or a SYN and answer's (see DATAGRAM_MIDDLES). */
function trackerMiddles(t: TcpConnection): Map<number, Uint8Array> {
  let m = TRACKER_MIDDLES.get(t);
  if (m === undefined) {
    m = new Map();
    TRACKER_MIDDLES.set(t, m);
  }
  return m;
}

/**
 * middle(f, tcp), copied from `cache` when a line of the same `key` (onePacketKey or twoPacketKey of `f`, for all that
 * the middle reads of the flow itself) wrote it there, else written and kept.
 */
function cachedMiddle(f: Flow, tcp: TcpConnection | null, cache: Map<number, Uint8Array>, key: number): void {
  if (key < 0) {
    middle(f, tcp);
    return;
  }
  const known = cache.get(key);
  if (known !== undefined) {
    buf.set(known, pos);
    pos += known.length;
    return;
  }
  const start = pos;
  middle(f, tcp);
  if (cache.size >= MIDDLES_MAX) cache.clear();
  cache.set(key, buf.slice(start, pos));
}

/** `,"ip_version":V,"end_reason":"`. */
function versionEnd(v: number): void {
  let b = VERSION_END[v];
  if (b === undefined) {
    b = lit(`,"ip_version":${v},"end_reason":"`);
    VERSION_END[v] = b;
  }
  bytes(b);
}

function tcpAnalysis(o: TcpEnd, r: TcpEnd): void {
  if (noAnalysis(o) && noAnalysis(r)) {
    bytes(NO_ANALYSIS);
    return;
  }
  bytes(K_ORIG_RETX);
  uint(o.retransmissions);
  bytes(K_RESP_RETX);
  uint(r.retransmissions);
  bytes(K_ORIG_OOO);
  uint(o.outOfOrder);
  bytes(K_RESP_OOO);
  uint(r.outOfOrder);
  bytes(K_ORIG_DUP);
  uint(o.dupAcks);
  bytes(K_RESP_DUP);
  uint(r.dupAcks);
  bytes(K_ORIG_ZWIN);
  uint(o.zeroWindows);
  bytes(K_RESP_ZWIN);
  uint(r.zeroWindows);
  bytes(K_ORIG_KA);
  uint(o.keepAlives);
  bytes(K_RESP_KA);
  uint(r.keepAlives);
}

/** Whether every analysis counter of `e` that a line shows is zero. */
function noAnalysis(e: TcpEnd): boolean {
  return e.retransmissions === 0 && e.outOfOrder === 0 && e.dupAcks === 0 && e.zeroWindows === 0 && e.keepAlives === 0;
}

/** The SYN options of both ends, as the fields' nullable getters leave them out. */
function tcpOptions(o: TcpEnd, r: TcpEnd): void {
  if (o.synSeen && o.mss >= 0) {
    bytes(K_ORIG_MSS);
    uint(o.mss);
  }
  if (r.synSeen && r.mss >= 0) {
    bytes(K_RESP_MSS);
    uint(r.mss);
  }
  if (o.synSeen && o.wscale >= 0) {
    bytes(K_ORIG_WSCALE);
    uint(o.wscale);
  }
  if (r.synSeen && r.wscale >= 0) {
    bytes(K_RESP_WSCALE);
    uint(r.wscale);
  }
  if (o.synSeen) bytes(SYN_FLAGS[o.sackPermitted ? 1 : 0]!);
  if (r.synSeen) bytes(SYN_FLAGS[r.sackPermitted ? 3 : 2]!);
  if (o.synSeen) bytes(SYN_FLAGS[o.timestamps ? 5 : 4]!);
  if (r.synSeen) bytes(SYN_FLAGS[r.timestamps ? 7 : 6]!);
}

function rtts(tcp: TcpConnection): void {
  const syn = tcp.rttSynSec;
  if (syn !== null) {
    bytes(K_RTT_SYN);
    num(syn, true);
  }
  const ack = tcp.rttAckSec;
  if (ack !== null) {
    bytes(K_RTT_ACK);
    num(ack, true);
  }
}

/** Whether every field after the core ones is read from the flow itself (no record is built for a line). */
const EXTRAS_FROM_FLOW = EXTRA_FIELDS.every((f) => f.fromFlow !== undefined);
/**
 * Whether a flow without payload names, tunnel parents, VLAN tags and local view has community_id as its only later
 * field: true when every later field but community_id is one of those groups (fields.ts says which), so that a new
 * field of another kind turns the shortcut off rather than being left out.
 */
const CID_INDEX = EXTRA_FIELDS.findIndex((f) => f.name === 'community_id');
const PLAIN_EXTRAS_CID_ONLY = CID_INDEX >= 0 && EXTRA_FIELDS.every((f, i) => i === CID_INDEX || FLOW_GATED_FIELDS.has(f));
const K_COMMUNITY_ID = CID_INDEX >= 0 ? EXTRA_KEY[CID_INDEX]! : lit('');

/**
 * The later fields a flow with names of its own writes when the other gated fields are unset (otherGatedFieldsUnset):
 * community_id and the names, in this order, checked against ALL_FIELDS at load (NAMES_DIRECT).
 */
const DIRECT_ORDER = [
  'community_id', 'service', 'server_name', 'alpn', 'http_host', 'http_method', 'dns_query', 'dns_qtype', 'dns_rcode',
  'ssh_client', 'ssh_server', 'resp_name',
] as const;
const NAMES_DIRECT = PLAIN_EXTRAS_CID_ONLY &&
  EXTRA_FIELDS.filter((f) => f.name === 'community_id' || NAME_FIELDS.has(f)).map((f) => f.name).join() === DIRECT_ORDER.join();
/** The key of later field `name` (an empty key when there is none: NAMES_DIRECT is false then). */
function extraKey(name: (typeof DIRECT_ORDER)[number]): Lit {
  const i = EXTRA_FIELDS.findIndex((f) => f.name === name);
  return i >= 0 ? EXTRA_KEY[i]! : lit(''); // i < length
}
const K_SERVICE = extraKey('service'), K_SERVER_NAME = extraKey('server_name'), K_ALPN = extraKey('alpn');
const K_HTTP_HOST = extraKey('http_host'), K_HTTP_METHOD = extraKey('http_method'), K_DNS_QUERY = extraKey('dns_query');
const K_DNS_QTYPE = extraKey('dns_qtype'), K_DNS_RCODE = extraKey('dns_rcode'), K_SSH_CLIENT = extraKey('ssh_client');
const K_SSH_SERVER = extraKey('ssh_server'), K_RESP_NAME = extraKey('resp_name');

/** The fields after the core ones, from the flow or else from its record, as encodeRecordJson writes them. */
function extras(out: ChunkedOut, flow: Flow, reason: EndReason): void {
  if (PLAIN_EXTRAS_CID_ONLY && otherGatedFieldsUnset(flow)) {
    const names = flow.names;
    if (names === null || names.shared) {
      communityId(flow);
      return;
    }
    if (NAMES_DIRECT) {
      communityId(flow);
      namesOf(out, names);
      return;
    }
  }
  const rec: FlowRecord | null = EXTRAS_FROM_FLOW ? null : flowRecord(flow, reason);
  for (let i = 0; i < EXTRA_FIELDS.length; i++) {
    const f = EXTRA_FIELDS[i]!; // i < length
    const fromFlow = f.fromFlow;
    const v = fromFlow !== undefined ? fromFlow(flow) : f.get(rec ?? flowRecord(flow, reason));
    if (v === undefined) continue;
    if (typeof v === 'string') {
      text(out, EXTRA_KEY[i]!, v); // i < length
      continue;
    }
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      // A set (tunnel_parents, an array of uids), as encodeRecordJson writes it.
      json(out, EXTRA_KEY[i]!, JSON.stringify(v)); // i < length
      continue;
    }
    bytes(EXTRA_KEY[i]!); // i < length
    if (typeof v === 'number') num(v, f.type === 'interval');
    else bool(v);
  }
}

/** community_id, written in place (none for a flow without ports it can hash). */
function communityId(flow: Flow): void {
  const at = pos + K_COMMUNITY_ID.length + 1;
  const n = writeCommunityIdOfFlow(flow, buf, at);
  if (n > 0) {
    bytes(K_COMMUNITY_ID);
    buf[pos] = 0x22; // "
    pos = at + n;
    buf[pos++] = 0x22;
  }
}

/** The keys of the names fields, in DIRECT_ORDER after community_id; NAME_VALUES holds a flow's texts at the same indices. */
const NAME_KEYS = [
  K_SERVICE, K_SERVER_NAME, K_ALPN, K_HTTP_HOST, K_HTTP_METHOD, K_DNS_QUERY, K_DNS_QTYPE, K_DNS_RCODE, K_SSH_CLIENT, K_SSH_SERVER,
  K_RESP_NAME,
];
/** The indices of the two numbers among them (written from the names, not from NAME_VALUES). */
const AT_QTYPE = 6, AT_RCODE = 7;
const NAME_VALUES: string[] = new Array<string>(NAME_KEYS.length).fill('');

/**
 * The names fields of `n` (a flow's own names), in DIRECT_ORDER after community_id: as the generic loop writes them.
 * One loop with one call of `text` rather than a call per field: the compiled code stays small (V8 would inline each
 * call), which matters here because it is compiled in every run that names flows.
 */
function namesOf(out: ChunkedOut, n: FlowNames): void {
  const v = NAME_VALUES;
  v[0] = n.service;
  v[1] = n.serverName;
  v[2] = n.alpn;
  v[3] = n.httpHost;
  v[4] = n.httpMethod;
  v[5] = n.dnsQuery;
  v[8] = n.sshClient;
  v[9] = n.sshServer;
  v[10] = n.respName;
  for (let i = 0; i < NAME_KEYS.length; i++) {
    const key = NAME_KEYS[i]!; // i < length
    if (i === AT_QTYPE || i === AT_RCODE) {
      const code = i === AT_QTYPE ? n.dnsQtype : n.dnsRcode;
      if (code !== -1) {
        bytes(key);
        uint(code);
      }
      continue;
    }
    const t = v[i]!; // i < length
    if (t !== '') text(out, key, t);
  }
}

/** Key and string `v` (of any length or content), as encodeRecordJson writes it (writeJsonString). */
function text(out: ChunkedOut, key: Lit, v: string): void {
  const room = 6 * v.length + 2; // writeJsonString's most
  if (pos + room + 256 > buf.length) {
    out.len = pos;
    out.reserve(room + LINE_RESERVE);
    enter(out);
  }
  bytes(key);
  pos = writeJsonString(buf, pos, v);
}

/** Key and JSON text `t`. */
function json(out: ChunkedOut, key: Lit, t: string): void {
  if (pos + 3 * t.length + 256 > buf.length) {
    out.len = pos;
    out.reserve(3 * t.length + LINE_RESERVE);
    enter(out);
  }
  bytes(key);
  pos += chunk.write(t, pos, 'utf8');
}

