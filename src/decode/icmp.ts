/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) headers, keyed the way Zeek keys them (`ICMP4_counterpart` /
 * `ICMP6_counterpart` in zeek/src/packet_analysis/protocol/icmp/ICMP.cc): the source "port" is the type; the
 * destination "port" is the counterpart type for request/reply pairs, otherwise the code, and then the message is
 * one-way.
 */
import { ICMP } from './fields.js';
import { IpProto, type DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';

/**
 * ICMPv4 counterpart type for `type`, or -1 when it has none (Zeek: echo 8/0, timestamp 13/14, information 15/16,
 * router solicitation 10 / advertisement 9, address mask 17/18).
 */
export function icmp4Counterpart(type: number): number {
  switch (type) {
    case 8: return 0;
    case 0: return 8;
    case 13: return 14;
    case 14: return 13;
    case 15: return 16;
    case 16: return 15;
    case 10: return 9;
    case 9: return 10;
    case 17: return 18;
    case 18: return 17;
    default: return -1;
  }
}

/**
 * ICMPv6 counterpart type for `type`, or -1 (Zeek: echo 128/129, router solicit/advert 133/134, neighbor
 * solicit/advert 135/136, MLD query/report 130/131, node information 139/140, home agent address discovery 144/145).
 */
export function icmp6Counterpart(type: number): number {
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 130: return 131;
    case 131: return 130;
    case 139: return 140;
    case 140: return 139;
    case 144: return 145;
    case 145: return 144;
    default: return -1;
  }
}

/**
 * Decodes an ICMP (`proto` 1) or ICMPv6 (`proto` 58) header at `off`. Sets `icmpType`, `icmpCode`, Zeek's ports
 * and `icmpOneWay`; `payload` starts after the 8-byte common header and `payloadLen` is the IP payload minus 8, the
 * quantity Zeek counts in orig_bytes. Zeek requires the 8-byte header (ICMP_MINLEN) before it keys a connection, so
 * a shorter capture is TRUNCATED_ICMP, with type, code and ports filled when their 2 bytes were captured.
 */
export function decodeIcmp(p: DecodedPacket, proto: number, off: number, statedEnd: number, capEnd: number): DecodeStatus {
  p.l4 = off;
  if (capEnd - off >= 2) {
    const type = p.view.getUint8(off + ICMP.TYPE);
    const code = p.view.getUint8(off + ICMP.CODE);
    const counterpart = proto === IpProto.ICMPV6 ? icmp6Counterpart(type) : icmp4Counterpart(type);
    p.icmpType = type;
    p.icmpCode = code;
    p.srcPort = type;
    p.dstPort = counterpart < 0 ? code : counterpart;
    p.icmpOneWay = counterpart < 0 ? 1 : 0;
  }
  if (capEnd - off < ICMP.HEADER_LEN || statedEnd - off < ICMP.HEADER_LEN) return Status.TRUNCATED_ICMP;
  const payload = off + ICMP.HEADER_LEN;
  p.payload = payload;
  p.payloadLen = statedEnd - payload;
  p.payloadCaptured = capEnd - payload;
  return Status.OK;
}
