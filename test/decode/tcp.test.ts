import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { Status } from '../../src/decode/status.js';
import { TcpFlag } from '../../src/decode/packet.js';
import { cat, decode, ETH_TCP_SYN, hex, IPV4_TCP_SYN, patch } from '../helpers/decode-frames.js';

const L3 = 14;
const L4 = 34;

// ── Deconstruct ───────────────────────────────────────────────────────────────────────────────────────────────
describe('TCP deconstruct', () => {
  it('reads every field of a SYN with options', () => {
    const p = decode(ETH_TCP_SYN, LinkType.ETHERNET);
    expect(p.status).toBe(Status.OK);
    expect({
      l3: p.l3, l4: p.l4, payload: p.payload, payloadLen: p.payloadLen, payloadCaptured: p.payloadCaptured,
      proto: p.proto, srcPort: p.srcPort, dstPort: p.dstPort, seq: p.seq, ack: p.ack, tcpFlags: p.tcpFlags,
      window: p.window, tcpHeaderLen: p.tcpHeaderLen, optMss: p.optMss, optWscale: p.optWscale,
      optSackPerm: p.optSackPerm, optSack: p.optSack, optTs: p.optTs, tsVal: p.tsVal, tsEcr: p.tsEcr,
    }).toEqual({
      l3: L3, l4: L4, payload: L4 + 40, payloadLen: 0, payloadCaptured: 0,
      proto: 6, srcPort: 50000, dstPort: 80, seq: 16909060, ack: 0, tcpFlags: TcpFlag.SYN,
      window: 64240, tcpHeaderLen: 40, optMss: 1460, optWscale: 7,
      optSackPerm: 1, optSack: 0, optTs: 1, tsVal: 100, tsEcr: 0,
    });
  });

  it('reads seq/ack above 2^31 as unsigned and all eight flags (tcp_eight_lowest_weight_flags_set)', () => {
    const bytes = patch(ETH_TCP_SYN, L4 + 4, 0xff, L4 + 5, 0xff, L4 + 6, 0xff, L4 + 7, 0xfe, L4 + 8, 0x80, L4 + 13, 0xff);
    const p = decode(bytes, LinkType.ETHERNET);
    expect([p.seq, p.ack, p.tcpFlags]).toEqual([0xfffffffe, 0x80000000, 0xff]);
  });

  // IP 10.1.1.1.22 > 10.1.1.2.50000: Flags [.], ack 1, win 501, options [nop,nop,sack 1 {100:200}], length 5
  const SACK_DATA = hex(`
    45 00 00 39  00 00 40 00  40 06 00 00  0a 01 01 01  0a 01 01 02   // tot 57
    00 16 c3 50  00 00 00 01  00 00 00 01  80 10 01 f5  00 00 00 00   // offset 8 (32 bytes), ACK
    01 01 05 0a  00 00 00 64  00 00 00 c8                             // nop nop sack {100:200}
    68 65 6c 6c 6f                                                    // "hello"
  `);
  it('reads SACK blocks and computes the payload from the IP length', () => {
    const p = decode(SACK_DATA, LinkType.RAW);
    expect([p.status, p.optSack, p.optSackPerm, p.optMss, p.optTs, p.tcpHeaderLen]).toEqual([Status.OK, 1, 0, -1, 0, 32]);
    expect([p.payload, p.payloadLen, p.payloadCaptured]).toEqual([52, 5, 5]);
  });

  // The same segment with 12 bytes of options: nop nop ts (the layout of most segments with timestamps), the timestamps
  // first, or a timestamps option whose length is wrong; values above 2^31 read unsigned.
  const tsOptions = (opts: string): Uint8Array => hex(`
    45 00 00 39  00 00 40 00  40 06 00 00  0a 01 01 01  0a 01 01 02
    00 16 c3 50  00 00 00 01  00 00 00 01  80 10 01 f5  00 00 00 00
    ${opts}
    68 65 6c 6c 6f
  `);
  it('reads timestamps after two NOPs, and in any other layout, the same', () => {
    for (const opts of ['01 01 08 0a  f0 00 00 01  00 00 00 c8', '08 0a f0 00  00 01 00 00  00 c8 01 00', '01 08 0a f0  00 00 01 00  00 00 c8 01']) {
      const p = decode(tsOptions(opts), LinkType.RAW);
      expect([p.status, p.optTs, p.tsVal, p.tsEcr, p.optSack, p.optMss, p.payloadLen], opts).toEqual([Status.OK, 1, 0xf0000001, 200, 0, -1, 5]);
    }
    const wrong = decode(tsOptions('01 01 08 08  f0 00 00 01  00 00 00 c8'), LinkType.RAW);
    expect([wrong.status, wrong.optTs, wrong.payloadLen]).toEqual([Status.OK, 0, 5]);
  });

  it('counts payload the snap length cut as stated but not captured', () => {
    const p = decode(SACK_DATA, LinkType.RAW, SACK_DATA.length - 3);
    expect([p.status, p.payloadLen, p.payloadCaptured]).toEqual([Status.OK, 5, 2]);
  });

  it('stops the option walk at EOL and at malformed lengths without reading past the header', () => {
    // options: wscale 3 | EOL | (garbage that would be an MSS) -> only wscale is taken
    const eol = patch(ETH_TCP_SYN, L4 + 20, 3, L4 + 21, 3, L4 + 22, 3, L4 + 23, 0, L4 + 24, 2, L4 + 25, 4);
    let p = decode(eol, LinkType.ETHERNET);
    expect([p.status, p.optWscale, p.optMss, p.optSackPerm, p.optTs]).toEqual([Status.OK, 3, -1, 0, 0]);
    // option length 0 and 1 would loop forever or go backwards: the walk stops
    for (const badLen of [0, 1]) {
      p = decode(patch(ETH_TCP_SYN, L4 + 21, badLen), LinkType.ETHERNET);
      expect([p.status, p.optMss, p.optWscale]).toEqual([Status.OK, -1, -1]);
    }
    // an option running past the header end (wscale with length 40) is dropped
    p = decode(patch(ETH_TCP_SYN, L4 + 37, 40), LinkType.ETHERNET);
    expect([p.status, p.optMss, p.optWscale]).toEqual([Status.OK, 1460, -1]);
    // MSS with a wrong length is skipped rather than trusted
    p = decode(patch(ETH_TCP_SYN, L4 + 21, 3, L4 + 23, 1), LinkType.ETHERNET);
    expect(p.optMss).toBe(-1);
  });
});

// ── Truncated ─────────────────────────────────────────────────────────────────────────────────────────────────
describe('TCP truncated', () => {
  it.each([
    // cut at: [captured bytes of TCP, status, srcPort filled]
    [0, Status.TRUNCATED_TCP, 0],
    [3, Status.TRUNCATED_TCP, 0],
    [4, Status.TRUNCATED_TCP, 50000],
    [19, Status.TRUNCATED_TCP, 50000],
    [20, Status.TRUNCATED_TCP, 50000], // fixed header there, options cut
    [39, Status.TRUNCATED_TCP, 50000],
    [40, Status.OK, 50000],
  ])('TCP cut after %i bytes -> status %i', (tcpBytes, status, srcPort) => {
    const p = decode(ETH_TCP_SYN, LinkType.ETHERNET, L4 + tcpBytes);
    expect([p.status, p.srcPort, p.l3, p.ipVersion, p.proto, p.src4]).toEqual([status, srcPort, L3, 4, 6, 0xc0a80001]);
  });

  it('keeps the options that were captured when the header is cut', () => {
    const p = decode(ETH_TCP_SYN, LinkType.ETHERNET, L4 + 26); // MSS and sackOK captured, TS cut
    expect([p.status, p.tcpHeaderLen, p.optMss, p.optSackPerm, p.optTs, p.seq]).toEqual([Status.TRUNCATED_TCP, 40, 1460, 1, 0, 16909060]);
  });
});

// ── Impossible lengths ────────────────────────────────────────────────────────────────────────────────────────
describe('TCP impossible lengths', () => {
  it.each([0, 1, 4])('data offset %i (< 5) is BAD_TCP_HEADER', (doff) => {
    const p = decode(patch(ETH_TCP_SYN, L4 + 12, doff << 4), LinkType.ETHERNET);
    expect([p.status, p.tcpHeaderLen, p.srcPort, p.payload]).toEqual([Status.BAD_TCP_HEADER, doff * 4, 50000, -1]);
  });

  it('data offset beyond the segment the IP length states is BAD_TCP_HEADER', () => {
    // offset 15 (60 bytes) but the IP datagram holds 40 bytes of TCP
    const p = decode(patch(ETH_TCP_SYN, L4 + 12, 0xf0), LinkType.ETHERNET);
    expect([p.status, p.tcpHeaderLen]).toEqual([Status.BAD_TCP_HEADER, 60]);
  });

  it('a minimal 20-byte header with data right after it', () => {
    const bytes = cat(patch(IPV4_TCP_SYN.subarray(0, 40), 3, 44, 32, 0x50), hex('01 02 03 04'));
    const p = decode(bytes, LinkType.IPV4);
    expect([p.status, p.tcpHeaderLen, p.payload, p.payloadLen]).toEqual([Status.OK, 20, 40, 4]);
  });
});
