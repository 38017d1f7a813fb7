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
  /** LINKTYPE_IEEE802_5: Token Ring, then 802.2 LLC. */
  IEEE802_5: 6,
  /** LINKTYPE_SLIP: a 16-byte BSD SLIP pseudo-header, then IP. */
  SLIP: 8,
  /** LINKTYPE_PPP_ETHER: a PPPoE session header without the Ethernet header. */
  PPP_ETHER: 51,
  /** LINKTYPE_ATM_RFC1483: 802.2 LLC/SNAP over ATM (RFC 1483). */
  ATM_RFC1483: 100,
  /** LINKTYPE_C_HDLC: Cisco HDLC (address, control, EtherType). */
  C_HDLC: 104,
  /** LINKTYPE_ENC: OpenBSD IPsec encapsulation, a 12-byte header with the address family. */
  ENC: 109,
  /** LINKTYPE_PFLOG: OpenBSD pf log header (its length in byte 0, address family in byte 1). */
  PFLOG: 117,
  /** LINKTYPE_IEEE802_11_PRISM: Prism (or AVS) monitor-mode header, then 802.11. */
  IEEE802_11_PRISM: 119,
  /** LINKTYPE_IEEE802_11_AVS: AVS monitor-mode header, then 802.11. */
  IEEE802_11_AVS: 163,
  /** LINKTYPE_PPP_PPPD: PPP in HDLC-like framing, or Cisco HDLC. */
  PPP_PPPD: 166,
  /** LINKTYPE_PPI: Per-Packet Information header, then the link type it names. */
  PPI: 192,
  /** LINKTYPE_PPP_WITH_DIR: one direction byte, then PPP. */
  PPP_WITH_DIR: 204,
  /** LINKTYPE_C_HDLC_WITH_DIR: one direction byte, then Cisco HDLC. */
  C_HDLC_WITH_DIR: 205,
  /** LINKTYPE_MPLS: an MPLS label stack without a link header. */
  MPLS: 219,
  /** LINKTYPE_IPNET: Solaris ipnet pseudo-header (24 bytes, address family in byte 1). */
  IPNET: 226,
  /** LINKTYPE_NETANALYZER: 4-byte Hilscher header, then Ethernet. */
  NETANALYZER: 240,
  /** LINKTYPE_NETANALYZER_TRANSPARENT: 4-byte header, preamble and SFD, then Ethernet. */
  NETANALYZER_TRANSPARENT: 241,
  /** LINKTYPE_IPOIB: IP over InfiniBand (RFC 4391) with a 44-byte pseudo-header. */
  IPOIB: 242,
  /** LINKTYPE_PKTAP: Apple's PKTAP header (its length at 0, the inner link type at 8), then that link type. */
  PKTAP: 258,
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
  /** Cisco FabricPath (DCE): a 16-byte outer header, then a whole Ethernet frame. */
  FABRICPATH: 0x8903,
  /** IEEE 802.1BR E-Tag. */
  ETAG: 0x893f,
  /** Network Service Header (RFC 8300). */
  NSH: 0x894f,
  /** Novell IPX; with 802.3 frames whose payload begins FF FF ("raw 802.3"). */
  IPX: 0x8137,
} as const;

/** 802.1Q / 802.1ad tag after its TPID: 2 bytes TCI, then the next EtherType. */
export const VLAN = { TCI: 0, ETHERTYPE: 2, LEN: 4 } as const;
/** VN-Tag after its TPID: 4 bytes of tag, then the next EtherType. */
export const VNTAG = { ETHERTYPE: 4, LEN: 6 } as const;
/** 802.1BR E-Tag after its TPID: 6 bytes of tag, then the next EtherType. */
export const ETAG = { ETHERTYPE: 6, LEN: 8 } as const;
/** Cisco FabricPath: outer addresses (12), EtherType 0x8903, FTag/TTL (2); the inner Ethernet frame starts at 16. */
export const FABRICPATH = { INNER: 16 } as const;
/**
 * Network Service Header (RFC 8300 §2.2): length in 4-byte words in the low 6 bits of byte 1 (the whole NSH), next
 * protocol in byte 3.
 */
export const NSH = { LENGTH: 1, LENGTH_MASK: 0x3f, NEXT: 3, MIN_LEN: 8, IPV4: 1, IPV6: 2, ETHERNET: 3, NSH: 4, MPLS: 5 } as const;
/** PBB after its TPID: 4-byte I-tag, inner destination and source MACs, then the inner EtherType. */
export const PBB = { ETHERTYPE: 16, LEN: 18 } as const;
/** MPLS label stack entry (RFC 3032 §2.1): bottom-of-stack bit in byte 2. */
export const MPLS = { BOS_BYTE: 2, BOS_BIT: 0x01, LEN: 4 } as const;
/** PPPoE session header (RFC 2516 §4): ver/type, code, session id, length; then the 2-byte PPP protocol. */
export const PPPOE = { LENGTH: 4, HEADER_LEN: 6, PPP_PROTO: 6, LEN: 8 } as const;
/** PPP protocol numbers (RFC 1332, RFC 5072). */
export const PPP = { ADDRESS: 0xff, CONTROL: 0x03, IPV4: 0x0021, IPV6: 0x0057, MPLS: 0x0281 } as const;
/** Cisco HDLC (LINKTYPE_C_HDLC): address 0x0F unicast / 0x8F broadcast, control 0, then an EtherType. */
export const CHDLC = { UNICAST: 0x0f, BROADCAST: 0x8f, PROTOCOL: 2, HEADER_LEN: 4 } as const;
/**
 * 802.2 LLC (IEEE 802.2): DSAP, SSAP, control. SNAP (RFC 1042): AA AA 03, 3-byte OUI, 2-byte EtherType. SAP 06 is
 * IP itself (RFC 948); a payload beginning FF FF is Novell's raw 802.3 (IPX without LLC).
 */
export const LLC = { SNAP_SAP: 0xaa, UI: 0x03, SNAP_ETHERTYPE: 6, SNAP_LEN: 8, IP_SAP: 0x06, HEADER_LEN: 3, NOVELL_RAW: 0xff } as const;
/** MPLS pseudowire control word (RFC 4385): 4 bytes whose first nibble is 0; an Ethernet frame follows (RFC 4448). */
export const PW_CW = { LEN: 4 } as const;

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
/** Token Ring (IEEE 802.5): AC, FC, addresses; a routing field when the source's top bit is set (length in its low 5 bits). */
export const TOKEN_RING = { SRC: 8, HEADER_LEN: 14, ROUTED: 0x80, RIF_LEN_MASK: 0x1f } as const;
/** BSD SLIP pseudo-header (LINKTYPE_SLIP): direction and a copy of the compressed header, 16 bytes. */
export const SLIP = { HEADER_LEN: 16 } as const;
/** OpenBSD pflog header: its length (padded to 4 bytes) in byte 0, the address family in byte 1. */
export const PFLOG = { LENGTH: 0, AF: 1, MIN_LEN: 4 } as const;
/** OpenBSD enc header: the address family (host order), SPI, flags. */
export const ENC = { AF: 0, HEADER_LEN: 12 } as const;
/** Solaris ipnet header: version, family (2 IPv4, 26 IPv6), ..., 24 bytes. */
export const IPNET = { FAMILY: 1, HEADER_LEN: 24, INET: 2, INET6: 26 } as const;
/** Hilscher netANALYZER: a 4-byte header; the transparent variant keeps preamble and SFD (8 more bytes). */
export const NETANALYZER = { HEADER_LEN: 4, TRANSPARENT_LEN: 12 } as const;
/** IP over InfiniBand pseudo-header (LINKTYPE_IPOIB): 40 bytes of addresses, then an EtherType and 2 reserved bytes. */
export const IPOIB = { PROTOCOL: 40, HEADER_LEN: 44 } as const;
/** Apple PKTAP: header length (host order) at 0, inner link type (host order) at 8. */
export const PKTAP = { LENGTH: 0, DLT: 8, MIN_LEN: 12 } as const;
/** Per-Packet Information (PPI): version, flags, little-endian header length at 2, little-endian link type at 4. */
export const PPI = { LENGTH: 2, DLT: 4, MIN_LEN: 8 } as const;
/**
 * Prism monitor header: message code, little-endian message length at 4 (144 in practice). AVS header: magic
 * 0x8021100x big-endian at 0, big-endian header length at 4.
 */
export const PRISM = { LENGTH: 4, MIN_LEN: 8, AVS_MAGIC_MASK: 0xfffff000, AVS_MAGIC: 0x80211000 } as const;
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
/** GRE protocol types of Aruba's access points (802.11 frames), as Zeek matches them. */
export const ARUBA = { MASK_8200: 0x8200, MASK_8300: 0x8300, MAX_8300: 0x8370, TYPE_9000: 0x9000 } as const;
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
/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe §3.2): flags (version in bits 4-5, P = next protocol present), next protocol
 * in byte 3: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS.
 */
export const VXLAN_GPE = { FLAGS: 0, FLAG_P: 0x04, VERSION_MASK: 0x30, NEXT: 3, HEADER_LEN: 8, IPV4: 1, IPV6: 2, ETHERNET: 3, NSH: 4, MPLS: 5 } as const;
/**
 * AYIYA ("Anything In Anything", draft-massar-v6ops-ayiya §5): identity length as a power of two in the high nibble of
 * byte 0, signature length in 4-byte words in the high nibble of byte 1, opcode in the low nibble of byte 2 (1 =
 * forward), next header (IANA protocol) in byte 3, then a 4-byte epoch, the identity and the signature.
 */
export const AYIYA = { ID_LEN: 0, SIG_LEN: 1, OPCODE: 2, NEXT: 3, HEADER_LEN: 8, OP_FORWARD: 1 } as const;
/**
 * L2TPv3 (RFC 3931): over IP (protocol 115) a 4-byte session id (0 = control message); over UDP a 2-byte flags/version
 * word (T bit, version 3), 2 reserved bytes and the session id. Then the cookie and the L2-specific sublayer, whose
 * sizes are configured per session, not carried: the decoder takes Wireshark's defaults (no cookie, the 4-byte
 * default sublayer) and checks that an Ethernet frame carrying IP follows.
 */
export const L2TPV3 = { SESSION_LEN: 4, UDP_HEADER_LEN: 8, VERSION_3: 3, SUBLAYER_LEN: 4 } as const;
/** Well-known UDP ports of the tunnels the decoder marks. */
export const TUNNEL_PORT = {
  VXLAN: 4789,
  VXLAN_GPE: 4790,
  GENEVE: 6081,
  GTP_U: 2152,
  TEREDO: 3544,
  L2TP: 1701,
  AYIYA: 5072,
  GRE_UDP: 4754,
  MPLS_UDP: 6635,
} as const;
