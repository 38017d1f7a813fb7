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
