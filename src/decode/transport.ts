/** Dispatch from an IP header to the transport decoders, and tunnel marking. */
import { decodeIcmp } from './icmp.js';
import { IpProto, type DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';
import { decodeTcp } from './tcp.js';
import { markIpTunnel, markUdpTunnel } from './tunnel.js';
import { decodeUdp } from './udp.js';

/**
 * Decodes the upper-layer header `proto` at `off`. `statedEnd` is where the IP datagram ends as its header states
 * it, `capEnd = min(statedEnd, captured end)`. Protocols without ports (including SCTP, ESP, No Next Header, GRE,
 * IP-in-IP, L2TPv3, MPLS-in-IP) return OK with ports 0 and `payload`/`payloadLen` covering the IP payload. Tunnels are marked only for
 * unfragmented datagrams, since a fragment holds only part of the inner packet.
 */
export function decodeTransport(p: DecodedPacket, proto: number, off: number, statedEnd: number, capEnd: number): DecodeStatus {
  p.proto = proto;
  switch (proto) {
    case IpProto.TCP:
      return decodeTcp(p, off, statedEnd, capEnd);
    case IpProto.UDP: {
      const status = decodeUdp(p, off, statedEnd, capEnd);
      if (status === Status.OK && p.isFragment === 0) {
        const udpEnd = p.payload + p.payloadCaptured;
        markUdpTunnel(p, udpEnd);
      }
      return status;
    }
    case IpProto.ICMP:
    case IpProto.ICMPV6:
      return decodeIcmp(p, proto, off, statedEnd, capEnd);
  }
  p.l4 = off;
  p.payload = off;
  p.payloadLen = statedEnd - off;
  p.payloadCaptured = capEnd - off;
  if (p.isFragment === 0) markIpTunnel(p, proto, off, capEnd);
  return Status.OK;
}
