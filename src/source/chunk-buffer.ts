/**
 * The one reused read buffer of a capture reader. Input arrives in chunks (1 MiB by default); the readers walk the
 * records in `bytes[start, end)` in place, and a record cut by the chunk edge is carried over: {@link ChunkBuffer.fill}
 * moves the unread tail to the front and reads behind it. A record larger than the buffer grows it, up to
 * {@link MAX_RECORD_BYTES}, so memory stays bounded by the largest record, not by the file.
 */
import type { ByteInput } from './byte-input.js';

/** Default read size in bytes. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Largest record (pcap record or pcapng block, header included) the buffer will grow to hold, in bytes: 256 MiB. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** Owns the read buffer, its `DataView`, and the mapping from buffer positions to input offsets. */
export class ChunkBuffer {
  /** Buffer memory; replaced (never resized in place) when a record needs more room. */
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

  /** @param chunkBytes initial capacity and read size in bytes (at least 16) */
  constructor(input: ByteInput, chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    this.input = input;
    this.bytes = new Uint8Array(Math.max(16, chunkBytes | 0));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
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
   * there). Moves the unread tail to the front first, and grows the buffer when `need` exceeds its capacity.
   *
   * @param need bytes wanted from `start`; the caller has checked it against {@link MAX_RECORD_BYTES}
   */
  async fill(need: number): Promise<void> {
    this.compact(need);
    const cap = this.bytes.length;
    while (this.end - this.start < need && !this.eof) {
      const n = await this.input.read(this.bytes, this.end, cap - this.end);
      if (n === 0) this.eof = true;
      else this.end += n;
    }
  }

  /** Releases the input. */
  close(): Promise<void> {
    return this.input.close();
  }

  /** Compressed bytes consumed, for gzip input; else undefined. */
  rawBytesRead(): number | undefined {
    return this.input.rawBytesRead();
  }

  private compact(need: number): void {
    const tail = this.end - this.start;
    if (need > this.bytes.length) {
      // Grow geometrically (bounded) so that a run of growing records does not re-allocate each time.
      const size = Math.min(Math.max(need, this.bytes.length * 2), MAX_RECORD_BYTES);
      const next = new Uint8Array(Math.max(size, need));
      next.set(this.bytes.subarray(this.start, this.end), 0);
      this.bytes = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    } else if (this.start > 0) {
      this.bytes.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.start = 0;
    this.end = tail;
  }
}
