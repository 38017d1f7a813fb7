/**
 * The IPFIX information elements sockscope exports: the standard ones (IANA "IPFIX Information Elements" registry,
 * RFC 7012), the RFC 5103 reverse elements, and sockscope's own enterprise-specific elements. The README's table of
 * enterprise elements is this list (a test checks that the two agree).
 */

/** RFC 5103 §6.1: the Private Enterprise Number under which a standard element's reverse counterpart is exported. */
export const REVERSE_PEN = 29305;

/** RFC 5103 §6.1: an enterprise-specific element's reverse counterpart has this bit set in its element ID. */
export const REVERSE_ENTERPRISE_BIT = 0x4000;

/**
 * sockscope's default Private Enterprise Number: 32473, the number RFC 5612 reserves for documentation and
 * examples. sockscope has no number of its own, and no vendor's elements live under 32473, so the default collides
 * with nobody; an organisation with its own PEN sets it with --ipfix-pen.
 */
export const DEFAULT_PEN = 32473;

/** IANA element IDs used here (RFC 7012, RFC 7125 for tcpControlBits, RFC 5103 for biflowDirection). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  vlanId: 58,
  flowEndReason: 136,
  icmpTypeCodeIPv6: 139,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  biflowDirection: 239,
} as const;

/** flowEndReason values (IANA registry, RFC 5102 §5.11.3). */
export const END_REASON = {
  IDLE_TIMEOUT: 1,
  ACTIVE_TIMEOUT: 2,
  END_OF_FLOW: 3,
  FORCED_END: 4,
  LACK_OF_RESOURCES: 5,
} as const;

/** biflowDirection values (RFC 5103 §6.3). */
export const BIFLOW_DIRECTION = { ARBITRARY: 0, INITIATOR: 1, REVERSE_INITIATOR: 2, PERIMETER: 3 } as const;

/** RFC 7011 §6.1 abstract data types of the enterprise elements below. */
export type IpfixType = 'string' | 'boolean' | 'unsigned16' | 'unsigned64';

/** One of sockscope's enterprise-specific elements. */
export interface EnterpriseElement {
  /** Element ID under sockscope's PEN (below 0x4000; the reverse counterpart adds {@link REVERSE_ENTERPRISE_BIT}). */
  readonly id: number;
  readonly name: string;
  readonly type: IpfixType;
  /** True when the element describes one end (the source's), so a biflow also carries the reverse counterpart. */
  readonly reversible: boolean;
  /** What it holds, for the README. */
  readonly description: string;
}

/** sockscope's own facts, in template order. */
export const ENTERPRISE_ELEMENTS = {
  uid: {
    id: 1, name: 'sockscopeUid', type: 'string', reversible: false,
    description: "the flow's uid, as in the ndjson/zeek output (both records of a uniflow pair carry the same one)",
  },
  connState: {
    id: 2, name: 'sockscopeConnState', type: 'string', reversible: false,
    description: "Zeek's conn_state (S0, S1, SF, REJ, RSTO, ..., OTH)",
  },
  history: {
    id: 3, name: 'sockscopeHistory', type: 'string', reversible: false,
    description: "Zeek's history letters (upper case: originator, lower case: responder)",
  },
  tcpState: {
    id: 4, name: 'sockscopeTcpState', type: 'string', reversible: true,
    description: "netstat state of the source end's socket (ESTABLISHED, TIME_WAIT, ...); empty for UDP and ICMP",
  },
  endReason: {
    id: 5, name: 'sockscopeEndReason', type: 'string', reversible: false,
    description: 'why the record was written: idle, closed, reset, reuse, evicted, eof, or active (an intermediate report of a flow still open)',
  },
  directionGuessed: {
    id: 6, name: 'sockscopeDirectionGuessed', type: 'boolean', reversible: false,
    description: 'true when no handshake was seen and the initiator was guessed from the ports',
  },
  retransmissions: {
    id: 7, name: 'sockscopeRetransmissions', type: 'unsigned64', reversible: true,
    description: "TCP retransmissions sent by the source end (Wireshark's tcp.analysis.retransmission); 0 for UDP and ICMP",
  },
  seqOctets: {
    id: 8, name: 'sockscopeSeqOctets', type: 'unsigned64', reversible: true,
    description: "Zeek's orig_bytes/resp_bytes for the source end: TCP by sequence space, UDP and ICMP payload bytes",
  },
  // With --names (payload inspection); empty strings and 0 / 65535 without it or when not seen.
  service: {
    id: 9, name: 'sockscopeService', type: 'string', reversible: false,
    description: "with --names: Zeek's service, the protocols confirmed from the payload (comma-separated)",
  },
  serverName: {
    id: 10, name: 'sockscopeServerName', type: 'string', reversible: false,
    description: 'with --names: the TLS or QUIC ClientHello server_name',
  },
  alpn: {
    id: 11, name: 'sockscopeAlpn', type: 'string', reversible: false,
    description: "with --names: the ClientHello's ALPN protocols (comma-separated)",
  },
  httpHost: {
    id: 12, name: 'sockscopeHttpHost', type: 'string', reversible: false,
    description: "with --names: the first HTTP request's Host header",
  },
  httpMethod: {
    id: 13, name: 'sockscopeHttpMethod', type: 'string', reversible: false,
    description: "with --names: the first HTTP request's method",
  },
  dnsQuery: {
    id: 14, name: 'sockscopeDnsQuery', type: 'string', reversible: false,
    description: "with --names: the first DNS question's name",
  },
  dnsQtype: {
    id: 15, name: 'sockscopeDnsQtype', type: 'unsigned16', reversible: false,
    description: "with --names: the first DNS question's type (0: none)",
  },
  dnsRcode: {
    id: 16, name: 'sockscopeDnsRcode', type: 'unsigned16', reversible: false,
    description: "with --names: the first DNS response's rcode (65535: no response)",
  },
  sshSoftware: {
    id: 17, name: 'sockscopeSshSoftware', type: 'string', reversible: true,
    description: "with --names: the source end's SSH identification string (SSH-2.0-...)",
  },
  communityId: {
    id: 18, name: 'sockscopeCommunityId', type: 'string', reversible: false,
    description: 'the Community ID v1 of the flow (as community_id in the other formats; empty with --no-community-id)',
  },
  respName: {
    id: 19, name: 'sockscopeRespName', type: 'string', reversible: false,
    description: "with --names: the responder's name from an earlier DNS answer in the input (resp_name, passive DNS)",
  },
} as const satisfies Record<string, EnterpriseElement>;
