/**
 * IPFIX encoding (RFC 7011) of flow records: the templates, data records packed into sets, and message headers.
 * A flow is one RFC 5103 biflow record (the reverse counts under PEN 29305), or two one-way records with
 * `uniflow`. The encoder packs records into one reused buffer and hands each full message body (its sets, without
 * the 16-byte header) to `onSets`; transports add the header, which differs per collector (sequence number, export
 * time, templates due).
 */
import { communityIdOfRecord } from '../flow/community-id.js';
import type { DirectionRecord, FlowRecord, NamesRecord } from '../flow/record.js';
import {
  BIFLOW_DIRECTION,
  DEFAULT_PEN,
  END_REASON,
  ENTERPRISE_ELEMENTS as E,
  IE,
  REVERSE_ENTERPRISE_BIT,
  REVERSE_PEN,
} from './ipfix-elements.js';

/** RFC 7011 §3.1: version number of IPFIX messages. */
export const IPFIX_VERSION = 10;
/** RFC 7011 §3.1: the message header's length. */
export const HEADER_BYTES = 16;
/** RFC 7011 §3.3.2: set IDs. */
export const SET_ID = { TEMPLATE: 2, OPTIONS_TEMPLATE: 3 } as const;
/** Template IDs (RFC 7011 §3.4.1: 256 and up). */
export const TEMPLATE_ID = { BIFLOW_V4: 256, BIFLOW_V6: 257, UNIFLOW_V4: 258, UNIFLOW_V6: 259 } as const;
/** RFC 7011 §7: a variable-length field's length in the template. */
export const VARIABLE_LENGTH = 0xffff;
/** The message length field is 16 bits. */
export const MAX_MESSAGE_BYTES = 0xffff;

/** One field specifier of a template (RFC 7011 §3.2). */
export interface FieldSpec {
  readonly id: number;
  /** Bytes, or {@link VARIABLE_LENGTH}. */
  readonly length: number;
  /** Private Enterprise Number; 0 for IANA elements. */
  readonly pen: number;
}

/** The field specifiers of one template, in the order {@link IpfixEncoder} writes the values. */
export function templateFields(v6: boolean, biflow: boolean, pen: number): FieldSpec[] {
  const std = (id: number, length: number): FieldSpec => ({ id, length, pen: 0 });
  const rev = (id: number, length: number): FieldSpec => ({ id, length, pen: REVERSE_PEN });
  const own = (e: { id: number; type: string }, reverse = false): FieldSpec => ({
    id: e.id | (reverse ? REVERSE_ENTERPRISE_BIT : 0),
    length: e.type === 'string' ? VARIABLE_LENGTH : e.type === 'boolean' ? 1 : e.type === 'unsigned16' ? 2 : 8,
    pen,
  });
  const f: FieldSpec[] = [
    std(IE.flowStartMilliseconds, 8),
    std(IE.flowEndMilliseconds, 8),
    std(v6 ? IE.sourceIPv6Address : IE.sourceIPv4Address, v6 ? 16 : 4),
    std(v6 ? IE.destinationIPv6Address : IE.destinationIPv4Address, v6 ? 16 : 4),
    std(IE.sourceTransportPort, 2),
    std(IE.destinationTransportPort, 2),
    std(IE.protocolIdentifier, 1),
    std(v6 ? IE.icmpTypeCodeIPv6 : IE.icmpTypeCodeIPv4, 2),
    std(IE.tcpControlBits, 2),
    std(IE.packetDeltaCount, 8),
    std(IE.octetDeltaCount, 8),
    std(IE.flowEndReason, 1),
    std(IE.vlanId, 2),
  ];
  if (biflow) {
    f.push(std(IE.biflowDirection, 1), rev(IE.tcpControlBits, 2), rev(IE.packetDeltaCount, 8), rev(IE.octetDeltaCount, 8));
  }
  f.push(own(E.uid), own(E.connState), own(E.history), own(E.tcpState));
  if (biflow) f.push(own(E.tcpState, true));
  f.push(own(E.endReason), own(E.directionGuessed), own(E.retransmissions));
  if (biflow) f.push(own(E.retransmissions, true));
  f.push(own(E.seqOctets));
  if (biflow) f.push(own(E.seqOctets, true));
  f.push(own(E.service), own(E.serverName), own(E.alpn), own(E.httpHost), own(E.httpMethod), own(E.dnsQuery));
  f.push(own(E.dnsQtype), own(E.dnsRcode), own(E.sshSoftware));
  if (biflow) f.push(own(E.sshSoftware, true));
  f.push(own(E.communityId), own(E.respName));
  return f;
}

/** The template set (set ID 2) announcing the two templates of one mode (IPv4 and IPv6). */
export function templateSet(biflow: boolean, pen: number): Buffer {
  const ids = biflow ? [TEMPLATE_ID.BIFLOW_V4, TEMPLATE_ID.BIFLOW_V6] : [TEMPLATE_ID.UNIFLOW_V4, TEMPLATE_ID.UNIFLOW_V6];
  const templates = ids.map((id, i) => ({ id, fields: templateFields(i === 1, biflow, pen) }));
  let len = 4;
  for (const t of templates) for (const f of t.fields) len += f.pen === 0 ? 4 : 8;
  len += 4 * templates.length;
  const b = Buffer.alloc(len);
  b.writeUInt16BE(SET_ID.TEMPLATE, 0);
  b.writeUInt16BE(len, 2);
  let o = 4;
  for (const t of templates) {
    b.writeUInt16BE(t.id, o);
    b.writeUInt16BE(t.fields.length, o + 2);
    o += 4;
    for (const f of t.fields) {
      // RFC 7011 §3.2: the enterprise bit is the top bit of the element ID, and the PEN follows the length.
      b.writeUInt16BE(f.pen === 0 ? f.id : f.id | 0x8000, o);
      b.writeUInt16BE(f.length, o + 2);
      o += 4;
      if (f.pen !== 0) {
        b.writeUInt32BE(f.pen, o);
        o += 4;
      }
    }
  }
  return b;
}

/**
 * Writes the 16-byte message header (RFC 7011 §3.1) at the start of `msg`.
 * @param exportTimeSec seconds since the epoch, when the message leaves the exporter.
 * @param sequence data records sent in this session before this message, modulo 2^32.
 */
export function writeHeader(msg: Uint8Array, length: number, exportTimeSec: number, sequence: number, domain: number): void {
  const v = new DataView(msg.buffer, msg.byteOffset, HEADER_BYTES);
  v.setUint16(0, IPFIX_VERSION);
  v.setUint16(2, length);
  v.setUint32(4, exportTimeSec >>> 0);
  v.setUint32(8, sequence >>> 0);
  v.setUint32(12, domain >>> 0);
}

export interface IpfixEncoderOptions {
  /** Two one-way records per flow (source = originator, then source = responder) instead of one biflow. @default false */
  uniflow?: boolean;
  /** Private Enterprise Number of sockscope's own elements. @default 32473 (see DEFAULT_PEN) */
  pen?: number;
  /** Most bytes of one message, header and templates included (a UDP collector's path MTU less IP and UDP headers). */
  maxMessageBytes: number;
  /**
   * Called with the data sets of each full message (no header, no templates) and the number of data records in
   * them. The bytes are borrowed: they are overwritten after the call returns.
   */
  onSets: (sets: Uint8Array, records: number) => void;
}

const TWO_32 = 4294967296;

/** What an intermediate report of a flow (endReason `active`) carried: its totals, and the end it reported. */
interface Reported {
  readonly origPkts: number;
  readonly origBytes: number;
  readonly respPkts: number;
  readonly respBytes: number;
  readonly lastSec: number;
}
const NO_REPORT: Reported = { origPkts: 0, origBytes: 0, respPkts: 0, respBytes: 0, lastSec: 0 };

/** TCP header flag bits as tcpControlBits carries them (RFC 7125). */
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

/**
 * Packs flow records into IPFIX data sets. `write` encodes the record at once into the encoder's own buffer and
 * keeps no reference to it (a record may be a view that is only valid during the call).
 */
export class IpfixEncoder {
  /** The template set of this mode, sent before data and again as transports require. */
  readonly templates: Buffer;
  readonly uniflow: boolean;
  readonly pen: number;
  /** Records encoded, and records that could not be (longer than a message: strings of several hundred bytes). */
  recordsEncoded = 0;
  recordsTooLarge = 0;
  /** Records sent without their names, which together did not fit in one message. */
  namesOmitted = 0;
  private readonly buf: Buffer;
  private readonly view: DataView;
  private len = 0;
  private setStart = -1;
  private setTemplate = 0;
  private records = 0;
  private readonly onSets: IpfixEncoderOptions['onSets'];
  private readonly reported = new Map<string, Reported>();

  constructor(opts: IpfixEncoderOptions) {
    this.uniflow = opts.uniflow === true;
    this.pen = opts.pen ?? DEFAULT_PEN;
    this.templates = templateSet(!this.uniflow, this.pen);
    this.onSets = opts.onSets;
    // Transports send the templates in a message of their own: it must fit, and data messages keep no room for them.
    const room = Math.min(opts.maxMessageBytes, MAX_MESSAGE_BYTES) - HEADER_BYTES;
    if (room < this.templates.length || room < 512) {
      throw new RangeError(`IPFIX messages of ${opts.maxMessageBytes} bytes are too small for the templates and flow records`);
    }
    this.buf = Buffer.alloc(room);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Encodes one flow: a biflow record, or one or two uniflow records (none for a direction that sent nothing). */
  write(r: FlowRecord): void {
    // Counts are deltas (packetDeltaCount): after an intermediate report, the next record of the flow carries only
    // what came since, and starts where that report ended. Only flows with such a report are looked up.
    const prev = this.reported.size === 0 ? undefined : this.reported.get(r.uid);
    const base = prev ?? NO_REPORT;
    if (r.endReason === 'active') {
      this.reported.set(r.uid, { origPkts: r.orig.pkts, origBytes: r.orig.ipBytes, respPkts: r.resp.pkts, respBytes: r.resp.ipBytes, lastSec: r.lastSec });
    } else if (prev !== undefined) this.reported.delete(r.uid);
    // Computed once per flow: both records of a uniflow pair carry it.
    const communityId = communityIdOfRecord(r) ?? '';
    if (!this.uniflow) this.encode(r, r.orig, r.resp, true, base, communityId);
    else {
      const origPkts = r.orig.pkts - base.origPkts;
      const respPkts = r.resp.pkts - base.respPkts;
      if (origPkts > 0 || respPkts === 0) this.encode(r, r.orig, r.resp, true, base, communityId);
      if (respPkts > 0) this.encode(r, r.resp, r.orig, false, base, communityId);
    }
  }

  /** Flows with an intermediate report (endReason `active`) not yet followed by their final one. */
  get openReports(): number {
    return this.reported.size;
  }

  /** Hands on the records gathered so far as one message body, if there are any. */
  flush(): void {
    if (this.records === 0) return;
    this.closeSet();
    this.onSets(this.buf.subarray(0, this.len), this.records);
    this.len = 0;
    this.records = 0;
    this.setStart = -1;
  }

  /** Records waiting in the buffer for the next {@link flush}. */
  get pending(): number {
    return this.records;
  }

  private closeSet(): void {
    if (this.setStart >= 0) this.view.setUint16(this.setStart + 2, this.len - this.setStart);
  }

  /** One data record with `src` as the source end (the originator when `forward`), counts less `base`'s. */
  private encode(
    r: FlowRecord,
    src: DirectionRecord,
    dst: DirectionRecord,
    forward: boolean,
    base: Reported,
    communityId: string,
  ): void {
    const v6 = r.ipVersion === 6;
    const bi = !this.uniflow;
    const tcp = r.proto === 'tcp';
    const icmp = r.proto === 'icmp';
    const srcState = tcp ? (src.state ?? '') : '';
    const dstState = tcp ? (dst.state ?? '') : '';
    let names = r.names ?? NO_NAMES;
    const fixed =
      (v6 ? 32 : 8) + 8 + 8 + 2 + 2 + 1 + 2 + 2 + 8 + 8 + 1 + 2 + (bi ? 1 + 2 + 8 + 8 : 0) +
      varSize(r.uid) + varSize(r.connState) + varSize(r.history) + varSize(srcState) + (bi ? varSize(dstState) : 0) +
      varSize(r.endReason) + 1 + 8 + (bi ? 8 : 0) + 8 + (bi ? 8 : 0) + 2 + 2 + varSize(communityId);
    let size = fixed + namesSize(names, bi, forward);
    if (size + 4 > this.buf.length && names !== NO_NAMES) {
      // Names from the payload longer than a message holds (each is cut to 255 bytes; all together can still be):
      // the record goes without them, and the summary counts it.
      names = NO_NAMES;
      size = fixed + namesSize(names, bi, forward);
      this.namesOmitted++;
    }
    const template = bi ? (v6 ? TEMPLATE_ID.BIFLOW_V6 : TEMPLATE_ID.BIFLOW_V4) : v6 ? TEMPLATE_ID.UNIFLOW_V6 : TEMPLATE_ID.UNIFLOW_V4;
    if (size + 4 > this.buf.length) {
      this.recordsTooLarge++;
      return;
    }
    if (this.len + size + (template === this.setTemplate && this.setStart >= 0 ? 0 : 4) > this.buf.length) this.flush();
    if (this.setStart < 0 || template !== this.setTemplate) {
      this.closeSet();
      this.setStart = this.len;
      this.setTemplate = template;
      this.view.setUint16(this.len, template);
      this.len += 4; // length filled in by closeSet
    }
    const v = this.view;
    let o = this.len;
    // Biflow times span both directions (RFC 5103 §5.1); a one-way record has its source end's.
    const first = base !== NO_REPORT ? base.lastSec : bi ? r.startSec : (src.firstSec ?? r.startSec);
    const last = bi ? r.lastSec : (src.lastSec ?? r.lastSec);
    o = u64(v, o, secToMs(first));
    o = u64(v, o, secToMs(last));
    const srcAddr = forward ? r.origAddr : r.respAddr;
    const dstAddr = forward ? r.respAddr : r.origAddr;
    if (v6) {
      o = writeIpv6(this.buf, o, srcAddr);
      o = writeIpv6(this.buf, o, dstAddr);
    } else {
      o = writeIpv4(v, o, srcAddr);
      o = writeIpv4(v, o, dstAddr);
    }
    // ICMP: Zeek's ports are the type (orig) and code (resp); IPFIX carries them as one type*256+code element.
    v.setUint16(o, icmp ? 0 : forward ? r.origPort : r.respPort);
    v.setUint16(o + 2, icmp ? 0 : forward ? r.respPort : r.origPort);
    v.setUint8(o + 4, r.ipProto & 0xff);
    v.setUint16(o + 5, icmp ? ((r.origPort & 0xff) << 8) | (r.respPort & 0xff) : 0);
    v.setUint16(o + 7, tcp ? tcpBits(src) : 0);
    o = u64(v, o + 9, src.pkts - (forward ? base.origPkts : base.respPkts));
    o = u64(v, o, src.ipBytes - (forward ? base.origBytes : base.respBytes));
    v.setUint8(o++, flowEndReason(r.endReason));
    // vlanId: the outer 802.1Q tag of the flow's first packet, 0 (no VLAN) when untagged.
    v.setUint16(o, r.vlan !== undefined && r.vlan >= 0 ? r.vlan : 0);
    o += 2;
    if (bi) {
      v.setUint8(o++, r.directionGuessed ? BIFLOW_DIRECTION.ARBITRARY : BIFLOW_DIRECTION.INITIATOR);
      v.setUint16(o, tcp ? tcpBits(dst) : 0);
      o = u64(v, o + 2, dst.pkts - base.respPkts);
      o = u64(v, o, dst.ipBytes - base.respBytes);
    }
    o = this.varString(o, r.uid);
    o = this.varString(o, r.connState);
    o = this.varString(o, r.history);
    o = this.varString(o, srcState);
    if (bi) o = this.varString(o, dstState);
    o = this.varString(o, r.endReason);
    v.setUint8(o++, r.directionGuessed ? 1 : 2); // RFC 7011 §6.1.5: true is 1, false is 2
    o = u64(v, o, tcp ? src.retransmissions : 0);
    if (bi) o = u64(v, o, tcp ? dst.retransmissions : 0);
    o = u64(v, o, src.seqBytes);
    if (bi) o = u64(v, o, dst.seqBytes);
    o = this.varString(o, cut(names.service));
    o = this.varString(o, cut(names.serverName));
    o = this.varString(o, cut(names.alpn));
    o = this.varString(o, cut(names.httpHost));
    o = this.varString(o, cut(names.httpMethod));
    o = this.varString(o, cut(names.dnsQuery));
    v.setUint16(o, names.dnsQtype < 0 ? 0 : names.dnsQtype & 0xffff);
    v.setUint16(o + 2, names.dnsRcode < 0 ? 0xffff : names.dnsRcode & 0xffff);
    o = this.varString(o + 4, cut(forward ? names.sshClient : names.sshServer));
    if (bi) o = this.varString(o, cut(names.sshServer));
    o = this.varString(o, communityId);
    o = this.varString(o, cut(names.respName));
    this.len = o;
    this.records++;
    this.recordsEncoded++;
  }

  /** RFC 7011 §7: a one-byte length below 255, else 255 and a two-byte length. The strings here are ASCII. */
  private varString(o: number, s: string): number {
    if (s.length < 255) {
      this.buf[o] = s.length;
      o += 1;
    } else {
      this.buf[o] = 255;
      this.view.setUint16(o + 1, s.length);
      o += 3;
    }
    const n = s.length;
    if (n > 64) return o + this.buf.write(s, o, 'latin1');
    // Short strings (nearly all): a loop costs less than Buffer.write's call into C++ (measured: the whole encoder
    // went from 0.57 to 2.1 million biflow records a second).
    const b = this.buf;
    for (let i = 0; i < n; i++) b[o + i] = s.charCodeAt(i);
    return o + n;
  }
}

function varSize(s: string): number {
  return s.length + (s.length < 255 ? 1 : 3);
}

/** Names from the payload are printable ASCII (inspect/text.ts escapes every other byte), cut here to 255 bytes. */
const MAX_NAME = 255;
function cut(s: string): string {
  return s.length > MAX_NAME ? s.slice(0, MAX_NAME) : s;
}

/** The encoded size of the names' strings (the two DNS numbers are in the fixed part). */
function namesSize(n: NamesRecord, bi: boolean, forward: boolean): number {
  return nameSize(n.service) + nameSize(n.serverName) + nameSize(n.alpn) + nameSize(n.httpHost) +
    nameSize(n.httpMethod) + nameSize(n.dnsQuery) + nameSize(forward ? n.sshClient : n.sshServer) +
    (bi ? nameSize(n.sshServer) : 0) + nameSize(n.respName);
}

function nameSize(s: string): number {
  const len = Math.min(s.length, MAX_NAME);
  return len + (len < 255 ? 1 : 3);
}

/** A flow without names (no --names, or nothing seen): empty strings, no DNS question or response. */
const NO_NAMES: NamesRecord = {
  service: '', serverName: '', alpn: '', httpHost: '', httpMethod: '', dnsQuery: '', dnsQtype: -1, dnsRcode: -1,
  sshClient: '', sshServer: '', respName: '',
};

/** dateTimeMilliseconds from capture seconds (microsecond precision, so round to µs before cutting to ms). */
function secToMs(sec: number): number {
  return Math.floor(Math.round(sec * 1e6) / 1000);
}

/** Writes a non-negative integer (below 2^53) as unsigned64, network byte order. */
function u64(v: DataView, o: number, n: number): number {
  const hi = Math.floor(n / TWO_32);
  v.setUint32(o, hi);
  v.setUint32(o + 4, n - hi * TWO_32);
  return o + 8;
}

/** The union of the TCP flags this end sent (RFC 7125 bit positions). */
function tcpBits(d: DirectionRecord): number {
  return (d.fin > 0 ? FIN : 0) | (d.syn > 0 ? SYN : 0) | (d.rst > 0 ? RST : 0) | (d.psh > 0 ? PSH : 0) |
    (d.ack > 0 ? ACK : 0) | (d.urg > 0 ? URG : 0);
}

/** sockscope's end reasons as IANA flowEndReason values. */
export function flowEndReason(reason: FlowRecord['endReason']): number {
  switch (reason) {
    case 'idle':
      return END_REASON.IDLE_TIMEOUT;
    case 'active':
      return END_REASON.ACTIVE_TIMEOUT;
    case 'closed':
    case 'reset':
    case 'reuse':
      return END_REASON.END_OF_FLOW;
    case 'evicted':
      return END_REASON.LACK_OF_RESOURCES;
    case 'eof':
      return END_REASON.FORCED_END;
  }
}

/** Writes dotted-quad text as 4 bytes without allocating. */
export function writeIpv4(v: DataView, o: number, s: string): number {
  let n = 0, part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      n = (n << 8) | part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  v.setUint32(o, ((n << 8) | part) >>> 0);
  return o + 4;
}

/**
 * Writes IPv6 text (RFC 4291 §2.2 forms: `::` once, an embedded dotted quad at the end) as 16 bytes without
 * allocating.
 */
export function writeIpv6(b: Buffer, o: number, s: string): number {
  b.fill(0, o, o + 16);
  // Groups before `::` go from the front; groups after it are written from the front too, then moved to the end.
  let pos = o, gap = -1, group = 0, digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) {
      if (digits > 0) {
        b[pos] = group >> 8;
        b[pos + 1] = group & 0xff;
        pos += 2;
      }
      if (i + 1 < s.length && s.charCodeAt(i + 1) === 58) {
        gap = pos;
        i++;
      }
      group = 0;
      digits = 0;
    } else if (c === 46) {
      // An embedded IPv4 address: the rest of the string is a dotted quad.
      const start = s.lastIndexOf(':', i) + 1;
      let n = 0, part = 0;
      for (let k = start; k < s.length; k++) {
        const d = s.charCodeAt(k);
        if (d === 46) {
          n = (n << 8) | part;
          part = 0;
        } else part = part * 10 + (d - 48);
      }
      n = ((n << 8) | part) >>> 0;
      b[pos] = n >>> 24;
      b[pos + 1] = (n >>> 16) & 0xff;
      b[pos + 2] = (n >>> 8) & 0xff;
      b[pos + 3] = n & 0xff;
      pos += 4;
      digits = 0;
      break;
    } else {
      group = (group << 4) | hexValue(c);
      digits++;
    }
  }
  if (digits > 0) {
    b[pos] = group >> 8;
    b[pos + 1] = group & 0xff;
    pos += 2;
  }
  if (gap >= 0) {
    const tail = pos - gap;
    b.copyWithin(o + 16 - tail, gap, pos);
    b.fill(0, gap, o + 16 - tail);
  }
  return o + 16;
}

function hexValue(c: number): number {
  if (c <= 57) return c - 48;
  return (c | 0x20) - 87;
}
