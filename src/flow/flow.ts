/**
 * Flow: the mutable, internal state of one connection (one 5-tuple, both directions). Only the flow table and the
 * demultiplexer touch it; consumers get {@link FlowRecord} snapshots.
 */
import type { TcpConnection } from '../tcp/connection.js';
import type { EndReason, FlowRecord } from './record.js';

/** Counters of what one end sent. Two per flow; swapping them is how a flow flips orientation. */
export class Direction {
  pkts = 0;
  /** Sum of IPv4 total length / IPv6 payload length + 40 (Zeek *_ip_bytes). */
  ipBytes = 0;
  /** Sum of frame lengths on the wire (tshark bytes). */
  wireBytes = 0;
  /** Transport payload bytes as stated by headers, retransmissions included. */
  payloadBytes = 0;
  /** Zeek orig_bytes for UDP (sum of UDP length - 8) and ICMP (IP payload - 8). TCP uses sequence space instead. */
  dataBytes = 0;
  /** Capture time of the first and last packet this end sent, seconds since the epoch; -1 before any. */
  firstSec = -1;
  lastSec = -1;
  syn = 0;
  fin = 0;
  rst = 0;
  ack = 0;
  psh = 0;
  urg = 0;
  /** Later IP fragments attributed to this direction (not counted in pkts: one packet per datagram, as tshark and Zeek). */
  fragments = 0;
}

/** Timeout classes: each has its own idle timeout and its own LRU list in the table. */
export const TimeoutClass = { TCP: 0, UDP: 1, ICMP: 2, OTHER: 3, CLOSING: 4 } as const;
export type TimeoutClass = (typeof TimeoutClass)[keyof typeof TimeoutClass];
export const TIMEOUT_CLASSES = 5;

/** One flow. Field shapes are fixed at construction (one hidden class). */
export class Flow {
  /** IANA protocol number. */
  proto = 0;
  /** 4 or 6. */
  ipVersion = 0;
  /** Originator address as int32 words: IPv4 in oa3 (others 0); IPv6 as four big-endian words. */
  oa0 = 0; oa1 = 0; oa2 = 0; oa3 = 0;
  /** Responder address, same layout. */
  ra0 = 0; ra1 = 0; ra2 = 0; ra3 = 0;
  origPort = 0;
  respPort = 0;
  /** ICMP message without a counterpart: matched in its own direction only (Zeek's is_one_way). */
  oneWay = 0;
  /** Symmetric hash of the key (same for both directions). */
  hash = 0;
  /** Position in the creation order; the uid is derived from it. */
  serial = 0;
  uid = '';

  readonly orig = new Direction();
  readonly resp = new Direction();
  /** First packet's capture time (seconds since the epoch). */
  startSec = 0;
  /** Last packet that counts as activity (Zeek: not packets after both ends closed). */
  lastSec = 0;
  /** Last packet of any kind (drives idle expiry). */
  lastSeenSec = 0;

  /** TCP tracker, null for other protocols. */
  tcp: TcpConnection | null = null;
  /** Non-TCP history: bit 0 orig sent data, bit 1 resp sent data, bit 2 flipped, bits 3/4 orig/resp bad checksum. */
  udpHistory = 0;
  /** True when orientation was guessed from ports rather than seen (no SYN). */
  directionGuessed = false;
  /** Why the flow ended ('active' while open). */
  endReason: EndReason = 'active';

  /** Hash-bucket chain. */
  nextInBucket: Flow | null = null;
  /** Timer-wheel list links, and the wheel slot the flow is in (-1 when none). */
  lruPrev: Flow | null = null;
  lruNext: Flow | null = null;
  slot = -1;
  timeoutClass: TimeoutClass = TimeoutClass.OTHER;
  /** For CLOSING flows: capture time at which the flow is removed. */
  closeAtSec = 0;
  /** The last record built for this flow, and the activity it reflects (flowRecord reuses it while nothing changed). */
  record: FlowRecord | null = null;
  recordSeenSec = -1;
  recordPkts = -1;
  /** Times the flow's roles were swapped, and that count when `record` was built. */
  flips = 0;
  recordFlips = 0;
  /** How a CLOSING flow ended: both ends closed with FIN, or an RST. */
  closingReason: 'closed' | 'reset' = 'closed';
}
