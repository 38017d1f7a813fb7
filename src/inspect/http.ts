/**
 * HTTP/1.x request and status lines (RFC 9112 §3, §4) and the Host header (RFC 9110 §7.2) of the first request.
 * Reads in place and writes offsets into a reused {@link HttpRequest}; allocates nothing.
 */

/** Offsets of the first request's method and Host value, into the bytes parsed. */
export class HttpRequest {
  methodLen = 0;
  /** Host header value without surrounding blanks; -1 when the header was not among the bytes given. */
  hostOff = -1;
  hostLen = 0;
  /** Whether the empty line that ends the header section was among the bytes (no Host will follow). */
  headersEnded = false;
}

const SP = 0x20, HT = 0x09, CR = 0x0d, LF = 0x0a, COLON = 0x3a;

/** A method token: 1-24 upper-case letters or `-`/`_` (GET, POST, PROPFIND, M-SEARCH, ...). */
function methodEnd(b: Uint8Array, off: number, end: number): number {
  let p = off;
  while (p < end && p - off <= 24) {
    const c = b[p]!;
    if ((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f) p++;
    else break;
  }
  return p > off && p - off <= 24 ? p : -1;
}

/** `HTTP/d.d` at p; returns the offset after it or -1. */
function versionEnd(b: Uint8Array, p: number, end: number): number {
  if (p + 8 > end) return -1;
  if (b[p] !== 0x48 || b[p + 1] !== 0x54 || b[p + 2] !== 0x54 || b[p + 3] !== 0x50 || b[p + 4] !== 0x2f) return -1;
  const d1 = b[p + 5]!, dot = b[p + 6]!, d2 = b[p + 7]!;
  if (d1 < 0x30 || d1 > 0x39 || dot !== 0x2e || d2 < 0x30 || d2 > 0x39) return -1;
  return p + 8;
}

/**
 * Parses `METHOD SP target SP HTTP/d.d CRLF` at b[off, end), then its header lines as far as they were captured for
 * Host. True when the request line is whole and well formed.
 */
export function parseHttpRequest(b: Uint8Array, off: number, end: number, out: HttpRequest): boolean {
  out.hostOff = -1;
  out.hostLen = 0;
  out.headersEnded = false;
  const m = methodEnd(b, off, end);
  if (m < 0 || m >= end || b[m] !== SP) return false;
  let p = m + 1;
  const target = p;
  while (p < end && b[p]! > SP && b[p]! < 0x7f) p++;
  if (p === target || p >= end) return false;
  if (b[p] !== SP) {
    // HTTP/0.9 (a GET and a path, no version: RFC 1945 §4.1), which Zeek's HTTP analyzer accepts too.
    if (m - off !== 3 || b[off] !== 0x47 || b[off + 1] !== 0x45 || b[off + 2] !== 0x54) return false;
  } else {
    p = versionEnd(b, p + 1, end);
    if (p < 0) return false;
  }
  if (p < end && b[p] === CR) p++;
  if (p >= end || b[p] !== LF) return false;
  out.methodLen = m - off;
  p++;
  // Header lines: `name: value` up to the empty line; the first Host wins.
  while (p < end) {
    let eol = p;
    while (eol < end && b[eol] !== LF) eol++;
    if (eol >= end) break; // the line is cut: no more headers in these bytes
    let lineEnd = eol;
    if (lineEnd > p && b[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === p) {
      out.headersEnded = true; // end of the header section
      break;
    }
    if (lineEnd - p >= 5 && isHost(b, p) && b[p + 4] === COLON) {
      let v = p + 5;
      while (v < lineEnd && (b[v] === SP || b[v] === HT)) v++;
      let ve = lineEnd;
      while (ve > v && (b[ve - 1] === SP || b[ve - 1] === HT)) ve--;
      out.hostOff = v;
      out.hostLen = ve - v;
      break;
    }
    p = eol + 1;
  }
  return true;
}

/** `host`, any case, at p (4 bytes known to be there). */
function isHost(b: Uint8Array, p: number): boolean {
  return (b[p]! | 0x20) === 0x68 && (b[p + 1]! | 0x20) === 0x6f && (b[p + 2]! | 0x20) === 0x73 && (b[p + 3]! | 0x20) === 0x74;
}

/** Whether b[off, end) starts with an HTTP/1.x status line: `HTTP/d.d SP ddd`. */
export function isHttpStatusLine(b: Uint8Array, off: number, end: number): boolean {
  const p = versionEnd(b, off, end);
  if (p < 0 || p + 4 > end || b[p] !== SP) return false;
  for (let i = 1; i <= 3; i++) {
    const c = b[p + i]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
