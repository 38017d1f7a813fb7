/**
 * The ndjson line of a record, encoded straight into an output chunk: the same text as `recordJson(r) + "\\n"`
 * without building strings for the keys, the integers or the line (one record per flow adds up to gigabytes of
 * garbage on large captures otherwise).
 */
import type { FlowRecord } from '../flow/record.js';
import { ALL_FIELDS, type Field, round6 } from './fields.js';
import type { ChunkedOut } from './writers.js';

const KEYS: ReadonlyMap<Field, Buffer> = new Map(ALL_FIELDS.map((f) => [f, Buffer.from(`${JSON.stringify(f.name)}:`, 'latin1')]));
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
/** Printable ASCII without `"` and `\\`: such strings are their own JSON text between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Largest record line we expect; longer ones reserve more room field by field. */
const LINE_RESERVE = 4096;

/** Appends `r` as one JSON line (fields in ALL_FIELDS order, unset fields left out) to `out`. */
export function encodeRecordJson(out: ChunkedOut, r: FlowRecord): void {
  out.reserve(LINE_RESERVE);
  let buf = out.buf;
  let pos = out.len;
  buf[pos++] = 0x7b; // {
  let first = true;
  for (const f of ALL_FIELDS) {
    const v = f.get(r);
    if (v === undefined) continue;
    if (pos + 64 > buf.length || (typeof v === 'string' && pos + 3 * v.length + 64 > buf.length)) {
      out.len = pos;
      out.reserve(typeof v === 'string' ? 3 * v.length + 128 : 128);
      buf = out.buf;
      pos = out.len;
    }
    if (!first) buf[pos++] = 0x2c; // ,
    first = false;
    const key = KEYS.get(f)!; // every field of ALL_FIELDS has a key
    key.copy(buf, pos);
    pos += key.length;
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) pos = writeUint(buf, pos, v);
      else pos += buf.write(Number.isFinite(v) ? String(f.type === 'interval' ? round6(v) : v) : 'null', pos, 'latin1');
    } else if (typeof v === 'boolean') {
      const b = v ? TRUE : FALSE;
      b.copy(buf, pos);
      pos += b.length;
    } else if (PLAIN.test(v)) {
      buf[pos++] = 0x22;
      pos += buf.write(v, pos, 'latin1');
      buf[pos++] = 0x22;
    } else {
      pos += buf.write(JSON.stringify(v), pos, 'utf8');
    }
  }
  buf[pos++] = 0x7d; // }
  buf[pos++] = 0x0a; // \n
  out.len = pos;
  out.written();
}

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the position after them. */
function writeUint(buf: Buffer, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 0x30 + v;
    return pos + 1;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let end = pos + digits;
  for (let t = v; end > pos; t = Math.floor(t / 10)) buf[--end] = 0x30 + (t % 10);
  return pos + digits;
}
