/**
 * AES-128 encryption of single blocks (FIPS 197), for QUIC Initials (quic.ts): header protection is AES-ECB of one
 * 16-byte sample (RFC 9001 §5.4.3), and the first block of an Initial's payload is AES-GCM's counter mode, whose
 * keystream is the encryption of one counter block (NIST SP 800-38D §7.1), which lets quic.ts read the first
 * plaintext byte before it authenticates a packet. node:crypto's createCipheriv costs far more in set-up than
 * one block (most UDP datagrams to port 443 that look like an Initial are tried once and are not one); the payload
 * itself is still decrypted and authenticated by node:crypto.
 *
 * Round keys are expanded once per key (expandKey); encryptBlock then does ten table rounds. Tables are built at
 * load from the field arithmetic, not written out.
 */

/** The S-box (FIPS 197 §5.1.1). */
const SBOX = new Uint8Array(256);
/** Round tables: SubBytes, ShiftRows' byte and MixColumns' column for each input byte, in the four rotations. */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);

/** Multiplication by x (that is, 2) in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
function xtime(b: number): number {
  return ((b << 1) ^ ((b & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
}

(function buildTables(): void {
  // The S-box: the multiplicative inverse in GF(2^8) (0 for 0), then the affine map. Walking p over the powers of 3
  // (a generator) and q over the powers of its inverse gives each element with its inverse.
  let p = 1, q = 1;
  do {
    p = p ^ xtime(p); // p * 3
    q ^= q << 1; // q / 3
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if ((q & 0x80) !== 0) q ^= 0x09;
    const rot = (v: number, n: number): number => ((v << n) | (v >>> (8 - n))) & 0xff;
    SBOX[p] = q ^ rot(q, 1) ^ rot(q, 2) ^ rot(q, 3) ^ rot(q, 4) ^ 0x63;
  } while (p !== 1);
  SBOX[0] = 0x63;
  for (let x = 0; x < 256; x++) {
    const s = SBOX[x]!; // x < 256
    const s2 = xtime(s);
    const t = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s); // column (2s, s, s, 3s), big-endian
    T0[x] = t;
    T1[x] = (t >>> 8) | (t << 24);
    T2[x] = (t >>> 16) | (t << 16);
    T3[x] = (t >>> 24) | (t << 8);
  }
})();

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/** The 44 round-key words of a 16-byte AES-128 key (FIPS 197 §5.2), big-endian words. */
export function expandKey(key: Uint8Array): Int32Array {
  if (key.length !== 16) throw new Error(`AES-128 needs a 16-byte key, not ${key.length}`);
  const w = new Int32Array(44);
  for (let i = 0; i < 4; i++) w[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!; // < 16
  for (let i = 4; i < 44; i++) {
    let t = w[i - 1]!; // i >= 4
    if (i % 4 === 0) {
      // SubWord(RotWord(t)) ^ Rcon
      t = (SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) | (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!;
      t ^= RCON[i / 4 - 1]! << 24; // i / 4 - 1 < 10
    }
    w[i] = w[i - 4]! ^ t;
  }
  return w;
}

/** Encrypts the 16 bytes at `input[at]` under round keys `w` (expandKey) into `out[0..16)`. */
export function encryptBlock(w: Int32Array, input: Uint8Array, at: number, out: Uint8Array): void {
  let s0 = word(input, at) ^ w[0]!, s1 = word(input, at + 4) ^ w[1]!, s2 = word(input, at + 8) ^ w[2]!, s3 = word(input, at + 12) ^ w[3]!;
  for (let r = 4; r < 40; r += 4) {
    const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ w[r]!; // r + 3 < 44
    const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ w[r + 1]!;
    const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ w[r + 2]!;
    const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ w[r + 3]!;
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  // The last round: no MixColumns.
  putWord(out, 0, lastRound(s0, s1, s2, s3) ^ w[40]!);
  putWord(out, 4, lastRound(s1, s2, s3, s0) ^ w[41]!);
  putWord(out, 8, lastRound(s2, s3, s0, s1) ^ w[42]!);
  putWord(out, 12, lastRound(s3, s0, s1, s2) ^ w[43]!);
}

function lastRound(a: number, b: number, c: number, d: number): number {
  return (SBOX[a >>> 24]! << 24) | (SBOX[(b >>> 16) & 0xff]! << 16) | (SBOX[(c >>> 8) & 0xff]! << 8) | SBOX[d & 0xff]!;
}

function word(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function putWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}
