/** UDP header decoding (RFC 768). */
import { UDP } from './fields.js';
import type { DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';

/**
 * Decodes the UDP header at `off` (`statedEnd`: end of the datagram as IP states it; `capEnd`: end of the captured
 * bytes, `capEnd <= statedEnd`). Fills ports, `udpLength` (the length field as sent), `payload`, `payloadLen`
 * (length field - 8, bounded by what the IP length allows, so a lying length field never reaches past the datagram:
 * tcpdump's udp-length-heapoverflow case) and `payloadCaptured`. TRUNCATED_UDP when the 8 header bytes were not
 * captured; BAD_UDP_LENGTH when the length field is < 8 (ports stay filled).
 */
export function decodeUdp(p: DecodedPacket, off: number, statedEnd: number, capEnd: number): DecodeStatus {
  const view = p.view;
  p.l4 = off;
  if (capEnd - off >= 4) {
    p.srcPort = view.getUint16(off + UDP.SRC_PORT);
    p.dstPort = view.getUint16(off + UDP.DST_PORT);
  }
  if (capEnd - off < UDP.HEADER_LEN) return Status.TRUNCATED_UDP;
  const len = view.getUint16(off + UDP.LENGTH);
  p.udpLength = len;
  if (len < UDP.HEADER_LEN) return Status.BAD_UDP_LENGTH;
  const payload = off + UDP.HEADER_LEN;
  const stated = statedEnd - payload;
  const payloadLen = len - UDP.HEADER_LEN < stated ? len - UDP.HEADER_LEN : stated;
  p.payload = payload;
  p.payloadLen = payloadLen;
  p.payloadCaptured = capEnd - payload < payloadLen ? capEnd - payload : payloadLen;
  return Status.OK;
}
