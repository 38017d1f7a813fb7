/**
 * Passive DNS on hand-annotated bytes: the answer walk of a DNS response (RFC 1035 §4.1.3), CNAME chains back to the
 * name asked for, and hostile messages (truncated at every length, lying counts, compression loops, wrong lengths);
 * then the map of names (capped, oldest dropped first).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { chainHead, DnsAnswers, dnsNameText, nameIsText, parseDnsAnswers, RrType } from '../../src/inspect/dns.js';
import {
  clearPassiveDns, learnAnswers, MAX_ADDRESSES, nameAddress, nameOfAddress, passiveDnsStats,
} from '../../src/inspect/passive-dns.js';
import { cat, hex, patch } from '../helpers/decode-frames.js';

// www.example.com CNAME cdn.example.com CNAME edge.cdn.example.com A 192.0.2.1; www.example.com AAAA 2001:db8::1;
// and an additional record (glue) for ns.example.com, which answers nothing.
const RESPONSE = hex(`
  abcd 8180                     // id; flags: response, RD RA, rcode 0
  0001 0004 0000 0001           // 1 question, 4 answers, no authority, 1 additional
  03 777777 07 6578616d706c65 03 636f6d 00   // (12) www.example.com; "example" at 16
  0001 0001                     // (29) A, IN
  c00c 0005 0001 00000e10 0006  // (33) answer 1: www.example.com CNAME, ttl 3600, 6 bytes
    03 63646e c010              // (45) cdn + pointer to example.com: cdn.example.com
  c02d 0005 0001 00000e10 0007  // (51) answer 2: cdn.example.com CNAME, 7 bytes
    04 65646765 c02d            // (63) edge + pointer to cdn.example.com: edge.cdn.example.com
  c03f 0001 0001 0000003c 0004  // (70) answer 3: edge.cdn.example.com A, ttl 60
    c0000201                    // (82) 192.0.2.1
  c00c 001c 0001 0000003c 0010  // (86) answer 4: www.example.com AAAA
    20010db8 00000000 00000000 00000001   // (98) 2001:db8::1
  02 6e73 c010 0001 0001 00000e10 0004     // (114) additional: ns.example.com A
    c0000235                    // (129) 192.0.2.53; the message ends at 133
`);
const A_END = 86, AAAA_END = 114;

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) | 0;
const nameOf4 = (a: number, b: number, c: number, d: number): string => nameOfAddress(false, 0, 0, 0, v4(a, b, c, d));
const nameOf6 = (): string => nameOfAddress(true, 0x20010db8 | 0, 0, 0, 1);

describe('DNS answer section (RFC 1035 §4.1.3)', () => {
  const out = new DnsAnswers();
  beforeEach(() => clearPassiveDns());

  it('reads the A, AAAA and CNAME answers, not the additional section', () => {
    expect(RESPONSE.length).toBe(133);
    expect(parseDnsAnswers(RESPONSE, 0, RESPONSE.length, out)).toBe(4);
    expect([...out.type.subarray(0, 4)]).toEqual([RrType.CNAME, RrType.CNAME, RrType.A, RrType.AAAA]);
    expect([...out.owner.subarray(0, 4)]).toEqual([33, 51, 70, 86]);
    expect([...out.rdata.subarray(0, 4)]).toEqual([45, 63, 82, 98]);
  });

  it('follows CNAMEs back to the name asked for', () => {
    parseDnsAnswers(RESPONSE, 0, RESPONSE.length, out);
    expect(dnsNameText(RESPONSE, 0, out.owner[2]!)).toBe('edge.cdn.example.com');
    expect(dnsNameText(RESPONSE, 0, chainHead(RESPONSE, 0, out, 2))).toBe('www.example.com');
    expect(chainHead(RESPONSE, 0, out, 3)).toBe(86); // the AAAA's owner, which no CNAME points to, is its own head
    expect(dnsNameText(RESPONSE, 0, 86)).toBe('www.example.com');
    learnAnswers(RESPONSE, 0, RESPONSE.length);
    expect([nameOf4(192, 0, 2, 1), nameOf6(), nameOf4(192, 0, 2, 53)]).toEqual(['www.example.com', 'www.example.com', '']);
    expect(passiveDnsStats()).toEqual({ learned: 2, dropped: 0 });
  });

  it('compares a name with the text of the flow\'s question without building it', () => {
    expect(['www.example.com', 'www.example.co', 'www.example.comx', 'www.example', 'WWW.example.com', ''].map((t) => nameIsText(RESPONSE, 0, 86, t)))
      .toEqual([true, false, false, false, false, false]);
    expect(nameIsText(RESPONSE, 0, 63, 'edge.cdn.example.com')).toBe(true); // through two pointers
    const odd = hex('0000 8180 0000 0000 0000 0000 | 03 612e62 00'); // the label "a.b": written escaped, never equal
    expect([nameIsText(odd, 0, 12, 'a.b'), nameIsText(odd, 0, 12, 'a\\x2eb'), dnsNameText(odd, 0, 12)]).toEqual([false, false, 'a\\x2eb']);
    learnAnswers(RESPONSE, 0, RESPONSE.length, 'www.example.com');
    expect(nameOf4(192, 0, 2, 1)).toBe('www.example.com');
    clearPassiveDns();
    learnAnswers(RESPONSE, 0, RESPONSE.length, 'other.example.com'); // another question's name: built from the bytes
    expect(nameOf4(192, 0, 2, 1)).toBe('www.example.com');
  });

  it('compares names without case (RFC 4343), and takes mDNS cache-flush records', () => {
    const upper = hex(`
      0001 8180 0001 0002 0000 0000
      03 777777 07 6578616d706c65 03 636f6d 00   // (12) www.example.com
      0001 0001                                  // (29) A, IN
      c00c 0005 0001 00000e10 0011               // (33) CNAME, 17 bytes
        03 63646e 07 6578616d706c65 03 6e6574 00 // (45) cdn.example.net
      03 43444e 07 4558414d504c45 03 4e4554 00   // (62) CDN.EXAMPLE.NET
      0001 0001 0000003c 0004 c0000207           // (79) A 192.0.2.7
    `);
    learnAnswers(upper, 0, upper.length);
    expect(nameOf4(192, 0, 2, 7)).toBe('www.example.com');
    const flush = patch(RESPONSE, 74, 0x80, 90, 0x80); // class 0x8001 on the A and the AAAA
    learnAnswers(flush, 0, flush.length);
    expect([nameOf4(192, 0, 2, 1), nameOf6()]).toEqual(['www.example.com', 'www.example.com']);
  });

  it('a response without a question (an mDNS announcement) names the address with its owner', () => {
    const announce = hex(`
      0000 8400 0000 0001 0000 0000   // response, authoritative; no question, 1 answer
      05 70696e7473 05 6c6f63616c 00   // (12) pints.local
      0001 8001 00000078 0004 c0a80105 // A, cache-flush IN, ttl 120, 192.168.1.5
    `);
    learnAnswers(announce, 0, announce.length);
    expect(nameOf4(192, 168, 1, 5)).toBe('pints.local');
  });

  it('cut at every length: only whole records name their address', () => {
    for (let n = 0; n <= RESPONSE.length; n++) {
      clearPassiveDns();
      learnAnswers(RESPONSE, 0, n);
      expect([nameOf4(192, 0, 2, 1), nameOf6()], `cut at ${n}`).toEqual([n >= A_END ? 'www.example.com' : '', n >= AAAA_END ? 'www.example.com' : '']);
    }
  });

  it('lying counts and lengths cost bounded work and name nothing that is not there', () => {
    // 65,535 answers: the walk goes on into the additional section, whose record it reads as the answer the count
    // says it is, and stops at the end.
    learnAnswers(patch(RESPONSE, 6, 0xff, 7, 0xff), 0, RESPONSE.length);
    expect([nameOf4(192, 0, 2, 1), nameOf6(), nameOf4(192, 0, 2, 53)]).toEqual(['www.example.com', 'www.example.com', 'ns.example.com']);
    clearPassiveDns();
    learnAnswers(patch(RESPONSE, 7, 2), 0, RESPONSE.length); // 2 answers: the CNAMEs only
    learnAnswers(patch(RESPONSE, 5, 33), 0, RESPONSE.length); // more questions than a message may have
    learnAnswers(patch(RESPONSE, 2, 0x01), 0, RESPONSE.length); // a query (QR 0) ... is read by the caller's check only
    expect(nameOf4(192, 0, 2, 1)).toBe('www.example.com');
    clearPassiveDns();
    learnAnswers(patch(RESPONSE, 7, 2), 0, RESPONSE.length);
    learnAnswers(patch(RESPONSE, 5, 33), 0, RESPONSE.length);
    expect([nameOf4(192, 0, 2, 1), passiveDnsStats().learned]).toEqual(['', 0]);
    learnAnswers(patch(RESPONSE, 97, 0x0f), 0, RESPONSE.length); // AAAA with 15 bytes of RDATA: skipped
    expect([nameOf4(192, 0, 2, 1), nameOf6()]).toEqual(['www.example.com', '']);
    clearPassiveDns();
    learnAnswers(patch(RESPONSE, 96, 0xff), 0, RESPONSE.length); // AAAA RDATA running past the end: the walk stops
    expect([nameOf4(192, 0, 2, 1), nameOf6()]).toEqual(['www.example.com', '']);
    // Questions that run into the answers: the records are read where the counts put them (a forged message may
    // name anything anyway), whole ones only, never past the end.
    for (let qd = 2; qd <= 32; qd++) {
      clearPassiveDns();
      learnAnswers(patch(RESPONSE, 5, qd), 0, RESPONSE.length);
      expect(passiveDnsStats().learned).toBeLessThanOrEqual(3); // the message holds three address records
    }
  });

  it('compression loops and forward pointers end the walk, CNAME cycles end the chain', () => {
    // Answer 3's owner a pointer to itself (70): the walk stops there.
    learnAnswers(patch(RESPONSE, 71, 70), 0, RESPONSE.length);
    expect([nameOf4(192, 0, 2, 1), nameOf6()]).toEqual(['', '']);
    // Answer 2's target a pointer forward (to 98): answer 3's owner points into it, so the walk stops there too.
    learnAnswers(patch(RESPONSE, 69, 98), 0, RESPONSE.length);
    expect([nameOf4(192, 0, 2, 1), nameOf6()]).toEqual(['', '']);
    // Answer 1 of class CH (3): not read, so the chain ends at cdn.example.com.
    learnAnswers(patch(RESPONSE, 38, 3), 0, RESPONSE.length);
    expect(nameOf4(192, 0, 2, 1)).toBe('cdn.example.com');
    const cycle = hex(`
      0002 8180 0001 0003 0000 0000
      03 777777 07 6578616d706c65 03 636f6d 00   // (12) www.example.com
      0001 0001
      c00c 0005 0001 00000e10 0006 03 63646e c010 // (33) www.example.com CNAME cdn.example.com (45)
      c02d 0005 0001 00000e10 0002 c00c           // (51) cdn.example.com CNAME www.example.com
      c00c 0001 0001 0000003c 0004 c0000209       // (65) www.example.com A 192.0.2.9
    `);
    learnAnswers(cycle, 0, cycle.length); // 16 links of the cycle, then the name reached
    expect(nameOf4(192, 0, 2, 9)).toBe('www.example.com');
  });
});

describe('the map of names', () => {
  beforeEach(() => clearPassiveDns());

  it('keeps at most MAX_ADDRESSES, dropping the oldest first, and counts what it drops', () => {
    for (let i = 0; i < MAX_ADDRESSES + 10; i++) nameAddress(false, 0, 0, 0, 0x0a000000 + i, `h${i}`);
    expect(passiveDnsStats()).toEqual({ learned: MAX_ADDRESSES + 10, dropped: 10 });
    expect([0, 9, 10, MAX_ADDRESSES + 9].map((i) => nameOfAddress(false, 0, 0, 0, 0x0a000000 + i))).toEqual(['', '', 'h10', `h${MAX_ADDRESSES + 9}`]);
  });

  it('after names dropped over and over, every address kept is found and none dropped is (IPv4 and IPv6 mixed)', () => {
    const addr = (i: number): [boolean, number, number, number, number] =>
      i % 3 === 0 ? [true, 0x20010db8 | 0, 0, i >>> 8, Math.imul(i, 0x9e3779b1) | 0] : [false, 0, 0, 0, Math.imul(i, 0x9e3779b1) | 0];
    const total = 3 * MAX_ADDRESSES + 1234;
    for (let i = 0; i < total; i++) nameAddress(...addr(i), `n${i}`);
    expect(passiveDnsStats().dropped).toBe(total - MAX_ADDRESSES);
    let found = 0, stale = 0;
    for (let i = 0; i < total; i++) {
      const name = nameOfAddress(...addr(i));
      if (i >= total - MAX_ADDRESSES) found += name === `n${i}` ? 1 : 0;
      else stale += name === '' ? 0 : 1;
    }
    expect([found, stale]).toEqual([MAX_ADDRESSES, 0]);
  });

  it('an address named again becomes the newest; the same name again changes nothing', () => {
    for (let i = 0; i < MAX_ADDRESSES; i++) nameAddress(false, 0, 0, 0, i, `h${i}`);
    nameAddress(false, 0, 0, 0, 0, 'h0'); // the same: still the oldest
    nameAddress(false, 0, 0, 0, 1, 'renamed'); // the newest now; still 65,536 addresses
    expect(passiveDnsStats().dropped).toBe(0);
    nameAddress(false, 0, 0, 0, MAX_ADDRESSES, 'new'); // the oldest, address 0, makes room
    expect([0, 1, 2, MAX_ADDRESSES].map((i) => nameOfAddress(false, 0, 0, 0, i))).toEqual(['', 'renamed', 'h2', 'new']);
    expect(passiveDnsStats().dropped).toBe(1);
    nameAddress(false, 0, 0, 0, MAX_ADDRESSES + 1, 'newer'); // now the oldest, address 2, goes
    expect([1, 2, 3, MAX_ADDRESSES + 1].map((i) => nameOfAddress(false, 0, 0, 0, i))).toEqual(['renamed', '', 'h3', 'newer']);
    expect(passiveDnsStats().dropped).toBe(2);
  });

  it('IPv4 and IPv6 addresses with the same words are different addresses', () => {
    nameAddress(false, 0, 0, 0, 5, 'four');
    nameAddress(true, 0, 0, 0, 5, 'six'); // ::5
    expect(nameOfAddress(false, 0, 0, 0, 5)).toBe('four');
    expect(nameOfAddress(true, 0, 0, 0, 5)).toBe('six');
    expect(nameOfAddress(true, 0, 0, 1, 5)).toBe('');
  });
});
