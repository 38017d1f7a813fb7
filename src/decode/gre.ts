/**
 * GRE (RFC 2784 with RFC 2890 keys and sequence numbers; version 1 is PPTP's enhanced GRE, RFC 2637 §4.1), and what it
 * carries: IPv4/IPv6, transparent Ethernet bridging (0x6558), ERSPAN types I, II and III, Aruba's 802.11 frames (the
 * protocol ranges Zeek matches), MPLS, NSH, and PPP for PPTP. Also reached from UDP port 4754 (GRE-in-UDP, RFC 8086).
 */
import { LinkType } from '../source/types.js';
import { ARUBA, ERSPAN, ETHERTYPE, GRE, LINK } from './fields.js';
import type { DecodedPacket } from './packet.js';
import { Undecoded } from './status.js';
import { Encap, INNER_RAW_IP, looksLikeIp, mark } from './tunnel-mark.js';

/** The reserved flag bits of a GRE header (byte 1, bits 3-6 of the 16-bit word); Zeek drops a packet with any set. */
const RESERVED_FLAGS = 0x78;

/** Aruba's GRE protocol types (Zeek's GRE analyzer): 0x82x0, 0x83x0 up to 0x8370, and 0x9000. */
function isAruba(proto: number): boolean {
  return ((proto & ARUBA.MASK_8200) === ARUBA.MASK_8200 && (proto & 0x0f) === 0)
    || ((proto & ARUBA.MASK_8300) === ARUBA.MASK_8300 && (proto & 0x0f) === 0 && proto <= ARUBA.MAX_8300)
    || proto === ARUBA.TYPE_9000;
}

/**
 * Marks the GRE payload at `off` (captured bytes end at `end`). Optional fields: checksum (C), key (K), sequence
 * number (S), and for version 1 the acknowledgement number (A). Source routing (R, RFC 1701) and reserved flags are
 * not followed, as Zeek does not; a protocol no decoder follows is named in `undecodedKind`/`undecodedValue`.
 */
export function markGre(p: DecodedPacket, off: number, end: number): void {
  const view = p.view;
  if (end - off < GRE.HEADER_LEN) return;
  const flags = view.getUint8(off + GRE.FLAGS);
  const b1 = view.getUint8(off + GRE.FLAGS + 1);
  const version = b1 & GRE.VERSION_MASK;
  const proto = view.getUint16(off + GRE.PROTOCOL);
  if ((flags & GRE.FLAG_ROUTING) !== 0 || version > 1 || (b1 & RESERVED_FLAGS) !== 0) {
    p.undecodedKind = Undecoded.GRE_VERSION;
    p.undecodedValue = version;
    return;
  }
  let pos = off + GRE.HEADER_LEN;
  if ((flags & GRE.FLAG_CHECKSUM) !== 0) pos += 4; // checksum + reserved
  if ((flags & GRE.FLAG_KEY) !== 0) pos += 4;
  if ((flags & GRE.FLAG_SEQ) !== 0) pos += 4;
  if (version === 1) {
    if ((b1 & GRE.FLAG_ACK) !== 0) pos += 4;
    if (proto !== ETHERTYPE.PPP) unknownProtocol(p, proto);
    else if (pos < end) mark(p, pos, LinkType.PPP, Encap.PPTP);
    return;
  }
  if (pos >= end) return;
  switch (proto) {
    case ETHERTYPE.IPV4:
    case ETHERTYPE.IPV6:
      if (looksLikeIp(p, pos, end)) mark(p, pos, INNER_RAW_IP, Encap.GRE);
      return;
    case ETHERTYPE.TEB:
      mark(p, pos, LinkType.ETHERNET, Encap.GRE);
      return;
    case ETHERTYPE.ERSPAN_II:
      // Type II has an 8-byte header and sets S; type I has neither (Zeek tells them apart the same way).
      if ((flags & GRE.FLAG_SEQ) !== 0) pos += ERSPAN.II_LEN;
      if (pos < end) mark(p, pos, LinkType.ETHERNET, Encap.ERSPAN);
      return;
    case ETHERTYPE.ERSPAN_III:
      if (end - pos < ERSPAN.III_LEN) return;
      pos += (view.getUint8(pos + ERSPAN.III_FLAGS) & ERSPAN.III_O) !== 0 ? ERSPAN.III_LEN + ERSPAN.III_SUBHEADER_LEN : ERSPAN.III_LEN;
      if (pos < end) mark(p, pos, LinkType.ETHERNET, Encap.ERSPAN);
      return;
    case ETHERTYPE.MPLS_UNICAST:
    case ETHERTYPE.MPLS_MULTICAST:
      mark(p, pos, LINK.MPLS, Encap.GRE);
      return;
    case ETHERTYPE.NSH:
      mark(p, pos, -ETHERTYPE.NSH, Encap.GRE);
      return;
  }
  if (isAruba(proto)) mark(p, pos, LINK.IEEE802_11, Encap.GRE);
  else unknownProtocol(p, proto);
}

function unknownProtocol(p: DecodedPacket, proto: number): void {
  p.undecodedKind = Undecoded.GRE_PROTOCOL;
  p.undecodedValue = proto;
}
