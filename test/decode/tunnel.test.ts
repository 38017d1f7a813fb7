import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { decodeFrame, INNER_RAW_IP, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { cat, decode, eth, hex, IPV4_UDP_DNS, IPV6_TCP_DATA, patch } from '../helpers/decode-frames.js';

/** Outer IPv4 header 192.0.2.1 > 192.0.2.2 with protocol `proto`, total length = 20 + inner length. */
function outerIp(proto: number, innerLen: number, flagsFrag = 0): Uint8Array {
  const total = 20 + innerLen;
  return cat(Uint8Array.of(0x45, 0, total >> 8, total & 0xff, 0, 9, flagsFrag >> 8, flagsFrag & 0xff, 64, proto, 0, 0), hex('c0 00 02 01 c0 00 02 02'));
}
/** Outer IPv4 + UDP sport > dport around `payload`. */
function outerUdp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const len = 8 + payload.length;
  return cat(outerIp(17, len), Uint8Array.of(sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0), payload);
}
const INNER_ETH = cat(eth(0x0800), IPV4_UDP_DNS);

/** Decodes the outer frame, then the inner one the way the demultiplexer will. */
function decodeBoth(bytes: Uint8Array, linkType: number = LinkType.IPV4): [DecodedPacket, DecodedPacket] {
  const outer = decode(bytes, linkType);
  const inner = new DecodedPacket();
  if (outer.innerOffset >= 0) decodeFrame(inner, bytes, viewFor(bytes), outer.innerOffset, outer.end - outer.innerOffset, outer.innerLinkType);
  return [outer, inner];
}

function expectInnerDns(inner: DecodedPacket): void {
  expect([inner.status, inner.src4, inner.dst4, inner.srcPort, inner.dstPort]).toEqual([Status.OK, 0x0a000002, 0x0a000001, 53000, 53]);
}

describe('UDP tunnels', () => {
  // VXLAN: flags 08 (I), reserved, VNI 42, reserved; then inner Ethernet
  it('VXLAN (dst port 4789) -> inner Ethernet', () => {
    const [outer, inner] = decodeBoth(outerUdp(50000, 4789, cat(hex('08 00 00 00 00 00 2a 00'), INNER_ETH)));
    expect([outer.status, outer.dstPort, outer.innerOffset, outer.innerLinkType]).toEqual([Status.OK, 4789, 36, LinkType.ETHERNET]);
    expectInnerDns(inner);
  });
  it('VXLAN reply (source port 4789) is marked too, but not a query from port 4789 to DNS', () => {
    const [outer] = decodeBoth(outerUdp(4789, 50000, cat(hex('08 00 00 00 00 00 2a 00'), INNER_ETH)));
    expect(outer.innerOffset).toBe(36);
    expect(decodeBoth(outerUdp(4789, 53, cat(hex('08 00 00 00 00 00 2a 00'), INNER_ETH)))[0].innerOffset).toBe(-1);
  });
  it('VXLAN without the I flag is not marked', () => {
    expect(decodeBoth(outerUdp(50000, 4789, cat(hex('00 00 00 00 00 00 2a 00'), INNER_ETH)))[0].innerOffset).toBe(-1);
  });

  // Geneve: ver 0, opt len 2 (8 bytes), flags, protocol 0x6558, VNI; one 8-byte option; inner Ethernet
  it('Geneve with options -> inner Ethernet; protocol 0x0800 -> raw IP', () => {
    const geneve = hex('02 00 65 58 00 00 2a 00  01 02 03 01 00 00 00 00');
    let [outer, inner] = decodeBoth(outerUdp(50000, 6081, cat(geneve, INNER_ETH)));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([44, LinkType.ETHERNET]);
    expectInnerDns(inner);
    [outer, inner] = decodeBoth(outerUdp(50000, 6081, cat(patch(geneve, 2, 0x08, 3, 0x00), IPV4_UDP_DNS)));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([44, INNER_RAW_IP]);
    expectInnerDns(inner);
  });

  // GTPv1-U: flags 0x34 (v1, PT, E), G-PDU, length, TEID; seq, N-PDU, next ext 0x85 (PDU session container, 1 unit)
  it('GTP-U with an extension header -> inner IP', () => {
    const gtp = hex('34 ff 00 3a 00 00 00 01  00 00 00 85  01 10 01 00');
    const [outer, inner] = decodeBoth(outerUdp(2152, 2152, cat(gtp, IPV4_UDP_DNS)));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([44, INNER_RAW_IP]);
    expectInnerDns(inner);
  });
  it('GTP-U echo request (message type 1) is not a tunnel', () => {
    const [outer] = decodeBoth(outerUdp(2152, 2152, hex('32 01 00 04 00 00 00 00 00 01 00 00')));
    expect([outer.status, outer.innerOffset]).toEqual([Status.OK, -1]);
  });

  // Teredo: origin indication (00 00, port, address), then IPv6
  it('Teredo with an origin indication -> IPv6', () => {
    const [outer, inner] = decodeBoth(outerUdp(3544, 50000, cat(hex('00 00 c3 50 3f ff fd fe'), IPV6_TCP_DATA)));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([36, LinkType.IPV6]);
    expect([inner.status, inner.ipVersion, inner.srcPort]).toEqual([Status.OK, 6, 443]);
  });
  it('Teredo payload that is not IPv6 (or whose length does not fit) is not marked', () => {
    expect(decodeBoth(outerUdp(3544, 50000, IPV4_UDP_DNS))[0].innerOffset).toBe(-1);
    expect(decodeBoth(outerUdp(3544, 50000, patch(IPV6_TCP_DATA, 5, 0x30)))[0].innerOffset).toBe(-1);
  });

  // L2TPv2 data message: flags 0x0002 (no length/seq/offset), tunnel 1, session 2; PPP FF 03 0021
  it('L2TPv2 data -> PPP', () => {
    const [outer, inner] = decodeBoth(outerUdp(1701, 1701, cat(hex('00 02 00 01 00 02  ff 03 00 21'), IPV4_UDP_DNS)));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([34, LinkType.PPP]);
    expectInnerDns(inner);
  });

  it('a truncated inner packet is the inner packet\'s status; the outer stays OK', () => {
    const bytes = outerUdp(50000, 4789, cat(hex('08 00 00 00 00 00 2a 00'), INNER_ETH));
    const [outer, inner] = decodeBoth(bytes.subarray(0, 36 + 20));
    expect([outer.status, outer.innerOffset, inner.status]).toEqual([Status.OK, 36, Status.TRUNCATED_IP]);
  });
});

describe('GRE and IP-in-IP', () => {
  it('GRE with key and sequence -> IPv4', () => {
    const gre = hex('30 00 08 00  00 00 00 07  00 00 00 01'); // K S, proto IPv4, key 7, seq 1
    const [outer, inner] = decodeBoth(cat(outerIp(47, gre.length + IPV4_UDP_DNS.length), gre, IPV4_UDP_DNS));
    expect([outer.status, outer.proto, outer.srcPort, outer.innerOffset, outer.innerLinkType]).toEqual([Status.OK, 47, 0, 32, INNER_RAW_IP]);
    expectInnerDns(inner);
  });
  it('GRE with checksum, transparent Ethernet bridging -> Ethernet', () => {
    const gre = hex('80 00 65 58  00 00 00 00');
    const [outer, inner] = decodeBoth(cat(outerIp(47, gre.length + INNER_ETH.length), gre, INNER_ETH));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([28, LinkType.ETHERNET]);
    expectInnerDns(inner);
  });
  it('GRE ERSPAN type II (sequence flag) skips the 8-byte ERSPAN header', () => {
    const gre = hex('10 00 88 be  00 00 00 05   10 01 00 64 00 00 00 00');
    const [outer, inner] = decodeBoth(cat(outerIp(47, gre.length + INNER_ETH.length), gre, INNER_ETH));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([36, LinkType.ETHERNET]);
    expectInnerDns(inner);
  });
  it('GRE version 1 (PPTP) with key and ack -> PPP', () => {
    const gre = hex('20 81 88 0b  00 0e 00 01  00 00 00 03  ff 03 00 21');
    const [outer, inner] = decodeBoth(cat(outerIp(47, gre.length + IPV4_UDP_DNS.length), gre, IPV4_UDP_DNS));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([32, LinkType.PPP]);
    expectInnerDns(inner);
  });
  it('GRE cut inside its header: outer OK, nothing marked', () => {
    const gre = hex('30 00 08 00');
    const [outer] = decodeBoth(cat(outerIp(47, 40), gre), LinkType.IPV4);
    expect([outer.status, outer.innerOffset]).toEqual([Status.OK, -1]);
  });
  it('IP-in-IP (4) and IPv6-in-IPv4 (41) -> inner raw IP of that version', () => {
    let [outer, inner] = decodeBoth(cat(outerIp(4, IPV4_UDP_DNS.length), IPV4_UDP_DNS));
    expect([outer.innerOffset, outer.innerLinkType]).toEqual([20, LinkType.IPV4]);
    expectInnerDns(inner);
    [outer, inner] = decodeBoth(cat(outerIp(41, IPV6_TCP_DATA.length), IPV6_TCP_DATA));
    expect([outer.innerOffset, outer.innerLinkType, inner.status, inner.srcPort]).toEqual([20, LinkType.IPV6, Status.OK, 443]);
  });
  it('a fragmented outer datagram is not marked (the inner packet is incomplete)', () => {
    const [outer] = decodeBoth(cat(outerIp(4, IPV4_UDP_DNS.length, 0x2000), IPV4_UDP_DNS));
    expect([outer.status, outer.isFragment, outer.innerOffset]).toEqual([Status.OK, 1, -1]);
  });
});
