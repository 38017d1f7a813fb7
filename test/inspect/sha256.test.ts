/**
 * SHA-256 and HMAC-SHA256 (src/inspect/sha256.ts) against FIPS 180-4's and RFC 4231's own examples, and against
 * node:crypto (OpenSSL) at every input length they take.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256 } from '../../src/inspect/sha256.js';

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('SHA-256 (FIPS 180-4)', () => {
  it('the standard\'s examples: "abc", the empty message, and two blocks', () => {
    expect(hexOf(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hexOf(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hexOf(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('equals OpenSSL\'s at every length from 0 to 192 bytes', () => {
    for (let n = 0; n <= 192; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff);
      expect(hexOf(sha256(data)), `${n} bytes`).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('HMAC-SHA256 (RFC 2104; RFC 4231 test cases)', () => {
  it('test cases 1, 2 and 6 (a key longer than a block is hashed first)', () => {
    expect(hexOf(hmacSha256(new Uint8Array(20).fill(0x0b), ascii('Hi There'))))
      .toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(hexOf(hmacSha256(ascii('Jefe'), ascii('what do ya want '), ascii('for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hexOf(hmacSha256(new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'))))
      .toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  it('equals OpenSSL\'s for keys of 0 to 80 bytes and messages of 0 to 128', () => {
    for (let k = 0; k <= 80; k += 5) {
      for (let n = 0; n <= 128; n += 7) {
        const key = Uint8Array.from({ length: k }, (_, i) => (i * 17 + k) & 0xff);
        const m = Uint8Array.from({ length: n }, (_, i) => (i * 29 + n) & 0xff);
        expect(hexOf(hmacSha256(key, m.subarray(0, n >> 1), m.subarray(n >> 1))), `key ${k}, message ${n}`)
          .toBe(createHmac('sha256', key).update(m).digest('hex'));
      }
    }
  });

  it('refuses what does not fit its buffers, instead of hashing something else', () => {
    expect(() => sha256(new Uint8Array(193))).toThrow(RangeError);
    expect(() => hmacSha256(new Uint8Array(32), new Uint8Array(129))).toThrow(RangeError);
  });
});
