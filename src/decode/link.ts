/**
 * Link layers: Ethernet II and 802.3 (LLC, SNAP, Novell raw) with any nesting of 802.1Q / 802.1ad / 0x9100 tags,
 * VN-Tag, E-Tag, PBB (802.1ah), Cisco FabricPath, MPLS, NSH and PPPoE sessions inside; Linux cooked v1/v2; BSD
 * loopback (NULL, LOOP); PPP and Cisco HDLC; NFLOG; FDDI; 802.11 (bare and behind radiotap); raw IP. Each decoder
 * ends in the IPv4 or IPv6 decoder, or returns NOT_IP with the number that stopped it (`undecodedKind`/`Value`).
 */
import {
  BSD_AF, CHDLC, ETAG, ETH, ETHERTYPE, FABRICPATH, FDDI, LLC, MPLS, NFLOG, NSH, NULL_HDR, PBB, PPP, PPPOE, PW_CW,
  RADIOTAP, SLL, SLL2, VLAN, VNTAG, WLAN,
} from './fields.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import type { DecodedPacket } from './packet.js';
import { Status, Undecoded, type DecodeStatus } from './status.js';

/** Raw IP whose version nibble decides (LINKTYPE_RAW and its DLT 12/14 aliases, tunnel payloads). */
export function decodeRawIp(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (off >= end) return Status.TRUNCATED_IP;
  switch (p.view.getUint8(off) >>> 4) {
    case 4: return decodeIpv4(p, off, end);
    case 6: return decodeIpv6(p, off, end);
    default: return Status.BAD_IP_VERSION;
  }
}

/** Marks `p` as stopped by `kind`/`value` (see {@link Undecoded}) and returns NOT_IP. */
export function notIp(p: DecodedPacket, kind: number, value: number): DecodeStatus {
  p.undecodedKind = kind;
  p.undecodedValue = value;
  return Status.NOT_IP;
}

/**
 * Decodes what an EtherType (or 802.3 length) `type` announces, starting at `off`, down to IP. Shims are popped in
 * one loop, in any order and nesting: 802.1Q / 802.1ad / 0x9100 tags, VN-Tag, E-Tag, PBB, Cisco FabricPath, MPLS
 * label stacks (with the payload guessed from its first nibble as Zeek and tshark do: 4 IPv4, 6 IPv6, 0 a pseudowire
 * control word and an Ethernet frame), NSH, 802.2 LLC/SNAP. Every turn consumes at least 4 bytes, so the loop ends.
 */
export function decodeEtherType(p: DecodedPacket, type: number, off: number, end: number): DecodeStatus {
  const view = p.view;
  for (;;) {
    switch (type) {
      case ETHERTYPE.IPV4:
        return decodeIpv4(p, off, end);
      case ETHERTYPE.IPV6:
        return decodeIpv6(p, off, end);
      case ETHERTYPE.VLAN:
      case ETHERTYPE.QINQ:
      case ETHERTYPE.QINQ_OLD:
        if (end - off < VLAN.LEN) return Status.TRUNCATED_LINK;
        // The VLAN ID is the low 12 bits of the tag control information; the first two tags are kept (Zeek).
        if (p.vlan < 0) p.vlan = view.getUint16(off + VLAN.TCI) & 0x0fff;
        else if (p.innerVlan < 0) p.innerVlan = view.getUint16(off + VLAN.TCI) & 0x0fff;
        type = view.getUint16(off + VLAN.ETHERTYPE);
        off += VLAN.LEN;
        continue;
      case ETHERTYPE.VNTAG:
        if (end - off < VNTAG.LEN) return Status.TRUNCATED_LINK;
        type = view.getUint16(off + VNTAG.ETHERTYPE);
        off += VNTAG.LEN;
        continue;
      case ETHERTYPE.ETAG:
        if (end - off < ETAG.LEN) return Status.TRUNCATED_LINK;
        type = view.getUint16(off + ETAG.ETHERTYPE);
        off += ETAG.LEN;
        continue;
      case ETHERTYPE.PBB:
        if (end - off < PBB.LEN) return Status.TRUNCATED_LINK;
        type = view.getUint16(off + PBB.ETHERTYPE);
        off += PBB.LEN;
        continue;
      case ETHERTYPE.FABRICPATH: {
        // Zeek's Ethernet analyzer: the inner Ethernet frame starts 16 bytes into the outer one, that is 2 bytes
        // (FTag, TTL) after this EtherType.
        const inner = off + FABRICPATH.INNER - ETH.HEADER_LEN;
        if (end - inner < ETH.HEADER_LEN) return Status.TRUNCATED_LINK;
        type = view.getUint16(inner + ETH.ETHERTYPE);
        off = inner + ETH.HEADER_LEN;
        continue;
      }
      case ETHERTYPE.MPLS_UNICAST:
      case ETHERTYPE.MPLS_MULTICAST: {
        // RFC 3032: labels up to the bottom of the stack; the payload's type is not carried.
        for (;;) {
          if (end - off < MPLS.LEN) return Status.TRUNCATED_LINK;
          const bottom = (view.getUint8(off + MPLS.BOS_BYTE) & MPLS.BOS_BIT) !== 0;
          off += MPLS.LEN;
          if (bottom) break;
        }
        if (off >= end) return Status.TRUNCATED_LINK;
        const nibble = view.getUint8(off) >>> 4;
        if (nibble === 4) return decodeIpv4(p, off, end);
        if (nibble === 6) return decodeIpv6(p, off, end);
        if (nibble !== 0) return notIp(p, Undecoded.MPLS_PAYLOAD, nibble);
        // Pseudowire control word (RFC 4385), then an Ethernet frame (RFC 4448).
        off += PW_CW.LEN;
        if (end - off < ETH.HEADER_LEN) return Status.TRUNCATED_LINK;
        type = view.getUint16(off + ETH.ETHERTYPE);
        off += ETH.HEADER_LEN;
        continue;
      }
      case ETHERTYPE.NSH: {
        if (end - off < NSH.MIN_LEN) return Status.TRUNCATED_LINK;
        const len = (view.getUint8(off + NSH.LENGTH) & NSH.LENGTH_MASK) * 4;
        const next = view.getUint8(off + NSH.NEXT);
        if (len < NSH.MIN_LEN) return notIp(p, Undecoded.NSH_NEXT, next);
        if (end - off < len) return Status.TRUNCATED_LINK;
        off += len;
        switch (next) {
          case NSH.IPV4: return decodeIpv4(p, off, end);
          case NSH.IPV6: return decodeIpv6(p, off, end);
          case NSH.NSH: type = ETHERTYPE.NSH; continue;
          case NSH.MPLS: type = ETHERTYPE.MPLS_UNICAST; continue;
          case NSH.ETHERNET:
            if (end - off < ETH.HEADER_LEN) return Status.TRUNCATED_LINK;
            type = view.getUint16(off + ETH.ETHERTYPE);
            off += ETH.HEADER_LEN;
            continue;
          default: return notIp(p, Undecoded.NSH_NEXT, next);
        }
      }
      case ETHERTYPE.PPPOE_SESSION:
        return decodePppoe(p, off, end);
    }
    if (type > ETHERTYPE.MAX_LENGTH) return notIp(p, Undecoded.ETHERTYPE, type);
    // An 802.3 length: 802.2 LLC follows, or Novell's raw 802.3 (FF FF). Only SNAP and SAP 06 carry IP.
    if (end - off < LLC.HEADER_LEN) return Status.TRUNCATED_LINK;
    const dsap = view.getUint8(off);
    if (dsap === LLC.NOVELL_RAW && view.getUint8(off + 1) === LLC.NOVELL_RAW) return notIp(p, Undecoded.NOVELL_RAW, 0);
    if (dsap === LLC.IP_SAP && view.getUint8(off + 1) === LLC.IP_SAP) return decodeIpv4(p, off + LLC.HEADER_LEN, end);
    if (dsap !== LLC.SNAP_SAP || view.getUint8(off + 1) !== LLC.SNAP_SAP || view.getUint8(off + 2) !== LLC.UI) {
      return notIp(p, Undecoded.LLC_SAP, dsap);
    }
    if (end - off < LLC.SNAP_LEN) return Status.TRUNCATED_LINK;
    type = view.getUint16(off + LLC.SNAP_ETHERTYPE);
    off += LLC.SNAP_LEN;
    // A SNAP header announcing a length again would not advance meaningfully: stop there.
    if (type <= ETHERTYPE.MAX_LENGTH) return notIp(p, Undecoded.ETHERTYPE, type);
  }
}

/** PPPoE session (RFC 2516 §4): the length field bounds the PPP payload, which starts with its 2-byte protocol. */
export function decodePppoe(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < PPPOE.LEN) return Status.TRUNCATED_LINK;
  const stated = off + PPPOE.HEADER_LEN + p.view.getUint16(off + PPPOE.LENGTH);
  if (stated < end && stated >= off + PPPOE.LEN) end = stated;
  return decodePppProtocol(p, p.view.getUint16(off + PPPOE.PPP_PROTO), off + PPPOE.LEN, end);
}

/** What a PPP protocol number announces: IPv4, IPv6, MPLS (RFC 3032 §5); anything else is named. */
function decodePppProtocol(p: DecodedPacket, proto: number, off: number, end: number): DecodeStatus {
  switch (proto) {
    case PPP.IPV4: return decodeIpv4(p, off, end);
    case PPP.IPV6: return decodeIpv6(p, off, end);
    case PPP.MPLS: return decodeEtherType(p, ETHERTYPE.MPLS_UNICAST, off, end);
    default: return notIp(p, Undecoded.PPP_PROTOCOL, proto);
  }
}

/** Ethernet II / 802.3 (LINKTYPE_ETHERNET). */
export function decodeEthernet(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < ETH.HEADER_LEN) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, p.view.getUint16(off + ETH.ETHERTYPE), off + ETH.HEADER_LEN, end);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16-byte header, EtherType-style protocol at 14. */
export function decodeSll(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < SLL.HEADER_LEN) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, p.view.getUint16(off + SLL.PROTOCOL), off + SLL.HEADER_LEN, end);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20-byte header, protocol at 0. */
export function decodeSll2(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < SLL2.HEADER_LEN) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, p.view.getUint16(off + SLL2.PROTOCOL), off + SLL2.HEADER_LEN, end);
}

/** What a BSD address family announces (LINKTYPE_NULL, LOOP, PFLOG, ENC). */
export function decodeBsdAf(p: DecodedPacket, af: number, off: number, end: number): DecodeStatus {
  switch (af) {
    case BSD_AF.INET: return decodeIpv4(p, off, end);
    case BSD_AF.INET6_BSD:
    case BSD_AF.INET6_FREEBSD:
    case BSD_AF.INET6_DARWIN:
      return decodeIpv6(p, off, end);
    default: return notIp(p, Undecoded.ADDRESS_FAMILY, af);
  }
}

/**
 * BSD loopback, LINKTYPE_NULL: a 4-byte address family in the writer's host byte order. The real value is small,
 * so of the two readings the smaller one is the right one.
 */
export function decodeNull(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < NULL_HDR.HEADER_LEN) return Status.TRUNCATED_LINK;
  const le = p.view.getUint32(off + NULL_HDR.AF, true);
  const be = p.view.getUint32(off + NULL_HDR.AF);
  return decodeBsdAf(p, le < be ? le : be, off + NULL_HDR.HEADER_LEN, end);
}

/** OpenBSD loopback, LINKTYPE_LOOP: the address family in network byte order. */
export function decodeLoop(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < NULL_HDR.HEADER_LEN) return Status.TRUNCATED_LINK;
  return decodeBsdAf(p, p.view.getUint32(off + NULL_HDR.AF), off + NULL_HDR.HEADER_LEN, end);
}

/**
 * PPP (LINKTYPE_PPP, PPP_HDLC, PPP_PPPD, GRE version 1, L2TPv2): optional address/control FF 03 (RFC 1662 §3.1), then
 * the protocol, one byte when compressed (odd first byte, RFC 1661 §6.5) or two. A frame that begins 0F 00 or 8F 00
 * is Cisco HDLC, which LINKTYPE_PPP_HDLC and PPP_PPPD also carry (as tcpdump reads them).
 */
export function decodePpp(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off >= 2) {
    const b0 = view.getUint8(off);
    const b1 = view.getUint8(off + 1);
    if (b0 === PPP.ADDRESS && b1 === PPP.CONTROL) off += 2;
    else if ((b0 === CHDLC.UNICAST || b0 === CHDLC.BROADCAST) && b1 === 0) return decodeChdlc(p, off, end);
  }
  if (off >= end) return Status.TRUNCATED_LINK;
  let proto: number;
  if ((view.getUint8(off) & 1) !== 0) {
    proto = view.getUint8(off);
    off += 1;
  } else {
    if (end - off < 2) return Status.TRUNCATED_LINK;
    proto = view.getUint16(off);
    off += 2;
  }
  return decodePppProtocol(p, proto, off, end);
}

/** Cisco HDLC (LINKTYPE_C_HDLC): address, control, then an EtherType. */
export function decodeChdlc(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < CHDLC.HEADER_LEN) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, p.view.getUint16(off + CHDLC.PROTOCOL), off + CHDLC.HEADER_LEN, end);
}

/**
 * Linux NFLOG (LINKTYPE_NFLOG): TLVs after a 4-byte header; TLV type 9 (NFULA_PAYLOAD) holds the network-layer
 * packet. TLV length and type are in the writer's host byte order: little-endian is tried first, and big-endian when
 * the little-endian length cannot be right. Each TLV advances >= 4 bytes.
 */
export function decodeNflog(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < NFLOG.HEADER_LEN) return Status.TRUNCATED_LINK;
  const family = view.getUint8(off + NFLOG.FAMILY);
  let pos = off + NFLOG.HEADER_LEN;
  while (end - pos >= NFLOG.TLV_HEADER_LEN) {
    let le = true;
    let len = view.getUint16(pos + NFLOG.TLV_LEN, true);
    if (len < NFLOG.TLV_HEADER_LEN || pos + len > end) {
      le = false;
      len = view.getUint16(pos + NFLOG.TLV_LEN);
    }
    if (len < NFLOG.TLV_HEADER_LEN) return Status.NOT_IP;
    const type = view.getUint16(pos + NFLOG.TLV_TYPE, le) & 0x7fff; // bit 15: NLA_F_NESTED
    if (type === NFLOG.TYPE_PAYLOAD) {
      const start = pos + NFLOG.TLV_HEADER_LEN;
      const stop = pos + len < end ? pos + len : end;
      switch (family) {
        case NFLOG.AF_INET: return decodeIpv4(p, start, stop);
        case NFLOG.AF_INET6: return decodeIpv6(p, start, stop);
        default: return decodeRawIp(p, start, stop);
      }
    }
    pos += (len + 3) & ~3;
  }
  return Status.NOT_IP; // no payload TLV: a log message without a packet
}

/** FDDI (LINKTYPE_FDDI): 13-byte MAC header, then 802.2 LLC (SNAP for IP). */
export function decodeFddi(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < FDDI.HEADER_LEN) return Status.TRUNCATED_LINK;
  // Length 0 routes decodeEtherType into its LLC/SNAP branch.
  return decodeEtherType(p, 0, off + FDDI.HEADER_LEN, end);
}

/**
 * Radiotap (LINKTYPE_IEEE802_11_RADIOTAP): skips the little-endian header length; reads the Flags field (present
 * bit 1, after an 8-byte-aligned TSFT when bit 0 is set) for a trailing FCS and 802.11 header padding.
 */
export function decodeRadiotap(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < 8) return Status.TRUNCATED_LINK;
  const len = view.getUint16(off + RADIOTAP.LENGTH, true);
  if (len < 8 || end - off < len) return Status.TRUNCATED_LINK;
  const present = view.getUint32(off + RADIOTAP.PRESENT, true);
  let flags = 0;
  if ((present & RADIOTAP.PRESENT_FLAGS) !== 0) {
    let pos = RADIOTAP.PRESENT;
    let word = present;
    // Skip the extended present bitmaps (bit 31 announces another word); bounded by the header length.
    while ((word & RADIOTAP.PRESENT_EXT) !== 0 && pos + 8 <= len) {
      pos += 4;
      word = view.getUint32(off + pos, true);
    }
    pos += 4;
    if ((present & RADIOTAP.PRESENT_TSFT) !== 0) pos = ((pos + 7) & ~7) + 8;
    if (pos < len) flags = view.getUint8(off + pos);
  }
  if ((flags & RADIOTAP.FLAG_FCS) !== 0) {
    if (end - off - len < RADIOTAP.FCS_LEN) return Status.TRUNCATED_LINK;
    end -= RADIOTAP.FCS_LEN;
  }
  return decode80211(p, off + len, end, (flags & RADIOTAP.FLAG_DATAPAD) !== 0);
}

/**
 * IEEE 802.11 data frame: 24-byte header, + addr4 when both DS bits are set, + QoS control for QoS subtypes, + HT
 * control when the order bit is set on a QoS frame; then LLC/SNAP. Management, control, null-data and protected
 * (encrypted) frames are NOT_IP. `dataPad`: radiotap says the header is padded to a 4-byte boundary.
 */
export function decode80211(p: DecodedPacket, off: number, end: number, dataPad: boolean): DecodeStatus {
  const view = p.view;
  if (end - off < WLAN.HEADER_LEN) return Status.TRUNCATED_LINK;
  const fc0 = view.getUint8(off + WLAN.FC0);
  const fc1 = view.getUint8(off + WLAN.FC1);
  const subtype = fc0 >>> 4;
  if (((fc0 >>> 2) & 3) !== WLAN.TYPE_DATA || (subtype & WLAN.SUBTYPE_NULL) !== 0) return notIp(p, Undecoded.WLAN_NOT_DATA, fc0);
  if ((fc1 & WLAN.FLAG_PROTECTED) !== 0) return notIp(p, Undecoded.WLAN_PROTECTED, 0);
  let hdr: number = WLAN.HEADER_LEN;
  if ((fc1 & (WLAN.FLAG_TO_DS | WLAN.FLAG_FROM_DS)) === (WLAN.FLAG_TO_DS | WLAN.FLAG_FROM_DS)) hdr += WLAN.ADDR4_LEN;
  if ((subtype & WLAN.SUBTYPE_QOS) !== 0) {
    hdr += WLAN.QOS_LEN;
    if ((fc1 & WLAN.FLAG_ORDER) !== 0) hdr += WLAN.HT_CONTROL_LEN;
  }
  if (dataPad) hdr = (hdr + 3) & ~3;
  if (end - off < hdr) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, 0, off + hdr, end);
}
