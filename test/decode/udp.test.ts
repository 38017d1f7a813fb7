import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { corpusPath, walkCapture } from '../helpers/capture-walk.js';
import { decode, ETH_UDP_DNS, patch } from '../helpers/decode-frames.js';
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';

const L4 = 34;

describe('UDP deconstruct', () => {
  it('reads ports, length and payload of a DNS query', () => {
    const p = decode(ETH_UDP_DNS, LinkType.ETHERNET);
    expect([p.status, p.proto, p.srcPort, p.dstPort, p.udpLength, p.l4, p.payload, p.payloadLen, p.payloadCaptured, p.ipBytes])
      .toEqual([Status.OK, 17, 53000, 53, 30, L4, L4 + 8, 22, 22, 50]);
    expect([p.tcpFlags, p.seq, p.tcpHeaderLen, p.innerOffset]).toEqual([0, 0, 0, -1]);
  });
});

describe('UDP truncated', () => {
  it.each([
    [0, Status.TRUNCATED_UDP, 0, 0],
    [4, Status.TRUNCATED_UDP, 53000, 0],
    [7, Status.TRUNCATED_UDP, 53000, 0],
    [8, Status.OK, 53000, 0],
    [20, Status.OK, 53000, 12],
  ])('cut after %i UDP bytes', (n, status, sport, captured) => {
    const p = decode(ETH_UDP_DNS, LinkType.ETHERNET, L4 + n);
    expect([p.status, p.srcPort, p.payloadLen === 22 || p.status !== Status.OK, p.payloadCaptured]).toEqual([status, sport, true, captured]);
  });
});

describe('UDP impossible lengths', () => {
  it.each([0, 7])('length field %i (< 8) is BAD_UDP_LENGTH', (len) => {
    const p = decode(patch(ETH_UDP_DNS, L4 + 5, len), LinkType.ETHERNET);
    expect([p.status, p.udpLength, p.dstPort, p.payload]).toEqual([Status.BAD_UDP_LENGTH, len, 53, -1]);
  });

  it('a length field larger than the IP datagram is bounded by the IP length', () => {
    const p = decode(patch(ETH_UDP_DNS, L4 + 4, 0x10, L4 + 5, 0x00), LinkType.ETHERNET); // 4096
    expect([p.status, p.udpLength, p.payloadLen, p.payloadCaptured]).toEqual([Status.OK, 4096, 22, 22]);
  });

  it('a length field smaller than the datagram wins (trailing bytes are not payload)', () => {
    const p = decode(patch(ETH_UDP_DNS, L4 + 5, 20), LinkType.ETHERNET);
    expect([p.status, p.payloadLen, p.payloadCaptured]).toEqual([Status.OK, 12, 12]);
  });

  it('tcpdump/udp-length-heapoverflow.pcap (IP length 12336, 38 bytes captured) is TRUNCATED_UDP, no crash', () => {
    // tcpdump: "IP (... proto UDP (17), length 12336 ...) 48.48.48.48.12336 > 48.48.48.48.12336: [|udp]"
    const { bytes, packets } = walkCapture(corpusPath('tcpdump/udp-length-heapoverflow.pcap'));
    const pk = packets[0]!;
    const p = new DecodedPacket();
    decodeFrame(p, bytes, viewFor(bytes), pk.offset, pk.caplen, pk.linkType);
    expect([p.status, p.ipBytes, p.src4, p.srcPort, p.dstPort]).toEqual([Status.TRUNCATED_UDP, 12336, 0x30303030, 12336, 12336]);
  });
});
