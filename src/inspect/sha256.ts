/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) over short inputs, for the QUIC Initial key schedule (quic.ts): a
 * try costs three HMACs over a few dozen bytes, and node:crypto's createHmac and hkdfSync cost tens of microseconds
 * each in object set-up (measured ~100 µs a try on bench-2M), where these cost about one. Scratch state is reused; one
 * thread runs the parsers at a time.
 */

const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
const H0 = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

const W = new Int32Array(64);
const STATE = new Int32Array(8);
/** Most bytes hashed at once here: a block of key and a message of up to 128 bytes, with padding. */
const MAX_INPUT = 64 + 128;
const BUF = new Uint8Array(MAX_INPUT + 72);

/** One compression of the 64-byte block at b[off] into STATE. */
function compress(b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const p = off + i * 4;
    W[i] = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!; // p + 3 < off + 64
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!, w2 = W[i - 2]!; // i >= 16
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = STATE[0]!, b1 = STATE[1]!, c = STATE[2]!, d = STATE[3]!, e = STATE[4]!, f = STATE[5]!, g = STATE[6]!, h = STATE[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0; // i < 64
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b1) ^ (a & c) ^ (b1 & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b1;
    b1 = a;
    a = (t1 + t2) | 0;
  }
  STATE[0] = (STATE[0]! + a) | 0;
  STATE[1] = (STATE[1]! + b1) | 0;
  STATE[2] = (STATE[2]! + c) | 0;
  STATE[3] = (STATE[3]! + d) | 0;
  STATE[4] = (STATE[4]! + e) | 0;
  STATE[5] = (STATE[5]! + f) | 0;
  STATE[6] = (STATE[6]! + g) | 0;
  STATE[7] = (STATE[7]! + h) | 0;
}

/** SHA-256 of BUF[0, len) (len <= MAX_INPUT) into out[at, at + 32). BUF is padded in place. */
function digestBuf(len: number, out: Uint8Array, at: number): void {
  STATE.set(H0);
  BUF[len] = 0x80;
  let end = len + 1;
  while ((end & 63) !== 56) BUF[end++] = 0;
  const bits = len * 8;
  BUF[end] = 0;
  BUF[end + 1] = 0;
  BUF[end + 2] = 0;
  BUF[end + 3] = (bits / 0x100000000) >>> 0;
  BUF[end + 4] = bits >>> 24;
  BUF[end + 5] = bits >>> 16;
  BUF[end + 6] = bits >>> 8;
  BUF[end + 7] = bits;
  end += 8;
  for (let p = 0; p < end; p += 64) compress(BUF, p);
  for (let i = 0; i < 8; i++) {
    const v = STATE[i]!; // i < 8
    out[at + i * 4] = v >>> 24;
    out[at + i * 4 + 1] = v >>> 16;
    out[at + i * 4 + 2] = v >>> 8;
    out[at + i * 4 + 3] = v;
  }
}

/** SHA-256 of `data` (at most 192 bytes here). */
export function sha256(data: Uint8Array): Uint8Array {
  if (data.length > MAX_INPUT) throw new RangeError(`sha256: ${data.length} bytes, at most ${MAX_INPUT} here`);
  BUF.set(data);
  const out = new Uint8Array(32);
  digestBuf(data.length, out, 0);
  return out;
}

const KEY = new Uint8Array(64);
const INNER = new Uint8Array(32);

/**
 * HMAC-SHA256 (RFC 2104) of the message `m1` followed by `m2` (both together at most 128 bytes) under `key`, into
 * `out` (32 bytes, a new array when not given).
 */
export function hmacSha256(key: Uint8Array, m1: Uint8Array, m2: Uint8Array | null = null, out = new Uint8Array(32)): Uint8Array {
  const mLen = m1.length + (m2 === null ? 0 : m2.length);
  if (mLen > 128) throw new RangeError(`hmacSha256: ${mLen} bytes of message, at most 128 here`);
  KEY.fill(0);
  if (key.length > 64) KEY.set(sha256(key));
  else KEY.set(key);
  for (let i = 0; i < 64; i++) BUF[i] = KEY[i]! ^ 0x36; // i < 64
  BUF.set(m1, 64);
  if (m2 !== null) BUF.set(m2, 64 + m1.length);
  digestBuf(64 + mLen, INNER, 0);
  for (let i = 0; i < 64; i++) BUF[i] = KEY[i]! ^ 0x5c; // i < 64
  BUF.set(INNER, 64);
  digestBuf(96, out, 0);
  return out;
}
