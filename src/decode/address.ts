/**
 * Address formatting for records and output (allocates strings: not for the per-packet path).
 */

/** Dotted-quad text of an IPv4 address held as an unsigned 32-bit number (e.g. 0xc0a80001 -> "192.168.0.1"). */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/**
 * RFC 5952 canonical text of an IPv6 address given as four big-endian 32-bit words: lower-case hex without leading
 * zeros (§4.1, §4.3), the longest run of two or more zero groups replaced by "::", the first one on ties (§4.2),
 * and IPv4-mapped addresses as `::ffff:a.b.c.d` (§5).
 */
export function formatIpv6(words: Uint32Array | readonly number[]): string {
  const w0 = words[0]! >>> 0, w1 = words[1]! >>> 0, w2 = words[2]! >>> 0, w3 = words[3]! >>> 0;
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatIpv4(w3)}`;
  const groups = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1, bestLen = 1; // a single zero group is never compressed (§4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const head = groups.slice(0, bestStart).map(hex).join(':');
  const tail = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

/** Text of the source (`which` = 'src') or destination address of a decoded packet, by its IP version. */
export function formatAddress(p: { ipVersion: number; src4: number; dst4: number; src6: Uint32Array; dst6: Uint32Array }, which: 'src' | 'dst'): string {
  if (p.ipVersion === 6) return formatIpv6(which === 'src' ? p.src6 : p.dst6);
  return formatIpv4(which === 'src' ? p.src4 : p.dst4);
}
