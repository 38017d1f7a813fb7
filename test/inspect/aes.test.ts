/** AES-128 single blocks (src/inspect/aes.ts) against FIPS 197's example and node:crypto's AES-128-ECB. */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptBlock, expandKey } from '../../src/inspect/aes.js';

describe('AES-128 encryptBlock', () => {
  it("encrypts FIPS 197's example (Appendix C.1) and expands its key as Appendix A.1 does", () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const out = new Uint8Array(16);
    encryptBlock(expandKey(key), Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 0, out);
    expect(Buffer.from(out).toString('hex')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    const w = expandKey(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex'));
    expect((w[43]! >>> 0).toString(16)).toBe('b6630ca6');
  });

  it('equals node:crypto AES-128-ECB on random keys and blocks, read at any offset', () => {
    let seed = 99;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const out = new Uint8Array(16);
    for (let k = 0; k < 500; k++) {
      const key = Uint8Array.from({ length: 16 }, rand);
      const data = Uint8Array.from({ length: 16 + (k % 7) }, rand);
      const at = k % 7;
      encryptBlock(expandKey(key), data, at, out);
      const want = createCipheriv('aes-128-ecb', key, null).update(data.subarray(at, at + 16));
      expect(Buffer.from(out).toString('hex'), `key ${k}`).toBe(want.toString('hex'));
    }
  });

  it('refuses a key of another length', () => {
    expect(() => expandKey(new Uint8Array(32))).toThrow(/16-byte key/);
  });
});
