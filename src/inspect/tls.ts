/**
 * TLS ClientHello and ServerHello (RFC 8446 §4.1.2-4.1.3, RFC 5246 §7.4.1; extensions: server_name RFC 6066 §3,
 * ALPN RFC 7301 §3.1). Reads in place, writes offsets into a reused {@link TlsHello}; allocates nothing, on success
 * or failure. Every length is checked against the one around it: a lying length is a failure, never a read beyond.
 */

/** What a TLS record at the start of a direction's bytes holds. */
export const Tls = {
  /** Not a TLS handshake record (or a malformed one). */
  NOT: 0,
  /** The start of a handshake record whose stated length runs beyond the bytes given: see TlsHello.needed. */
  MORE: 1,
  CLIENT_HELLO: 2,
  SERVER_HELLO: 3,
} as const;
export type TlsResult = (typeof Tls)[keyof typeof Tls];

/** Offsets of what a hello carried, into the bytes parsed; -1 when absent. */
export class TlsHello {
  /** The first host_name of the server_name extension. */
  sniOff = -1;
  sniLen = 0;
  /** The ALPN extension's protocol_name_list (each name: 1 length byte, then the name). */
  alpnOff = -1;
  alpnLen = 0;
  /** With Tls.MORE: how many bytes from the record's start the first handshake message needs. */
  needed = 0;

  reset(): void {
    this.sniOff = -1;
    this.sniLen = 0;
    this.alpnOff = -1;
    this.alpnLen = 0;
    this.needed = 0;
  }
}

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
/** Largest handshake message followed across records' worth of segments (a ClientHello with post-quantum shares is ~1.8 KB). */
export const MAX_HELLO = 16384;

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!; // callers check i + 1 < end

/**
 * Parses the TLS record at b[off, end): a handshake record (content type 22, version 3.x) whose first message is a
 * ClientHello or ServerHello. A record cut short by the end of the bytes gives Tls.MORE with `out.needed` set (the
 * caller may gather more of the stream and call again), unless its stated length is beyond MAX_HELLO.
 */
export function parseTlsRecord(b: Uint8Array, off: number, end: number, out: TlsHello): TlsResult {
  // Most payloads tried are no handshake record: told from the first bytes, before `out` is touched.
  if (end - off < 5 || b[off] !== HANDSHAKE || b[off + 1] !== 3 || b[off + 2]! > 4) return Tls.NOT;
  out.reset();
  const recLen = u16(b, off + 3);
  if (recLen < 4 || recLen > 16384 + 2048) return Tls.NOT;
  if (end - off < 9) {
    out.needed = 9;
    return Tls.MORE;
  }
  const type = b[off + 5]!;
  if (type !== CLIENT_HELLO && type !== SERVER_HELLO) return Tls.NOT;
  const msgLen = (b[off + 6]! << 16) | (b[off + 7]! << 8) | b[off + 8]!;
  if (msgLen < 38 || msgLen > MAX_HELLO) return Tls.NOT;
  // A hello longer than its record continues in the next records: each has a 5-byte header of its own, which this
  // parser does not splice out, so only hellos within one record are read (browsers send them so).
  if (msgLen > recLen - 4) return Tls.NOT;
  if (end - off < 9 + msgLen) {
    out.needed = 9 + msgLen;
    return Tls.MORE;
  }
  if (type === SERVER_HELLO) return parseHelloBody(b, off + 9, off + 9 + msgLen, false, out) ? Tls.SERVER_HELLO : Tls.NOT;
  return parseHelloBody(b, off + 9, off + 9 + msgLen, true, out) ? Tls.CLIENT_HELLO : Tls.NOT;
}

/**
 * Parses a ClientHello handshake message that starts at `off` with its 4-byte handshake header (as QUIC's CRYPTO
 * frames carry it, without a record layer). Returns false for anything else or when it is cut short.
 */
export function parseClientHelloMessage(b: Uint8Array, off: number, end: number, out: TlsHello): boolean {
  out.reset();
  if (end - off < 4 || b[off] !== CLIENT_HELLO) return false;
  const msgLen = (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  if (msgLen > end - off - 4) return false;
  return parseHelloBody(b, off + 4, off + 4 + msgLen, true, out);
}

/** The hello body b[off, end): version, random, session id, suites, compression (client), extensions. */
function parseHelloBody(b: Uint8Array, off: number, end: number, client: boolean, out: TlsHello): boolean {
  let p = off + 2 + 32; // legacy_version, random
  if (p + 1 > end) return false;
  const sid = b[p]!;
  if (sid > 32) return false;
  p += 1 + sid;
  if (client) {
    if (p + 2 > end) return false;
    const suites = u16(b, p);
    if (suites < 2 || (suites & 1) !== 0) return false;
    p += 2 + suites;
    if (p + 1 > end) return false;
    const comp = b[p]!;
    if (comp < 1) return false;
    p += 1 + comp;
  } else {
    p += 3; // cipher_suite, legacy_compression_method
  }
  if (p > end) return false;
  if (p === end) return true; // no extensions (TLS 1.0 without any)
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16(b, p);
  if (extEnd > end) return false;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    const body = p + 4;
    if (body + len > extEnd) return false;
    if (client && type === EXT_SERVER_NAME && out.sniOff < 0 && !readServerName(b, body, body + len, out)) return false;
    if (client && type === EXT_ALPN && out.alpnOff < 0) {
      if (len < 2 || u16(b, body) !== len - 2 || !alpnListOk(b, body + 2, body + len)) return false;
      out.alpnOff = body + 2;
      out.alpnLen = len - 2;
    }
    p = body + len;
  }
  return p === extEnd;
}

/** server_name extension body: a list of (type, length, name); the first host_name (type 0) is taken. */
function readServerName(b: Uint8Array, off: number, end: number, out: TlsHello): boolean {
  if (end - off < 2) return end === off; // an empty extension answers a ClientHello's (ServerHello side)
  if (u16(b, off) !== end - off - 2) return false;
  for (let p = off + 2; p < end; ) {
    if (p + 3 > end) return false;
    const nameLen = u16(b, p + 1);
    if (p + 3 + nameLen > end) return false;
    if (b[p] === 0 && out.sniOff < 0 && nameLen > 0) {
      out.sniOff = p + 3;
      out.sniLen = nameLen;
    }
    p += 3 + nameLen;
  }
  return true;
}

/** ALPN protocol_name_list: non-empty names of 1-255 bytes that fill it exactly. */
function alpnListOk(b: Uint8Array, off: number, end: number): boolean {
  let p = off;
  while (p < end) {
    const n = b[p]!;
    if (n === 0 || p + 1 + n > end) return false;
    p += 1 + n;
  }
  return p === end && end > off;
}

/** The ALPN names of b[off, off + len) (a checked protocol_name_list), as text joined by commas. */
export function alpnText(b: Uint8Array, off: number, len: number, text: (b: Uint8Array, off: number, len: number) => string): string {
  let s = '';
  for (let p = off; p < off + len; ) {
    const n = b[p]!;
    s += (s === '' ? '' : ',') + text(b, p + 1, n);
    p += 1 + n;
  }
  return s;
}
