/**
 * Internet checksums (RFC 1071) of a decoded packet: the IPv4 header checksum and the TCP, UDP, ICMP and ICMPv6
 * checksums with their pseudo-headers (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1). Only used when the user asks for
 * verification (`--verify-checksums`, Zeek's default): captures made on the sending host often hold packets whose
 * checksums the NIC fills in later (offload), which are real traffic and must be counted.
 */
import type { DecodedPacket } from './packet.js';
import { IpProto } from './packet.js';

/** One's-complement sum of the 16-bit big-endian words of bytes[from, to), added to `sum` (not folded). */
function sum16(bytes: Uint8Array, from: number, to: number, sum: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!; // i + 1 < to <= bytes.length
  if (i < to) sum += bytes[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Whether `p`'s IPv4 header checksum is right (true for IPv6, which has none, and for uncaptured headers). */
export function ipv4HeaderChecksumOk(p: DecodedPacket): boolean {
  if (p.ipVersion !== 4 || p.l3 < 0) return true;
  const ihl = (p.bytes[p.l3]! & 0x0f) * 4;
  if (p.l3 + ihl > p.end) return true;
  return fold(sum16(p.bytes, p.l3, p.l3 + ihl, 0)) === 0xffff;
}

/**
 * Whether the transport checksum of `p` (TCP, UDP, ICMP, ICMPv6) is right. True when it cannot be checked: the
 * segment was not captured whole, it is a UDP datagram over IPv4 without a checksum (0), or another protocol.
 */
export function transportChecksumOk(p: DecodedPacket): boolean {
  const proto = p.proto;
  if (p.l4 < 0 || (proto !== IpProto.TCP && proto !== IpProto.UDP && proto !== IpProto.ICMP && proto !== IpProto.ICMPV6)) {
    return true;
  }
  const bytes = p.bytes;
  const segLen = p.l3 + p.ipBytes - p.l4;
  const segEnd = p.l4 + segLen;
  if (segLen < 4 || segEnd > p.end) return true;
  if (proto === IpProto.UDP && p.ipVersion === 4 && bytes[p.l4 + 6] === 0 && bytes[p.l4 + 7] === 0) return true;
  let sum = 0;
  if (proto !== IpProto.ICMP) {
    // Pseudo-header: addresses, protocol, segment length.
    if (p.ipVersion === 4) sum = sum16(bytes, p.l3 + 12, p.l3 + 20, 0);
    else sum = sum16(bytes, p.l3 + 8, p.l3 + 40, 0);
    sum += proto + (segLen & 0xffff) + Math.floor(segLen / 0x10000);
  }
  return fold(sum16(bytes, p.l4, segEnd, sum)) === 0xffff;
}
