/**
 * The read-only view of one TCP segment that the TCP tracker consumes. `DecodedPacket` satisfies it structurally, so
 * the demultiplexer passes the reused packet itself: no copy, no allocation, and tcp/ imports nothing outside tcp/.
 */
export interface TcpSegmentView {
  /** Flags byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80. */
  readonly tcpFlags: number;
  /** Sequence and acknowledgement numbers, unsigned 32-bit. */
  readonly seq: number;
  readonly ack: number;
  /** Window field as sent (unscaled). */
  readonly window: number;
  /** Payload length in bytes as the headers state it. */
  readonly payloadLen: number;
  /** Payload bytes actually captured (snap length may cut them). */
  readonly payloadCaptured: number;
  /** Options: -1 / 0 when absent. */
  readonly optMss: number;
  readonly optWscale: number;
  readonly optSackPerm: number;
  readonly optSack: number;
  readonly optTs: number;
  readonly tsVal: number;
  readonly tsEcr: number;
}
