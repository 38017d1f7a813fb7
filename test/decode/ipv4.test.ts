import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { corpusPath, walkCapture } from '../helpers/capture-walk.js';
import { cat, decode, eth, ETH_TCP_SYN, hex, IPV4_UDP_DNS, patch } from '../helpers/decode-frames.js';
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';

// IP (ttl 1, id 7, options (RA)) 10.0.0.1.5000 > 224.0.0.22.5001: UDP, length 4
const WITH_OPTIONS = hex(`
  46 c0 00 24  00 07 00 00  01 11 00 00   // IHL 6 (24 bytes), tos 0xc0, tot 36, ttl 1, proto 17
  0a 00 00 01  e0 00 00 16                // 10.0.0.1 > 224.0.0.22
  94 04 00 00                             // option: router alert
  13 88 13 89  00 0c 00 00  aa bb cc dd   // UDP 5000 > 5001, len 12, 4 bytes payload
`);

// IP 10.0.0.2 > 10.0.0.1: udp (frag 0x4d2:1480@0+) -- first fragment, header plus 1472 bytes announced
const FIRST_FRAG = patch(IPV4_UDP_DNS, 4, 0x04, 5, 0xd2, 6, 0x20, 7, 0x00);
// IP 10.0.0.2 > 10.0.0.1: udp (frag 0x4d2:30@1480) -- later fragment at offset 185*8
const LATER_FRAG = patch(IPV4_UDP_DNS, 4, 0x04, 5, 0xd2, 6, 0x00, 7, 185);

describe('IPv4 deconstruct', () => {
  it('reads the fixed header of a TCP SYN', () => {
    const p = decode(ETH_TCP_SYN, LinkType.ETHERNET);
    expect([p.ipVersion, p.l3, p.ttl, p.proto, p.src4, p.dst4, p.ipBytes, p.fragId, p.isFragment, p.fragOffset, p.moreFragments, p.fragData])
      .toEqual([4, 14, 64, 6, 0xc0a80001, 0xc0a800c7, 60, 0x1c46, 0, 0, 0, -1]);
  });

  it('skips options by IHL', () => {
    const p = decode(WITH_OPTIONS, LinkType.RAW);
    expect([p.status, p.l4, p.srcPort, p.dstPort, p.payloadLen, p.ttl, p.ipBytes]).toEqual([Status.OK, 24, 5000, 5001, 4, 1, 36]);
  });

  it('first fragment: fragment fields set, transport header decoded', () => {
    const p = decode(FIRST_FRAG, LinkType.RAW);
    expect([p.status, p.isFragment, p.moreFragments, p.fragOffset, p.fragId, p.srcPort, p.dstPort]).toEqual([Status.OK, 1, 1, 0, 0x4d2, 53000, 53]);
    expect([p.fragData, p.fragNext]).toEqual([20, 17]); // where this fragment's data starts, for reassembly
  });

  it('later fragment: FRAGMENT, proto set, ports unset, payload is the fragment data', () => {
    const p = decode(LATER_FRAG, LinkType.RAW);
    expect([p.status, p.isFragment, p.moreFragments, p.fragOffset, p.proto, p.srcPort, p.dstPort, p.l4, p.udpLength])
      .toEqual([Status.FRAGMENT, 1, 0, 1480, 17, 0, 0, -1, 0]);
    expect([p.payload, p.payloadLen, p.ipBytes, p.fragData, p.fragNext]).toEqual([20, 30, 50, 20, 17]);
  });

  it('Ethernet padding after the total length is not payload (zeek tcp-http-ethernet-padding)', () => {
    const padded = cat(eth(0x0800), IPV4_UDP_DNS, new Uint8Array(10));
    const p = decode(padded, LinkType.ETHERNET);
    expect([p.status, p.ipBytes, p.payloadLen, p.payloadCaptured]).toEqual([Status.OK, 50, 22, 22]);
  });

  it('total length 0 (TSO / BIG TCP) takes the captured length', () => {
    const p = decode(patch(IPV4_UDP_DNS, 2, 0, 3, 0), LinkType.IPV4);
    expect([p.status, p.ipBytes, p.payloadLen]).toEqual([Status.OK, 50, 22]);
  });

  it('tcpdump/bigtcp-ipv4.pcap: total length 0, length from the capture', () => {
    // tcpdump -v: "IP (tos 0x0, ttl 64, id 12031, offset 0, flags [DF], proto TCP (6), length 80052 [was 0,
    //   presumed BIG TCP]) 10.25.132.13.35871 > 10.25.132.11.36425: Flags [P.], ... seq 4155358606:4155438606, ... length 80000"
    const { bytes, packets } = walkCapture(corpusPath('tcpdump/bigtcp-ipv4.pcap'));
    const pk = packets[0]!;
    const p = new DecodedPacket();
    decodeFrame(p, bytes, viewFor(bytes), pk.offset, pk.caplen, pk.linkType);
    expect([p.status, p.ipBytes, p.srcPort, p.dstPort, p.seq, p.payloadLen, p.payloadCaptured])
      .toEqual([Status.OK, 80052, 35871, 36425, 4155358606, 80000, 80000]);
  });
});

describe('IPv4 truncated', () => {
  it.each([0, 1, 19])('cut after %i IP bytes: TRUNCATED_IP', (n) => {
    const p = decode(IPV4_UDP_DNS, LinkType.IPV4, n);
    expect([p.status, p.l3, p.ipVersion, p.l4]).toEqual([Status.TRUNCATED_IP, 0, 4, -1]);
  });

  it('options cut by the capture: TRUNCATED_IP, fixed fields filled', () => {
    const p = decode(WITH_OPTIONS, LinkType.RAW, 22);
    expect([p.status, p.src4, p.dst4, p.proto, p.ttl]).toEqual([Status.TRUNCATED_IP, 0x0a000001, 0xe0000016, 17, 1]);
  });
});

describe('IPv4 impossible lengths', () => {
  it.each([0, 4])('IHL %i (< 5) is BAD_IP_HEADER, fixed fields still filled', (ihl) => {
    const p = decode(patch(IPV4_UDP_DNS, 0, 0x40 | ihl), LinkType.IPV4);
    expect([p.status, p.src4, p.proto, p.srcPort]).toEqual([Status.BAD_IP_HEADER, 0x0a000002, 17, 0]);
  });

  it('total length < IHL is BAD_IP_HEADER', () => {
    const p = decode(patch(IPV4_UDP_DNS, 3, 19), LinkType.IPV4);
    expect([p.status, p.ipBytes]).toEqual([Status.BAD_IP_HEADER, 19]);
  });

  it('version 6 under EtherType 0x0800 / LINKTYPE_IPV4 is BAD_IP_VERSION', () => {
    expect(decode(patch(IPV4_UDP_DNS, 0, 0x65), LinkType.IPV4).status).toBe(Status.BAD_IP_VERSION);
    expect(decode(cat(eth(0x0800), patch(IPV4_UDP_DNS, 0, 0x65)), LinkType.ETHERNET).status).toBe(Status.BAD_IP_VERSION);
  });
});
