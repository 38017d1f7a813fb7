/**
 * Hand-annotated test frames for the decoder tests, each preceded by what `tcpdump -nX` says about it, plus small
 * helpers to decode bytes and derive variants (a changed byte, a cut capture).
 */
import { decodeFrame, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';

/** Bytes from annotated hex: `//` comments run to the end of the line; whitespace and `|` separate nothing. */
export function hex(text: string): Uint8Array {
  const digits = text.split('\n').map((l) => l.replace(/\/\/.*$/, '')).join('').replace(/[\s|]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`bad hex: ${digits}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Concatenation of byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A copy of `bytes` with `bytes[at] = value` (and more pairs). */
export function patch(bytes: Uint8Array, ...pairs: number[]): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

/** Decodes `bytes` (the first `caplen` of them) into a fresh packet, the way a source hands a frame over. */
export function decode(bytes: Uint8Array, linkType: number, caplen = bytes.length, p = new DecodedPacket()): DecodedPacket {
  decodeFrame(p, bytes, viewFor(bytes), 0, caplen, linkType);
  return p;
}

/** 14-byte Ethernet header 00:11:22:33:44:55 <- 66:77:88:99:aa:bb with the given EtherType. */
export function eth(etherType: number): Uint8Array {
  return cat(hex('001122334455 66778899aabb'), Uint8Array.of(etherType >> 8, etherType & 0xff));
}

// IP 192.168.0.1.50000 > 192.168.0.199.80: Flags [S], seq 16909060, win 64240,
//   options [mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0
export const IPV4_TCP_SYN = hex(`
  45 00 00 3c  1c 46 40 00  40 06 00 00   // v4 IHL 5, tot 60, id 0x1c46 DF, ttl 64, proto 6
  c0 a8 00 01  c0 a8 00 c7                // 192.168.0.1 > 192.168.0.199
  c3 50 00 50  01 02 03 04  00 00 00 00   // sport 50000, dport 80, seq 16909060, ack 0
  a0 02 fa f0  00 00 00 00                // offset 10 (40 bytes), SYN, win 64240, cksum, urg
  02 04 05 b4  04 02                      // mss 1460, sackOK
  08 0a 00 00 00 64 00 00 00 00           // TS val 100 ecr 0
  01 03 03 07                             // nop, wscale 7
`);
/** Ethernet + IPV4_TCP_SYN: the IP header at 14, TCP at 34. */
export const ETH_TCP_SYN = cat(eth(0x0800), IPV4_TCP_SYN);

// IP 10.0.0.2.53000 > 10.0.0.1.53: 4660+ A? a.io. (22)
export const IPV4_UDP_DNS = hex(`
  45 00 00 32  00 01 00 00  40 11 00 00   // tot 50, id 1, ttl 64, proto 17
  0a 00 00 02  0a 00 00 01                // 10.0.0.2 > 10.0.0.1
  cf 08 00 35  00 1e 00 00                // sport 53000, dport 53, len 30, cksum 0
  12 34 01 00  00 01 00 00  00 00 00 00   // DNS id 0x1234, RD, 1 question
  01 61 02 69 6f 00  00 01 00 01          // a.io. A IN
`);
export const ETH_UDP_DNS = cat(eth(0x0800), IPV4_UDP_DNS);

// IP6 2001:db8::1.443 > 2001:db8::2.40000: Flags [P.], seq 1000:1004, ack 2000, win 512, length 4
export const IPV6_TCP_DATA = hex(`
  60 00 00 00  00 18 06 40                // v6, payload length 24, next TCP, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   // 2001:db8::1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   // 2001:db8::2
  01 bb 9c 40  00 00 03 e8  00 00 07 d0   // sport 443, dport 40000, seq 1000, ack 2000
  50 18 02 00  00 00 00 00                // offset 5, PSH|ACK, win 512
  de ad be ef                             // 4 bytes payload
`);
