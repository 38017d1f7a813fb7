/**
 * FlowRecord: the plain, read-only description of one flow that every consumer sees (record writers, the TUI, the
 * library API). Records are snapshots: the flow table never mutates a record after handing it out.
 */

/** Transport names as Zeek's conn.log spells them. */
export type ProtoName = 'tcp' | 'udp' | 'icmp' | 'unknown_transport';

/** Why a record was written. `active` for snapshots of flows that are still open. */
export type EndReason = 'active' | 'idle' | 'closed' | 'reset' | 'reuse' | 'evicted' | 'eof';

/** TCP options seen on this end's SYN (or first segment). */
export interface TcpOptionsRecord {
  /** MSS option value, or null. */
  readonly mss: number | null;
  /** Window-scale shift, or null. */
  readonly wscale: number | null;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

/** One transition of an end's netstat state, on the capture clock. */
export interface StateTransition {
  /** Capture time in seconds since the epoch. */
  readonly tsSec: number;
  readonly state: string;
}

/** Counters for one direction (one end's transmissions) of a flow. */
export interface DirectionRecord {
  /** Packets sent by this end. */
  readonly pkts: number;
  /** IP-level bytes (sum of IPv4 total length / IPv6 payload length + 40), Zeek's *_ip_bytes. */
  readonly ipBytes: number;
  /** Frame bytes on the wire (pcap orig_len), tshark's bytes. */
  readonly wireBytes: number;
  /** Transport payload bytes as carried by the packets, retransmissions included (tshark's payload bytes). */
  readonly payloadBytes: number;
  /** Zeek's orig_bytes/resp_bytes: TCP by sequence space, UDP/ICMP payload sum. */
  readonly seqBytes: number;
  /** Capture time of this end's first and last packet, seconds since the epoch; null when it sent nothing. */
  readonly firstSec: number | null;
  readonly lastSec: number | null;
  /** TCP flag counts of this end's segments. */
  readonly syn: number;
  readonly fin: number;
  readonly rst: number;
  readonly ack: number;
  readonly psh: number;
  readonly urg: number;
  /** TCP analysis, Wireshark's definitions (0 for UDP/ICMP). */
  readonly retransmissions: number;
  readonly outOfOrder: number;
  readonly dupAcks: number;
  readonly zeroWindows: number;
  readonly keepAlives: number;
  /** Netstat state of this end's socket (TCP only; null otherwise). */
  readonly state: string | null;
  /** True when the state was inferred rather than seen (no handshake captured, a LISTEN that is implied). */
  readonly stateInferred: boolean;
  /** Transitions of this end's state, oldest first (bounded; TCP only). */
  readonly transitions: readonly StateTransition[];
  /** Options on this end's SYN (TCP only, null when no SYN seen). */
  readonly options: TcpOptionsRecord | null;
}

/** A flow: the pair of sockets (5-tuple) and what was seen between them. */
export interface FlowRecord {
  /** Zeek-style connection id, unique within a run (deterministic). */
  readonly uid: string;
  readonly proto: ProtoName;
  /** IANA protocol number (6, 17, 1, 58, 132, ...). */
  readonly ipProto: number;
  /** 4 or 6. */
  readonly ipVersion: number;
  /** Originator address in canonical text form (RFC 5952 for IPv6). */
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
  /** First packet, seconds since the epoch (float). */
  readonly startSec: number;
  /** Last packet that counted for the connection's activity, seconds since the epoch. */
  readonly lastSec: number;
  /** lastSec - startSec (Zeek: 0 for single-packet flows, shown as "-"). */
  readonly durationSec: number;
  readonly orig: DirectionRecord;
  readonly resp: DirectionRecord;
  /** Zeek conn_state (S0, S1, SF, REJ, ..., OTH). */
  readonly connState: string;
  /** Zeek history letters. */
  readonly history: string;
  /** Zeek missed_bytes: content acknowledged but never captured. */
  readonly missedBytes: number;
  /** True when originator/responder were guessed (no SYN seen; port heuristics). */
  readonly directionGuessed: boolean;
  /** Handshake round trips in seconds: SYN -> SYN+ACK and SYN+ACK -> ACK; null when not seen. */
  readonly rttSynSec: number | null;
  readonly rttAckSec: number | null;
  /** Why the record was written. */
  readonly endReason: EndReason;
  /** uids of the flows that carried this one through tunnels (Zeek's tunnel_parents), empty when none. */
  readonly tunnelParents?: readonly string[];
  /** VLAN IDs of the flow's first packet, outer and inner tag (Zeek's vlan and inner_vlan); absent or -1 when none. */
  readonly vlan?: number;
  readonly innerVlan?: number;
  /** What the payload says the flow is (with payload inspection on: `--names`); null or absent otherwise. */
  readonly names?: NamesRecord | null;
}

/** Service and names from a flow's first payload (inspect/names.ts); empty strings and -1 when not seen. */
export interface NamesRecord {
  /** Zeek's conn.log `service`: the protocols confirmed from the payload, comma-separated in the order confirmed. */
  readonly service: string;
  /** TLS or QUIC ClientHello server_name, and its ALPN protocols (comma-separated). */
  readonly serverName: string;
  readonly alpn: string;
  /** The first HTTP request's Host header and method. */
  readonly httpHost: string;
  readonly httpMethod: string;
  /** The first DNS question's name and type, and the first response's rcode (-1 when none). */
  readonly dnsQuery: string;
  readonly dnsQtype: number;
  readonly dnsRcode: number;
  /** SSH identification strings of the originator and the responder. */
  readonly sshClient: string;
  readonly sshServer: string;
  /**
   * Passive DNS: the name an earlier DNS answer in the same input gave for the responder's address (A or AAAA; through
   * CNAMEs, the name that was asked for), as of the flow's first packet; empty when none (inspect/passive-dns.ts).
   */
  readonly respName: string;
}
