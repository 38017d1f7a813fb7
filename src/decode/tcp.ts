/**
 * TCP header decoding (RFC 9293 §3.1) with a bounded option walk (MSS, window scale, SACK-permitted, SACK,
 * timestamps; RFC 9293 §3.2, RFC 7323, RFC 2018).
 */
import { TCP, TCP_OPT } from './fields.js';
import type { DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';

/**
 * Decodes the TCP header at `off`. `statedEnd` is where the IP header says the segment ends, `capEnd` where the
 * captured bytes end (`capEnd <= statedEnd`); both are exclusive offsets into `p.bytes`.
 *
 * Fills ports, seq/ack (unsigned 32-bit), flags, window, `tcpHeaderLen` (bytes), the options, `payload`,
 * `payloadLen` (stated segment length minus headers) and `payloadCaptured` (bytes of it actually captured).
 * Returns TRUNCATED_TCP when the capture ends inside the header (fields that were captured stay filled) and
 * BAD_TCP_HEADER when the data offset is < 5 or points past the stated segment.
 */
export function decodeTcp(p: DecodedPacket, off: number, statedEnd: number, capEnd: number): DecodeStatus {
  const view = p.view;
  p.l4 = off;
  if (capEnd - off >= 4) {
    p.srcPort = view.getUint16(off + TCP.SRC_PORT);
    p.dstPort = view.getUint16(off + TCP.DST_PORT);
  }
  if (capEnd - off < TCP.MIN_HEADER_LEN) return Status.TRUNCATED_TCP;
  p.seq = view.getUint32(off + TCP.SEQ);
  p.ack = view.getUint32(off + TCP.ACK);
  p.tcpFlags = view.getUint8(off + TCP.FLAGS);
  p.window = view.getUint16(off + TCP.WINDOW);
  const hdrLen = (view.getUint8(off + TCP.DATA_OFFSET) >>> 4) * 4;
  p.tcpHeaderLen = hdrLen;
  if (hdrLen < TCP.MIN_HEADER_LEN || hdrLen > statedEnd - off) return Status.BAD_TCP_HEADER;
  // Options the capture cut are parsed as far as they go; the header as a whole is then truncated.
  const optEnd = off + hdrLen < capEnd ? off + hdrLen : capEnd;
  parseTcpOptions(p, off + TCP.MIN_HEADER_LEN, optEnd);
  if (capEnd - off < hdrLen) return Status.TRUNCATED_TCP;
  const payload = off + hdrLen;
  p.payload = payload;
  p.payloadLen = statedEnd - payload;
  p.payloadCaptured = capEnd - payload;
  return Status.OK;
}

/** The first word of NOP, NOP, then a timestamps option's kind and length. */
const NOP_NOP_TIMESTAMPS = (TCP_OPT.NOP << 24) | (TCP_OPT.NOP << 16) | (TCP_OPT.TIMESTAMPS << 8) | TCP_OPT.TIMESTAMPS_LEN;

/**
 * Walks the TCP options in `[pos, end)`. Stops at EOL, at a length < 2 or one that runs past `end` (malformed),
 * so the loop always advances and ends. Options with an unexpected length are skipped, not trusted.
 */
export function parseTcpOptions(p: DecodedPacket, pos: number, end: number): void {
  const view = p.view;
  if (end - pos === 12 && view.getUint32(pos) === NOP_NOP_TIMESTAMPS) {
    // NOP, NOP, timestamps: the options of most segments of a connection that negotiated timestamps (Linux, the BSDs,
    // macOS), read at once; the walk below gives the same.
    p.optTs = 1;
    p.tsVal = view.getUint32(pos + 4);
    p.tsEcr = view.getUint32(pos + 8);
    return;
  }
  OPTIONS: while (pos < end) {
    const kind = view.getUint8(pos);
    switch (kind) {
      case TCP_OPT.EOL:
        break OPTIONS;
      case TCP_OPT.NOP:
        pos += 1;
        continue OPTIONS;
    }
    if (pos + 1 >= end) break;
    const len = view.getUint8(pos + 1);
    if (len < 2 || pos + len > end) break;
    switch (kind) {
      case TCP_OPT.MSS:
        if (len === TCP_OPT.MSS_LEN) p.optMss = view.getUint16(pos + 2);
        break;
      case TCP_OPT.WSCALE:
        if (len === TCP_OPT.WSCALE_LEN) p.optWscale = view.getUint8(pos + 2);
        break;
      case TCP_OPT.SACK_PERM:
        p.optSackPerm = 1;
        break;
      case TCP_OPT.SACK:
        p.optSack = 1;
        break;
      case TCP_OPT.TIMESTAMPS:
        if (len === TCP_OPT.TIMESTAMPS_LEN) {
          p.optTs = 1;
          p.tsVal = view.getUint32(pos + 2);
          p.tsEcr = view.getUint32(pos + 6);
        }
        break;
    }
    pos += len;
  }
}
