import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from '../../src/decode/address.js';

/** Four big-endian words from eight 16-bit groups. */
const w = (...g: number[]) => [0, 2, 4, 6].map((i) => ((g[i]! << 16) | g[i + 1]!) >>> 0);

describe('formatIpv4', () => {
  it.each([[0xc0a80001, '192.168.0.1'], [0, '0.0.0.0'], [0xffffffff, '255.255.255.255'], [0x0a000102, '10.0.1.2']])(
    '%i -> %s', (n, s) => expect(formatIpv4(n)).toBe(s));
});

describe('formatIpv6 (RFC 5952)', () => {
  it.each([
    [w(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1'], // §4.2.1 longest run compressed
    [w(0, 0, 0, 0, 0, 0, 0, 0), '::'],
    [w(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    [w(0xfe80, 0, 0, 0, 0, 0, 0, 0), 'fe80::'],
    [w(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single 0 group is not compressed
    [w(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'], // §4.2.3 the longest run
    [w(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'], // §4.2.3 first run on ties
    [w(0x2001, 0xDB8, 0xABCD, 0x12, 0, 0, 0, 0xFFFF), '2001:db8:abcd:12::ffff'], // §4.3 lower case, no leading zeros
    [w(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0280), '::ffff:192.0.2.128'], // §5 IPv4-mapped
    [w(0x2604, 0x1380, 0x4091, 0xce00, 0, 0, 0, 0xb), '2604:1380:4091:ce00::b'],
  ])('%j -> %s', (words, text) => {
    expect(formatIpv6(words)).toBe(text);
    expect(formatIpv6(Uint32Array.from(words))).toBe(text);
  });
});
