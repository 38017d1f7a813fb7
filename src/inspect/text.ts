/**
 * Text from payload bytes, for names in records: only called once a parser has accepted a message (parsers allocate
 * nothing on failure). Printable ASCII is kept; every other byte is written `\xNN`, as Zeek escapes bytes in its logs,
 * so that no byte from the wire reaches a terminal or a log unescaped.
 */

/** The bytes b[off, off + len) as text (see the module comment). */
export function payloadText(b: Uint8Array, off: number, len: number): string {
  let plain = true;
  for (let i = off; i < off + len; i++) {
    const c = b[i]!; // i < off + len <= b.length (callers pass parsed ranges)
    if (c < 0x20 || c > 0x7e || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return String.fromCharCode.apply(null, b.subarray(off, off + len) as unknown as number[]);
  let s = '';
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    s += c < 0x20 || c > 0x7e || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  }
  return s;
}

/** Whether b[off, off + lit.length) equals the ASCII string `lit` (`lit` in upper case matches any case when `nocase`). */
export function startsWith(b: Uint8Array, off: number, end: number, lit: string, nocase = false): boolean {
  if (end - off < lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    let c = b[off + i]!; // off + i < end
    if (nocase && c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c !== lit.charCodeAt(i)) return false;
  }
  return true;
}
