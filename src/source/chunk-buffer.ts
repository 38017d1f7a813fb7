/**
 * The read buffers of a capture reader. Input arrives in chunks (1 MiB by default); the readers walk the records in
 * `bytes[start, end)` in place. Reading runs one chunk ahead, on libuv's thread pool, straight into a second buffer
 * while the reader walks the first: each buffer has a chunk's worth of headroom in front of where its data lands, and
 * when the reader needs more, the unread tail of the current buffer (the record cut by the chunk edge) is copied into
 * that headroom, in front of the data read ahead, and the buffers swap. So the input is copied once, by the read
 * itself, and decoding overlaps reading. A record larger than the headroom gets a buffer of its own, grown as its
 * bytes arrive up to its size (at most {@link MAX_RECORD_BYTES}) and let go once it is read, so memory stays bounded
 * by the largest record the input really holds, not by the file nor by what a record header claims.
 */
import type { ByteInput } from './byte-input.js';

/** Default read size in bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Largest record (pcap record or pcapng block, header included) the buffer will grow to hold, in bytes: 256 MiB. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** Owns the read buffers, the current one's `DataView`, and the mapping from buffer positions to input offsets. */
export class ChunkBuffer {
  /** Buffer memory; replaced (never resized in place) as buffers swap or a record needs more room. */
  bytes: Uint8Array;
  /** View over all of `bytes`; replaced together with it. */
  view: DataView;
  /** First unread byte. */
  start = 0;
  /** One past the last valid byte. */
  end = 0;
  /** Input offset (decompressed) of `bytes[0]`, so a record at buffer position p sits at input byte `base + p`. */
  base = 0;
  /** True once the input reported its end; no more bytes will arrive. */
  eof = false;
  private readonly input: ByteInput;
  /** Bytes per read, and the headroom in front of the data in each buffer (room for the tail carried over). */
  private readonly chunkBytes: number;
  /** The other buffer: the read ahead fills `spare[chunkBytes ..)`. */
  private spare: Uint8Array;
  /** The read in flight into `spare`, resolving to its byte count; null when none is. */
  private ahead: Promise<number> | null = null;

  /** @param chunkBytes read size in bytes (at least 16); each of the two buffers holds twice that */
  constructor(input: ByteInput, chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    this.input = input;
    this.chunkBytes = Math.max(16, chunkBytes | 0);
    this.bytes = new Uint8Array(2 * this.chunkBytes);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.spare = new Uint8Array(2 * this.chunkBytes);
  }

  /** Unread bytes currently in the buffer. */
  get available(): number {
    return this.end - this.start;
  }

  /** Input offset of the first unread byte, i.e. bytes consumed so far. */
  get consumed(): number {
    return this.base + this.start;
  }

  /**
   * Reads until at least `need` unread bytes are buffered or the input ends (then `eof` is set and fewer may be
   * there), and starts reading the next chunk ahead.
   *
   * @param need bytes wanted from `start`; the caller has checked it against {@link MAX_RECORD_BYTES}
   */
  async fill(need: number): Promise<void> {
    const room = this.chunkBytes;
    while (this.end - this.start < need && !this.eof) {
      const n = await (this.ahead ?? this.readAhead());
      this.ahead = null;
      if (n === 0) {
        this.eof = true;
        break;
      }
      // spare[room, room + n) holds the n input bytes that follow bytes[start, end).
      const tail = this.end - this.start;
      const spare = this.spare;
      if (tail <= room) {
        spare.set(this.bytes.subarray(this.start, this.end), room - tail);
        this.base += this.start - (room - tail);
        // A buffer grown for a large record is not kept as the spare: the next large record would hold two.
        this.spare = this.bytes.length === 2 * room ? this.bytes : new Uint8Array(2 * room);
        this.bytes = spare;
        this.start = room - tail;
        this.end = room + n;
      } else {
        // A record larger than the headroom: a buffer of its own (need <= MAX_RECORD_BYTES, checked by the caller),
        // grown as the record's bytes arrive, doubling up to `need`: a record header that claims more than the input
        // holds costs what the input holds, not what it claims.
        let next = new Uint8Array(Math.max(tail + n, 2 * room));
        next.set(this.bytes.subarray(this.start, this.end), 0);
        next.set(spare.subarray(room, room + n), tail);
        this.base += this.start;
        this.bytes = next;
        this.start = 0;
        this.end = tail + n;
        while (this.end < need && !this.eof) {
          if (this.end === next.length) {
            const grown = new Uint8Array(Math.min(need, 2 * next.length));
            grown.set(next.subarray(0, this.end));
            next = grown;
            this.bytes = next;
          }
          const m = await this.input.read(next, this.end, next.length - this.end);
          if (m === 0) this.eof = true;
          else this.end += m;
        }
      }
      this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    }
    if (!this.eof && this.ahead === null) this.ahead = this.readAhead();
  }

  /**
   * Hands over everything read and not consumed (the unread bytes and the chunk read ahead), leaving the buffer
   * empty: for a caller that reads the rest of the input another way (gzip: the sniffed bytes go to zlib).
   */
  async takeUnread(): Promise<Uint8Array> {
    const unread = this.bytes.slice(this.start, this.end);
    this.start = this.end;
    const n = this.ahead === null ? 0 : await this.ahead;
    this.ahead = null;
    if (n === 0) return unread;
    const all = new Uint8Array(unread.length + n);
    all.set(unread, 0);
    all.set(this.spare.subarray(this.chunkBytes, this.chunkBytes + n), unread.length);
    return all;
  }

  /** Releases the input (after the read in flight, if any, has finished). */
  async close(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = null;
    if (this.input.interruptible === true) {
      // A stream may never deliver the pending read (a pipe kept open): closing it ends the read.
      await this.input.close();
      if (ahead !== null) await ahead.catch(() => 0);
      return;
    }
    if (ahead !== null) await ahead.catch(() => 0);
    await this.input.close();
  }

  /** Compressed bytes consumed, for gzip input; else undefined. */
  rawBytesRead(): number | undefined {
    return this.input.rawBytesRead();
  }

  /** Starts reading the next chunk into the spare buffer's data area. */
  private readAhead(): Promise<number> {
    const p = this.input.read(this.spare, this.chunkBytes, this.chunkBytes);
    // A failed read is reported when it is awaited (fill); one never awaited (the reader stopped) is dropped here.
    p.catch(() => undefined);
    return p;
  }
}
