/**
 * Hand-annotated bytes for the link layers, shims and tunnels added for issue 14: each decodes to the DNS query of
 * IPV4_UDP_DNS (or the IPv6 TCP segment), every cut of the frame ends in a truncation status (never a throw, never a
 * wrong OK), and impossible lengths are refused. What is not followed is named by its number.
 */
import { describe, expect, it } from 'vitest';
import { LINK } from '../../src/decode/fields.js';
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Status, Undecoded, undecodedLabel } from '../../src/decode/status.js';
import { Encap, INNER_RAW_IP, tunnelHeuristics } from '../../src/decode/tunnel.js';
import { LinkType } from '../../src/source/types.js';
import { cat, decode, eth, hex, IPV4_UDP_DNS, IPV6_TCP_DATA, patch } from '../helpers/decode-frames.js';

function expectDns(p: DecodedPacket, l3: number): void {
  expect([p.status, p.l3, p.src4, p.dst4, p.srcPort, p.dstPort]).toEqual([Status.OK, l3, 0x0a000002, 0x0a000001, 53000, 53]);
}

/** Every cut inside the header (before `l3`) is a truncation; none throws or claims OK. */
function expectCutsTruncated(bytes: Uint8Array, linkType: number, l3: number): void {
  for (let n = 0; n < l3; n++) {
    const s = decode(bytes, linkType, n).status;
    expect([Status.TRUNCATED_LINK, Status.TRUNCATED_IP], `cut at ${n}`).toContain(s);
  }
}

// ── Ethernet shims ────────────────────────────────────────────────────────────────────────────────────────────
describe('Ethernet shims', () => {
  // Cisco FabricPath: outer DA, SA, 8903, FTag 0 / TTL 63; inner Ethernet 0800 at 16
  const FP = cat(hex('020000000001 020000000002 8903 003f'), eth(0x0800));
  it('Cisco FabricPath: the inner Ethernet frame 16 bytes in (Zeek)', () => {
    const bytes = cat(FP, IPV4_UDP_DNS);
    expectDns(decode(bytes, LinkType.ETHERNET), 30);
    expectCutsTruncated(bytes, LinkType.ETHERNET, 30);
  });

  // 802.1Q VID 10 then VN-Tag (d=1, p=0, dvif 1, l=0, vif 2) then IPv4
  const VN_IN_VLAN = hex('001122334455 66778899aabb 8100 000a 8926 8001 0002 0800');
  it('VN-Tag inside an 802.1Q tag', () => {
    const bytes = cat(VN_IN_VLAN, IPV4_UDP_DNS);
    expectDns(decode(bytes, LinkType.ETHERNET), 24);
    expectCutsTruncated(bytes, LinkType.ETHERNET, 24);
  });

  // 802.1BR E-Tag: 6 bytes of tag (E-PCP/DEI, ingress E-CID, GRP/E-CID base, ...), then 0800
  it('E-Tag (0x893f)', () => {
    const bytes = cat(hex('001122334455 66778899aabb 893f 0000 0005 0000 0800'), IPV4_UDP_DNS);
    expectDns(decode(bytes, LinkType.ETHERNET), 22);
    expectCutsTruncated(bytes, LinkType.ETHERNET, 22);
  });

  // NSH: ver 0 TTL 63 length 2 words | MD type 2 | next protocol 1 (IPv4); SPI 16, SI 255
  const NSH = hex('0fc2 02 01  000010 ff');
  it('NSH then IPv4; NSH next protocol Ethernet and NSH in NSH', () => {
    expectDns(decode(cat(eth(0x894f), NSH, IPV4_UDP_DNS), LinkType.ETHERNET), 22);
    const nested = cat(eth(0x894f), patch(NSH, 3, 0x04), NSH, IPV4_UDP_DNS);
    expectDns(decode(nested, LinkType.ETHERNET), 30);
    expectDns(decode(cat(eth(0x894f), patch(NSH, 3, 0x03), eth(0x0800), IPV4_UDP_DNS), LinkType.ETHERNET), 36);
  });
  it('NSH with an impossible length (under 2 words) or an unknown next protocol is named', () => {
    const short = decode(cat(eth(0x894f), patch(NSH, 1, 0xc1), IPV4_UDP_DNS), LinkType.ETHERNET);
    expect([short.status, short.undecodedKind, short.undecodedValue]).toEqual([Status.NOT_IP, Undecoded.NSH_NEXT, 1]);
    const odd = decode(cat(eth(0x894f), patch(NSH, 3, 0x41), IPV4_UDP_DNS), LinkType.ETHERNET);
    expect(undecodedLabel(odd.undecodedKind, odd.undecodedValue)).toBe('unknown_nsh_next_protocol 0x41');
    const long = decode(cat(eth(0x894f), patch(NSH, 1, 0xff), IPV4_UDP_DNS), LinkType.ETHERNET); // 63 words
    expect(long.status).toBe(Status.TRUNCATED_LINK);
  });

  // MPLS label 48 [S], control word 0000 0000, Ethernet, IPv4
  it('MPLS pseudowire: control word, then an Ethernet frame', () => {
    const bytes = cat(eth(0x8847), hex('00030140 00000000'), eth(0x0800), IPV4_UDP_DNS);
    expectDns(decode(bytes, LinkType.ETHERNET), 36);
    expectCutsTruncated(bytes, LinkType.ETHERNET, 36);
    const other = decode(cat(eth(0x8847), hex('00030140 10000000'), IPV4_UDP_DNS), LinkType.ETHERNET);
    expect(undecodedLabel(other.undecodedKind, other.undecodedValue)).toBe('unknown_mpls_payload 0x1');
  });

  it('802.3 frames: SNAP carries IP; SAP 06 is IP; STP and Novell raw 802.3 are named', () => {
    expectDns(decode(cat(hex('001122334455 66778899aabb 003a aaaa03 000000 0800'), IPV4_UDP_DNS), LinkType.ETHERNET), 22);
    expectDns(decode(cat(hex('001122334455 66778899aabb 0035 060603'), IPV4_UDP_DNS), LinkType.ETHERNET), 17);
    const stp = decode(hex('0180c2000000 66778899aabb 0026 424203 0000 00'), LinkType.ETHERNET);
    expect(undecodedLabel(stp.undecodedKind, stp.undecodedValue)).toBe('unknown_llc_sap 0x42');
    const ipx = decode(hex('ffffffffffff 66778899aabb 001e ffff 001e 0000'), LinkType.ETHERNET);
    expect(undecodedLabel(ipx.undecodedKind, ipx.undecodedValue)).toBe('novell_raw_802_3');
    const macsec = decode(cat(eth(0x88e5), hex('2c00 00000001')), LinkType.ETHERNET);
    expect([macsec.status, undecodedLabel(macsec.undecodedKind, macsec.undecodedValue)]).toEqual([Status.NOT_IP, 'unknown_ethertype 0x88e5']);
  });
});

// ── Link types ────────────────────────────────────────────────────────────────────────────────────────────────
describe('link types', () => {
  it('Cisco HDLC (104), also inside LINKTYPE_PPP_HDLC; PPP with direction (204); PPPoE without Ethernet (51)', () => {
    expectDns(decode(cat(hex('0f00 0800'), IPV4_UDP_DNS), LINK.C_HDLC), 4);
    expectDns(decode(cat(hex('8f00 0800'), IPV4_UDP_DNS), LINK.PPP_HDLC), 4);
    expectDns(decode(cat(hex('01 ff03 0021'), IPV4_UDP_DNS), LINK.PPP_WITH_DIR), 5);
    expectDns(decode(cat(hex('1100 002a 0030 0021'), IPV4_UDP_DNS), LINK.PPP_ETHER), 8);
    const lcp = decode(hex('ff03 c021 0101 0004'), LINK.PPP_HDLC);
    expect(undecodedLabel(lcp.undecodedKind, lcp.undecodedValue)).toBe('unknown_ppp_protocol 0xc021');
    expectCutsTruncated(cat(hex('0f00 0800'), IPV4_UDP_DNS), LINK.C_HDLC, 4);
  });

  // PKTAP: length 20 (LE), record type 1, DLT 1 (LE), then 8 bytes of the rest; then Ethernet
  const PKTAP = hex('14000000 01000000 01000000 00000000 00000000');
  it('PKTAP: its length, then the link type it names', () => {
    expectDns(decode(cat(PKTAP, eth(0x0800), IPV4_UDP_DNS), LINK.PKTAP), 34);
    // Length beyond the frame, or under the fixed part: impossible.
    expect(decode(cat(patch(PKTAP, 0, 0xff, 1, 0x7f), eth(0x0800)), LINK.PKTAP).status).toBe(Status.TRUNCATED_LINK);
    expect(decode(cat(patch(PKTAP, 0, 0x04), eth(0x0800)), LINK.PKTAP).status).toBe(Status.TRUNCATED_LINK);
    // A PKTAP naming PKTAP (or a link type nobody decodes) is named, not followed.
    const nested = decode(cat(patch(PKTAP, 8, 0x02, 9, 0x01), PKTAP, eth(0x0800)), LINK.PKTAP);
    expect(undecodedLabel(nested.undecodedKind, nested.undecodedValue)).toBe('unknown_inner_link_type 258');
    const usb = decode(cat(patch(PKTAP, 8, 189), eth(0x0800)), LINK.PKTAP);
    expect(undecodedLabel(usb.undecodedKind, usb.undecodedValue)).toBe('unknown_inner_link_type 189');
  });

  // PPI: version 0, flags 0, length 8 (LE), DLT 105 (LE); 802.11 data (to DS) then LLC/SNAP
  const WLAN = hex('0801 0000 02bbbbbbbbbb 001122334455 66778899aabb 0000  aaaa03 000000 0800');
  it('PPI then 802.11; an impossible PPI length', () => {
    expectDns(decode(cat(hex('0000 0800 69000000'), WLAN, IPV4_UDP_DNS), LINK.PPI), 40);
    expect(decode(cat(hex('0000 0400 69000000'), WLAN), LINK.PPI).status).toBe(Status.TRUNCATED_LINK);
    expect(decode(cat(hex('0000 ff00 69000000'), WLAN), LINK.PPI).status).toBe(Status.TRUNCATED_LINK);
  });

  it('Prism (LE length) and AVS (magic, BE length) before 802.11', () => {
    const prism = cat(hex('41000000 10000000'), new Uint8Array(8), WLAN, IPV4_UDP_DNS);
    expectDns(decode(prism, LINK.IEEE802_11_PRISM), 48);
    const avs = cat(hex('80211001 00000010'), new Uint8Array(8), WLAN, IPV4_UDP_DNS);
    expectDns(decode(avs, LINK.IEEE802_11_AVS), 48);
    expectDns(decode(avs, LINK.IEEE802_11_PRISM), 48);
  });

  it('802.11 frames that carry no IP are named: management by type/subtype, protected data', () => {
    const beacon = decode(cat(hex('8000'), WLAN.subarray(2)), LINK.IEEE802_11);
    expect(undecodedLabel(beacon.undecodedKind, beacon.undecodedValue)).toBe('wlan_not_data 0x80');
    const wep = decode(cat(hex('0841'), WLAN.subarray(2)), LINK.IEEE802_11);
    expect(undecodedLabel(wep.undecodedKind, wep.undecodedValue)).toBe('wlan_protected');
  });

  it('pflog (length padded to 4, AF 2), enc (AF host order), ipnet (family 2), SLIP (16 bytes)', () => {
    const pflog = cat(Uint8Array.of(61, 2), new Uint8Array(62), IPV4_UDP_DNS);
    expectDns(decode(pflog, LINK.PFLOG), 64);
    expect(decode(cat(Uint8Array.of(200, 2), new Uint8Array(62)), LINK.PFLOG).status).toBe(Status.TRUNCATED_LINK);
    expectDns(decode(cat(hex('02000000 00001000 00000000'), IPV4_UDP_DNS), LINK.ENC), 12);
    expectDns(decode(cat(Uint8Array.of(1, 2), new Uint8Array(22), IPV4_UDP_DNS), LINK.IPNET), 24);
    expectDns(decode(cat(new Uint8Array(16), IPV4_UDP_DNS), LINK.SLIP), 16);
    const af = decode(cat(Uint8Array.of(1, 99), new Uint8Array(22), IPV4_UDP_DNS), LINK.IPNET);
    expect(undecodedLabel(af.undecodedKind, af.undecodedValue)).toBe('unknown_address_family 99');
  });

  it('IPoIB, Token Ring with a routing field, ATM RFC 1483, bare MPLS, netANALYZER', () => {
    expectDns(decode(cat(new Uint8Array(40), hex('0800 0000'), IPV4_UDP_DNS), LINK.IPOIB), 44);
    const tr = cat(hex('1040 001122334455 e6778899aabb 0230'), hex('aaaa03 000000 0800'), IPV4_UDP_DNS);
    expectDns(decode(tr, LINK.IEEE802_5), 24);
    expectCutsTruncated(tr, LINK.IEEE802_5, 24);
    expectDns(decode(cat(hex('aaaa03 000000 0800'), IPV4_UDP_DNS), LINK.ATM_RFC1483), 8);
    const mpls = decode(cat(hex('00010140'), IPV6_TCP_DATA), LINK.MPLS);
    expect([mpls.status, mpls.ipVersion, mpls.srcPort]).toEqual([Status.OK, 6, 443]);
    expectDns(decode(cat(hex('01000000'), eth(0x0800), IPV4_UDP_DNS), LINK.NETANALYZER), 18);
  });
});

// ── Tunnels ───────────────────────────────────────────────────────────────────────────────────────────────────
/** Outer IPv4 192.0.2.1 > 192.0.2.2 with protocol `proto` around `inner`. */
function outerIp(proto: number, inner: Uint8Array): Uint8Array {
  const total = 20 + inner.length;
  return cat(Uint8Array.of(0x45, 0, total >> 8, total & 0xff, 0, 9, 0, 0, 64, proto, 0, 0), hex('c0000201 c0000202'), inner);
}
function outerUdp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const len = 8 + payload.length;
  return outerIp(17, cat(Uint8Array.of(sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0), payload));
}
function inner(outer: DecodedPacket): DecodedPacket {
  const p = new DecodedPacket();
  decodeFrame(p, outer.bytes, viewFor(outer.bytes), outer.innerOffset, outer.end - outer.innerOffset, outer.innerLinkType);
  return p;
}

describe('tunnels', () => {
  // AYIYA: idlen 2^1 = 2, id type 1 | siglen 0, hash 0 | auth 0, opcode 1 | next header 4; epoch; identity (2)
  const AYIYA = hex('11 00 01 04 00000000 abcd');
  it('AYIYA (5072): identity and signature skipped, next header 4 / 41', () => {
    const o = decode(outerUdp(5072, 5072, cat(AYIYA, IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, o.innerLinkType, o.encap]).toEqual([38, LinkType.IPV4, Encap.AYIYA]);
    expectDns(inner(o), 38);
    const v6 = decode(outerUdp(5072, 5072, cat(patch(AYIYA, 3, 41), IPV6_TCP_DATA)), LinkType.IPV4);
    expect([v6.innerLinkType, inner(v6).srcPort]).toEqual([LinkType.IPV6, 443]);
  });
  it('AYIYA: identity beyond the packet is refused; a non-forward opcode or another next header opens nothing', () => {
    expect(decode(outerUdp(5072, 5072, patch(AYIYA, 0, 0xf1)), LinkType.IPV4).innerOffset).toBe(-1); // 2^15 bytes
    expect(decode(outerUdp(5072, 5072, cat(patch(AYIYA, 2, 0x02), IPV4_UDP_DNS)), LinkType.IPV4).innerOffset).toBe(-1);
    const o = decode(outerUdp(5072, 5072, cat(patch(AYIYA, 3, 17), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, undecodedLabel(o.undecodedKind, o.undecodedValue)]).toEqual([-1, 'unknown_ayiya_next_header 17']);
  });
  it('AYIYA on another port only with the heuristic switch (bytes 1-2 = 52 11, as Zeek)', () => {
    const bytes = outerUdp(40000, 40001, cat(hex('41 52 11 04 00000000'), new Uint8Array(16 + 20), IPV4_UDP_DNS));
    expect(decode(bytes, LinkType.IPV4).innerOffset).toBe(-1);
    tunnelHeuristics.ayiyaAnyPort = true;
    try {
      expect(decode(bytes, LinkType.IPV4).encap).toBe(Encap.AYIYA);
    } finally {
      tunnelHeuristics.ayiyaAnyPort = false;
    }
  });
  it('Teredo on another port only with the heuristic switch', () => {
    const bytes = outerUdp(40000, 40001, IPV6_TCP_DATA);
    expect(decode(bytes, LinkType.IPV4).innerOffset).toBe(-1);
    tunnelHeuristics.teredoAnyPort = true;
    try {
      expect(decode(bytes, LinkType.IPV4).encap).toBe(Encap.TEREDO);
    } finally {
      tunnelHeuristics.teredoAnyPort = false;
    }
  });

  it('VXLAN-GPE (4790): next protocol IPv4, Ethernet, NSH, MPLS; an unknown one is named', () => {
    const gpe = (next: number): Uint8Array => Uint8Array.of(0x0c, 0, 0, next, 0, 0, 0x2a, 0);
    let o = decode(outerUdp(50000, 4790, cat(gpe(1), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, o.innerLinkType, o.encap]).toEqual([36, INNER_RAW_IP, Encap.VXLAN_GPE]);
    o = decode(outerUdp(50000, 4790, cat(gpe(4), hex('0fc2 02 01 000010 ff'), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 44);
    o = decode(outerUdp(50000, 4790, cat(gpe(5), hex('00010140'), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 40);
    o = decode(outerUdp(50000, 4790, cat(gpe(0x7f), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, undecodedLabel(o.undecodedKind, o.undecodedValue)]).toEqual([-1, 'unknown_vxlan_gpe_next_protocol 0x7f']);
    expect(decode(outerUdp(50000, 4790, cat(patch(gpe(1), 0, 0x2c), IPV4_UDP_DNS)), LinkType.IPV4).innerOffset).toBe(-1); // version 2
  });

  it('GRE-in-UDP (4754), MPLS-in-UDP (6635), MPLS in IP (137), MPLS in GRE', () => {
    let o = decode(outerUdp(50000, 4754, cat(hex('0000 0800'), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, o.encap]).toEqual([32, Encap.GRE]);
    expectDns(inner(o), 32);
    o = decode(outerUdp(50000, 6635, cat(hex('00012140'), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerLinkType, o.encap]).toEqual([LINK.MPLS, Encap.MPLS]);
    expectDns(inner(o), 32);
    o = decode(outerIp(137, cat(hex('00013140'), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 24);
    o = decode(outerIp(47, cat(hex('0000 8847 00011140'), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 28);
  });

  it('GRE: Aruba 0x8210 carries 802.11; an unknown protocol, reserved flags, routing and version 2 are named', () => {
    let o = decode(outerIp(47, cat(hex('0000 8210'), WLAN_FRAME, IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerLinkType, o.encap]).toEqual([LINK.IEEE802_11, Encap.GRE]);
    expectDns(inner(o), 58);
    o = decode(outerIp(47, cat(hex('0000 1234'), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.status, o.innerOffset, undecodedLabel(o.undecodedKind, o.undecodedValue)]).toEqual([Status.OK, -1, 'unknown_gre_protocol 0x1234']);
    for (const flags of ['0008', '4000', '0002']) {
      o = decode(outerIp(47, cat(hex(`${flags} 0800`), IPV4_UDP_DNS)), LinkType.IPV4);
      expect([o.innerOffset, o.undecodedKind], flags).toEqual([-1, Undecoded.GRE_VERSION]);
    }
  });

  // L2TPv3 over IP: session id, default sublayer (4 bytes), Ethernet; session id 0 is a control message
  it('L2TPv3 over IP (115) and UDP (1701, version 3): Ethernet after the default sublayer or none', () => {
    let o = decode(outerIp(115, cat(hex('00001000 00000000'), eth(0x0800), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, o.innerLinkType, o.encap]).toEqual([28, LinkType.ETHERNET, Encap.L2TP]);
    expectDns(inner(o), 42);
    o = decode(outerIp(115, cat(hex('00001000'), eth(0x0800), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 38);
    expect(decode(outerIp(115, cat(hex('00000000 00000000'), eth(0x0800), IPV4_UDP_DNS)), LinkType.IPV4).innerOffset).toBe(-1);
    o = decode(outerUdp(1701, 1701, cat(hex('0003 0000 00002000 00000000'), eth(0x0800), IPV4_UDP_DNS)), LinkType.IPV4);
    expect([o.innerOffset, o.encap]).toEqual([40, Encap.L2TP]);
    expect(decode(outerUdp(1701, 1701, hex('c003 0000 00000000')), LinkType.IPV4).innerOffset).toBe(-1); // control
  });

  it('Geneve: an options length beyond the packet is refused; MPLS inside', () => {
    expect(decode(outerUdp(50000, 6081, cat(hex('3f00 6558 00002a00'), eth(0x0800))), LinkType.IPV4).innerOffset).toBe(-1);
    const o = decode(outerUdp(50000, 6081, cat(hex('0000 8847 00002a00 00011140'), IPV4_UDP_DNS)), LinkType.IPV4);
    expectDns(inner(o), 40);
  });

  it('IP-in-IP marks its encapsulation', () => {
    expect(decode(outerIp(4, IPV4_UDP_DNS), LinkType.IPV4).encap).toBe(Encap.IP);
    expect(decode(outerIp(41, IPV6_TCP_DATA), LinkType.IPV4).encap).toBe(Encap.IP);
  });
});
const WLAN_FRAME = hex('8801 0000 02bbbbbbbbbb 001122334455 66778899aabb 0000 0000  aaaa03 000000 0800');
