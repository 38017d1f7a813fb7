/**
 * Flow uids (flow/snapshot.ts): `C` and 17 base-62 digits from the serial and the input's seed, the same in every
 * release so that outputs of one input can be diffed: checked against the algorithm written out plainly here, over
 * serials near every power of two, above 2^32 (folded) and at random, with several seeds, and the string against the
 * bytes the ndjson writer puts in place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { flowUid, setUidSeed, writeFlowUid } from '../../src/flow/snapshot.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The uid, written plainly: a double's division by 62, the words kept as uint32. */
function referenceUid(serial: number, seed: number): string {
  const hi = Math.floor(serial / 4294967296);
  if (hi > 0) serial = (serial ^ Math.imul(hi, 0x27d4eb2d)) >>> 0;
  const a = Math.imul(serial ^ 0x2545f491, 0x9e3779b1) >>> 0;
  const b = Math.imul((serial + 0x6a09e667) ^ (a >>> 15) ^ seed, 0x85ebca6b) >>> 0;
  const c = Math.imul(b ^ (b >>> 13) ^ serial ^ Math.imul(seed, 0x27d4eb2d), 0xc2b2ae35) >>> 0;
  let out = 'C';
  const digits = (w: number, from: number, to: number, mul: number): void => {
    for (let i = from; i < to; i++) {
      const q = Math.floor(w / 62);
      out += BASE62[w - 62 * q];
      w = (q ^ Math.imul(i + 1, mul)) >>> 0;
    }
  };
  digits(a, 0, 6, 0x27d4eb2d);
  digits(b, 6, 12, 0x165667b1);
  digits(c, 12, 17, 0x85ebca6b);
  return out;
}

describe('flow uids', () => {
  afterEach(() => setUidSeed(0));

  it('equal the plain algorithm for serials near powers of two, above 2^32 and at random, with several seeds', () => {
    const serials: number[] = [0, 1, 2, 61, 62, 63];
    for (let k = 1; k <= 52; k++) serials.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    let r = 5;
    for (let i = 0; i < 3000; i++) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      serials.push(i % 3 === 0 ? r * 4096 + i : r);
    }
    const out = new Uint8Array(20);
    for (const seed of [0, 1, -1, 0x7fffffff, -0x80000000, 0x2545f491]) {
      setUidSeed(seed);
      for (const serial of serials) {
        const want = referenceUid(serial, seed | 0);
        expect(flowUid(serial), `serial ${serial}, seed ${seed}`).toBe(want);
        expect(writeFlowUid(out, 1, serial)).toBe(19);
        expect(Buffer.from(out.subarray(1, 19)).toString('latin1')).toBe(want);
      }
    }
  });
});
