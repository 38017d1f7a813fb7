import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { formatIpv6 } from '../../src/decode/address.js';
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { corpusPath, walkCapture } from '../helpers/capture-walk.js';
import { cat, decode, hex, IPV6_TCP_DATA, patch } from '../helpers/decode-frames.js';

const SRC_DST = `
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   // 2001:db8::1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   // 2001:db8::2
`;

// IP6 2001:db8::1 > 2001:db8::2: HBH (padn) DSTOPT (padn) frag (0x0000abcd:0|8) 1000 > 53: UDP, length 0
const EXT_CHAIN = hex(`
  60 00 00 00  00 20 00 40  ${SRC_DST}    // payload length 32, next HBH
  3c 00 01 04 00 00 00 00                 // HBH: next DSTOPT(60), len 0 (8 bytes), PadN 4
  2c 00 01 04 00 00 00 00                 // DSTOPT: next FRAG(44), len 0, PadN 4
  11 00 00 01 00 00 ab cd                 // FRAG: next UDP, offset 0, M=1, id 0xabcd
  03 e8 00 35 00 08 00 00                 // UDP 1000 > 53, length 8
`);
// IP6 2001:db8::1 > 2001:db8::2: frag (0x0000abcd:8|8) -- offset 8, last
const LATER_FRAG = hex(`
  60 00 00 00  00 10 2c 40  ${SRC_DST}
  11 00 00 08 00 00 ab cd                 // FRAG: next UDP, offset 1 (8 bytes), M=0
  01 02 03 04 05 06 07 08
`);
// IP6 2001:db8::1 > 2001:db8::2: AH(length 4, spi 0x100, seq 1) 1000 > 53: UDP, length 8
const AH = hex(`
  60 00 00 00  00 20 33 40  ${SRC_DST}    // payload length 32, next AH(51)
  11 04 00 00  00 00 01 00  00 00 00 01   // AH: next UDP, len 4 -> (4+2)*4 = 24 bytes, spi, seq
  00 00 00 00  00 00 00 00  00 00 00 00   // ICV
  03 e8 00 35  00 08 00 00
`);

describe('IPv6 deconstruct', () => {
  it('reads the fixed header and a TCP segment', () => {
    const p = decode(IPV6_TCP_DATA, LinkType.IPV6);
    expect([p.status, p.ipVersion, p.l3, p.ttl, p.proto, p.ipBytes, [...p.src6], [...p.dst6], p.src4, p.dst4])
      .toEqual([Status.OK, 6, 0, 64, 6, 64, [0x20010db8, 0, 0, 1], [0x20010db8, 0, 0, 2], 0, 0]);
    expect([p.l4, p.srcPort, p.dstPort, p.seq, p.ack, p.tcpFlags, p.payload, p.payloadLen]).toEqual([40, 443, 40000, 1000, 2000, 0x18, 60, 4]);
  });

  it('walks hop-by-hop, destination options and a first fragment to UDP', () => {
    const p = decode(EXT_CHAIN, LinkType.IPV6);
    expect([p.status, p.proto, p.l4, p.srcPort, p.dstPort, p.udpLength]).toEqual([Status.OK, 17, 64, 1000, 53, 8]);
    expect([p.isFragment, p.moreFragments, p.fragOffset, p.fragId, p.ipBytes, p.fragData, p.fragNext]).toEqual([1, 1, 0, 0xabcd, 72, 64, 17]);
  });

  it('a later fragment is FRAGMENT with the upper protocol and no ports', () => {
    const p = decode(LATER_FRAG, LinkType.IPV6);
    expect([p.status, p.proto, p.srcPort, p.isFragment, p.moreFragments, p.fragOffset, p.payload, p.payloadLen])
      .toEqual([Status.FRAGMENT, 17, 0, 1, 0, 8, 48, 8]);
    expect([p.fragData, p.fragNext]).toEqual([48, 17]);
  });

  it('an atomic fragment (offset 0, M 0) is a whole datagram', () => {
    const p = decode(patch(EXT_CHAIN, 59, 0), LinkType.IPV6);
    expect([p.status, p.isFragment, p.srcPort, p.fragData]).toEqual([Status.OK, 0, 1000, -1]);
  });

  it('AH length is in 4-byte units plus 2', () => {
    const p = decode(AH, LinkType.IPV6);
    expect([p.status, p.proto, p.l4, p.srcPort]).toEqual([Status.OK, 17, 64, 1000]);
  });

  it('No Next Header (59) ends the chain: OK, ports 0', () => {
    const p = decode(patch(EXT_CHAIN, 40, 59), LinkType.IPV6);
    expect([p.status, p.proto, p.srcPort, p.l4]).toEqual([Status.OK, 59, 0, 48]);
  });

  it('tcpdump/ipv6_jumbogram_1.pcap: jumbo payload option gives ipBytes = 65536 + 40', () => {
    // tcpdump: "(hlim 227, next-header HBH (0), payload length 0) 2200::244:212:3fff:feae:22f7 > 2200::240:2:0:0:4:
    //   HBH (jumbo: 65536)  [icmp6 sum ok] ICMP6, echo request, id 4576, seq 51486"
    const p = decodeCorpus('tcpdump/ipv6_jumbogram_1.pcap');
    expect([p.status, p.ipBytes, p.proto, p.srcPort, p.dstPort, p.ttl]).toEqual([Status.OK, 65576, 58, 128, 129, 227]);
    expect([formatIpv6(p.src6), formatIpv6(p.dst6)]).toEqual(['2200::244:212:3fff:feae:22f7', '2200::240:2:0:0:4']);
  });

  it('tcpdump/bigtcp-ipv6.pcap: payload length 0 without jumbo option takes the captured length', () => {
    // tcpdump: "payload length 0) [real length 80040, presumed BIG TCP] 2604:1380:4091:ce00::b.43267 >
    //   2604:1380:4091:ce00::d.41219: Flags [P.], ... seq 2265425561:2265505529, ..., length 79968"
    const p = decodeCorpus('tcpdump/bigtcp-ipv6.pcap');
    expect([p.status, p.ipBytes, p.srcPort, p.dstPort, p.seq, p.payloadLen]).toEqual([Status.OK, 80040, 43267, 41219, 2265425561, 79968]);
  });
});

function decodeCorpus(rel: string, n = 0): DecodedPacket {
  const { bytes, packets } = walkCapture(corpusPath(rel));
  const pk = packets[n]!;
  const p = new DecodedPacket();
  decodeFrame(p, bytes, viewFor(bytes), pk.offset, pk.caplen, pk.linkType);
  return p;
}

describe('IPv6 truncated', () => {
  it.each([0, 1, 39])('fixed header cut after %i bytes: TRUNCATED_IP', (n) => {
    expect(decode(EXT_CHAIN, LinkType.IPV6, n).status).toBe(Status.TRUNCATED_IP);
  });
  it.each([40, 41, 47, 48, 55, 56, 63])('extension chain cut at %i: TRUNCATED_IP, addresses filled', (n) => {
    const p = decode(EXT_CHAIN, LinkType.IPV6, n);
    expect([p.status, p.src6[3], p.dst6[3], p.srcPort]).toEqual([Status.TRUNCATED_IP, 1, 2, 0]);
  });
  it('UDP header cut: TRUNCATED_UDP after a complete chain', () => {
    expect(decode(EXT_CHAIN, LinkType.IPV6, 68).status).toBe(Status.TRUNCATED_UDP);
  });

  it('tcpdump/ip6_frag_asan.pcap (malformed fragment header) is a status, not a crash', () => {
    // tcpdump: "IP6 452:22:19:0:41a:e4ff:10ff:484d > 2243:80:1400:100:19:ffff:ffff:fffb: frag ( [|frag6]"
    const p = decodeCorpus('tcpdump/ip6_frag_asan.pcap');
    expect(p.status).toBe(Status.TRUNCATED_IP);
    expect([formatIpv6(p.src6), formatIpv6(p.dst6)]).toEqual(['452:22:19:0:41a:e4ff:10ff:484d', '2243:80:1400:100:19:ffff:ffff:fffb']);
  });
});

describe('IPv6 impossible lengths', () => {
  it('an extension header running past the stated payload length is BAD_IP_HEADER', () => {
    // HBH claims len 8 (72 bytes) inside a 32-byte payload
    expect(decode(patch(EXT_CHAIN, 41, 8), LinkType.IPV6).status).toBe(Status.BAD_IP_HEADER);
    // payload length 12: the destination options header (bytes 48..56) ends past it
    expect(decode(patch(EXT_CHAIN, 5, 12), LinkType.IPV6).status).toBe(Status.BAD_IP_HEADER);
  });
  it('a chain that loops through many headers still ends (each one consumes >= 8 bytes)', () => {
    const many = cat(hex(`60 00 00 00  03 20 3c 40 ${SRC_DST}`), ...Array.from({ length: 100 }, () => hex('3c 00 01 04 00 00 00 00')));
    const p = decode(many, LinkType.IPV6);
    expect(p.status).toBe(Status.BAD_IP_HEADER);
  });
  it('version 4 under LINKTYPE_IPV6 is BAD_IP_VERSION (tcpdump/LINKTYPE_IPV6_invalid.pcap)', () => {
    expect(decodeCorpus('tcpdump/LINKTYPE_IPV6_invalid.pcap').status).toBe(Status.BAD_IP_VERSION);
    expect(decode(patch(IPV6_TCP_DATA, 0, 0x45), LinkType.IPV6).status).toBe(Status.BAD_IP_VERSION);
  });
});
