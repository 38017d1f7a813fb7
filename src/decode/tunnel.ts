/**
 * Tunnel detection. The decoder only marks a tunnel: it sets `innerOffset` (where the inner packet starts in
 * `p.bytes`) and `innerLinkType` (how to decode it); the demultiplexer decodes the inner packet by calling
 * `decodeFrame` again. Marking never changes the outer packet's status: a header that does not parse just leaves
 * `innerOffset` at -1.
 */
import { LinkType } from '../source/types.js';
import { ERSPAN, ETHERTYPE, GENEVE, GRE, GTP, IPV6, L2TP, TEREDO, TUNNEL_PORT, VXLAN } from './fields.js';
import type { DecodedPacket } from './packet.js';

/** Link type for an inner packet that is raw IP whose version nibble decides IPv4 or IPv6. */
export const INNER_RAW_IP = LinkType.RAW;

function mark(p: DecodedPacket, innerOffset: number, innerLinkType: number): void {
  p.innerOffset = innerOffset;
  p.innerLinkType = innerLinkType;
}

/** Version nibble at `off` is 4 or 6. */
function looksLikeIp(p: DecodedPacket, off: number, end: number): boolean {
  if (off >= end) return false;
  const v = p.view.getUint8(off) >>> 4;
  return v === 4 || v === 6;
}

/**
 * After a UDP header decoded OK: marks VXLAN (port 4789, RFC 7348), Geneve (6081, RFC 8926), GTP-U (2152,
 * TS 29.281), Teredo (3544, RFC 4380) and L2TPv2 data messages (1701, RFC 2661; tshark follows these, Zeek does not).
 * The destination port is tried first, then the source port (replies), but the source port only when the
 * destination port is not a well-known one (>= 1024): a DNS query sent from port 4789 goes to DNS, not to VXLAN.
 * `end` bounds the UDP payload (captured bytes within the datagram).
 */
export function markUdpTunnel(p: DecodedPacket, end: number): void {
  if (markUdpPort(p, p.dstPort, end)) return;
  if (p.dstPort >= WELL_KNOWN_PORTS_END) markUdpPort(p, p.srcPort, end);
}

/** Ports below this are well-known service ports (RFC 6335 §6). */
const WELL_KNOWN_PORTS_END = 1024;

function markUdpPort(p: DecodedPacket, port: number, end: number): boolean {
  const off = p.payload;
  switch (port) {
    case TUNNEL_PORT.VXLAN:
      // RFC 7348 §5: the I flag must be set (a valid VNI follows).
      if (end - off < VXLAN.HEADER_LEN || (p.view.getUint8(off + VXLAN.FLAGS) & VXLAN.FLAG_I) === 0) return false;
      mark(p, off + VXLAN.HEADER_LEN, LinkType.ETHERNET);
      return true;
    case TUNNEL_PORT.GENEVE:
      return markGeneve(p, off, end);
    case TUNNEL_PORT.GTP_U:
      return markGtp(p, off, end);
    case TUNNEL_PORT.TEREDO:
      return markTeredo(p, off, end);
    case TUNNEL_PORT.L2TP:
      return markL2tp(p, off, end);
    default:
      return false;
  }
}

function markGeneve(p: DecodedPacket, off: number, end: number): boolean {
  if (end - off < GENEVE.HEADER_LEN) return false;
  const b0 = p.view.getUint8(off + GENEVE.VER_OPTLEN);
  if (b0 >>> 6 !== 0) return false; // only version 0 is defined
  const inner = off + GENEVE.HEADER_LEN + (b0 & GENEVE.OPTLEN_MASK) * 4;
  if (inner > end) return false;
  switch (p.view.getUint16(off + GENEVE.PROTOCOL)) {
    case ETHERTYPE.TEB:
      mark(p, inner, LinkType.ETHERNET);
      return true;
    case ETHERTYPE.IPV4:
    case ETHERTYPE.IPV6:
      mark(p, inner, INNER_RAW_IP);
      return true;
    default:
      return false;
  }
}

function markGtp(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  if (end - off < GTP.HEADER_LEN) return false;
  const flags = view.getUint8(off + GTP.FLAGS);
  // Version 1 with PT=1 (GTP, not GTP'); only G-PDU messages carry a user packet.
  if ((flags & GTP.VERSION_MASK) !== GTP.VERSION_1 || (flags & GTP.PT) === 0) return false;
  if (view.getUint8(off + GTP.MSG_TYPE) !== GTP.G_PDU) return false;
  let pos = off + GTP.HEADER_LEN;
  if ((flags & GTP.FLAGS_E_S_PN) !== 0) {
    if (end - off < GTP.HEADER_LEN + GTP.OPT_LEN) return false;
    let next = view.getUint8(off + GTP.NEXT_EXT);
    pos += GTP.OPT_LEN;
    // Extension headers: length byte in 4-byte units, next-type in the last byte; each one advances >= 4 bytes.
    while (next !== 0) {
      if (pos >= end) return false;
      const len = view.getUint8(pos) * 4;
      if (len === 0 || pos + len > end) return false;
      next = view.getUint8(pos + len - 1);
      pos += len;
    }
  }
  if (!looksLikeIp(p, pos, end)) return false;
  mark(p, pos, INNER_RAW_IP);
  return true;
}

function markL2tp(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  if (end - off < L2TP.MIN_LEN) return false;
  const flags = view.getUint16(off + L2TP.FLAGS);
  if ((flags & L2TP.VERSION_MASK) !== L2TP.VERSION_2 || (flags & L2TP.FLAG_TYPE) !== 0) return false;
  let pos = off + 2;
  if ((flags & L2TP.FLAG_LENGTH) !== 0) pos += 2;
  pos += 4; // tunnel id, session id
  if ((flags & L2TP.FLAG_SEQ) !== 0) pos += 4; // Ns, Nr
  if ((flags & L2TP.FLAG_OFFSET) !== 0) {
    if (end - pos < 2) return false;
    pos += 2 + view.getUint16(pos);
  }
  if (pos >= end) return false;
  mark(p, pos, LinkType.PPP);
  return true;
}

function markTeredo(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  let pos = off;
  if (end - pos >= 4 && view.getUint16(pos) === TEREDO.AUTH_TYPE) {
    // Authentication indicator: type, id-len, au-len, client id, authentication value, nonce (8), confirmation (1).
    pos += TEREDO.AUTH_FIXED_LEN + view.getUint8(pos + 2) + view.getUint8(pos + 3);
  }
  if (end - pos >= 2 && view.getUint16(pos) === TEREDO.ORIGIN_TYPE) pos += TEREDO.ORIGIN_LEN;
  // Zeek's check: an IPv6 header whose stated length fits in what the UDP payload holds.
  if (end - pos < IPV6.HEADER_LEN || view.getUint8(pos) >>> 4 !== 6) return false;
  if (IPV6.HEADER_LEN + view.getUint16(pos + IPV6.PAYLOAD_LEN) > p.payload + p.payloadLen - pos) return false;
  mark(p, pos, LinkType.IPV6);
  return true;
}

/**
 * Marks a GRE payload at `off` (RFC 2784/2890; version 1 per RFC 2637): IPv4/IPv6 -> raw IP, 0x6558 -> Ethernet,
 * ERSPAN type II (8 more bytes when the sequence flag is set; type I has no header) and type III -> Ethernet,
 * version 1 PPP -> PPP. Source routing (R flag) is not followed.
 */
export function markGre(p: DecodedPacket, off: number, end: number): void {
  const view = p.view;
  if (end - off < GRE.HEADER_LEN) return;
  const flags = view.getUint8(off + GRE.FLAGS);
  const b1 = view.getUint8(off + GRE.FLAGS + 1);
  const version = b1 & GRE.VERSION_MASK;
  const proto = view.getUint16(off + GRE.PROTOCOL);
  if ((flags & GRE.FLAG_ROUTING) !== 0 || version > 1) return;
  let pos = off + GRE.HEADER_LEN;
  if ((flags & GRE.FLAG_CHECKSUM) !== 0) pos += 4; // checksum + reserved
  if ((flags & GRE.FLAG_KEY) !== 0) pos += 4;
  if ((flags & GRE.FLAG_SEQ) !== 0) pos += 4;
  if (version === 1) {
    if ((b1 & GRE.FLAG_ACK) !== 0) pos += 4;
    if (proto === ETHERTYPE.PPP && pos < end) mark(p, pos, LinkType.PPP);
    return;
  }
  switch (proto) {
    case ETHERTYPE.IPV4:
    case ETHERTYPE.IPV6:
      if (looksLikeIp(p, pos, end)) mark(p, pos, INNER_RAW_IP);
      return;
    case ETHERTYPE.TEB:
      if (pos < end) mark(p, pos, LinkType.ETHERNET);
      return;
    case ETHERTYPE.ERSPAN_II:
      if ((flags & GRE.FLAG_SEQ) !== 0) pos += ERSPAN.II_LEN;
      if (pos < end) mark(p, pos, LinkType.ETHERNET);
      return;
    case ETHERTYPE.ERSPAN_III:
      if (end - pos < ERSPAN.III_LEN) return;
      pos += (view.getUint8(pos + ERSPAN.III_FLAGS) & ERSPAN.III_O) !== 0 ? ERSPAN.III_LEN + ERSPAN.III_SUBHEADER_LEN : ERSPAN.III_LEN;
      if (pos < end) mark(p, pos, LinkType.ETHERNET);
      return;
  }
}
