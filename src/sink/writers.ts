/**
 * Record writers: turn FlowRecords into text for scripts. Each writer has `begin`, `write(record)` and `end`, so the
 * streaming formats (ndjson, csv, zeek) emit each flow when it ends, while `json` and `table` collect.
 */
import type { FlowRecord } from '../flow/record.js';
import { ALL_FIELDS, type Field, recordJson, round6, ZEEK_LOG_FIELDS, type FieldValue } from './fields.js';
import { encodeRecordJson } from './json-bytes.js';
import { planTable, TABLE_HEAD, type TableLayout, tableCells, tableLines, TableMeasure, type TimeZone } from './table-layout.js';
import { type IpfixFileOptions, IpfixFileWriter } from './ipfix.js';

/** Where writers put text. */
export interface TextOut {
  write(s: string): unknown;
}

export interface RecordWriter {
  /** True when records are written as they arrive (so they may appear in end order). */
  readonly streaming: boolean;
  begin(): void;
  /**
   * Takes one record. The record is lent for the call only (it may be a view over flow state that changes after it
   * returns): a writer that keeps anything keeps its own text, never `r`.
   */
  write(r: FlowRecord): void;
  /** Ends the output (the Zeek writer's #close line; everything the collecting writers, json and table, hold). */
  end(): void;
  /**
   * As {@link end}, for the collecting writers: passes their output on in pieces and awaits `room()` between pieces
   * when it returns a promise, so that a slow reader holds the output back instead of memory; stops when it returns
   * false (the output takes nothing more).
   */
  endPaced?(room: () => Promise<void> | null | false): Promise<void>;
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

/**
 * One JSON array of the records, sorted by start time. Each record is kept as its JSON text (the bytes of the ndjson
 * line, in 1 MiB blocks), not as an object: memory is the size of the output.
 */
export class JsonWriter implements RecordWriter {
  readonly streaming = false;
  private readonly kept = new KeptRecords();
  private readonly scratch = new GrowingOut();
  private readonly out: TextOut;
  constructor(out: TextOut) {
    this.out = out;
  }
  begin(): void {}
  write(r: FlowRecord): void {
    const scratch = this.scratch;
    scratch.len = 0;
    encodeRecordJson(scratch, r);
    this.kept.add(r.startSec, r.uid, scratch.buf, scratch.len - 1); // without the line's \n
  }
  end(): void {
    for (const piece of this.pieces()) this.out.write(piece);
  }
  endPaced(room: () => Promise<void> | null | false): Promise<void> {
    return writePaced(this.out, this.pieces(), room);
  }
  /** `[`, the records by start time, `]`, in pieces of about 64 KiB (as text: TextOut takes strings). */
  private *pieces(): Generator<string> {
    const kept = this.kept;
    const order = kept.sorted();
    let piece = '[';
    for (let i = 0; i < order.length; i++) {
      piece += `${i === 0 ? '\n' : ',\n'}${kept.text(order[i]!)}`; // i < length
      if (piece.length >= PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
    yield `${piece}${order.length > 0 ? '\n]\n' : ']\n'}`;
  }
}

/** Writes `pieces` to `out`, waiting on `room` between them (see RecordWriter.endPaced). */
async function writePaced(out: TextOut, pieces: Iterable<string>, room: () => Promise<void> | null | false): Promise<void> {
  for (const piece of pieces) {
    out.write(piece);
    const wait = room();
    if (wait === false) return;
    if (wait !== null) await wait;
  }
}

/** Characters a collecting writer passes on at a time. */
const PIECE_CHARS = 1 << 16;
/** Size of the blocks that hold kept record text. */
const KEPT_BLOCK_BYTES = 1 << 20;

/**
 * Record text kept until the end of output, sorted by (start time, uid) then: the bytes in 1 MiB blocks, and per
 * record its block, offset, length and sort key. Nothing of the record itself is held.
 */
class KeptRecords {
  private readonly blocks: Buffer[] = [];
  private block: Buffer = Buffer.allocUnsafe(0);
  private used = 0;
  private readonly where: number[] = []; // block index, offset, length per record
  private readonly starts: number[] = [];
  private readonly uids: string[] = [];

  get size(): number {
    return this.starts.length;
  }

  /** Keeps `bytes[0, len)` (copied) as the text of a record that started at `startSec` with `uid`. */
  add(startSec: number, uid: string, bytes: Uint8Array, len: number): void {
    if (this.used + len > this.block.length) {
      this.block = Buffer.allocUnsafe(Math.max(KEPT_BLOCK_BYTES, len));
      this.blocks.push(this.block);
      this.used = 0;
    }
    this.block.set(bytes.subarray(0, len), this.used);
    this.where.push(this.blocks.length - 1, this.used, len);
    this.used += len;
    this.starts.push(startSec);
    this.uids.push(uid);
  }

  /** The text of record `i` (UTF-8). */
  text(i: number): string {
    const w = this.where;
    return this.blocks[w[3 * i]!]!.toString('utf8', w[3 * i + 1]!, w[3 * i + 1]! + w[3 * i + 2]!); // i < size
  }

  /** Record indexes by start time, then uid (the order of the json and table formats). */
  sorted(): Uint32Array {
    const order = new Uint32Array(this.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const starts = this.starts;
    const uids = this.uids;
    // a, b < size: order holds indexes only
    return order.sort((a, b) => starts[a]! - starts[b]! || (uids[a]! < uids[b]! ? -1 : uids[a]! > uids[b]! ? 1 : 0));
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

/** Between cells of a kept row (no cell holds it: addresses, names from sockscope's tables, numbers). */
const CELL_SEP = '\t';

/**
 * Aligned columns for people, sorted by start time, human units. Each record becomes its row's text when it comes
 * (the record is not kept) and the column widths grow with the rows, so any number of flows takes the memory of
 * their rows and nothing more. Fitted to `width` (a terminal's) as table-layout.ts says: columns give way by
 * priority, sockets are shortened in the middle with the port kept, and a flow may take two lines.
 */
export class TableWriter implements RecordWriter {
  readonly streaming = false;
  private readonly rows = new KeptRecords();
  private readonly measure = new TableMeasure();
  private readonly out: TextOut;
  private readonly width: number;
  private readonly layout: TableLayout;
  private readonly zone: TimeZone;
  constructor(out: TextOut, width = 160, layout: TableLayout = 'auto', zone: TimeZone = 'utc') {
    this.out = out;
    this.width = width;
    this.layout = layout;
    this.zone = zone;
  }
  begin(): void {}
  write(r: FlowRecord): void {
    const cells = tableCells(r, this.zone);
    this.measure.add(cells);
    const text = Buffer.from(cells.join(CELL_SEP));
    this.rows.add(r.startSec, r.uid, text, text.length);
  }
  end(): void {
    for (const piece of this.pieces()) this.out.write(piece);
  }
  endPaced(room: () => Promise<void> | null | false): Promise<void> {
    return writePaced(this.out, this.pieces(), room);
  }
  private *pieces(): Generator<string> {
    const rows = this.rows;
    const plan = planTable(this.measure, this.width, this.layout);
    let piece = `${tableLines(TABLE_HEAD, plan, true).join('\n')}\n`;
    for (const i of rows.sorted()) {
      piece += `${tableLines(rows.text(i).split(CELL_SEP), plan).join('\n')}\n`;
      if (piece.length >= PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
    yield piece;
  }
}

/** The flow table as text lines (also used by tests and by `watch` without a terminal). */
export function renderTable(records: readonly FlowRecord[], width = 160, layout: TableLayout = 'one-line'): string {
  let s = '';
  const w = new TableWriter({ write: (t: string) => (s += t) }, width, layout);
  for (const r of records) w.write(r);
  w.end();
  return s;
}

function cellText(f: Field, v: FieldValue, unset: string): string {
  if (v === undefined) return unset;
  if (typeof v === 'object') return v.join(','); // a set: Zeek's #set_separator
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
  opts: { now?: () => number; width?: number; layout?: TableLayout; zone?: TimeZone; ipfix?: IpfixFileOptions } = {},
): RecordWriter {
  switch (format) {
    case 'ndjson':
      return new NdjsonWriter(out);
    case 'json':
      return new JsonWriter(out);
    case 'csv':
      return new CsvWriter(out);
    case 'zeek':
      return new ZeekWriter(out, opts.now, ZEEK_LOG_FIELDS);
    case 'table':
      return new TableWriter(out, opts.width, opts.layout, opts.zone);
    case 'ipfix':
      return new IpfixFileWriter(out, { ...(opts.now !== undefined ? { now: opts.now } : {}), ...opts.ipfix });
  }
}

/** Where a {@link ChunkedOut} sends its bytes (process.stdout, a file stream). */
export interface ByteSink {
  /** Takes a chunk; `done` (when the sink calls it) runs once it and every chunk before it are written. */
  write(chunk: Uint8Array, done?: (err?: Error | null) => void): unknown;
  /** Bytes handed to the sink and not yet written out (Node's `Writable.writableLength`); absent: none wait. */
  readonly writableLength?: number;
  /** Node's stream events: 'drain' once what waited is written, 'error', 'close'. */
  once?(event: 'drain' | 'error' | 'close', listener: () => void): unknown;
  off?(event: 'drain' | 'error' | 'close', listener: () => void): unknown;
}

const CHUNK_BYTES = 1 << 16;
/** Written chunks kept for reuse: as many as a full backlog (OUT_BACKLOG_BYTES) holds, and some. */
const MAX_SPARE_CHUNKS = 32;
/**
 * Bytes the sink may hold unwritten before {@link ChunkedOut.full} asks whoever fills the output to wait: a reader
 * slower than sockscope holds back reading, not memory.
 */
export const OUT_BACKLOG_BYTES = 1 << 20;

/**
 * Collects output into 64 KiB byte chunks: one `write` per flow record would cost a system call each, and building
 * each record as a string first would cost garbage. Text is passed on when a chunk is full, `maxDelayMs` after the
 * first unsent byte (so streamed records still arrive promptly), and on {@link flush}. Encoders (the ndjson writer)
 * write into `buf` directly after {@link reserve}. Records are written whole into a chunk, so every chunk passed on
 * ends at the end of a record.
 *
 * Backpressure: {@link full} says when the sink holds more than {@link OUT_BACKLOG_BYTES} unwritten, {@link room}
 * waits until it has written them. A sink that fails (throws from `write`, or is told by {@link fail}) takes nothing
 * more: what is written after is dropped, and {@link failure} says why.
 */
export class ChunkedOut implements TextOut {
  /** The chunk being filled, and how many bytes of it are used. */
  buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  len = 0;
  /** Why the sink takes nothing more (a write error), or null. */
  failure: Error | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** Chunks the sink has written, for reuse (see flush), and whether the sink queues writes (see flush). */
  private readonly spare: Buffer[] = [];
  private queues = false;
  /**
   * Whether chunks may be reused: only for a sink that writes to a file descriptor (standard output, a file), which
   * is done with a chunk once it is written. A stream in the process (a PassThrough) may hand the very chunk on to
   * its reader, to be read later.
   */
  private readonly reusable: boolean;
  private readonly out: ByteSink;
  private readonly maxDelayMs: number;
  private readonly onFailure: ((e: Error) => void) | undefined;
  /**
   * @param out where the chunks go
   * @param maxDelayMs longest time a byte waits in a chunk that is not full
   * @param onFailure called once, when the sink fails
   */
  constructor(out: ByteSink, maxDelayMs = 100, onFailure?: (e: Error) => void) {
    this.out = out;
    this.maxDelayMs = maxDelayMs;
    this.onFailure = onFailure;
    this.reusable = typeof (out as { fd?: unknown }).fd === 'number';
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
  /**
   * Passes on everything gathered. The chunk is handed over: the sink may write it later. A chunk of the usual size
   * comes back for reuse once the sink says it is written (its `done`), so that a long output does not allocate a new
   * chunk every 64 KiB: each is memory outside the heap, and V8 answers a steady growth of that with full collections
   * (nine of them on a 1.8 GB output, marking every open flow each time).
   */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.len === 0) return;
    const full = this.buf;
    const chunk = full.subarray(0, this.len);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.len = 0;
    if (this.failure !== null) return;
    try {
      if (full.length !== CHUNK_BYTES || !this.reusable) this.out.write(chunk);
      else if (this.queues) this.out.write(chunk, () => this.giveBack(full));
      else {
        // A sink that writes at once (stdout to a file or /dev/null, a pipe with room) holds nothing after the call:
        // the chunk is free now. No callback is passed to such a sink: Node defers a synchronous write's callback to
        // the next tick, which a run that keeps awaiting resolved promises never reaches, and every chunk waited
        // (250 MB more on a 1M-flow UDP flood).
        this.out.write(chunk);
        if (this.out.writableLength === 0) this.giveBack(full);
        else this.queues = true; // it queued: from now on chunks come back through the write callbacks
      }
    } catch (e) {
      // A stream writing synchronously (a file, /dev/full) throws its error here rather than emitting it.
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }
  /** Takes back a chunk the sink has written (see flush). */
  private giveBack(chunk: Buffer): void {
    if (this.spare.length < MAX_SPARE_CHUNKS) this.spare.push(chunk);
  }
  /** Marks the sink failed (an 'error' it emitted): nothing more is passed on. The first failure is kept. */
  fail(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.onFailure?.(e);
  }
  /** True while the sink holds {@link OUT_BACKLOG_BYTES} or more unwritten (and has not failed). */
  full(): boolean {
    return this.failure === null && (this.out.writableLength ?? 0) >= OUT_BACKLOG_BYTES;
  }
  /**
   * Null when the sink has room; else a promise that resolves once it has written everything it held ('drain': a
   * backlog this large was made by a write the sink refused), failed or closed, or `signal` aborted.
   */
  room(signal?: AbortSignal): Promise<void> | null {
    return this.full() ? this.until(signal, (done) => this.out.once!('drain', done)) : null; // full(): a stream
  }
  /** Resolves once the sink has written everything handed to it so far (or failed, closed, or `signal` aborted). */
  settled(signal?: AbortSignal): Promise<void> {
    // A write's callback runs once every write before it is done ('drain' comes only after a refused write), and
    // after the 'error' event of a write that failed (a file's error is emitted on the next tick).
    return this.until(signal, (done) =>
      this.out.write(EMPTY, (err) => {
        // A file stream calls back with its error before it emits 'error'.
        if (err !== undefined && err !== null) this.fail(err);
        done();
      }),
    );
  }
  private until(signal: AbortSignal | undefined, arm: (done: () => void) => void): Promise<void> {
    const out = this.out;
    if (this.failure !== null || signal?.aborted || out.once === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        out.off?.('error', done);
        out.off?.('close', done);
        out.off?.('drain', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      out.once!('error', done); // checked above
      out.once!('close', done);
      signal?.addEventListener('abort', done, { once: true });
      arm(done);
    });
  }
}

const EMPTY = new Uint8Array(0);

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
