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
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import type { Flow } from '../flow/flow.js';
import type { EndReason, FlowRecord } from '../flow/record.js';
import { connStateOf, flowRecord, flowTracker, flowUid, historyOf, protoName } from '../flow/snapshot.js';
import type { TcpConnection, TcpEnd } from '../tcp/connection.js';
import { ALL_FIELDS, type Field } from './fields.js';
import { writeFraction } from './json-bytes.js';
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

/** `,"name":` of column `name` (the first column's key is written by hand, without its comma). */
function key(name: CoreName): Uint8Array {
  return Uint8Array.from(Buffer.from(`,${JSON.stringify(name)}:`, 'latin1'));
}
/**
 * The keys, one constant each: a table of them (an object with 50 properties, in V8's dictionary mode) cost a hash
 * lookup per column.
 */
const K_UID = key('uid'), K_ORIG_H = key('id.orig_h'), K_ORIG_P = key('id.orig_p'), K_RESP_H = key('id.resp_h');
const K_RESP_P = key('id.resp_p'), K_PROTO = key('proto'), K_DURATION = key('duration'), K_ORIG_BYTES = key('orig_bytes');
const K_RESP_BYTES = key('resp_bytes'), K_CONN_STATE = key('conn_state'), K_MISSED = key('missed_bytes');
const K_HISTORY = key('history'), K_ORIG_PKTS = key('orig_pkts'), K_ORIG_IP_BYTES = key('orig_ip_bytes');
const K_RESP_PKTS = key('resp_pkts'), K_RESP_IP_BYTES = key('resp_ip_bytes'), K_IP_PROTO = key('ip_proto');
const K_ORIG_STATE = key('orig_state'), K_RESP_STATE = key('resp_state'), K_ORIG_INFERRED = key('orig_state_inferred');
const K_RESP_INFERRED = key('resp_state_inferred'), K_GUESSED = key('direction_guessed');
const K_ORIG_WIRE = key('orig_wire_bytes'), K_RESP_WIRE = key('resp_wire_bytes');
const K_ORIG_PAYLOAD = key('orig_payload_bytes'), K_RESP_PAYLOAD = key('resp_payload_bytes');
const K_ORIG_RETX = key('orig_retransmissions'), K_RESP_RETX = key('resp_retransmissions');
const K_ORIG_OOO = key('orig_out_of_order'), K_RESP_OOO = key('resp_out_of_order');
const K_ORIG_DUP = key('orig_dup_acks'), K_RESP_DUP = key('resp_dup_acks');
const K_ORIG_ZWIN = key('orig_zero_windows'), K_RESP_ZWIN = key('resp_zero_windows');
const K_ORIG_KA = key('orig_keep_alives'), K_RESP_KA = key('resp_keep_alives');
const K_ORIG_MSS = key('orig_mss'), K_RESP_MSS = key('resp_mss'), K_ORIG_WSCALE = key('orig_wscale');
const K_RESP_WSCALE = key('resp_wscale'), K_ORIG_SACK = key('orig_sack_permitted'), K_RESP_SACK = key('resp_sack_permitted');
const K_ORIG_TS = key('orig_timestamps'), K_RESP_TS = key('resp_timestamps'), K_RTT_SYN = key('rtt_syn');
const K_RTT_ACK = key('rtt_ack'), K_LAST_TS = key('last_ts'), K_IP_VERSION = key('ip_version');
const K_END_REASON = key('end_reason');
const EXTRA_KEY: readonly Uint8Array[] = EXTRA_FIELDS.map((f) => Uint8Array.from(Buffer.from(`,${JSON.stringify(f.name)}:`, 'latin1')));
const TS_KEY = Uint8Array.from(Buffer.from('{"ts":', 'latin1'));
const TRUE = Uint8Array.from(Buffer.from('true'));
const FALSE = Uint8Array.from(Buffer.from('false'));
/** Room a line needs at most, but for its strings (reserved as they come). */
const LINE_RESERVE = 4096;

/** Where the line being written is: the chunk and the position in it (one per module: encoding is not reentrant). */
let buf: Buffer = Buffer.alloc(0);
let pos = 0;

function bytes(b: Uint8Array): void {
  for (let i = 0; i < b.length; i++) buf[pos + i] = b[i]!; // i < length
  pos += b.length;
}

function uint(v: number): void {
  if (v < 10) {
    buf[pos++] = 0x30 + v;
    return;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let end = pos + digits;
  for (let t = v; end > pos; t = Math.floor(t / 10)) buf[--end] = 0x30 + (t % 10);
  pos += digits;
}

/** A number as encodeRecordJson writes it (intervals rounded to the microsecond). */
function num(v: number, interval: boolean): void {
  if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) uint(v);
  else pos = writeFraction(buf, pos, v, interval);
}

/** A string known to be printable ASCII without `"` or `\\` (names, states, addresses, uids). */
function ascii(s: string): void {
  buf[pos++] = 0x22;
  for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
  pos += s.length;
  buf[pos++] = 0x22;
}

function bool(v: boolean): void {
  bytes(v ? TRUE : FALSE);
}

function addr(version: number, w0: number, w1: number, w2: number, w3: number): string {
  return version === 4 ? formatIpv4(w3 >>> 0) : formatIpv6([w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0]);
}

/** Appends the ndjson line of flow `f`, written for `reason`, to `out`. */
export function encodeFlowJson(out: ChunkedOut, f: Flow, reason: EndReason): void {
  out.reserve(LINE_RESERVE);
  buf = out.buf;
  pos = out.len;
  const tcp = flowTracker(f);
  if (f.uid === '') f.uid = flowUid(f.serial);
  const lastSec = tcp === null ? f.lastSec : tcp.lastActivitySec(f.lastSec);
  const duration = Math.max(0, lastSec - f.startSec);
  const lasted = duration > 0;
  bytes(TS_KEY);
  num(f.startSec, false);
  bytes(K_UID);
  ascii(f.uid);
  bytes(K_ORIG_H);
  ascii(addr(f.ipVersion, f.oa0, f.oa1, f.oa2, f.oa3));
  bytes(K_ORIG_P);
  uint(f.origPort);
  bytes(K_RESP_H);
  ascii(addr(f.ipVersion, f.ra0, f.ra1, f.ra2, f.ra3));
  bytes(K_RESP_P);
  uint(f.respPort);
  bytes(K_PROTO);
  ascii(protoName(f.proto));
  const o = tcp === null ? null : tcp.orig;
  const r = tcp === null ? null : tcp.resp;
  if (lasted) {
    bytes(K_DURATION);
    num(duration, true);
    bytes(K_ORIG_BYTES);
    uint(o === null ? f.oDataBytes : o.seqBytes);
    bytes(K_RESP_BYTES);
    uint(r === null ? f.rDataBytes : r.seqBytes);
  }
  const connState = connStateOf(f, tcp);
  const history = historyOf(f, tcp);
  bytes(K_CONN_STATE);
  ascii(connState);
  bytes(K_MISSED);
  uint(tcp === null ? 0 : tcp.missedBytes);
  if (history !== '') {
    bytes(K_HISTORY);
    ascii(history);
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
  if (o !== null && r !== null) tcpStates(o, r);
  bytes(K_GUESSED);
  bool(f.directionGuessed);
  bytes(K_ORIG_WIRE);
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
  bytes(K_LAST_TS);
  num(lastSec, false);
  bytes(K_IP_VERSION);
  uint(f.ipVersion);
  bytes(K_END_REASON);
  ascii(reason);
  if (EXTRA_FIELDS.length > 0) extras(out, f, reason);
  buf[pos++] = 0x7d; // }
  buf[pos++] = 0x0a; // \n
  out.len = pos;
  out.written();
}

function tcpStates(o: TcpEnd, r: TcpEnd): void {
  bytes(K_ORIG_STATE);
  ascii(o.stateName);
  bytes(K_RESP_STATE);
  ascii(r.stateName);
  bytes(K_ORIG_INFERRED);
  bool(o.stateInferred);
  bytes(K_RESP_INFERRED);
  bool(r.stateInferred);
}

function tcpAnalysis(o: TcpEnd, r: TcpEnd): void {
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
  if (o.synSeen) {
    bytes(K_ORIG_SACK);
    bool(o.sackPermitted);
  }
  if (r.synSeen) {
    bytes(K_RESP_SACK);
    bool(r.sackPermitted);
  }
  if (o.synSeen) {
    bytes(K_ORIG_TS);
    bool(o.timestamps);
  }
  if (r.synSeen) {
    bytes(K_RESP_TS);
    bool(r.timestamps);
  }
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

/** The fields after the core ones, from the flow or else from its record, as encodeRecordJson writes them. */
function extras(out: ChunkedOut, flow: Flow, reason: EndReason): void {
  const rec: FlowRecord | null = EXTRAS_FROM_FLOW ? null : flowRecord(flow, reason);
  for (let i = 0; i < EXTRA_FIELDS.length; i++) {
    const f = EXTRA_FIELDS[i]!; // i < length
    const fromFlow = f.fromFlow;
    const v = fromFlow !== undefined ? fromFlow(flow) : f.get(rec ?? flowRecord(flow, reason));
    if (v === undefined) continue;
    if (typeof v === 'string' && pos + 6 * v.length + 256 > buf.length) {
      out.len = pos;
      out.reserve(6 * v.length + LINE_RESERVE);
      buf = out.buf;
      pos = out.len;
    }
    bytes(EXTRA_KEY[i]!); // i < length
    if (typeof v === 'number') num(v, f.type === 'interval');
    else if (typeof v === 'boolean') bool(v);
    else if (typeof v === 'string') pos += buf.write(JSON.stringify(v), pos, 'utf8');
    else {
      // A set (tunnel_parents): an array of uids, as encodeRecordJson writes it.
      const text = JSON.stringify(v);
      if (pos + text.length + 256 > buf.length) {
        out.len = pos;
        out.reserve(text.length + LINE_RESERVE);
        buf = out.buf;
        pos = out.len;
      }
      pos += buf.write(text, pos, 'utf8');
    }
  }
}
