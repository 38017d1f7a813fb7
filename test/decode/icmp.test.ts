import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { icmp4Counterpart, icmp6Counterpart } from '../../src/decode/icmp.js';
import { decode, hex, patch } from '../helpers/decode-frames.js';

// IP 192.168.1.10 > 8.8.8.8: ICMP echo request, id 7, seq 1, length 12
const ECHO = hex(`
  45 00 00 20  00 02 00 00  40 01 00 00  c0 a8 01 0a  08 08 08 08   // tot 32, proto 1
  08 00 00 00  00 07 00 01                                          // type 8 code 0, id 7 seq 1
  61 62 63 64                                                       // "abcd"
`);

// IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24
const NS = hex(`
  60 00 00 00  00 18 3a ff
  fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01
  ff 02 00 00 00 00 00 00 00 00 00 01 ff 00 00 02
  87 00 00 00  00 00 00 00                                          // type 135 code 0, reserved
  fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02                   // target fe80::2
`);

describe('ICMP deconstruct (Zeek keying)', () => {
  it('echo request: srcPort = 8, dstPort = 0 (the echo reply type), two-way', () => {
    const p = decode(ECHO, LinkType.IPV4);
    expect([p.status, p.proto, p.icmpType, p.icmpCode, p.srcPort, p.dstPort, p.icmpOneWay]).toEqual([Status.OK, 1, 8, 0, 8, 0, 0]);
    // Zeek's ICMP orig_bytes: IP payload minus the 8-byte header
    expect([p.l4, p.payload, p.payloadLen, p.payloadCaptured, p.ipBytes]).toEqual([20, 28, 4, 4, 32]);
  });

  it('echo reply keys to the same tuple reversed: srcPort = 0, dstPort = 8', () => {
    const p = decode(patch(ECHO, 20, 0), LinkType.IPV4);
    expect([p.srcPort, p.dstPort, p.icmpOneWay]).toEqual([0, 8, 0]);
  });

  it('destination unreachable (type 3, code 3) is one-way: dstPort = code', () => {
    const p = decode(patch(ECHO, 20, 3, 21, 3), LinkType.IPV4);
    expect([p.srcPort, p.dstPort, p.icmpOneWay, p.icmpType, p.icmpCode]).toEqual([3, 3, 1, 3, 3]);
  });

  it('ICMPv6 neighbor solicitation: srcPort 135, dstPort 136', () => {
    const p = decode(NS, LinkType.IPV6);
    expect([p.status, p.proto, p.srcPort, p.dstPort, p.icmpOneWay, p.ttl, p.payloadLen]).toEqual([Status.OK, 58, 135, 136, 0, 255, 16]);
  });

  it('ICMPv6 uses the v6 table: type 8 there has no counterpart (dstPort = code)', () => {
    const p = decode(patch(NS, 40, 8, 41, 5), LinkType.IPV6);
    expect([p.srcPort, p.dstPort, p.icmpOneWay]).toEqual([8, 5, 1]);
  });
});

describe('ICMP counterparts (zeek ICMP4_counterpart / ICMP6_counterpart)', () => {
  it.each([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [17, 18], [18, 17], [10, 9], [9, 10], [3, -1], [11, -1], [5, -1]])(
    'ICMPv4 %i -> %i', (t, c) => expect(icmp4Counterpart(t)).toBe(c));
  it.each([[128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135], [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144], [1, -1], [143, -1], [132, -1]])(
    'ICMPv6 %i -> %i', (t, c) => expect(icmp6Counterpart(t)).toBe(c));
});

describe('ICMP truncated', () => {
  it.each([
    [0, -1, 0],
    [1, -1, 0],
    [2, 8, 8],
    [7, 8, 8],
  ])('cut after %i ICMP bytes: TRUNCATED_ICMP, type %i', (n, type, sport) => {
    const p = decode(ECHO, LinkType.IPV4, 20 + n);
    expect([p.status, p.icmpType, p.srcPort, p.src4]).toEqual([Status.TRUNCATED_ICMP, type, sport, 0xc0a8010a]);
  });

  it('an IP length leaving fewer than 8 ICMP bytes is TRUNCATED_ICMP', () => {
    const p = decode(patch(ECHO, 3, 26), LinkType.IPV4);
    expect(p.status).toBe(Status.TRUNCATED_ICMP);
  });
});
