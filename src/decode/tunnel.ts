/**
 * Tunnel detection. The decoder only marks a tunnel: it sets `innerOffset` (where the inner packet starts in
 * `p.bytes`), `innerLinkType` (how to decode it) and `encap` (what carried it); the pipeline decodes the inner packet
 * by calling `decodeFrame` again. Marking never changes the outer packet's status: a header that does not parse just
 * leaves `innerOffset` at -1, and a payload type no decoder follows is named in `undecodedKind`/`undecodedValue`.
 *
 * UDP: VXLAN 4789 (RFC 7348), VXLAN-GPE 4790, Geneve 6081 (RFC 8926), GTP-U 2152 (TS 29.281), Teredo 3544 (RFC 4380),
 * AYIYA 5072, L2TP 1701 (v2 RFC 2661, v3 RFC 3931), GRE-in-UDP 4754 (RFC 8086), MPLS-in-UDP 6635 (RFC 7510).
 * IP protocols: IP-in-IP 4 and 41, GRE 47 (gre.ts), L2TPv3 115, MPLS-in-IP 137.
 */
import { LinkType } from '../source/types.js';
import {
  AYIYA, ETH, ETHERTYPE, GENEVE, GTP, IPV6, L2TP, L2TPV3, LINK, TEREDO, TUNNEL_PORT, VXLAN, VXLAN_GPE,
} from './fields.js';
import { markGre } from './gre.js';
import type { DecodedPacket } from './packet.js';
import { Undecoded } from './status.js';
import { Encap, INNER_RAW_IP, looksLikeIp, mark } from './tunnel-mark.js';

export { Encap, ENCAP_NAME, INNER_RAW_IP } from './tunnel-mark.js';
export { markGre } from './gre.js';

/**
 * Switches for the tunnels that Zeek also finds away from their ports, by looking at the payload: Teredo
 * (`teredoAnyPort`, Zeek's DetectProtocol for Teredo) and AYIYA (`ayiyaAnyPort`: bytes 1-2 are 52 11, Zeek's old
 * signature). Off by default: a UDP payload that merely resembles them would otherwise open inner flows.
 */
export const tunnelHeuristics = { teredoAnyPort: false, ayiyaAnyPort: false };

/** IP protocol numbers of encapsulations the decoder marks (IANA). */
export const TUNNEL_PROTO = { IPIP: 4, IPV6: 41, GRE: 47, L2TPV3: 115, MPLS: 137 } as const;

/**
 * Marks a tunnel in the payload of IP protocol `proto` at `off` (unfragmented datagrams only: a fragment holds only
 * part of the inner packet).
 */
export function markIpTunnel(p: DecodedPacket, proto: number, off: number, end: number): void {
  if (off >= end) return;
  switch (proto) {
    case TUNNEL_PROTO.GRE: markGre(p, off, end); return;
    case TUNNEL_PROTO.IPIP: mark(p, off, LinkType.IPV4, Encap.IP); return;
    case TUNNEL_PROTO.IPV6: mark(p, off, LinkType.IPV6, Encap.IP); return;
    case TUNNEL_PROTO.MPLS: mark(p, off, LINK.MPLS, Encap.MPLS); return;
    case TUNNEL_PROTO.L2TPV3:
      // Session id 0 is a control message (RFC 3931 §4.1.1.1).
      if (end - off >= L2TPV3.SESSION_LEN && p.view.getUint32(off) !== 0) markL2tpv3Payload(p, off + L2TPV3.SESSION_LEN, end);
      return;
  }
}

/**
 * After a UDP header decoded OK: marks the tunnel its port names. The destination port is tried first, then the
 * source port (replies), but the source port only when the destination port is not a well-known one (< 1024): a DNS
 * query sent from port 4789 goes to DNS, not to VXLAN. `end` bounds the UDP payload (captured bytes within the
 * datagram). With the heuristics switched on, Teredo and AYIYA are then looked for on any port.
 */
export function markUdpTunnel(p: DecodedPacket, end: number): void {
  if (markUdpPort(p, p.dstPort, end)) return;
  if (p.dstPort >= WELL_KNOWN_PORTS_END && markUdpPort(p, p.srcPort, end)) return;
  if (p.innerOffset >= 0 || p.undecodedKind !== Undecoded.NONE) return;
  const off = p.payload;
  if (tunnelHeuristics.teredoAnyPort && looksLikeTeredo(p, off, end)) markTeredo(p, off, end);
  else if (tunnelHeuristics.ayiyaAnyPort && end - off >= 3 && p.view.getUint16(off + 1) === 0x5211) markAyiya(p, off, end);
}

/** Ports below this are well-known service ports (RFC 6335 §6). */
const WELL_KNOWN_PORTS_END = 1024;

function markUdpPort(p: DecodedPacket, port: number, end: number): boolean {
  const off = p.payload;
  switch (port) {
    case TUNNEL_PORT.VXLAN:
      // RFC 7348 §5: the I flag must be set (a valid VNI follows).
      if (end - off < VXLAN.HEADER_LEN || (p.view.getUint8(off + VXLAN.FLAGS) & VXLAN.FLAG_I) === 0) return false;
      mark(p, off + VXLAN.HEADER_LEN, LinkType.ETHERNET, Encap.VXLAN);
      return true;
    case TUNNEL_PORT.VXLAN_GPE: return markVxlanGpe(p, off, end);
    case TUNNEL_PORT.GENEVE: return markGeneve(p, off, end);
    case TUNNEL_PORT.GTP_U: return markGtp(p, off, end);
    case TUNNEL_PORT.TEREDO: return markTeredo(p, off, end);
    case TUNNEL_PORT.L2TP: return markL2tp(p, off, end);
    case TUNNEL_PORT.AYIYA: return markAyiya(p, off, end);
    case TUNNEL_PORT.GRE_UDP:
      markGre(p, off, end);
      return p.innerOffset >= 0;
    case TUNNEL_PORT.MPLS_UDP:
      if (off >= end) return false;
      mark(p, off, LINK.MPLS, Encap.MPLS);
      return true;
    default:
      return false;
  }
}

function markVxlanGpe(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  if (end - off < VXLAN_GPE.HEADER_LEN) return false;
  const flags = view.getUint8(off + VXLAN_GPE.FLAGS);
  if ((flags & VXLAN_GPE.VERSION_MASK) !== 0) return false; // only version 0 is defined
  const inner = off + VXLAN_GPE.HEADER_LEN;
  if (inner >= end) return false;
  // Without the P bit the payload is Ethernet, as in VXLAN.
  const next = (flags & VXLAN_GPE.FLAG_P) !== 0 ? view.getUint8(off + VXLAN_GPE.NEXT) : VXLAN_GPE.ETHERNET;
  switch (next) {
    case VXLAN_GPE.IPV4:
    case VXLAN_GPE.IPV6:
      mark(p, inner, INNER_RAW_IP, Encap.VXLAN_GPE);
      return true;
    case VXLAN_GPE.ETHERNET: mark(p, inner, LinkType.ETHERNET, Encap.VXLAN_GPE); return true;
    case VXLAN_GPE.NSH: mark(p, inner, -ETHERTYPE.NSH, Encap.VXLAN_GPE); return true;
    case VXLAN_GPE.MPLS: mark(p, inner, LINK.MPLS, Encap.VXLAN_GPE); return true;
    default:
      p.undecodedKind = Undecoded.VXLAN_GPE_NEXT;
      p.undecodedValue = next;
      return true;
  }
}

function markGeneve(p: DecodedPacket, off: number, end: number): boolean {
  if (end - off < GENEVE.HEADER_LEN) return false;
  const b0 = p.view.getUint8(off + GENEVE.VER_OPTLEN);
  if (b0 >>> 6 !== 0) return false; // only version 0 is defined
  // Options: a length in 4-byte words covers all of them (RFC 8926 §3.4); each option's own TLV is not needed.
  const inner = off + GENEVE.HEADER_LEN + (b0 & GENEVE.OPTLEN_MASK) * 4;
  if (inner > end) return false;
  const proto = p.view.getUint16(off + GENEVE.PROTOCOL);
  switch (proto) {
    case ETHERTYPE.TEB: mark(p, inner, LinkType.ETHERNET, Encap.GENEVE); return true;
    case ETHERTYPE.IPV4:
    case ETHERTYPE.IPV6:
      mark(p, inner, INNER_RAW_IP, Encap.GENEVE);
      return true;
    case ETHERTYPE.MPLS_UNICAST:
    case ETHERTYPE.MPLS_MULTICAST:
      mark(p, inner, LINK.MPLS, Encap.GENEVE);
      return true;
    case ETHERTYPE.NSH: mark(p, inner, -ETHERTYPE.NSH, Encap.GENEVE); return true;
    default:
      p.undecodedKind = Undecoded.GENEVE_PROTOCOL;
      p.undecodedValue = proto;
      return true;
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
    // Extension headers (TS 29.281 §5.2): length byte in 4-byte units, next-type in the last byte; each one
    // advances >= 4 bytes.
    while (next !== 0) {
      if (pos >= end) return false;
      const len = view.getUint8(pos) * 4;
      if (len === 0 || pos + len > end) return false;
      next = view.getUint8(pos + len - 1);
      pos += len;
    }
  }
  if (!looksLikeIp(p, pos, end)) return false;
  mark(p, pos, INNER_RAW_IP, Encap.GTPV1);
  return true;
}

/** L2TP on UDP 1701: version 2 data messages carry PPP; version 3 data messages (RFC 3931 §4.1.2.1) carry Ethernet. */
function markL2tp(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  if (end - off < L2TP.MIN_LEN) return false;
  const flags = view.getUint16(off + L2TP.FLAGS);
  if ((flags & L2TP.FLAG_TYPE) !== 0) return false; // control message
  const version = flags & L2TP.VERSION_MASK;
  if (version === L2TPV3.VERSION_3) {
    if (end - off < L2TPV3.UDP_HEADER_LEN) return false;
    return markL2tpv3Payload(p, off + L2TPV3.UDP_HEADER_LEN, end);
  }
  if (version !== L2TP.VERSION_2) return false;
  let pos = off + 2;
  if ((flags & L2TP.FLAG_LENGTH) !== 0) pos += 2;
  pos += 4; // tunnel id, session id
  if ((flags & L2TP.FLAG_SEQ) !== 0) pos += 4; // Ns, Nr
  if ((flags & L2TP.FLAG_OFFSET) !== 0) {
    if (end - pos < 2) return false;
    pos += 2 + view.getUint16(pos);
  }
  if (pos >= end) return false;
  mark(p, pos, LinkType.PPP, Encap.L2TP);
  return true;
}

/**
 * The L2TPv3 payload after the session header: the cookie and L2-specific sublayer sizes are configured, not carried,
 * so the decoder takes no cookie and looks for an Ethernet frame carrying IP (or a tag) right there or after the
 * 4-byte default sublayer (RFC 4719 §3).
 */
function markL2tpv3Payload(p: DecodedPacket, pos: number, end: number): boolean {
  for (const skip of L2TPV3_SUBLAYERS) {
    const eth = pos + skip;
    if (end - eth <= ETH.HEADER_LEN) continue;
    const type = p.view.getUint16(eth + ETH.ETHERTYPE);
    if (type === ETHERTYPE.IPV4 || type === ETHERTYPE.IPV6 || type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ) {
      mark(p, eth, LinkType.ETHERNET, Encap.L2TP);
      return true;
    }
  }
  return false;
}
const L2TPV3_SUBLAYERS: readonly number[] = [L2TPV3.SUBLAYER_LEN, 0];

/** AYIYA: a forward message (opcode 1) carries the packet whose IANA protocol is the next header (IPv4 or IPv6). */
function markAyiya(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  if (end - off < AYIYA.HEADER_LEN) return false;
  const idLen = 1 << (view.getUint8(off + AYIYA.ID_LEN) >>> 4);
  const sigLen = (view.getUint8(off + AYIYA.SIG_LEN) >>> 4) * 4;
  const inner = off + AYIYA.HEADER_LEN + idLen + sigLen;
  if (inner > end) return false;
  if ((view.getUint8(off + AYIYA.OPCODE) & 0x0f) !== AYIYA.OP_FORWARD) return true; // AYIYA, but no packet
  if (inner >= end) return true;
  const next = view.getUint8(off + AYIYA.NEXT);
  if (next === TUNNEL_PROTO.IPV6) mark(p, inner, LinkType.IPV6, Encap.AYIYA);
  else if (next === TUNNEL_PROTO.IPIP) mark(p, inner, LinkType.IPV4, Encap.AYIYA);
  else {
    p.undecodedKind = Undecoded.AYIYA_NEXT;
    p.undecodedValue = next;
  }
  return true;
}

/** Zeek's Teredo detection away from port 3544: an IPv6 header, after optional authentication and origin indication. */
function looksLikeTeredo(p: DecodedPacket, off: number, end: number): boolean {
  const view = p.view;
  let pos = off;
  if (end - pos >= 4 && view.getUint16(pos) === TEREDO.AUTH_TYPE) {
    pos += TEREDO.AUTH_FIXED_LEN + view.getUint8(pos + 2) + view.getUint8(pos + 3);
  }
  if (end - pos >= 2 && view.getUint16(pos) === TEREDO.ORIGIN_TYPE) pos += TEREDO.ORIGIN_LEN;
  return end - pos >= IPV6.HEADER_LEN && view.getUint8(pos) >>> 4 === 6;
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
  mark(p, pos, LinkType.IPV6, Encap.TEREDO);
  return true;
}
