/**
 * Community ID flow hash, version 1 (corelight/community-id-spec), as Zeek's policy script, Suricata and Wireshark
 * write it, so that sockscope's records join theirs: `1:` and the base64 (or hex) of the SHA-1 of
 *
 *     seed (2 bytes) | source address (4 or 16) | destination address | protocol (1) | 0 (1) | source port (2) | destination port (2)
 *
 * all in network order, with the (address, port) pairs ordered smallest first so that both directions hash the same,
 * except for ICMP messages without a counterpart, which keep their direction. ICMP and ICMPv6 stand their type in the
 * source port and the counterpart type (echo 8/0, ...) or else the code in the destination port: exactly the ports of
 * sockscope's (and Zeek's) flow key, whose ICMP counterpart tables are the specification's. Protocols without ports
 * hash no ports.
 *
 * The hash is computed when a record is written, from the record's key: one SHA-1 block of at most 40 bytes, hashed
 * here into reused buffers (about 5 times cheaper than node:crypto's createHash per record, see the benchmark note in
 * the README).
 */
import type { Flow } from './flow.js';
import type { FlowRecord } from './record.js';

/** How community IDs are written. */
export interface CommunityIdSettings {
  /** Write community_id at all. @default true */
  enabled: boolean;
  /** The 16-bit seed hashed in front of the tuple (Zeek's `CommunityID::seed`). @default 0 */
  seed: number;
  /** base64 of the digest (the specification's default) rather than hex. @default true */
  base64: boolean;
}

/**
 * The settings the record fields use. Process-wide, as Zeek's `CommunityID::seed` is: set once by the command line
 * before a run (shard workers keep the defaults: see pickThreads).
 */
export const communityIdSettings: CommunityIdSettings = { enabled: true, seed: 0, base64: true };

/** Sets the process-wide settings (see communityIdSettings); unnamed ones go back to their defaults. */
export function configureCommunityId(s: Partial<CommunityIdSettings> = {}): void {
  communityIdSettings.enabled = s.enabled ?? true;
  communityIdSettings.seed = s.seed ?? 0;
  communityIdSettings.base64 = s.base64 ?? true;
}

const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58, SCTP = 132;

/** ICMPv4 types with a counterpart in the specification (echo, timestamp, information, router, address mask). */
function icmp4Paired(type: number): boolean {
  return type === 0 || type === 8 || (type >= 9 && type <= 10) || (type >= 13 && type <= 18);
}

/** ICMPv6 types with a counterpart (echo, MLD query/report, router and neighbour discovery, node information, HAAD). */
function icmp6Paired(type: number): boolean {
  return (type >= 128 && type <= 131) || (type >= 133 && type <= 136) || type === 139 || type === 140 || type === 144 || type === 145;
}

/** The message to hash (at most 40 bytes) and the SHA-1 state, reused for every record. */
const MSG = new Uint8Array(64);
const DIGEST = new Uint8Array(20);
const SRC = new Uint32Array(4);
const DST = new Uint32Array(4);
/** The text of a digest: base64 (28 characters) or hex (40). */
const B64_TEXT = Buffer.alloc(28);
const HEX_CODES: number[] = new Array<number>(40).fill(0);

/**
 * The community ID of a flow key: `src`/`dst` are the addresses as four big-endian 32-bit words (IPv4 in word 3, the
 * others 0), `sport`/`dport` the ports (ICMP: type and counterpart-or-code), `oneWay` true for an ICMP message
 * without a counterpart (then `src` must be its sender). `ports` false for protocols that have none.
 */
export function communityIdOfKey(
  proto: number,
  ipVersion: number,
  src: Uint32Array,
  dst: Uint32Array,
  sport: number,
  dport: number,
  ports: boolean,
  oneWay: boolean,
  seed = 0,
  base64 = true,
): string {
  digestOfKey(proto, ipVersion, src, dst, sport, dport, ports, oneWay, seed);
  return base64 ? `1:${base64Of(DIGEST)}` : `1:${hexOf(DIGEST)}`;
}

/** Hashes the key (as communityIdOfKey takes it) into DIGEST. */
function digestOfKey(
  proto: number,
  ipVersion: number,
  src: Uint32Array,
  dst: Uint32Array,
  sport: number,
  dport: number,
  ports: boolean,
  oneWay: boolean,
  seed: number,
): void {
  if (ipVersion === 4 && ports) {
    // The common case, without the message's bytes: its four words straight from the key (see sha1Of16).
    const a = src[3]! >>> 0, b = dst[3]! >>> 0; // words 3 are the IPv4 addresses
    const swap4 = !oneWay && (a > b || (a === b && sport > dport));
    const x = swap4 ? b : a, y = swap4 ? a : b;
    const p1 = swap4 ? dport : sport, p2 = swap4 ? sport : dport;
    sha1Of16(((seed & 0xffff) << 16) | (x >>> 16), (x << 16) | (y >>> 16), (y << 16) | ((proto & 0xff) << 8),
      ((p1 & 0xffff) << 16) | (p2 & 0xffff), DIGEST);
    return;
  }
  const words = ipVersion === 6 ? 4 : 1;
  const first = 4 - words;
  // Order the endpoints: smaller address first, on equal addresses the smaller port (unless one-way).
  let swap = false;
  if (!oneWay) {
    let cmp = 0;
    for (let i = first; i < 4 && cmp === 0; i++) {
      const a = src[i]! >>> 0, b = dst[i]! >>> 0; // i < 4
      cmp = a < b ? -1 : a > b ? 1 : 0;
    }
    swap = cmp > 0 || (cmp === 0 && ports && sport > dport);
  }
  const m = MSG;
  m[0] = (seed >>> 8) & 0xff;
  m[1] = seed & 0xff;
  let pos = 2;
  const a = swap ? dst : src, b = swap ? src : dst;
  pos = putWords(m, pos, a, first);
  pos = putWords(m, pos, b, first);
  m[pos++] = proto & 0xff;
  m[pos++] = 0;
  if (ports) {
    const p1 = swap ? dport : sport, p2 = swap ? sport : dport;
    m[pos++] = (p1 >>> 8) & 0xff;
    m[pos++] = p1 & 0xff;
    m[pos++] = (p2 >>> 8) & 0xff;
    m[pos++] = p2 & 0xff;
  }
  sha1OneBlock(m, pos, DIGEST);
}

function putWords(m: Uint8Array, pos: number, w: Uint32Array, first: number): number {
  for (let i = first; i < 4; i++) {
    const v = w[i]! >>> 0; // i < 4
    m[pos] = v >>> 24;
    m[pos + 1] = (v >>> 16) & 0xff;
    m[pos + 2] = (v >>> 8) & 0xff;
    m[pos + 3] = v & 0xff;
    pos += 4;
  }
  return pos;
}

/**
 * The community ID of a record under the process-wide settings, or undefined when they turn it off, or for SCTP,
 * whose ports the specification hashes but sockscope's flow key does not keep (an SCTP flow is keyed by its
 * addresses alone, like any protocol without ports).
 */
export function communityIdOfRecord(r: FlowRecord): string | undefined {
  const s = communityIdSettings;
  if (!s.enabled || r.ipProto === SCTP) return undefined;
  const proto = r.ipProto;
  if (!parseAddressWords(r.origAddr, r.ipVersion, SRC) || !parseAddressWords(r.respAddr, r.ipVersion, DST)) return undefined;
  const ports = proto === TCP || proto === UDP || proto === ICMP || proto === ICMPV6;
  let oneWay = false;
  if (proto === ICMP) oneWay = !icmp4Paired(r.origPort);
  else if (proto === ICMPV6) oneWay = !icmp6Paired(r.origPort);
  return communityIdOfKey(proto, r.ipVersion, SRC, DST, r.origPort, r.respPort, ports, oneWay, s.seed, s.base64);
}

/**
 * communityIdOfRecord from the flow's state: the same value, from the key's address words rather than the record's
 * address text (sink/flow-json.ts writes lines without records).
 */
export function communityIdOfFlow(f: Flow): string | undefined {
  if (!digestOfFlow(f)) return undefined;
  return communityIdSettings.base64 ? `1:${base64Of(DIGEST)}` : `1:${hexOf(DIGEST)}`;
}

/**
 * communityIdOfFlow written as text (no quotes) into `out` at `at`, which has room for 42 bytes: returns how many
 * bytes it wrote, 0 when the flow has no community ID (sink/flow-json.ts, without a string per line).
 */
export function writeCommunityIdOfFlow(f: Flow, out: Uint8Array, at: number): number {
  if (!digestOfFlow(f)) return 0;
  out[at] = 0x31; // 1
  out[at + 1] = 0x3a; // :
  if (communityIdSettings.base64) {
    writeBase64(DIGEST, out, at + 2);
    return 30;
  }
  const codes = hexCodes(DIGEST);
  for (let i = 0; i < codes.length; i++) out[at + 2 + i] = codes[i]!; // i < length
  return 2 + codes.length;
}

/** Hashes the key of `f` into DIGEST under the process-wide settings; false when the flow has no community ID. */
function digestOfFlow(f: Flow): boolean {
  const s = communityIdSettings;
  const proto = f.proto;
  if (!s.enabled || proto === SCTP) return false;
  SRC[0] = f.oa0; SRC[1] = f.oa1; SRC[2] = f.oa2; SRC[3] = f.oa3;
  DST[0] = f.ra0; DST[1] = f.ra1; DST[2] = f.ra2; DST[3] = f.ra3;
  const ports = proto === TCP || proto === UDP || proto === ICMP || proto === ICMPV6;
  let oneWay = false;
  if (proto === ICMP) oneWay = !icmp4Paired(f.origPort);
  else if (proto === ICMPV6) oneWay = !icmp6Paired(f.origPort);
  digestOfKey(proto, f.ipVersion, SRC, DST, f.origPort, f.respPort, ports, oneWay, s.seed);
  return true;
}

/**
 * Reads address text as written in records (dotted quad; RFC 5952 IPv6, `::ffff:a.b.c.d` included) into four
 * big-endian words. Returns false on text that is no address of that version.
 */
export function parseAddressWords(text: string, ipVersion: number, out: Uint32Array): boolean {
  out[0] = 0; out[1] = 0; out[2] = 0; out[3] = 0;
  if (ipVersion === 4) {
    const v = parseIpv4(text, 0, text.length);
    if (v < 0) return false;
    out[3] = v;
    return true;
  }
  // Up to 8 groups; "::" stands for the zero groups between `head` and `tail`.
  const groups = GROUPS;
  let n = 0, gap = -1, i = 0;
  const len = text.length;
  if (text.startsWith('::')) { gap = 0; i = 2; }
  while (i < len) {
    let j = i, v = 0;
    while (j < len && j - i < 5) {
      const c = text.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < len && text.charCodeAt(j) === 46) {
      // An embedded IPv4 address: the last two groups.
      const v4 = parseIpv4(text, i, len);
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    groups[n++] = v;
    if (j === len) { i = j; break; }
    if (text.charCodeAt(j) !== 58) return false;
    if (j + 1 < len && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === len) return false;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const zeros = 8 - n;
  for (let g = 0, k = 0; g < 8; g++) {
    const val = gap >= 0 && g >= gap && g < gap + zeros ? 0 : groups[k++]!; // k < n
    const w = g >> 1;
    out[w] = (g & 1) === 0 ? (val << 16) >>> 0 : (out[w]! | val) >>> 0;
  }
  return true;
}

const GROUPS = new Array<number>(8).fill(0);

/** Dotted quad in text[from, to) as an unsigned 32-bit number, or -1. */
function parseIpv4(text: string, from: number, to: number): number {
  let v = 0, part = 0, digits = 0, dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/**
 * SHA-1 (FIPS 180-4) of the first `len` bytes of `m`, for `len` <= 55 (one padded block), into `out`. `m` must have
 * room for 64 bytes: the padding is written into it.
 */
export function sha1OneBlock(m: Uint8Array, len: number, out: Uint8Array): void {
  m[len] = 0x80;
  for (let k = len + 1; k < 62; k++) m[k] = 0;
  const bits = len * 8;
  m[62] = bits >>> 8;
  m[63] = bits & 0xff;
  compressBlock(m, out);
}

/**
 * The compression function over the padded block `m` into `out`, its 80 rounds written out (see unrolledCompression):
 * the message schedule in 16 local variables rather than an array, and no loop. About 40% faster than the same
 * rounds in loops over an Int32Array; one SHA-1 per record line is most of what community_id costs.
 */
const compressBlock = unrolledCompression();

/**
 * Builds the unrolled compression function (FIPS 180-4 §6.1.2). Each round computes
 * e += rotl5(a) + f(b, c, d) + K + W[t] and rotates b by 30; instead of shifting a..e along, the names take turns.
 * Ch(b, c, d) = d ^ (b & (c ^ d)), Maj(b, c, d) = (b & c) | (d & (b | c)): the standard functions in fewer operations.
 */
function unrolledCompression(): (m: Uint8Array, out: Uint8Array) => void {
  const words = Array.from({ length: 16 }, (_, t) => `(m[${4 * t}] << 24) | (m[${4 * t + 1}] << 16) | (m[${4 * t + 2}] << 8) | m[${4 * t + 3}]`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('put', `return function compressBlock(m, out) {\n${compressionSource(words)}\n};`)(putWord) as (m: Uint8Array, out: Uint8Array) => void;
}

/**
 * SHA-1 of a 16-byte message given as its four big-endian words (as int32), into `out`: a community ID of IPv4 with
 * ports (seed, two addresses, protocol and a zero byte, two ports). The padded block's other twelve words are always
 * the same (0x80 after the message, its length of 128 bits at the end), and are written into the rounds as constants,
 * so the message needs no bytes of its own.
 */
const sha1Of16 = ((): ((w0: number, w1: number, w2: number, w3: number, out: Uint8Array) => void) => {
  const words = ['w0a', 'w1a', 'w2a', 'w3a', String(0x80000000 | 0), '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '128'];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('put', `return function sha1Of16(w0a, w1a, w2a, w3a, out) {\n${compressionSource(words)}\n};`)(putWord) as (
    w0: number, w1: number, w2: number, w3: number, out: Uint8Array) => void;
})();

/** The body of an unrolled compression of the block whose sixteen words are the expressions `words`, into `out`. */
function compressionSource(words: string[]): string {
  const src: string[] = [];
  for (let t = 0; t < 16; t++) src.push(`let w${t} = ${words[t]!};`);
  src.push('let a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476, e = 0xc3d2e1f0 | 0, x = 0;');
  let v = ['a', 'b', 'c', 'd', 'e'];
  for (let t = 0; t < 80; t++) {
    const [A, B, C, D, E] = v as [string, string, string, string, string];
    const w = `w${t & 15}`;
    if (t >= 16) src.push(`x = w${(t - 3) & 15} ^ w${(t - 8) & 15} ^ w${(t - 14) & 15} ^ ${w}; ${w} = (x << 1) | (x >>> 31);`);
    const f = t < 20 ? `(${D} ^ (${B} & (${C} ^ ${D})))` : t < 40 || t >= 60 ? `(${B} ^ ${C} ^ ${D})` : `((${B} & ${C}) | (${D} & (${B} | ${C})))`;
    const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc | 0 : 0xca62c1d6 | 0;
    src.push(`${E} = (((${A} << 5) | (${A} >>> 27)) + ${f} + ${E} + (${k}) + ${w}) | 0; ${B} = (${B} << 30) | (${B} >>> 2);`);
    v = [E, A, B, C, D];
  }
  const init = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];
  v.forEach((name, i) => src.push(`put(out, ${4 * i}, (${name} + (${init[i]})) | 0);`));
  return src.join('\n');
}

function putWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

const B64 = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (ch) => ch.charCodeAt(0));
const B64_TABLE = Uint8Array.from(B64);
const HEX = Array.from('0123456789abcdef', (ch) => ch.charCodeAt(0));

/** Standard base64 with padding (RFC 4648 §4) of the 20-byte digest: 28 characters. */
function base64Of(d: Uint8Array): string {
  writeBase64(d, B64_TEXT, 0);
  return B64_TEXT.toString('latin1');
}

function hexOf(d: Uint8Array): string {
  return String.fromCharCode.apply(null, hexCodes(d));
}

/** base64Of(d) written as character codes into `out` at `at` (28 bytes). */
function writeBase64(d: Uint8Array, out: Uint8Array, at: number): void {
  const b64 = B64_TABLE;
  let o = at;
  for (let i = 0; i < 18; i += 3) {
    const v = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!; // i + 2 < 20
    out[o] = b64[v >>> 18]!; // < 64
    out[o + 1] = b64[(v >>> 12) & 63]!;
    out[o + 2] = b64[(v >>> 6) & 63]!;
    out[o + 3] = b64[v & 63]!;
    o += 4;
  }
  const v = (d[18]! << 16) | (d[19]! << 8);
  out[o] = b64[v >>> 18]!; // < 64
  out[o + 1] = b64[(v >>> 12) & 63]!;
  out[o + 2] = b64[(v >>> 6) & 63]!;
  out[o + 3] = 0x3d; // =
}

/** The character codes of hexOf(d), in a reused array. */
function hexCodes(d: Uint8Array): number[] {
  const codes = HEX_CODES;
  for (let i = 0; i < 20; i++) {
    codes[2 * i] = HEX[d[i]! >>> 4]!;
    codes[2 * i + 1] = HEX[d[i]! & 15]!;
  }
  return codes;
}
