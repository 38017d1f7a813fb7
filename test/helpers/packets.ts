/** Decoded IPv4 packets built by hand, for flow-table and demultiplexer tests that need no bytes. */
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';

/** A UDP packet from `src:sport` to `dst:dport` (IPv4 addresses as unsigned numbers) of `ipBytes` IP bytes. */
export function udpPacket(src: number, sport: number, dst: number, dport: number, ipBytes = 28): DecodedPacket {
  const p = new DecodedPacket();
  p.ipVersion = 4;
  p.proto = IpProto.UDP;
  p.src4 = src;
  p.dst4 = dst;
  p.srcPort = sport;
  p.dstPort = dport;
  p.ipBytes = ipBytes;
  return p;
}

/** A TCP packet from `src:sport` to `dst:dport` (IPv4) with `flags`, sequence and acknowledgement numbers. */
export function tcpPacket(src: number, sport: number, dst: number, dport: number, flags: number, seq: number, ack: number): DecodedPacket {
  const p = udpPacket(src, sport, dst, dport, 40);
  p.proto = IpProto.TCP;
  p.tcpFlags = flags;
  p.seq = seq;
  p.ack = ack;
  p.window = 1000;
  return p;
}
