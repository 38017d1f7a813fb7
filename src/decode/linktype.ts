/**
 * Dispatch on the capture's link type (tcpdump.org LINKTYPE_* values), and the capture pseudo-headers that wrap
 * another link layer: Apple PKTAP, PPI, Prism/AVS, OpenBSD pflog and enc, Solaris ipnet, Hilscher netANALYZER, BSD
 * SLIP, IP over InfiniBand, Token Ring, ATM RFC 1483, bare MPLS. Which link types are decoded, and why the others
 * are not, is listed in the README ("Link types").
 */
import { LinkType } from '../source/types.js';
import {
  ENC, ETHERTYPE, IPNET, IPOIB, LINK, NETANALYZER, PFLOG, PKTAP, PPI, PRISM, SLIP, TOKEN_RING,
} from './fields.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import {
  decode80211, decodeBsdAf, decodeChdlc, decodeEthernet, decodeEtherType, decodeFddi, decodeLoop, decodeNflog,
  decodeNull, decodePpp, decodePppoe, decodeRadiotap, decodeRawIp, decodeSll, decodeSll2, notIp,
} from './link.js';
import type { DecodedPacket } from './packet.js';
import { Status, Undecoded, type DecodeStatus } from './status.js';

/**
 * Decodes a frame of link type `linkType` (low 16 bits already taken) at `off`. A negative `linkType` is minus an
 * EtherType: the bytes begin with what that EtherType announces (a tunnel payload such as NSH).
 */
export function decodeLink(p: DecodedPacket, linkType: number, off: number, end: number): DecodeStatus {
  if (linkType < 0) return decodeEtherType(p, -linkType, off, end);
  switch (linkType) {
    case LinkType.ETHERNET: return decodeEthernet(p, off, end);
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
      return decodeRawIp(p, off, end);
    case LinkType.IPV4: return decodeIpv4(p, off, end);
    case LinkType.IPV6: return decodeIpv6(p, off, end);
    case LinkType.LINUX_SLL: return decodeSll(p, off, end);
    case LinkType.LINUX_SLL2: return decodeSll2(p, off, end);
    case LinkType.NULL: return decodeNull(p, off, end);
    case LinkType.LOOP: return decodeLoop(p, off, end);
    case LinkType.PPP:
    case LINK.PPP_HDLC:
    case LINK.PPP_PPPD:
      return decodePpp(p, off, end);
    case LINK.PPP_WITH_DIR:
      return off < end ? decodePpp(p, off + 1, end) : Status.TRUNCATED_LINK;
    case LINK.C_HDLC: return decodeChdlc(p, off, end);
    case LINK.C_HDLC_WITH_DIR:
      return off < end ? decodeChdlc(p, off + 1, end) : Status.TRUNCATED_LINK;
    case LINK.PPP_ETHER: return decodePppoe(p, off, end);
    case LINK.NFLOG: return decodeNflog(p, off, end);
    case LINK.FDDI: return decodeFddi(p, off, end);
    case LINK.IEEE802_5: return decodeTokenRing(p, off, end);
    case LINK.IEEE802_11_RADIOTAP: return decodeRadiotap(p, off, end);
    case LINK.IEEE802_11: return decode80211(p, off, end, false);
    case LINK.IEEE802_11_PRISM:
    case LINK.IEEE802_11_AVS:
      return decodePrism(p, off, end);
    case LINK.ATM_RFC1483: return decodeEtherType(p, 0, off, end); // 802.2 LLC/SNAP
    case LINK.MPLS: return decodeEtherType(p, ETHERTYPE.MPLS_UNICAST, off, end);
    case LINK.SLIP:
      return end - off < SLIP.HEADER_LEN ? Status.TRUNCATED_LINK : decodeRawIp(p, off + SLIP.HEADER_LEN, end);
    case LINK.PFLOG: return decodePflog(p, off, end);
    case LINK.ENC: return decodeEnc(p, off, end);
    case LINK.IPNET: return decodeIpnet(p, off, end);
    case LINK.NETANALYZER:
      return end - off < NETANALYZER.HEADER_LEN ? Status.TRUNCATED_LINK : decodeEthernet(p, off + NETANALYZER.HEADER_LEN, end);
    case LINK.NETANALYZER_TRANSPARENT:
      return end - off < NETANALYZER.TRANSPARENT_LEN ? Status.TRUNCATED_LINK : decodeEthernet(p, off + NETANALYZER.TRANSPARENT_LEN, end);
    case LINK.IPOIB:
      if (end - off < IPOIB.HEADER_LEN) return Status.TRUNCATED_LINK;
      return decodeEtherType(p, p.view.getUint16(off + IPOIB.PROTOCOL), off + IPOIB.HEADER_LEN, end);
    case LINK.PKTAP: return decodePktap(p, off, end);
    case LINK.PPI: return decodePpi(p, off, end);
    default: return Status.UNSUPPORTED_LINK;
  }
}

/** True when `decodeFrame` knows link type `linkType` (low 16 bits), e.g. for an error naming an unsupported one. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType & 0xffff) {
    case LinkType.ETHERNET: case LinkType.RAW: case LinkType.RAW_OPENBSD: case LinkType.RAW_BSDOS:
    case LinkType.IPV4: case LinkType.IPV6: case LinkType.LINUX_SLL: case LinkType.LINUX_SLL2:
    case LinkType.NULL: case LinkType.LOOP: case LinkType.PPP: case LINK.PPP_HDLC: case LINK.PPP_PPPD:
    case LINK.PPP_WITH_DIR: case LINK.C_HDLC: case LINK.C_HDLC_WITH_DIR: case LINK.PPP_ETHER: case LINK.NFLOG:
    case LINK.FDDI: case LINK.IEEE802_5: case LINK.IEEE802_11_RADIOTAP: case LINK.IEEE802_11:
    case LINK.IEEE802_11_PRISM: case LINK.IEEE802_11_AVS: case LINK.ATM_RFC1483: case LINK.MPLS: case LINK.SLIP:
    case LINK.PFLOG: case LINK.ENC: case LINK.IPNET: case LINK.NETANALYZER: case LINK.NETANALYZER_TRANSPARENT:
    case LINK.IPOIB: case LINK.PKTAP: case LINK.PPI:
      return true;
    default:
      return false;
  }
}

/** A link type that a PKTAP or PPI header may name: anything but another such wrapper (which would nest without end). */
function decodeWrapped(p: DecodedPacket, dlt: number, off: number, end: number): DecodeStatus {
  if (dlt === LINK.PKTAP || dlt === LINK.PPI) return notIp(p, Undecoded.INNER_LINK_TYPE, dlt);
  const status = decodeLink(p, dlt, off, end);
  return status === Status.UNSUPPORTED_LINK ? notIp(p, Undecoded.INNER_LINK_TYPE, dlt) : status;
}

/**
 * Apple PKTAP (LINKTYPE_PKTAP, `tcpdump -k` on macOS): a header whose length (at 0) and inner link type (at 8) are in
 * the writer's host byte order; little-endian unless that reading is impossible.
 */
function decodePktap(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < PKTAP.MIN_LEN) return Status.TRUNCATED_LINK;
  let le = true;
  let len = view.getUint32(off + PKTAP.LENGTH, true);
  if (len < PKTAP.MIN_LEN || len > end - off) {
    le = false;
    len = view.getUint32(off + PKTAP.LENGTH);
  }
  if (len < PKTAP.MIN_LEN || len > end - off) return Status.TRUNCATED_LINK;
  return decodeWrapped(p, view.getUint32(off + PKTAP.DLT, le), off + len, end);
}

/** PPI (LINKTYPE_PPI): little-endian header length and inner link type (802.11 in practice). */
function decodePpi(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < PPI.MIN_LEN) return Status.TRUNCATED_LINK;
  const len = view.getUint16(off + PPI.LENGTH, true);
  if (len < PPI.MIN_LEN || len > end - off) return Status.TRUNCATED_LINK;
  return decodeWrapped(p, view.getUint32(off + PPI.DLT, true), off + len, end);
}

/** Prism or AVS monitor header (told apart by the AVS magic), then an 802.11 frame. */
function decodePrism(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < PRISM.MIN_LEN) return Status.TRUNCATED_LINK;
  const avs = ((view.getUint32(off) & PRISM.AVS_MAGIC_MASK) >>> 0) === PRISM.AVS_MAGIC;
  const len = view.getUint32(off + PRISM.LENGTH, !avs);
  if (len < PRISM.MIN_LEN || len > end - off) return Status.TRUNCATED_LINK;
  return decode80211(p, off + len, end, false);
}

/** OpenBSD pflog: the header's length in byte 0 (padded to 4 bytes, as tcpdump reads it), address family in byte 1. */
function decodePflog(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < PFLOG.MIN_LEN) return Status.TRUNCATED_LINK;
  const len = (view.getUint8(off + PFLOG.LENGTH) + 3) & ~3;
  if (len < PFLOG.MIN_LEN || len > end - off) return Status.TRUNCATED_LINK;
  return decodeBsdAf(p, view.getUint8(off + PFLOG.AF), off + len, end);
}

/** OpenBSD enc: the address family in host byte order (the smaller reading, as LINKTYPE_NULL). */
function decodeEnc(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < ENC.HEADER_LEN) return Status.TRUNCATED_LINK;
  const le = p.view.getUint32(off + ENC.AF, true);
  const be = p.view.getUint32(off + ENC.AF);
  return decodeBsdAf(p, le < be ? le : be, off + ENC.HEADER_LEN, end);
}

/** Solaris ipnet: family 2 is IPv4, 26 IPv6. */
function decodeIpnet(p: DecodedPacket, off: number, end: number): DecodeStatus {
  if (end - off < IPNET.HEADER_LEN) return Status.TRUNCATED_LINK;
  const family = p.view.getUint8(off + IPNET.FAMILY);
  if (family === IPNET.INET) return decodeIpv4(p, off + IPNET.HEADER_LEN, end);
  if (family === IPNET.INET6) return decodeIpv6(p, off + IPNET.HEADER_LEN, end);
  return notIp(p, Undecoded.ADDRESS_FAMILY, family);
}

/** Token Ring (IEEE 802.5): 14-byte MAC header, a source-routing field when the source's top bit is set, then LLC. */
function decodeTokenRing(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  if (end - off < TOKEN_RING.HEADER_LEN) return Status.TRUNCATED_LINK;
  let hdr: number = TOKEN_RING.HEADER_LEN;
  if ((view.getUint8(off + TOKEN_RING.SRC) & TOKEN_RING.ROUTED) !== 0) {
    if (end - off <= hdr) return Status.TRUNCATED_LINK;
    hdr += view.getUint8(off + hdr) & TOKEN_RING.RIF_LEN_MASK;
  }
  if (end - off < hdr) return Status.TRUNCATED_LINK;
  return decodeEtherType(p, 0, off + hdr, end);
}
