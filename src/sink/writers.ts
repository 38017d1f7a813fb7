/**
 * Record writers: turn FlowRecords into text for scripts. Each writer has `begin`, `write(record)` and `end`, so the
 * streaming formats (ndjson, csv, zeek) emit each flow when it ends, while `json` and `table` collect.
 */
import type { FlowRecord } from '../flow/record.js';
import { ALL_FIELDS, type Field, recordJson, round6 } from './fields.js';
import { encodeRecordJson } from './json-bytes.js';
import { formatClock, formatDuration, formatSocket, humanBytes, humanCount, serviceName } from './format.js';
import { type IpfixFileOptions, IpfixFileWriter } from './ipfix.js';

/** Where writers put text. */
export interface TextOut {
  write(s: string): unknown;
}

export interface RecordWriter {
  /** True when records are written as they arrive (so they may appear in end order). */
  readonly streaming: boolean;
  begin(): void;
  write(r: FlowRecord): void;
  /** Ends the output; `openTs` is used by the Zeek writer's #close line. */
  end(): void;
}

/** One JSON object per line (Zeek's JSON log style). */
export class NdjsonWriter implements RecordWriter {
  readonly streaming = true;
  private readonly out: TextOut;
  constructor(out: TextOut) {
    this.out = out;
  }
  begin(): void {}
  write(r: FlowRecord): void {
    const out = this.out;
    if (out instanceof ChunkedOut) encodeRecordJson(out, r);
    else out.write(`${recordJson(r)}\n`);
  }
  end(): void {}
}

/** One JSON array of the records, sorted by start time. */
export class JsonWriter implements RecordWriter {
  readonly streaming = false;
  private readonly records: FlowRecord[] = [];
  private readonly out: TextOut;
  constructor(out: TextOut) {
    this.out = out;
  }
  begin(): void {}
  write(r: FlowRecord): void {
    this.records.push(r);
  }
  end(): void {
    sortByStart(this.records);
    this.out.write('[');
    this.records.forEach((r, i) => this.out.write(`${i === 0 ? '\n' : ',\n'}${recordJson(r)}`));
    this.out.write(this.records.length > 0 ? '\n]\n' : ']\n');
  }
}

/** CSV with a header row, quoted as RFC 4180 says, but with LF line ends as Unix tools expect (not its CRLF); unset fields are empty. */
export class CsvWriter implements RecordWriter {
  readonly streaming = true;
  private readonly out: TextOut;
  private readonly fields: readonly Field[];
  constructor(out: TextOut, fields: readonly Field[] = ALL_FIELDS) {
    this.out = out;
    this.fields = fields;
  }
  begin(): void {
    this.out.write(`${this.fields.map((f) => csvCell(f.name)).join(',')}\n`);
  }
  write(r: FlowRecord): void {
    this.out.write(`${this.fields.map((f) => csvCell(cellText(f, f.get(r), ''))).join(',')}\n`);
  }
  end(): void {}
}

/** Zeek's ASCII log format (TSV with #separator, #fields, #types headers) that zeek-cut reads. */
export class ZeekWriter implements RecordWriter {
  readonly streaming = true;
  private readonly out: TextOut;
  private readonly now: () => number;
  private readonly fields: readonly Field[];
  constructor(out: TextOut, now: () => number = Date.now, fields: readonly Field[] = ALL_FIELDS) {
    this.out = out;
    this.now = now;
    this.fields = fields;
  }
  begin(): void {
    const o = this.out;
    o.write('#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n');
    o.write(`#open\t${zeekDate(this.now())}\n`);
    o.write(`#fields\t${this.fields.map((f) => f.name).join('\t')}\n`);
    o.write(`#types\t${this.fields.map((f) => f.type).join('\t')}\n`);
  }
  write(r: FlowRecord): void {
    this.out.write(`${this.fields.map((f) => zeekCell(cellText(f, f.get(r), '-'))).join('\t')}\n`);
  }
  end(): void {
    this.out.write(`#close\t${zeekDate(this.now())}\n`);
  }
}

/** Aligned columns for people, sorted by start time, human units. */
export class TableWriter implements RecordWriter {
  readonly streaming = false;
  private readonly records: FlowRecord[] = [];
  private readonly out: TextOut;
  private readonly width: number;
  constructor(out: TextOut, width = 160) {
    this.out = out;
    this.width = width;
  }
  begin(): void {}
  write(r: FlowRecord): void {
    this.records.push(r);
  }
  end(): void {
    sortByStart(this.records);
    this.out.write(renderTable(this.records, this.width));
  }
}

/** The flow table as text lines (also used by tests and by `watch` without a terminal). */
export function renderTable(records: readonly FlowRecord[], width = 160): string {
  const head = ['START', 'PROTO', 'ORIGINATOR', 'RESPONDER', 'SERVICE', 'STATE', 'ORIG/RESP STATE', 'PKTS →/←', 'BYTES →/←', 'DURATION'];
  const rows = records.map((r) => [
    formatClock(r.startSec),
    r.proto === 'unknown_transport' ? `ip/${r.ipProto}` : r.proto,
    formatSocket(r.origAddr, r.origPort, r.proto),
    formatSocket(r.respAddr, r.respPort, r.proto),
    r.proto === 'icmp' ? `type ${r.origPort}` : serviceName(r.respPort, r.ipProto) || '-',
    r.connState,
    r.orig.state === null ? '-' : `${r.orig.state}/${r.resp.state ?? '-'}`,
    `${humanCount(r.orig.pkts)}/${humanCount(r.resp.pkts)}`,
    `${humanBytes(r.orig.ipBytes)}/${humanBytes(r.resp.ipBytes)}`,
    r.durationSec > 0 ? formatDuration(r.durationSec) : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => {
    const s = cells.map((c, i) => (i >= 7 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    return s.length > width ? `${s.slice(0, width - 1)}…` : s;
  };
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

function sortByStart(records: FlowRecord[]): void {
  records.sort((a, b) => a.startSec - b.startSec || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
}

function cellText(f: Field, v: string | number | boolean | undefined, unset: string): string {
  if (v === undefined) return unset;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') {
    if (f.type === 'time' || f.type === 'interval') return round6(v).toFixed(6);
    return String(v);
  }
  return v;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Zeek escapes the separator and non-printable bytes as \xNN; an empty string is written as (empty). */
function zeekCell(s: string): string {
  if (s === '') return '(empty)';
  return s.replace(/[\x00-\x1f\x7f\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function zeekDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** Output formats of `flows`, `capture` and `watch` without a terminal. */
export const FORMATS = ['table', 'ndjson', 'json', 'csv', 'zeek', 'ipfix'] as const;
export type Format = (typeof FORMATS)[number];

/** The writer for `format`. */
export function makeWriter(
  format: Format,
  out: TextOut,
  opts: { now?: () => number; width?: number; ipfix?: IpfixFileOptions } = {},
): RecordWriter {
  switch (format) {
    case 'ndjson':
      return new NdjsonWriter(out);
    case 'json':
      return new JsonWriter(out);
    case 'csv':
      return new CsvWriter(out);
    case 'zeek':
      return new ZeekWriter(out, opts.now);
    case 'table':
      return new TableWriter(out, opts.width);
    case 'ipfix':
      return new IpfixFileWriter(out, { ...(opts.now !== undefined ? { now: opts.now } : {}), ...opts.ipfix });
  }
}

/** Where a {@link ChunkedOut} sends its bytes (process.stdout, a file stream). */
export interface ByteSink {
  write(chunk: Uint8Array): unknown;
}

const CHUNK_BYTES = 1 << 16;

/**
 * Collects output into 64 KiB byte chunks: one `write` per flow record would cost a system call each, and building
 * each record as a string first would cost garbage. Text is passed on when a chunk is full, `maxDelayMs` after the
 * first unsent byte (so streamed records still arrive promptly), and on {@link flush}. Encoders (the ndjson writer)
 * write into `buf` directly after {@link reserve}.
 */
export class ChunkedOut implements TextOut {
  /** The chunk being filled, and how many bytes of it are used. */
  buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  len = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly out: ByteSink;
  private readonly maxDelayMs: number;
  constructor(out: ByteSink, maxDelayMs = 100) {
    this.out = out;
    this.maxDelayMs = maxDelayMs;
  }
  /** Appends `s` as UTF-8. */
  write(s: string): void {
    const n = Buffer.byteLength(s);
    this.reserve(n);
    this.len += this.buf.write(s, this.len);
    this.written();
  }
  /** Makes room for `n` more bytes in `buf` (passing on what is there when needed). */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
  /** Call after writing into `buf` directly: passes a full chunk on, or arms the delay timer. */
  written(): void {
    if (this.len >= CHUNK_BYTES - 4096) this.flush();
    else if (this.timer === undefined && this.len > 0) {
      this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
      this.timer.unref();
    }
  }
  /** Passes on everything gathered. The chunk is handed over, not reused: the sink may write it later. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.len === 0) return;
    this.out.write(this.buf.subarray(0, this.len));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, 0));
    this.len = 0;
  }
}

/**
 * A ChunkedOut that never passes anything on: it grows to hold everything written until {@link take} (a shard
 * worker gathers records this way and posts them in batches).
 */
export class GrowingOut extends ChunkedOut {
  constructor() {
    super({ write: () => undefined });
  }
  override reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
  override written(): void {}
  override flush(): void {}
  /** A copy of the bytes gathered, in an ArrayBuffer of its own (transferable); empties the buffer. */
  take(): ArrayBuffer {
    const ab = new ArrayBuffer(this.len);
    new Uint8Array(ab).set(this.buf.subarray(0, this.len));
    this.len = 0;
    return ab;
  }
}
