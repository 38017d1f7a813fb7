import type { DecodeStatus } from './status.js';

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/** TCP flag bits as they sit in byte 13 of the TCP header (RFC 9293 §3.1, RFC 3168 for ECE/CWR). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** IANA protocol numbers sockscope handles by name. */
export const IpProto = {
  HOPOPT: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
  SCTP: 132,
} as const;

/**
 * One reusable, fixed-shape decoded packet: numbers and offsets into the borrowed frame bytes. `decodeFrame` resets
 * every field, so nothing leaks from one packet into the next. Every field is initialised here so that V8 gives all
 * instances one hidden class.
 */
export class DecodedPacket {
  /** Borrowed frame bytes: valid only until the source's next callback. */
  bytes: Uint8Array = EMPTY;
  /** DataView over the same memory as `bytes` (offsets below are relative to `bytes`, not to the view's start). */
  view: DataView = EMPTY_VIEW;
  /** End of captured data (exclusive offset into `bytes`). */
  end = 0;
  /** Outcome of the decode. */
  status: DecodeStatus = 0;

  /** Offset of the IP header (or -1 when none was found). */
  l3 = -1;
  /** Offset of the transport header (or -1). */
  l4 = -1;
  /** Offset of the transport payload (or -1). */
  payload = -1;
  /** Transport payload length in bytes as the headers state it (TCP: IP length minus headers; UDP: length - 8). */
  payloadLen = 0;
  /** Transport payload bytes actually captured (<= payloadLen when the snap length cut the packet). */
  payloadCaptured = 0;

  /** 4 or 6, or 0 before an IP header was found. */
  ipVersion = 0;
  /** Upper-layer protocol (IANA number), after walking IPv6 extension headers. */
  proto = 0;
  /** IP-level bytes as Zeek counts them: IPv4 total length; IPv6 payload length + 40 (jumbo/BIG TCP: captured). */
  ipBytes = 0;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl = 0;
  /** IPv4 source address as an unsigned 32-bit number (host order). */
  src4 = 0;
  /** IPv4 destination address as an unsigned 32-bit number. */
  dst4 = 0;
  /** IPv6 source address as four big-endian 32-bit words. */
  readonly src6 = new Uint32Array(4);
  /** IPv6 destination address as four big-endian 32-bit words. */
  readonly dst6 = new Uint32Array(4);

  /** 1 when this packet is an IP fragment (first or later), else 0. */
  isFragment = 0;
  /** Fragment offset in bytes (0 for the first fragment). */
  fragOffset = 0;
  /** 1 when more fragments follow. */
  moreFragments = 0;
  /** Fragment identification (IPv4: 16 bits; IPv6: 32 bits). */
  fragId = 0;
  /** For fragments: offset of the data this fragment carries (after the IPv4 header / the IPv6 fragment header). */
  fragData = -1;
  /** For fragments: protocol of the fragmentable part (IPv4 protocol; IPv6 fragment header's Next Header). */
  fragNext = 0;

  /** Source port; for ICMP, Zeek's "port": the ICMP type. */
  srcPort = 0;
  /** Destination port; for ICMP, Zeek's counterpart type (request/reply) or the ICMP code. */
  dstPort = 0;
  /** ICMP: 1 when the message has no counterpart (Zeek's is_one_way: errors and unpaired types). */
  icmpOneWay = 0;
  /** ICMP/ICMPv6 type and code, or -1. */
  icmpType = -1;
  icmpCode = -1;

  /** TCP flags byte (see {@link TcpFlag}). */
  tcpFlags = 0;
  /** TCP sequence number, unsigned 32-bit. */
  seq = 0;
  /** TCP acknowledgement number, unsigned 32-bit. */
  ack = 0;
  /** TCP window field as sent (unscaled). */
  window = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHeaderLen = 0;
  /** TCP MSS option value, or -1 when absent. */
  optMss = -1;
  /** TCP window-scale shift count, or -1 when absent. */
  optWscale = -1;
  /** 1 when SACK-permitted was offered. */
  optSackPerm = 0;
  /** 1 when the segment carries SACK blocks. */
  optSack = 0;
  /** 1 when the timestamps option is present; then tsVal/tsEcr hold its values. */
  optTs = 0;
  tsVal = 0;
  tsEcr = 0;

  /** UDP length field (0 for non-UDP). */
  udpLength = 0;

  /** VLAN IDs of the first and second 802.1Q / 802.1ad tags of the frame (Zeek's vlan and inner_vlan); -1 when none. */
  vlan = -1;
  innerVlan = -1;

  /** When the transport payload is a tunnel sockscope decapsulates, where the inner packet starts (else -1). */
  innerOffset = -1;
  /**
   * How to decode the inner packet: a LINKTYPE (LinkType.ETHERNET for VXLAN/Geneve, RAW for GTP/GRE, IPV4/IPV6 for
   * IP-in-IP, 219 MPLS, ...), or minus an EtherType for a payload that begins like the one that EtherType announces
   * (NSH: -0x894f); 0 when there is none. Pass it to `decodeFrame` as the link type.
   */
  innerLinkType = 0;
  /** Which encapsulation marked the inner packet (see `Encap`), 0 when none; for the chain of a tunnelled flow. */
  encap = 0;

  /**
   * What stopped the decoder (see `Undecoded`), 0 when nothing did: set for NOT_IP frames and for tunnel packets whose
   * payload type is not followed. `undecodedValue` is the number that named it.
   */
  undecodedKind = 0;
  undecodedValue = 0;
}
