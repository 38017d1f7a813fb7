import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptBlock128, expandKey128, SCHEDULE_BYTES } from '../../src/inspect/aes.js';

function encrypt(keyHex: string, blockHex: string): string {
  const w = new Uint8Array(SCHEDULE_BYTES);
  expandKey128(Buffer.from(keyHex, 'hex'), 0, w);
  const out = new Uint8Array(16);
  encryptBlock128(w, Buffer.from(blockHex, 'hex'), 0, out, 0);
  return Buffer.from(out).toString('hex');
}

describe('AES-128 single blocks', () => {
  it('encrypts FIPS 197 Appendix C.1 and B', () => {
    expect(encrypt('000102030405060708090a0b0c0d0e0f', '00112233445566778899aabbccddeeff')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    expect(encrypt('2b7e151628aed2a6abf7158809cf4f3c', '3243f6a8885a308d313198a2e0370734')).toBe('3925841d02dc09fbdc118597196a0b32');
  });

  it('expands the key as FIPS 197 Appendix A.1 lists (last round key)', () => {
    const w = new Uint8Array(SCHEDULE_BYTES);
    expandKey128(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex'), 0, w);
    expect(Buffer.from(w.subarray(160)).toString('hex')).toBe('d014f9a8c9ee2589e13f0cc8b6630ca6');
  });

  it("gives RFC 9001 Appendix A.2's header-protection mask", () => {
    expect(encrypt('9f50449e04a0e810283a1e9933adedd2', 'd1b1c98dd7689fb8ec11d242b123dc9b').slice(0, 10)).toBe('437b9aec36');
  });

  it('agrees with node:crypto on random keys and blocks, at any offset, in place', () => {
    const w = new Uint8Array(SCHEDULE_BYTES);
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(19), buf = randomBytes(21);
      const keyOff = i % 4, off = i % 6;
      const expected = createCipheriv('aes-128-ecb', key.subarray(keyOff, keyOff + 16), null).update(buf.subarray(off, off + 16));
      expandKey128(key, keyOff, w);
      encryptBlock128(w, buf, off, buf, off);
      expect(buf.subarray(off, off + 16).equals(expected)).toBe(true);
    }
  });
});
