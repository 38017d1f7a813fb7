/**
 * Named byte offsets and wire constants for every header the decoder reads (smoltcp's `mod field`). Offsets are
 * relative to the start of their header; all multi-byte fields are big-endian (network order) unless a comment says
 * otherwise. Lengths are in bytes.
 */

/** LINKTYPE_* values the decoder handles beyond those named in `LinkType` (tcpdump.org link-layer header types). */
export const LINK = {
  /** LINKTYPE_FDDI: frame control + two MAC addresses, then 802.2 LLC. */
  FDDI: 10,
  /** LINKTYPE_PPP_HDLC: PPP in HDLC-like framing (FF 03 then the protocol). */
  PPP_HDLC: 50,
  /** LINKTYPE_IEEE802_11: bare 802.11 frames. */
  IEEE802_11: 105,
  /** LINKTYPE_IEEE802_11_RADIOTAP: radiotap header, then an 802.11 frame. */
  IEEE802_11_RADIOTAP: 127,
  /** LINKTYPE_NFLOG: Linux netfilter log messages (TLVs). */
  NFLOG: 239,
} as const;

/** Ethernet II header (IEEE 802.3 §3.1). */
export const ETH = { DST: 0, SRC: 6, ETHERTYPE: 12, HEADER_LEN: 14 } as const;

/** EtherType values (IEEE registry) the decoder dispatches on. Values <= MAX_LENGTH are 802.3 lengths, not types. */
export const ETHERTYPE = {
  /** Largest 802.3 length field; the frame then carries 802.2 LLC. */
  MAX_LENGTH: 1500,
  IPV4: 0x0800,
  ARP: 0x0806,
  /** Transparent Ethernet bridging (GRE, Geneve). */
  TEB: 0x6558,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  MPLS_UNICAST: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPPOE_SESSION: 0x8864,
  QINQ: 0x88a8,
  /** ERSPAN type II (GRE protocol type). */
  ERSPAN_II: 0x88be,
  /** PBB, IEEE 802.1ah backbone service instance tag. */
  PBB: 0x88e7,
  /** ERSPAN type III (GRE protocol type). */
  ERSPAN_III: 0x22eb,
  /** Cisco VN-Tag. */
  VNTAG: 0x8926,
  /** Pre-standard QinQ outer tag. */
  QINQ_OLD: 0x9100,
  /** PPP (GRE version 1, PPTP). */
  PPP: 0x880b,
} as const;

/** 802.1Q / 802.1ad tag after its TPID: 2 bytes TCI, then the next EtherType. */
export const VLAN = { TCI: 0, ETHERTYPE: 2, LEN: 4 } as const;
/** VN-Tag after its TPID: 4 bytes of tag, then the next EtherType. */
export const VNTAG = { ETHERTYPE: 4, LEN: 6 } as const;
/** PBB after its TPID: 4-byte I-tag, inner destination and source MACs, then the inner EtherType. */
export const PBB = { ETHERTYPE: 16, LEN: 18 } as const;
/** MPLS label stack entry (RFC 3032 §2.1): bottom-of-stack bit in byte 2. */
export const MPLS = { BOS_BYTE: 2, BOS_BIT: 0x01, LEN: 4 } as const;
/** PPPoE session header (RFC 2516 §4): ver/type, code, session id, length; then the 2-byte PPP protocol. */
export const PPPOE = { LENGTH: 4, HEADER_LEN: 6, PPP_PROTO: 6, LEN: 8 } as const;
/** PPP protocol numbers (RFC 1332, RFC 5072). */
export const PPP = { ADDRESS: 0xff, CONTROL: 0x03, IPV4: 0x0021, IPV6: 0x0057 } as const;
/** 802.2 LLC with SNAP (RFC 1042): AA AA 03, 3-byte OUI, 2-byte EtherType. */
export const LLC = { SNAP_SAP: 0xaa, UI: 0x03, SNAP_ETHERTYPE: 6, SNAP_LEN: 8 } as const;

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): 16 bytes, protocol at 14. */
export const SLL = { PROTOCOL: 14, HEADER_LEN: 16 } as const;
/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20 bytes, protocol at 0. */
export const SLL2 = { PROTOCOL: 0, HEADER_LEN: 20 } as const;
/** BSD loopback (LINKTYPE_NULL host order, LINKTYPE_LOOP network order): a 4-byte address family. */
export const NULL_HDR = { AF: 0, HEADER_LEN: 4 } as const;
/** Address-family values found in LINKTYPE_NULL/LOOP headers (IPv6 differs per BSD: 24 Net/Open, 28 Free, 30 Darwin). */
export const BSD_AF = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;
/** FDDI (LINKTYPE_FDDI): frame control, destination, source, then LLC. */
export const FDDI = { HEADER_LEN: 13 } as const;
/**
 * NFLOG (LINKTYPE_NFLOG): 4-byte header (family, version, resource id), then TLVs whose length and type are in the
 * writer's host byte order; a TLV length includes its 4-byte header and TLVs are padded to 4 bytes.
 */
export const NFLOG = { FAMILY: 0, HEADER_LEN: 4, TLV_LEN: 0, TLV_TYPE: 2, TLV_HEADER_LEN: 4, TYPE_PAYLOAD: 9, AF_INET: 2, AF_INET6: 10 } as const;
/** Radiotap header (radiotap.org): version, pad, little-endian length, present bitmaps. */
export const RADIOTAP = { LENGTH: 2, PRESENT: 4, PRESENT_EXT: 0x80000000, PRESENT_TSFT: 0x1, PRESENT_FLAGS: 0x2, FLAG_FCS: 0x10, FLAG_DATAPAD: 0x20, FCS_LEN: 4 } as const;
/** IEEE 802.11 MAC header: frame control (2), duration (2), three addresses, sequence control; addr4 and QoS optional. */
export const WLAN = {
  FC0: 0,
  FC1: 1,
  HEADER_LEN: 24,
  ADDR4_LEN: 6,
  QOS_LEN: 2,
  HT_CONTROL_LEN: 4,
  TYPE_DATA: 2,
  FLAG_TO_DS: 0x01,
  FLAG_FROM_DS: 0x02,
  FLAG_PROTECTED: 0x40,
  FLAG_ORDER: 0x80,
  SUBTYPE_QOS: 0x8,
  SUBTYPE_NULL: 0x4,
} as const;

/** IPv4 header (RFC 791 §3.1). */
export const IPV4 = {
  VER_IHL: 0,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  SRC: 12,
  DST: 16,
  MIN_HEADER_LEN: 20,
  /** More-fragments flag in the 16-bit flags/fragment-offset field. */
  MF: 0x2000,
  /** Fragment offset mask (in 8-byte units). */
  FRAG_MASK: 0x1fff,
} as const;

/** IPv6 fixed header (RFC 8200 §3). */
export const IPV6 = { PAYLOAD_LEN: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HEADER_LEN: 40 } as const;
/** Generic IPv6 extension header: next header, length in 8-byte units not counting the first 8 (RFC 8200 §4). */
export const IPV6_EXT = { NEXT_HEADER: 0, LEN: 1, MIN_LEN: 8 } as const;
/** IPv6 fragment header (RFC 8200 §4.5): offset in the upper 13 bits (8-byte units), M flag in bit 0. */
export const IPV6_FRAG = { OFFSET_FLAGS: 2, IDENT: 4, LEN: 8, OFFSET_MASK: 0xfff8, M: 0x1 } as const;
/** Hop-by-hop option types (RFC 8200 §4.2, RFC 2675 jumbo payload). */
export const IPV6_OPT = { PAD1: 0, JUMBO: 0xc2, JUMBO_LEN: 4 } as const;

/** TCP header (RFC 9293 §3.1). */
export const TCP = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  MIN_HEADER_LEN: 20,
} as const;
/** TCP option kinds and their fixed lengths (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export const TCP_OPT = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  MSS_LEN: 4,
  WSCALE: 3,
  WSCALE_LEN: 3,
  SACK_PERM: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  TIMESTAMPS_LEN: 10,
} as const;

/** UDP header (RFC 768). */
export const UDP = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, HEADER_LEN: 8 } as const;
/** ICMP / ICMPv6 common header: type, code, checksum, 4 bytes of rest-of-header (RFC 792, RFC 4443). */
export const ICMP = { TYPE: 0, CODE: 1, HEADER_LEN: 8 } as const;

/** GRE header (RFC 2784, RFC 2890; version 1 from RFC 2637). */
export const GRE = {
  FLAGS: 0,
  PROTOCOL: 2,
  HEADER_LEN: 4,
  FLAG_CHECKSUM: 0x80,
  FLAG_ROUTING: 0x40,
  FLAG_KEY: 0x20,
  FLAG_SEQ: 0x10,
  /** Version 1 only: acknowledgement number present (byte 1). */
  FLAG_ACK: 0x80,
  VERSION_MASK: 0x07,
} as const;
/** ERSPAN headers after GRE: type II is 8 bytes; type III is 12, plus 8 when the O flag (byte 11, bit 0) is set. */
export const ERSPAN = { II_LEN: 8, III_LEN: 12, III_FLAGS: 11, III_O: 0x01, III_SUBHEADER_LEN: 8 } as const;
/** VXLAN header (RFC 7348 §5). */
export const VXLAN = { FLAGS: 0, FLAG_I: 0x08, HEADER_LEN: 8 } as const;
/** Geneve header (RFC 8926 §3.4): option length in 4-byte units in the low 6 bits of byte 0. */
export const GENEVE = { VER_OPTLEN: 0, PROTOCOL: 2, HEADER_LEN: 8, OPTLEN_MASK: 0x3f } as const;
/** GTPv1-U header (3GPP TS 29.281 §5.1): flags, message type, length, TEID; 4 optional bytes when E, S or PN is set. */
export const GTP = {
  FLAGS: 0,
  MSG_TYPE: 1,
  HEADER_LEN: 8,
  OPT_LEN: 4,
  NEXT_EXT: 11,
  VERSION_1: 0x20,
  VERSION_MASK: 0xe0,
  PT: 0x10,
  FLAGS_E_S_PN: 0x07,
  /** G-PDU: the message that carries a user packet. */
  G_PDU: 0xff,
} as const;
/** Teredo (RFC 4380 §5.1.1): optional authentication (00 01) and origin (00 00) indicators before the IPv6 packet. */
export const TEREDO = { AUTH_TYPE: 0x0001, AUTH_FIXED_LEN: 13, ORIGIN_TYPE: 0x0000, ORIGIN_LEN: 8 } as const;
/**
 * L2TPv2 header (RFC 2661 §3.1): flags and version, optional length, tunnel and session ids, optional Ns/Nr,
 * optional offset size and padding; data messages (T = 0) carry a PPP frame.
 */
export const L2TP = {
  FLAGS: 0,
  FLAG_TYPE: 0x8000,
  FLAG_LENGTH: 0x4000,
  FLAG_SEQ: 0x0800,
  FLAG_OFFSET: 0x0200,
  VERSION_MASK: 0x000f,
  VERSION_2: 2,
  MIN_LEN: 6,
} as const;
/** Well-known UDP ports of the tunnels the decoder marks. */
export const TUNNEL_PORT = { VXLAN: 4789, GENEVE: 6081, GTP_U: 2152, TEREDO: 3544, L2TP: 1701 } as const;
