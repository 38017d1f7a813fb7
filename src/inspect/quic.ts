/**
 * QUIC client Initial packets (RFC 9000 §17.2.2) decrypted as RFC 9001 §5 describes, for the TLS ClientHello inside:
 * the Initial keys come from the client's first Destination Connection ID and a salt fixed by the version, so no
 * secret is needed. Versions 1 (RFC 9001), 2 (RFC 9369) and draft-29.
 *
 * The header is read in place and a packet that is no client Initial costs no allocation. Decrypting (node:crypto:
 * HMAC for HKDF, AES-128-ECB for header protection, AES-128-GCM for the payload) allocates, and only runs for
 * datagrams of at least 1200 bytes (a client pads every datagram with an Initial to that size: RFC 9000 §14.1), for
 * the first packets of a flow.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hmacSha256 } from './sha256.js';
import { parseClientHelloMessage, type TlsHello } from './tls.js';

const V1 = 0x00000001;
const V2 = 0x6b3343cf;
const DRAFT29 = 0xff00001d;

const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const SALT_DRAFT29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex');

/** Smallest UDP payload of a client Initial (RFC 9000 §14.1). */
export const MIN_CLIENT_INITIAL = 1200;
/** Most CRYPTO stream bytes gathered for the ClientHello. */
const MAX_CRYPTO = 8192;
const EMPTY = new Uint8Array(0);

/** Where the client Initial's header ended up: offsets into the bytes parsed. */
export class QuicHeader {
  version = 0;
  dcidOff = 0;
  dcidLen = 0;
  /** Offset of the (protected) packet number, and the end of this packet (Length field). */
  pnOff = 0;
  packetEnd = 0;
}

/**
 * The keys of the client's Initial packets. The packet key and IV are derived when first needed: a packet whose
 * header does not unprotect to a valid first byte needs only the header-protection key.
 */
class InitialKeys {
  readonly version: number;
  readonly hp: Buffer;
  private readonly secret: Buffer;
  /** The HKDF labels of the version (v2's are "quicv2 ...": RFC 9369 §3.3.2). */
  private readonly labels: Labels;
  private keyBytes: Buffer | null = null;
  private ivBytes: Buffer | null = null;
  constructor(version: number, secret: Buffer) {
    this.version = version;
    this.secret = secret;
    this.labels = version === V2 ? LABELS_V2 : LABELS_V1;
    this.hp = expandLabel(secret, this.labels.hp, 16);
  }
  get key(): Buffer {
    return (this.keyBytes ??= expandLabel(this.secret, this.labels.key, 16));
  }
  get iv(): Buffer {
    return (this.ivBytes ??= expandLabel(this.secret, this.labels.iv, 12));
  }
}

/** Reads a variable-length integer (RFC 9000 §16) at p: sets VARINT.value and returns the offset after it, or -1. */
const VARINT = { value: 0 };
function varint(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const first = b[p]!;
  const n = 1 << (first >>> 6);
  if (p + n > end) return -1;
  let v = first & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + b[p + i]!; // exact below 2^53, more than any length here
  VARINT.value = v;
  return p + n;
}

/**
 * Parses a long-header Initial packet at b[off, end) (the UDP payload). True when its header is whole, with a known
 * version, and its Length fits the datagram. Allocates nothing.
 */
export function parseInitialHeader(b: Uint8Array, off: number, end: number, out: QuicHeader): boolean {
  if (end - off < 7) return false;
  const b0 = b[off]!;
  if ((b0 & 0x80) === 0) return false;
  const version = ((b[off + 1]! << 24) | (b[off + 2]! << 16) | (b[off + 3]! << 8) | b[off + 4]!) >>> 0;
  const type = (b0 >>> 4) & 3;
  if (version === V2 ? type !== 1 : (version !== V1 && version !== DRAFT29) || type !== 0) return false;
  let p = off + 5;
  const dcidLen = b[p]!;
  if (dcidLen > 20 || p + 1 + dcidLen >= end) return false;
  const dcidOff = p + 1;
  p = dcidOff + dcidLen;
  const scidLen = b[p]!;
  if (scidLen > 20) return false;
  p += 1 + scidLen;
  p = varint(b, p, end); // token length
  if (p < 0 || p + VARINT.value > end) return false;
  p += VARINT.value;
  p = varint(b, p, end); // Length: packet number and payload
  if (p < 0) return false;
  const len = VARINT.value;
  if (len < 20 || p + len > end) return false;
  out.version = version;
  out.dcidOff = dcidOff;
  out.dcidLen = dcidLen;
  out.pnOff = p;
  out.packetEnd = p + len;
  return true;
}

/** The HkdfLabel (RFC 8446 §7.1) of `label` with an empty context, for `length` bytes: HKDF-Expand's info. */
function hkdfLabel(label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  return Buffer.concat([Buffer.from([length >>> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
}
interface Labels {
  readonly hp: Buffer;
  readonly key: Buffer;
  readonly iv: Buffer;
}
const LABELS_V1: Labels = { hp: hkdfLabel('quic hp', 16), key: hkdfLabel('quic key', 16), iv: hkdfLabel('quic iv', 12) };
const LABELS_V2: Labels = { hp: hkdfLabel('quicv2 hp', 16), key: hkdfLabel('quicv2 key', 16), iv: hkdfLabel('quicv2 iv', 12) };
const ONE = Buffer.from([1]);

/** `n` bytes of HMAC output as a Buffer (a view, no copy). */
function bytes(h: Uint8Array, n: number): Buffer {
  return Buffer.from(h.buffer, h.byteOffset, n);
}

/**
 * HKDF-Expand-Label (RFC 8446 §7.1) with an empty context and the label's info made once (hkdfLabel), for at most 32
 * bytes: one HMAC block, T(1) = HMAC(secret, info | 0x01). HMAC-SHA256 is sha256.ts's: node:crypto's cost more in set-up
 * than the hash.
 */
function expandLabel(secret: Uint8Array, info: Buffer, length: number): Buffer {
  return bytes(hmacSha256(secret, info, ONE), length);
}

const CLIENT_IN = hkdfLabel('client in', 32);

/**
 * The client's Initial keys for `version` and the client's first Destination Connection ID (RFC 9001 §5.2): the initial
 * secret is HKDF-Extract(salt of the version, DCID) = HMAC(salt, DCID), the client's secret HKDF-Expand-Label of it,
 * "client in".
 */
export function clientInitialKeys(version: number, dcid: Uint8Array): InitialKeys {
  const salt = version === V2 ? SALT_V2 : version === DRAFT29 ? SALT_DRAFT29 : SALT_V1;
  return new InitialKeys(version, expandLabel(hmacSha256(salt, dcid), CLIENT_IN, 32));
}

/**
 * Removes header protection and decrypts the Initial packet described by `h` (bytes are copied; the input is not
 * changed). Returns the plaintext frames, or null when the packet does not decrypt under `keys`.
 */
export function decryptInitial(b: Uint8Array, off: number, h: QuicHeader, keys: InitialKeys): Buffer | null {
  const sampleOff = h.pnOff + 4;
  if (sampleOff + 16 > h.packetEnd) return null;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(b.subarray(sampleOff, sampleOff + 16));
  const header = Buffer.from(b.subarray(off, h.pnOff + 4)); // with room for the longest packet number
  header[0] = header[0]! ^ (mask[0]! & 0x0f);
  // The reserved bits are 0 in every packet sent (RFC 9000 §17.2): bytes that unprotect otherwise are no Initial
  // under these keys, and need no AEAD to tell (three in four random packets).
  if ((header[0]! & 0x0c) !== 0) return null;
  const pnLen = (header[0]! & 3) + 1;
  const pnAt = h.pnOff - off;
  let pn = 0;
  for (let i = 0; i < pnLen; i++) {
    header[pnAt + i] = header[pnAt + i]! ^ mask[1 + i]!;
    pn = pn * 256 + header[pnAt + i]!;
  }
  const aad = header.subarray(0, pnAt + pnLen);
  const payloadOff = h.pnOff + pnLen;
  if (h.packetEnd - payloadOff < 16 + 1) return null;
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4 && pn > 0; i++) {
    nonce[11 - i] = nonce[11 - i]! ^ (pn & 0xff);
    pn = Math.floor(pn / 256);
  }
  // A packet that fails authentication makes final() throw: without a stack trace, the throw costs little (most
  // packets tried are no client Initial).
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce);
    d.setAAD(aad);
    d.setAuthTag(b.subarray(h.packetEnd - 16, h.packetEnd));
    const plain = d.update(b.subarray(payloadOff, h.packetEnd - 16));
    d.final();
    return plain;
  } catch {
    return null; // authentication failed: not a client Initial under these keys
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
}

/**
 * The CRYPTO stream of a connection's client Initials, gathered in order of offset up to MAX_CRYPTO bytes, until the
 * ClientHello in it is whole.
 */
export class QuicCrypto {
  /** The stream's bytes by offset: allocated with the first CRYPTO frame (a packet that does not decrypt costs none). */
  data: Uint8Array = EMPTY;
  /** Ranges [start, end) received, as pairs. */
  private readonly ranges: number[] = [];
  keys: InitialKeys | null = null;

  /**
   * Adds the CRYPTO frames of decrypted Initial `frames`. Returns false when the frames are malformed (a frame type
   * an Initial may not carry, a length beyond the packet).
   */
  addFrames(frames: Uint8Array): boolean {
    const end = frames.length;
    let p = 0;
    while (p < end) {
      const type = frames[p]!;
      if (type === 0x00 || type === 0x01) { p++; continue; } // PADDING, PING
      if (type === 0x02 || type === 0x03) { // ACK (RFC 9000 §19.3)
        p = varint(frames, p + 1, end); // largest acknowledged
        if (p >= 0) p = varint(frames, p, end); // delay
        if (p < 0) return false;
        p = varint(frames, p, end); // range count
        if (p < 0) return false;
        const ranges = VARINT.value;
        p = varint(frames, p, end); // first range
        for (let i = 0; i < ranges * 2 && p >= 0 && i < 512; i++) p = varint(frames, p, end);
        if (type === 0x03) for (let i = 0; i < 3 && p >= 0; i++) p = varint(frames, p, end);
        if (p < 0) return false;
        continue;
      }
      if (type === 0x06) { // CRYPTO (§19.6)
        p = varint(frames, p + 1, end);
        if (p < 0) return false;
        const at = VARINT.value;
        p = varint(frames, p, end);
        if (p < 0) return false;
        const len = VARINT.value;
        if (p + len > end) return false;
        const stop = Math.min(at + len, MAX_CRYPTO);
        if (at < stop) {
          if (this.data.length === 0) this.data = new Uint8Array(MAX_CRYPTO);
          this.data.set(frames.subarray(p, p + (stop - at)), at);
          this.ranges.push(at, stop);
        }
        p += len;
        continue;
      }
      if (type === 0x1c) return true; // CONNECTION_CLOSE: nothing after it matters
      return false;
    }
    return true;
  }

  /** How many bytes from offset 0 are there without a hole. */
  contiguous(): number {
    let upTo = 0;
    for (let grown = true; grown; ) {
      grown = false;
      for (let i = 0; i < this.ranges.length; i += 2) {
        const s = this.ranges[i]!, e = this.ranges[i + 1]!; // pairs
        if (s <= upTo && e > upTo) {
          upTo = e;
          grown = true;
        }
      }
    }
    return upTo;
  }

  /** Parses the ClientHello when it is whole: true when found (see TlsHello). */
  clientHello(out: TlsHello): boolean {
    return parseClientHelloMessage(this.data, 0, this.contiguous(), out);
  }
}

/**
 * Feeds one UDP payload b[off, end) to `crypto`: when it starts with a client Initial that decrypts (with the keys of
 * this connection's first Initial, or else its own Destination Connection ID's), its CRYPTO frames are gathered.
 * Returns true when the packet was a client Initial that decrypted.
 */
export function feedInitial(b: Uint8Array, off: number, end: number, h: QuicHeader, crypto: QuicCrypto): boolean {
  if (end - off < MIN_CLIENT_INITIAL || !parseInitialHeader(b, off, end, h)) return false;
  let plain: Buffer | null = null;
  if (crypto.keys !== null && crypto.keys.version === h.version) plain = decryptInitial(b, off, h, crypto.keys);
  if (plain === null) {
    const keys = clientInitialKeys(h.version, b.subarray(h.dcidOff, h.dcidOff + h.dcidLen));
    plain = decryptInitial(b, off, h, keys);
    if (plain === null) return false;
    if (crypto.keys === null) crypto.keys = keys;
  }
  return crypto.addFrames(plain);
}
