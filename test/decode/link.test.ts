import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { LINK } from '../../src/decode/fields.js';
import { cat, decode, eth, hex, IPV4_UDP_DNS, IPV6_TCP_DATA, patch } from '../helpers/decode-frames.js';

/** The DNS query of IPV4_UDP_DNS decoded after `header`: IP at header.length. */
function expectDns(bytes: Uint8Array, linkType: number, l3: number): void {
  const p = decode(bytes, linkType);
  expect([p.status, p.l3, p.ipVersion, p.src4, p.dst4, p.srcPort, p.dstPort, p.payloadLen]).toEqual([Status.OK, l3, 4, 0x0a000002, 0x0a000001, 53000, 53, 22]);
}

// ── Ethernet and what it carries ──────────────────────────────────────────────────────────────────────────────
describe('Ethernet', () => {
  it('plain EtherType 0x0800', () => expectDns(cat(eth(0x0800), IPV4_UDP_DNS), LinkType.ETHERNET, 14));
  it('EtherType 0x86dd', () => {
    const p = decode(cat(eth(0x86dd), IPV6_TCP_DATA), LinkType.ETHERNET);
    expect([p.status, p.l3, p.ipVersion, p.srcPort]).toEqual([Status.OK, 14, 6, 443]);
  });

  // ethertype 802.1Q-QinQ (0x88a8), vlan 200, ethertype 802.1Q (0x8100), vlan 2001, ethertype 0x9100, vlan 5, IPv4
  const QINQ = hex(`
    001122334455 66778899aabb 88a8
    00 c8 81 00   // vlan 200, next 0x8100
    07 d1 91 00   // vlan 2001, next 0x9100
    00 05 08 00   // vlan 5, next IPv4
  `);
  it('any stack of 802.1ad / 802.1Q / 0x9100 tags', () => expectDns(cat(QINQ, IPV4_UDP_DNS), LinkType.ETHERNET, 26));

  // MPLS (label 16, exp 0, [S], ttl 64) under 802.1Q: two labels, then IPv4
  const MPLS = hex(`
    001122334455 66778899aabb 8100
    00 0a 88 47               // vlan 10, next MPLS
    00 01 00 40               // label 16, not bottom
    00 01 11 40               // label 17, bottom of stack
  `);
  it('MPLS labels popped to the bottom of the stack, then the version nibble', () => {
    expectDns(cat(MPLS, IPV4_UDP_DNS), LinkType.ETHERNET, 26);
    const p = decode(cat(MPLS, IPV6_TCP_DATA), LinkType.ETHERNET);
    expect([p.status, p.ipVersion, p.l3]).toEqual([Status.OK, 6, 26]);
    // pseudowire control word (first nibble 0) is not IP
    expect(decode(cat(MPLS, hex('00 00 00 00'), IPV4_UDP_DNS), LinkType.ETHERNET).status).toBe(Status.NOT_IP);
    // labels without bottom-of-stack that run off the end
    expect(decode(patch(cat(MPLS, hex('00 01 00 40')), 24, 0x10), LinkType.ETHERNET, 26).status).toBe(Status.TRUNCATED_LINK);
  });

  // PPPoE session 0x1234, length 52 (2 PPP + 50 IP), PPP IPv4 (0x0021)
  const PPPOE = hex(`
    001122334455 66778899aabb 8864
    11 00 12 34 00 34         // ver 1 type 1, code 0 (session), session 0x1234, length 52
    00 21                     // PPP: IPv4
  `);
  it('PPPoE session with PPP IPv4 / IPv6; LCP is NOT_IP', () => {
    expectDns(cat(PPPOE, IPV4_UDP_DNS), LinkType.ETHERNET, 22);
    expect(decode(cat(patch(PPPOE, 19, 66, 21, 0x57), IPV6_TCP_DATA), LinkType.ETHERNET).status).toBe(Status.OK);
    // the PPPoE length bounds the packet: 52 bytes cut the 64-byte IPv6 packet inside TCP
    expect(decode(cat(patch(PPPOE, 21, 0x57), IPV6_TCP_DATA), LinkType.ETHERNET).status).toBe(Status.TRUNCATED_TCP);
    expect(decode(cat(patch(PPPOE, 20, 0xc0, 21, 0x21), IPV4_UDP_DNS), LinkType.ETHERNET).status).toBe(Status.NOT_IP);
  });

  // VN-Tag (0x8926): 4 bytes of tag, then EtherType
  it('VN-Tag', () => expectDns(cat(eth(0x8926), hex('80 01 00 02  08 00'), IPV4_UDP_DNS), LinkType.ETHERNET, 20));

  // PBB 802.1ah: I-tag (4 bytes), inner dst/src MACs, inner EtherType 802.1Q, vlan 3, IPv4
  it('PBB I-tag then inner Ethernet (with a tag)', () => {
    const pbb = cat(eth(0x88e7), hex('00 00 01 00  aabbccddeeff 112233445566  8100  00 03 08 00'));
    expectDns(cat(pbb, IPV4_UDP_DNS), LinkType.ETHERNET, 14 + 18 + 4);
  });

  // 802.3 length 60, LLC AA AA 03, OUI 000000, EtherType IPv4
  it('802.3 length field with LLC/SNAP', () => expectDns(cat(eth(60), hex('aa aa 03 00 00 00 08 00'), IPV4_UDP_DNS), LinkType.ETHERNET, 22));
  it('802.3 with plain LLC (spanning tree, SAP 0x42) is NOT_IP', () => {
    expect(decode(cat(eth(38), hex('42 42 03 00 00 00 00 00')), LinkType.ETHERNET).status).toBe(Status.NOT_IP);
  });
  it('ARP and LLDP are NOT_IP', () => {
    expect(decode(cat(eth(0x0806), new Uint8Array(28)), LinkType.ETHERNET).status).toBe(Status.NOT_IP);
    expect(decode(cat(eth(0x88cc), new Uint8Array(28)), LinkType.ETHERNET).status).toBe(Status.NOT_IP);
  });

  it.each([0, 13])('cut after %i bytes: TRUNCATED_LINK', (n) => {
    const p = decode(cat(eth(0x0800), IPV4_UDP_DNS), LinkType.ETHERNET, n);
    expect([p.status, p.l3, p.ipVersion]).toEqual([Status.TRUNCATED_LINK, -1, 0]);
  });
  it.each([15, 17, 19, 25])('tag stack cut after %i bytes: TRUNCATED_LINK', (n) => {
    expect(decode(cat(QINQ, IPV4_UDP_DNS), LinkType.ETHERNET, n).status).toBe(Status.TRUNCATED_LINK);
  });
  it('IP right after the tags but cut: TRUNCATED_IP', () => {
    expect(decode(cat(QINQ, IPV4_UDP_DNS), LinkType.ETHERNET, 27).status).toBe(Status.TRUNCATED_IP);
  });
});

// ── Other link types ──────────────────────────────────────────────────────────────────────────────────────────
describe('cooked, loopback, PPP, raw', () => {
  // Linux cooked v1: packet type 0 (to us), ARPHRD_ETHER, addr len 6, address + 2 pad, protocol 0x0800
  const SLL = hex('00 00 00 01 00 06 66 77 88 99 aa bb 00 00 08 00');
  it('Linux SLL (protocol at 14)', () => expectDns(cat(SLL, IPV4_UDP_DNS), LinkType.LINUX_SLL, 16));
  it('Linux SLL with an 802.1Q tag inside', () => expectDns(cat(patch(SLL, 14, 0x81, 15, 0x00), hex('00 07 08 00'), IPV4_UDP_DNS), LinkType.LINUX_SLL, 20));
  // Linux cooked v2: protocol 0x0800, reserved, ifindex 2, ARPHRD_ETHER, packet type, addr len 6, address + 2 pad
  const SLL2 = hex('08 00 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00');
  it('Linux SLL2 (protocol at 0)', () => expectDns(cat(SLL2, IPV4_UDP_DNS), LinkType.LINUX_SLL2, 20));
  it('SLL cut inside the header', () => expect(decode(SLL, LinkType.LINUX_SLL, 15).status).toBe(Status.TRUNCATED_LINK));

  it('BSD NULL: AF_INET in either byte order', () => {
    expectDns(cat(hex('02 00 00 00'), IPV4_UDP_DNS), LinkType.NULL, 4);
    expectDns(cat(hex('00 00 00 02'), IPV4_UDP_DNS), LinkType.NULL, 4);
  });
  it.each([24, 28, 30])('BSD NULL: AF_INET6 value %i', (af) => {
    const p = decode(cat(Uint8Array.of(af, 0, 0, 0), IPV6_TCP_DATA), LinkType.NULL);
    expect([p.status, p.ipVersion, p.l3]).toEqual([Status.OK, 6, 4]);
  });
  it('BSD NULL with another family (AF_APPLETALK 16) is NOT_IP', () => {
    expect(decode(cat(hex('10 00 00 00'), IPV4_UDP_DNS), LinkType.NULL).status).toBe(Status.NOT_IP);
  });
  it('LOOP: the family in network order', () => {
    expectDns(cat(hex('00 00 00 02'), IPV4_UDP_DNS), LinkType.LOOP, 4);
    expect(decode(cat(hex('02 00 00 00'), IPV4_UDP_DNS), LinkType.LOOP).status).toBe(Status.NOT_IP);
  });

  it('PPP with and without FF 03, compressed protocol field', () => {
    expectDns(cat(hex('ff 03 00 21'), IPV4_UDP_DNS), LinkType.PPP, 4);
    expectDns(cat(hex('00 21'), IPV4_UDP_DNS), LinkType.PPP, 2);
    expectDns(cat(hex('21'), IPV4_UDP_DNS), LinkType.PPP, 1);
    expectDns(cat(hex('ff 03 00 21'), IPV4_UDP_DNS), LINK.PPP_HDLC, 4);
    expect(decode(cat(hex('ff 03 c0 21'), new Uint8Array(8)), LinkType.PPP).status).toBe(Status.NOT_IP);
  });

  it('raw IP: LINKTYPE_RAW and DLT 12/14 sniff the version; IPV4/IPV6 insist on theirs', () => {
    for (const lt of [LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_BSDOS, LinkType.IPV4]) expectDns(IPV4_UDP_DNS, lt, 0);
    for (const lt of [LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_BSDOS, LinkType.IPV6]) expect(decode(IPV6_TCP_DATA, lt).ipVersion).toBe(6);
    expect(decode(IPV4_UDP_DNS, LinkType.IPV6).status).toBe(Status.BAD_IP_VERSION);
    expect(decode(IPV6_TCP_DATA, LinkType.IPV4).status).toBe(Status.BAD_IP_VERSION);
    expect(decode(patch(IPV4_UDP_DNS, 0, 0x55), LinkType.RAW).status).toBe(Status.BAD_IP_VERSION);
    expect(decode(IPV4_UDP_DNS, LinkType.RAW, 0).status).toBe(Status.TRUNCATED_IP);
  });

  it('unsupported link types (USER13 160, DSA 284) are UNSUPPORTED_LINK', () => {
    expect(decode(IPV4_UDP_DNS, 160).status).toBe(Status.UNSUPPORTED_LINK);
    expect(decode(IPV4_UDP_DNS, 284).status).toBe(Status.UNSUPPORTED_LINK);
  });
  it('FCS flag bits above the 16-bit link type are ignored (udp-length-heapoverflow.pcap has 0x30000001)', () => {
    expectDns(cat(eth(0x0800), IPV4_UDP_DNS), 0x30000001, 14);
  });
});

describe('NFLOG, FDDI, 802.11', () => {
  // NFLOG: family AF_INET, version 0, resource 0; TLV prefix (len 8, type 1); TLV payload (len 4+50, type 9)
  const NFLOG = cat(hex(`
    02 00 00 00               // AF_INET, version 0, res id 0
    08 00 01 00 08 00 00 00   // TLV len 8 (little-endian), type 1 (NFULA_PACKET_HDR), 4 bytes value
    36 00 09 00               // TLV len 54, type 9 (NFULA_PAYLOAD)
  `), IPV4_UDP_DNS, hex('00 00'));
  it('NFLOG payload TLV (little-endian TLV header)', () => expectDns(NFLOG, LINK.NFLOG, 16));
  it('NFLOG with big-endian TLV headers', () => {
    expectDns(patch(NFLOG, 4, 0, 5, 8, 6, 0, 7, 1, 12, 0, 13, 0x36, 14, 0, 15, 9), LINK.NFLOG, 16);
  });
  it('NFLOG without a payload TLV is NOT_IP', () => expect(decode(NFLOG, LINK.NFLOG, 12).status).toBe(Status.NOT_IP));

  // FDDI: frame control 0x50, dst, src, then LLC/SNAP IPv4
  it('FDDI with LLC/SNAP', () => expectDns(cat(hex('50 001122334455 66778899aabb  aa aa 03 00 00 00 08 00'), IPV4_UDP_DNS), LINK.FDDI, 21));

  // radiotap v0, length 12, present = flags|rate (0x6): flags 0x10 (FCS at end), rate, 2 pad
  // 802.11 QoS data (fc 88 01: to-DS), duration, 3 addresses, seq, QoS control; LLC/SNAP IPv4; 4-byte FCS
  const RADIOTAP = cat(hex(`
    00 00 0c 00  06 00 00 00  10 02 00 00
    88 01 00 00  001122334455 66778899aabb 001122334455 00 00  00 00
    aa aa 03 00 00 00 08 00
  `), IPV4_UDP_DNS, hex('de ad be ef'));
  it('radiotap + 802.11 QoS data + LLC/SNAP, FCS flagged', () => {
    expectDns(RADIOTAP, LINK.IEEE802_11_RADIOTAP, 12 + 26 + 8);
    const p = decode(RADIOTAP, LINK.IEEE802_11_RADIOTAP);
    expect(p.end).toBe(RADIOTAP.length); // `end` is the capture; the FCS is only kept out of the payload
  });
  it('802.11 protected or management frames are NOT_IP', () => {
    expect(decode(patch(RADIOTAP, 13, 0x41), LINK.IEEE802_11_RADIOTAP).status).toBe(Status.NOT_IP);
    expect(decode(patch(RADIOTAP, 12, 0x80), LINK.IEEE802_11_RADIOTAP).status).toBe(Status.NOT_IP);
  });
  it('radiotap length beyond the capture is TRUNCATED_LINK', () => {
    expect(decode(patch(RADIOTAP, 2, 0xff), LINK.IEEE802_11_RADIOTAP).status).toBe(Status.TRUNCATED_LINK);
  });
});
