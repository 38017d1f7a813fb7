/**
 * Writes frames as a classic pcap file (the libpcap format tcpdump and Wireshark read; draft-ietf-opsawg-pcap §4
 * file header, §5 packet record), in little-endian byte order.
 *
 * Frames are borrowed (their bytes are overwritten as soon as the source moves on), so {@link PcapWriter.write}
 * copies each record into a batch buffer of its own right away. Full batches go to the output stream; while the
 * stream signals backpressure, batches wait in memory up to `maxBacklogBytes`, and beyond that packets are counted
 * as dropped instead of blocking the capture. {@link PcapWriter.finish} flushes everything and ends the stream, so
 * the file is complete when it resolves.
 */

import {createWriteStream} from 'node:fs';
import type {Frame} from '../source/types.js';

/** pcap file header fields (24 bytes). */
const FILE_HEADER = {MAGIC: 0, VERSION_MAJOR: 4, VERSION_MINOR: 6, THISZONE: 8, SIGFIGS: 12, SNAPLEN: 16, LINKTYPE: 20, LENGTH: 24} as const;
/** pcap packet record header fields (16 bytes). */
const RECORD = {TS_SEC: 0, TS_FRAC: 4, INCL_LEN: 8, ORIG_LEN: 12, HEADER_LEN: 16} as const;
const copyBytes = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;

/** Magic numbers: microsecond and nanosecond timestamps. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** LINKTYPE_* written in the file header. @default the first frame's link type (Ethernet if no frame is written) */
  linkType?: number;
  /** Snap length in the header; longer frames are cut to it (orig_len keeps the wire length). @default 262144 */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. @default false */
  nanosecond?: boolean;
  /** Size of one write batch, bytes. @default 1 MiB */
  batchBytes?: number;
  /** Batches kept in memory while the stream is backed up before packets are dropped, bytes. @default 64 MiB */
  maxBacklogBytes?: number;
  /** A partly filled batch is written out after this many ms, so the file grows during a capture. @default 500 */
  flushIntervalMs?: number;
}

/**
 * A classic pcap writer over a file path or a writable stream. One writer per output; not reusable after
 * {@link finish}.
 */
export class PcapWriter {
  /** Where the records go (the file path, or `'-'`/a name for a stream). */
  readonly name: string;
  /** Records written (copied into the writer). */
  packets = 0;
  /** Records dropped because the output was backed up beyond `maxBacklogBytes`, or had a different link type. */
  dropped = 0;
  /** Bytes handed to the output stream so far, headers included. */
  bytesWritten = 0;

  private readonly out: NodeJS.WritableStream;
  private ownsStream: boolean;
  private readonly snaplen: number;
  private readonly nanosecond: boolean;
  private readonly batchBytes: number;
  private readonly maxBacklogBytes: number;
  private readonly flushIntervalMs: number;
  private linkType: number | undefined;
  private headerWritten = false;
  private batch: Uint8Array;
  private view: DataView;
  private used = 0;
  private readonly backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private waitingForDrain = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private error: Error | undefined;
  private finishing: Promise<void> | undefined;

  constructor(out: string | NodeJS.WritableStream, opts: PcapWriterOptions = {}) {
    if (typeof out === 'string') {
      this.name = out;
      this.out = createWriteStream(out);
      this.ownsStream = true;
    } else {
      this.name = (out as {path?: unknown}).path?.toString() ?? 'stream';
      this.out = out;
      this.ownsStream = false;
    }
    this.out.on('error', (e: Error) => {
      this.error ??= new Error(`${this.name}: cannot write the pcap file: ${e.message}`, {cause: e});
    });
    this.out.on('drain', this.onDrain);
    this.linkType = opts.linkType;
    this.snaplen = opts.snaplen ?? 262144;
    this.nanosecond = opts.nanosecond ?? false;
    this.batchBytes = Math.max(opts.batchBytes ?? 1 << 20, FILE_HEADER.LENGTH + RECORD.HEADER_LEN + this.snaplen);
    this.maxBacklogBytes = opts.maxBacklogBytes ?? 64 << 20;
    this.flushIntervalMs = opts.flushIntervalMs ?? 500;
    this.batch = new Uint8Array(this.batchBytes);
    this.view = new DataView(this.batch.buffer);
  }

  /**
   * Opens (creates or truncates) the file at `path` and resolves with a writer that owns it, or rejects with the open
   * error (ENOENT, EISDIR, EACCES...), as tcpdump opens its -w file before the first packet. Opening is asynchronous:
   * while a FIFO waits for its reader, signals are still handled.
   */
  static open(path: string, opts: PcapWriterOptions = {}): Promise<PcapWriter> {
    return new Promise((resolve, reject) => {
      const stream = createWriteStream(path);
      const onError = (e: Error) => reject(e);
      stream.once('error', onError);
      stream.once('open', () => {
        stream.off('error', onError);
        const w = new PcapWriter(stream, opts);
        w.ownsStream = true;
        resolve(w);
      });
    });
  }

  /** The first error the output stream reported, if any (writes after it are dropped). */
  get failed(): Error | undefined {
    return this.error;
  }

  /**
   * Copies one frame into the current batch: `frame.bytes[offset, offset + min(caplen, snaplen))`, its timestamp and
   * its wire length. Synchronous and never blocking; the frame may be reused as soon as this returns.
   */
  write(frame: Readonly<Frame>): void {
    if (this.finishing !== undefined || this.error !== undefined) {
      this.dropped++;
      return;
    }
    if (!this.headerWritten) {
      this.linkType ??= frame.linkType;
      this.writeHeader();
    }
    if (frame.linkType !== this.linkType) {
      this.dropped++; // classic pcap has one link type per file
      return;
    }
    const incl = Math.min(frame.caplen, this.snaplen);
    const need = RECORD.HEADER_LEN + incl;
    if (this.used + need > this.batchBytes) {
      if (this.waitingForDrain && this.backlogBytes + this.used > this.maxBacklogBytes) {
        this.dropped++; // the output is backed up and the backlog is full: drop rather than block or grow
        return;
      }
      this.flushBatch();
    }
    const v = this.view;
    const at = this.used;
    v.setUint32(at + RECORD.TS_SEC, frame.tsSec >>> 0, true); // u32 seconds: wraps in 2106
    v.setUint32(at + RECORD.TS_FRAC, this.nanosecond ? frame.tsNsec : Math.floor(frame.tsNsec / 1000), true);
    v.setUint32(at + RECORD.INCL_LEN, incl, true);
    v.setUint32(at + RECORD.ORIG_LEN, Math.max(frame.wireLen, incl), true);
    // Buffer#copy takes any Uint8Array as source and, unlike subarray + set, allocates no view per packet.
    copyBytes.call(frame.bytes, this.batch, at + RECORD.HEADER_LEN, frame.offset, frame.offset + incl);
    this.used = at + need;
    this.packets++;
    if (this.flushTimer === undefined && this.flushIntervalMs > 0) {
      this.flushTimer = setTimeout(this.onFlushTimer, this.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /** Writes what is buffered, ends the stream (when the writer opened it) and resolves once the file is complete. */
  finish(): Promise<void> {
    this.finishing ??= this.doFinish();
    return this.finishing;
  }

  private async doFinish(): Promise<void> {
    if (!this.headerWritten) {
      this.linkType ??= 1;
      this.writeHeader();
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushBatch();
    while (this.backlog.length > 0 && this.error === undefined) {
      if (this.waitingForDrain) await this.drainedOrFailed();
      else this.onDrain();
    }
    if (this.ownsStream) {
      await new Promise<void>(resolve => {
        if (this.error) return resolve();
        this.out.once('close', () => resolve());
        this.out.end();
      });
    }
    this.out.off('drain', this.onDrain);
    if (this.error) throw this.error;
  }

  private drainedOrFailed(): Promise<void> {
    return new Promise<void>(resolve => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
    });
  }

  private writeHeader(): void {
    const v = this.view;
    v.setUint32(FILE_HEADER.MAGIC, this.nanosecond ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
    v.setUint16(FILE_HEADER.VERSION_MAJOR, 2, true);
    v.setUint16(FILE_HEADER.VERSION_MINOR, 4, true);
    v.setInt32(FILE_HEADER.THISZONE, 0, true);
    v.setUint32(FILE_HEADER.SIGFIGS, 0, true);
    v.setUint32(FILE_HEADER.SNAPLEN, this.snaplen, true);
    v.setUint32(FILE_HEADER.LINKTYPE, this.linkType ?? 1, true);
    this.used = FILE_HEADER.LENGTH;
    this.headerWritten = true;
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = undefined;
    this.flushBatch();
  };

  /** Moves the current batch to the backlog (a new batch takes its place) and writes as the stream allows. */
  private flushBatch(): void {
    if (this.used === 0) return;
    this.backlog.push(this.batch.subarray(0, this.used));
    this.backlogBytes += this.used;
    this.batch = new Uint8Array(this.batchBytes);
    this.view = new DataView(this.batch.buffer);
    this.used = 0;
    if (!this.waitingForDrain) this.onDrain();
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    while (this.backlog.length > 0 && this.error === undefined) {
      const chunk = this.backlog.shift()!; // length checked by the loop condition
      this.backlogBytes -= chunk.length;
      this.bytesWritten += chunk.length;
      if (!this.out.write(chunk)) {
        this.waitingForDrain = true;
        return;
      }
    }
  };
}
