/**
 * SSH identification strings (RFC 4253 §4.2): `SSH-protoversion-softwareversion [SP comments] CR LF`, at most 255
 * bytes. A server may send other lines of text before it; those are skipped (within the bytes given). Allocates
 * nothing.
 */

/** Most bytes of other lines before the banner that are looked through. */
const MAX_PRE_BANNER = 2048;

/**
 * Finds the banner in b[off, end): returns its start and sets `bannerLen` (without CR LF), or -1. The line must be
 * whole (its LF among the bytes) and start `SSH-` followed by a digit (`SSH-2.0`, `SSH-1.99`).
 */
export function findSshBanner(b: Uint8Array, off: number, end: number, out: { bannerLen: number }): number {
  let p = off;
  const limit = Math.min(end, off + MAX_PRE_BANNER + 255);
  while (p < limit) {
    // Lines before the banner are text: binary payload is given up at its first byte that is not.
    let eol = p;
    for (; eol < limit; eol++) {
      const c = b[eol]!;
      if (c === 0x0a) break;
      if ((c < 0x20 && c !== 0x0d && c !== 0x09) || c > 0x7e) return -1;
    }
    if (eol >= limit) return -1;
    let lineEnd = eol;
    if (lineEnd > p && b[lineEnd - 1] === 0x0d) lineEnd--;
    if (lineEnd - p >= 5 && b[p] === 0x53 && b[p + 1] === 0x53 && b[p + 2] === 0x48 && b[p + 3] === 0x2d) {
      const d = b[p + 4]!;
      if (d < 0x30 || d > 0x39 || lineEnd - p > 253) return -1;
      out.bannerLen = lineEnd - p;
      return p;
    }
    p = eol + 1;
  }
  return -1;
}
