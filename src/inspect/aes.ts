/**
 * AES-128 (FIPS 197) encryption of single blocks, for the QUIC Initial tries (quic.ts): the header-protection mask
 * (RFC 9001 §5.4.3, AES-ECB of one sample block) and the first keystream block of the payload (AES-GCM's counter mode,
 * NIST SP 800-38D §7.1), which tells whether a datagram can be a client Initial before node:crypto is asked to
 * authenticate it. In a run that is busy with other work, each node:crypto cipher made costs tens of microseconds
 * (its set-up runs cold); one block here costs about one. Not constant-time, which does not matter here: the keys are
 * derived from the packet itself (RFC 9001 §5.2), and nothing secret is at stake.
 */

/** The S-box (FIPS 197 §5.1.1), computed from the multiplicative inverse in GF(2^8) and the affine transform. */
const SBOX = new Uint8Array(256);
{
  // Walk the field with the generator 3 (p) and its inverse (q) in step: q = p^-1 at every step.
  let p = 1, q = 1;
  do {
    p = p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0); // p * 3
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09; // q / 3
    const x = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4);
    SBOX[p] = x ^ 0x63;
  } while (p !== 1);
  SBOX[0] = 0x63;
}

function rotl8(x: number, n: number): number {
  return ((x << n) | (x >>> (8 - n))) & 0xff;
}

/** Multiplication by x (that is, 2) in GF(2^8) with the AES polynomial. */
function xtime(x: number): number {
  return ((x << 1) ^ (x & 0x80 ? 0x1b : 0)) & 0xff;
}

/** Bytes of an AES-128 key schedule: 11 round keys of 16 bytes. */
export const SCHEDULE_BYTES = 176;

/** Expands the 16-byte key at key[off] into `out` (SCHEDULE_BYTES: FIPS 197 §5.2). */
export function expandKey128(key: Uint8Array, off: number, out: Uint8Array): void {
  for (let i = 0; i < 16; i++) out[i] = key[off + i]!; // off + 16 <= key.length (caller passes a whole key)
  let rcon = 1;
  for (let i = 16; i < SCHEDULE_BYTES; i += 4) {
    let t0 = out[i - 4]!, t1 = out[i - 3]!, t2 = out[i - 2]!, t3 = out[i - 1]!; // i >= 16
    if (i % 16 === 0) {
      // RotWord, SubWord, and the round constant.
      const r = t0;
      t0 = SBOX[t1]! ^ rcon;
      t1 = SBOX[t2]!;
      t2 = SBOX[t3]!;
      t3 = SBOX[r]!;
      rcon = xtime(rcon);
    }
    out[i] = out[i - 16]! ^ t0;
    out[i + 1] = out[i - 15]! ^ t1;
    out[i + 2] = out[i - 14]! ^ t2;
    out[i + 3] = out[i - 13]! ^ t3;
  }
}

const S = new Uint8Array(16);
const T = new Uint8Array(16);

/**
 * Encrypts the 16-byte block at src[srcOff] under key schedule `w` (expandKey128) into dst[dstOff, dstOff + 16)
 * (FIPS 197 §5.1). src and dst may be the same.
 */
export function encryptBlock128(w: Uint8Array, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 16; i++) S[i] = src[srcOff + i]! ^ w[i]!; // srcOff + 16 <= src.length
  for (let round = 1; round <= 10; round++) {
    // SubBytes and ShiftRows into T: byte (row r, column c) comes from column c + r (state is column-major).
    for (let c = 0; c < 4; c++) {
      T[4 * c] = SBOX[S[4 * c]!]!;
      T[4 * c + 1] = SBOX[S[4 * ((c + 1) & 3) + 1]!]!;
      T[4 * c + 2] = SBOX[S[4 * ((c + 2) & 3) + 2]!]!;
      T[4 * c + 3] = SBOX[S[4 * ((c + 3) & 3) + 3]!]!;
    }
    const k = 16 * round;
    if (round === 10) {
      for (let i = 0; i < 16; i++) S[i] = T[i]! ^ w[k + i]!;
      break;
    }
    // MixColumns (§5.1.3) and AddRoundKey.
    for (let c = 0; c < 4; c++) {
      const a0 = T[4 * c]!, a1 = T[4 * c + 1]!, a2 = T[4 * c + 2]!, a3 = T[4 * c + 3]!;
      const all = a0 ^ a1 ^ a2 ^ a3;
      S[4 * c] = a0 ^ all ^ xtime(a0 ^ a1) ^ w[k + 4 * c]!;
      S[4 * c + 1] = a1 ^ all ^ xtime(a1 ^ a2) ^ w[k + 4 * c + 1]!;
      S[4 * c + 2] = a2 ^ all ^ xtime(a2 ^ a3) ^ w[k + 4 * c + 2]!;
      S[4 * c + 3] = a3 ^ all ^ xtime(a3 ^ a0) ^ w[k + 4 * c + 3]!;
    }
  }
  for (let i = 0; i < 16; i++) dst[dstOff + i] = S[i]!;
}
