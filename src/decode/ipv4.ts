/** IPv4 header decoding (RFC 791 §3.1), options skipped by IHL, fragment fields filled. */
import { IPV4 } from './fields.js';
import type { DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';
import { decodeTransport } from './transport.js';

/**
 * Decodes the IPv4 header at `off` (captured bytes end at `end`) and then the transport header.
 *
 * - Fixed-header fields (TTL, protocol, addresses, fragment fields) are filled as soon as their 20 bytes were
 *   captured, even when the header then proves bad.
 * - `ipBytes` is the total length; total length 0 is TSO / Linux BIG TCP (the packet is larger than 64 KiB or was
 *   captured before segmentation, tcpdump's bigtcp-ipv4 and ipv4_tcp_http_xml_tso), and then the captured length
 *   counts. Bytes after the total length (Ethernet padding) are not payload.
 * - RFC 791: only the first fragment carries the upper-layer header; later fragments (offset > 0) return FRAGMENT
 *   with `proto` set, no ports, and `payload`/`payloadLen` covering the fragment's data.
 */
export function decodeIpv4(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  p.l3 = off;
  p.ipVersion = 4;
  if (end - off < IPV4.MIN_HEADER_LEN) return Status.TRUNCATED_IP;
  const b0 = view.getUint8(off + IPV4.VER_IHL);
  if (b0 >>> 4 !== 4) return Status.BAD_IP_VERSION;
  const ihl = (b0 & 0x0f) * 4;
  let total = view.getUint16(off + IPV4.TOTAL_LEN);
  const fragField = view.getUint16(off + IPV4.FLAGS_FRAG);
  const fragOffset = (fragField & IPV4.FRAG_MASK) * 8;
  const more = (fragField & IPV4.MF) !== 0 ? 1 : 0;
  p.ttl = view.getUint8(off + IPV4.TTL);
  p.proto = view.getUint8(off + IPV4.PROTOCOL);
  p.src4 = view.getUint32(off + IPV4.SRC);
  p.dst4 = view.getUint32(off + IPV4.DST);
  p.fragId = view.getUint16(off + IPV4.IDENT);
  p.fragOffset = fragOffset;
  p.moreFragments = more;
  p.isFragment = more | (fragOffset > 0 ? 1 : 0);
  if (total === 0) total = end - off; // TSO / BIG TCP
  p.ipBytes = total;
  if (ihl < IPV4.MIN_HEADER_LEN || total < ihl) return Status.BAD_IP_HEADER;
  if (end - off < ihl) return Status.TRUNCATED_IP;
  const statedEnd = off + total;
  const capEnd = statedEnd < end ? statedEnd : end;
  const l4 = off + ihl;
  if (p.isFragment !== 0) {
    p.fragData = l4;
    p.fragNext = p.proto;
  }
  if (fragOffset > 0) {
    p.payload = l4;
    p.payloadLen = statedEnd - l4;
    p.payloadCaptured = capEnd - l4;
    return Status.FRAGMENT;
  }
  return decodeTransport(p, p.proto, l4, statedEnd, capEnd);
}
