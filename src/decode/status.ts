/**
 * Decode outcomes. The hot path returns one of these instead of throwing; the demultiplexer counts packets that fit
 * no flow by status (Zeek's named "weirds", as counters).
 */
export const Status = {
  /** Decoded through the transport header (or through IP for protocols without ports). */
  OK: 0,
  /** A later IP fragment (offset > 0): no transport header, attributed through the fragment's datagram. */
  FRAGMENT: 1,
  /** Link layer carried something other than IPv4/IPv6 (ARP, LLDP, STP, ...). */
  NOT_IP: 2,
  /** The frame ended inside the link-layer header. */
  TRUNCATED_LINK: 3,
  /** The frame ended inside the IPv4/IPv6 header or its extension headers. */
  TRUNCATED_IP: 4,
  /** IP version nibble is neither 4 nor 6, or disagrees with the link type. */
  BAD_IP_VERSION: 5,
  /** IPv4 IHL < 5, total length < header length, or an IPv6 extension header runs past the packet. */
  BAD_IP_HEADER: 6,
  /** The frame ended inside the TCP header. */
  TRUNCATED_TCP: 7,
  /** TCP data offset < 5 or beyond the segment. */
  BAD_TCP_HEADER: 8,
  /** The frame ended inside the UDP header. */
  TRUNCATED_UDP: 9,
  /** UDP length field < 8. */
  BAD_UDP_LENGTH: 10,
  /** The frame ended inside the ICMP/ICMPv6 header. */
  TRUNCATED_ICMP: 11,
  /** The capture's link type is not one sockscope decodes. */
  UNSUPPORTED_LINK: 12,
} as const;
export type DecodeStatus = (typeof Status)[keyof typeof Status];

/** STATUS_NAME[code] is the lower-case name used in summaries and JSON, e.g. `truncated_tcp`. */
export const STATUS_NAME: readonly string[] = Object.keys(Status).map((k) => k.toLowerCase());

/** Number of distinct status codes (size of per-status counter arrays). */
export const STATUS_COUNT = STATUS_NAME.length;

/**
 * What the decoder could not carry further, by kind; the number that named it (EtherType, GRE protocol, ...) is in
 * `DecodedPacket.undecodedValue`. A packet keeps its own status (NOT_IP for a frame that never reached IP; OK for a
 * tunnel packet whose payload was not followed): this says which number stopped the decoder, so that a summary can
 * name what was left out (`unknown_ethertype 0x88e5: 12`).
 */
export const Undecoded = {
  NONE: 0,
  /** An EtherType (also behind tags, SNAP, SLL, C-HDLC, IPoIB) that is not IP or a decoded shim. */
  ETHERTYPE: 1,
  /** 802.2 LLC without SNAP, by DSAP (STP 0x42, NetBIOS 0xf0, ...). */
  LLC_SAP: 2,
  /** Novell's raw 802.3 (IPX without LLC); no number. */
  NOVELL_RAW: 3,
  /** A PPP protocol (LCP 0xc021, IPCP 0x8021, ...). */
  PPP_PROTOCOL: 4,
  /** A BSD / pflog / enc / NFLOG / ipnet address family. */
  ADDRESS_FAMILY: 5,
  /** An MPLS payload whose first nibble is neither 4, 6 nor 0 (control word), by that nibble. */
  MPLS_PAYLOAD: 6,
  /** An NSH next protocol (RFC 8300 §11.2.5). */
  NSH_NEXT: 7,
  /** An 802.11 frame that carries no data: by type/subtype byte (management, control, null data). */
  WLAN_NOT_DATA: 8,
  /** An 802.11 data frame with the protected bit: encrypted; no number. */
  WLAN_PROTECTED: 9,
  /** A GRE protocol type no decoder follows. */
  GRE_PROTOCOL: 10,
  /** A GRE version other than 0 and 1, or a header with routing (RFC 1701) present. */
  GRE_VERSION: 11,
  /** A VXLAN-GPE next protocol. */
  VXLAN_GPE_NEXT: 12,
  /** A Geneve protocol type. */
  GENEVE_PROTOCOL: 13,
  /** An AYIYA next header (IANA protocol) other than IPv4/IPv6. */
  AYIYA_NEXT: 14,
  /** The link type named by a PKTAP or PPI header that the decoder does not handle. */
  INNER_LINK_TYPE: 15,
} as const;
export type UndecodedKind = (typeof Undecoded)[keyof typeof Undecoded];

/** UNDECODED_NAME[kind] names a kind in summaries: `unknown_ethertype`, `unknown_gre_protocol`, ... */
export const UNDECODED_NAME: readonly string[] = [
  '',
  'unknown_ethertype',
  'unknown_llc_sap',
  'novell_raw_802_3',
  'unknown_ppp_protocol',
  'unknown_address_family',
  'unknown_mpls_payload',
  'unknown_nsh_next_protocol',
  'wlan_not_data',
  'wlan_protected',
  'unknown_gre_protocol',
  'unknown_gre_version',
  'unknown_vxlan_gpe_next_protocol',
  'unknown_geneve_protocol',
  'unknown_ayiya_next_header',
  'unknown_inner_link_type',
];

/** Number of hex digits each kind's number is printed with (0: printed in decimal; -1: the kind has no number). */
const UNDECODED_DIGITS: readonly number[] = [-1, 4, 2, -1, 4, 0, 1, 2, 2, -1, 4, 1, 2, 4, 0, 0];

/** `unknown_ethertype 0x88e5`, `unknown_ayiya_next_header 17`, `wlan_protected`: the summary key for one number. */
export function undecodedLabel(kind: number, value: number): string {
  const name = UNDECODED_NAME[kind] ?? `undecoded_${kind}`;
  const digits = UNDECODED_DIGITS[kind] ?? 0;
  if (digits < 0) return name;
  if (digits === 0) return `${name} ${value}`;
  return `${name} 0x${value.toString(16).padStart(digits, '0')}`;
}
