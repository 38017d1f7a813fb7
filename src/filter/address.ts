/** IP addresses as bytes, for the filter language's `host:` and `net:` terms (text forms differ; bytes do not). */

/** The 4 bytes of a dotted-quad IPv4 address, or null. */
function parseIpv4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!; // 4 parts
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return false;
    out[at + i] = Number(p);
  }
  return true;
}

/**
 * An IPv4 (4 bytes) or IPv6 (16 bytes) address from its text (RFC 4291 §2.2: `::` once, an IPv4 tail such as
 * `::ffff:10.0.0.1`), or null when `text` is neither. A zone (`fe80::1%eth0`) is not an address here.
 */
export function parseAddress(text: string): Uint8Array | null {
  if (!text.includes(':')) {
    const v4 = new Uint8Array(4);
    return parseIpv4(text, v4, 0) ? v4 : null;
  }
  const out = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): string[] | null => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!); // split gives at least one piece
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const words: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ['::'] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!; // i < length
    if (g === '::') {
      words.push(-1);
    } else if (i === all.length - 1 && g.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4(g, v4, 0)) return null;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      words.push(parseInt(g, 16));
    }
  }
  const gap = words.indexOf(-1);
  const n = words.length - (gap >= 0 ? 1 : 0);
  if (gap < 0 ? n !== 8 : n > 7) return null;
  const full = gap < 0 ? words : [...words.slice(0, gap), ...Array<number>(8 - n).fill(0), ...words.slice(gap + 1)];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = full[i]! >> 8; // 8 words
    out[2 * i + 1] = full[i]! & 0xff;
  }
  return out;
}

/** A network: its address bytes and prefix length in bits. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (bytes === null) return null;
  if (slash < 0) return { bytes, bits: bytes.length * 8 };
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len) || Number(len) > bytes.length * 8) return null;
  return { bytes, bits: Number(len) };
}

/** Whether `addr` lies in `net` (an IPv4 address is never in an IPv6 network, nor the other way). */
export function inCidr(addr: Uint8Array, net: Cidr): boolean {
  if (addr.length !== net.bytes.length) return false;
  let bits = net.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (net.bytes[i]! & mask)) return false; // i < length: bits <= 8 * length
  }
  return true;
}

const cache = new Map<string, Uint8Array | null>();
/** Entries kept before the cache starts over (a flow table's addresses repeat; a scan's need not). */
const CACHE_MAX = 100_000;

/** {@link parseAddress} of a flow's address text, remembered (the same addresses come back on every snapshot). */
export function addressBytes(text: string): Uint8Array | null {
  let b = cache.get(text);
  if (b === undefined) {
    if (cache.size >= CACHE_MAX) cache.clear();
    b = parseAddress(text);
    cache.set(text, b);
  }
  return b;
}
