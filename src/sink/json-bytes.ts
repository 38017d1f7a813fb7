/**
 * The ndjson line of a record, encoded straight into an output chunk: the same text as `recordJson(r) + "\\n"`
 * without building strings for the keys, the integers or the line (one record per flow adds up to gigabytes of
 * garbage on large captures otherwise).
 */
import type { FlowRecord } from '../flow/record.js';
import { ALL_FIELDS } from './fields.js';
import type { ChunkedOut } from './writers.js';

/** `"name":` of each field of ALL_FIELDS, as bytes (written with a loop: Buffer#copy is a native call per field). */
const KEYS: readonly Uint8Array[] = ALL_FIELDS.map((f) => Uint8Array.from(Buffer.from(`${JSON.stringify(f.name)}:`, 'latin1')));
const TRUE = Uint8Array.from(Buffer.from('true'));
const FALSE = Uint8Array.from(Buffer.from('false'));
const NULL = 'null';
/** Largest record line we expect; longer ones reserve more room field by field. */
const LINE_RESERVE = 4096;

/** Appends `r` as one JSON line (fields in ALL_FIELDS order, unset fields left out) to `out`. */
export function encodeRecordJson(out: ChunkedOut, r: FlowRecord): void {
  out.reserve(LINE_RESERVE);
  let buf = out.buf;
  let pos = out.len;
  buf[pos++] = 0x7b; // {
  let first = true;
  const fields = ALL_FIELDS;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!; // i < length
    const v = f.get(r);
    if (v === undefined) continue;
    if (pos + 64 > buf.length || (typeof v === 'string' && pos + 6 * v.length + 64 > buf.length)) {
      out.len = pos;
      out.reserve(typeof v === 'string' ? 6 * v.length + 128 : 128);
      buf = out.buf;
      pos = out.len;
    }
    if (!first) buf[pos++] = 0x2c; // ,
    first = false;
    pos = copyBytes(buf, pos, KEYS[i]!); // one key per field
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) pos = writeUint(buf, pos, v);
      else pos = writeFraction(buf, pos, v, f.type === 'interval');
    } else if (typeof v === 'boolean') {
      pos = copyBytes(buf, pos, v ? TRUE : FALSE);
    } else if (typeof v === 'string') {
      pos = writeJsonString(buf, pos, v);
    } else {
      pos = writeJsonSet(out, pos, v);
      buf = out.buf;
    }
  }
  buf[pos++] = 0x7d; // }
  buf[pos++] = 0x0a; // \n
  out.len = pos;
  out.written();
}

/**
 * Writes a set of strings (tunnel_parents) as a JSON array at `pos` of `out.buf`, making room first (the chunk may be
 * passed on or replaced: read `out.buf` again after). Returns the position after it.
 */
function writeJsonSet(out: ChunkedOut, pos: number, v: readonly string[]): number {
  const text = JSON.stringify(v);
  const n = Buffer.byteLength(text);
  if (pos + n + 64 > out.buf.length) {
    out.len = pos;
    out.reserve(n + 128);
    pos = out.len;
  }
  return pos + out.buf.write(text, pos, 'utf8');
}

function copyBytes(buf: Buffer, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[pos + i] = bytes[i]!; // i < length
  return pos + bytes.length;
}

/** Writes `s`, known to be ASCII (number text), at `pos`. */
function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos + i] = s.charCodeAt(i);
  return pos + s.length;
}

const UTF8 = new TextEncoder();

/**
 * Writes `s` as a JSON string at `pos` (the caller reserves room for 6 bytes per character and the quotes). Printable
 * ASCII without `"` and `\\` is its own JSON text and is copied as it is checked; anything else is written again from
 * `pos` through JSON.stringify (UTF-8), as recordJson does. Returns the position after it.
 */
export function writeJsonString(buf: Uint8Array, pos: number, s: string): number {
  buf[pos] = 0x22; // "
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return pos + UTF8.encodeInto(JSON.stringify(s), buf.subarray(pos)).written;
    buf[pos + 1 + i] = c;
  }
  buf[pos + 1 + n] = 0x22;
  return pos + n + 2;
}

/** Below this magnitude a double is finer than a microsecond, so whole microseconds print as `String` prints them. */
const FIXED6_LIMIT = 4294967296;

/**
 * Writes a number that is not a non-negative integer as `String(rounded ? round6(v) : v)` writes it. Times and
 * intervals are multiples of a microsecond nearly always (pcap timestamps are, and round6 makes intervals so), and
 * for a multiple of 10^-6 below 2^32 the shortest round-trip text is its fixed six-decimal form without trailing zeros
 * (another decimal of six places or fewer would lie 10^-6 away, farther than the double's spacing there): those are
 * written from the integer count of microseconds, without `String`'s conversion and the string it allocates.
 */
export function writeFraction(buf: Uint8Array, pos: number, v: number, rounded: boolean): number {
  FRACTION[0] = v;
  return writeFractionOf(buf, pos, rounded);
}

/**
 * The number writeFractionOf writes. A double passed to a function that is not inlined (writeFraction is too large
 * for the encoder's) is boxed, a heap number per call: a caller that stores it here first allocates nothing.
 */
export const FRACTION = new Float64Array(1);

/** writeFraction of FRACTION[0]. */
export function writeFractionOf(buf: Uint8Array, pos: number, rounded: boolean): number {
  const v = FRACTION[0]!;
  const k = Math.round(v * 1e6);
  const r = k / 1e6;
  if (!(r > -FIXED6_LIMIT && r < FIXED6_LIMIT) || (!rounded && r !== v)) {
    return writeAscii(buf, pos, Number.isFinite(v) ? String(rounded ? r : v) : NULL);
  }
  let micros = k;
  if (micros < 0) {
    buf[pos++] = 0x2d; // -
    micros = -micros;
  }
  const whole = Math.floor(micros / 1e6);
  // The fraction in small-integer arithmetic (exact: both terms are integers below 2^53): a double's % is a call.
  let frac = (micros - whole * 1e6) | 0;
  pos = writeUint(buf, pos, whole);
  if (frac === 0) return pos;
  let digits = 6;
  while (frac % 10 === 0) {
    frac = (frac / 10) | 0;
    digits--;
  }
  buf[pos] = 0x2e; // .
  for (let i = digits; i > 0; i--) {
    const q = (frac / 10) | 0;
    buf[pos + i] = 0x30 + (frac - 10 * q);
    frac = q;
  }
  return pos + digits + 1;
}

/** "00" to "99": the two digits of each value below 100, as character codes. */
const PAIRS = Uint8Array.from(Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''), 'latin1'));

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the position after them. */
export function writeUint(buf: Uint8Array, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 0x30 + v;
    return pos + 1;
  }
  if (v < 100) {
    buf[pos] = PAIRS[2 * v]!; // v < 100
    buf[pos + 1] = PAIRS[2 * v + 1]!;
    return pos + 2;
  }
  if (v <= 0x7fffffff) return writeInt32(buf, pos, v | 0);
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let end = pos + digits;
  for (let t = v; end > pos; t = Math.floor(t / 10)) buf[--end] = 0x30 + (t % 10);
  return pos + digits;
}

/**
 * writeUint for 100 <= v < 2^31, in small-integer arithmetic: the digits counted by comparison, then written two at
 * a time from the end (a division by a constant is a multiplication for V8).
 */
function writeInt32(buf: Uint8Array, pos: number, v: number): number {
  const digits = v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
  let end = pos + digits;
  let t = v;
  while (t >= 100) {
    const q = (t / 100) | 0;
    const r = 2 * (t - 100 * q);
    buf[end - 1] = PAIRS[r + 1]!; // r < 200
    buf[end - 2] = PAIRS[r]!;
    end -= 2;
    t = q;
  }
  if (t >= 10) {
    buf[end - 1] = PAIRS[2 * t + 1]!; // t < 100
    buf[end - 2] = PAIRS[2 * t]!;
  } else {
    buf[end - 1] = 0x30 + t;
  }
  return pos + digits;
}
