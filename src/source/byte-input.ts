/**
 * Byte inputs behind the capture readers: a regular file read through one `FileHandle`, or any Node `Readable`
 * (standard input, a gunzip stream). Both expose the same pull interface, {@link ByteInput.read}, so the pcap and
 * pcapng readers never know where their bytes come from.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * Output chunk size of the gunzip stream, in bytes. With zlib's default (16 KiB) the stream machinery costs a good
 * share of the time; 256 KiB chunks read the 1.4 GB bench capture about 25% faster (6.7 s -> 5.1 s, inflate-bound).
 */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** A sequential source of bytes. */
export interface ByteInput {
  /**
   * Copies up to `length` bytes into `into[offset ..)` and resolves the count; 0 means end of input. May return fewer
   * bytes than asked (a pipe hands over what it has). Callers have at most one read in flight.
   */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  /** Releases the file descriptor or stops the stream. Safe to call twice. */
  close(): Promise<void>;
  /** Bytes taken from the underlying medium before decompression (gzip input only), else undefined. */
  rawBytesRead(): number | undefined;
  /**
   * True when `close()` may come while a read is pending, which then resolves 0 (a stream); a file's reads are
   * awaited before it is closed.
   */
  readonly interruptible?: boolean;
}

/**
 * Reads a file opened by path (a regular file, a FIFO, a character device) sequentially through one `FileHandle`, on
 * libuv's thread pool, straight into the caller's buffer. The chunk buffer reads one chunk ahead (see ChunkBuffer), so
 * reading overlaps decoding without a copy.
 */
export class FileInput implements ByteInput {
  private readonly fh: FileHandle;
  private closed = false;

  constructor(fh: FileHandle) {
    this.fh = fh;
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.closed) return 0;
    // position null: continue from the current file position, which also works for pipes and character devices.
    const { bytesRead } = await this.fh.read(into, offset, length, null);
    return bytesRead;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  rawBytesRead(): number | undefined {
    return undefined;
  }
}

/** Decompressed or piped bytes queued ahead of the reader before the stream is paused. */
const QUEUE_HIGH_BYTES = 4 * 1024 * 1024;

/**
 * Collects the chunks of a `Readable` as they come ('data' events, paused while {@link QUEUE_HIGH_BYTES} wait) and
 * copies them out on demand. Bytes handed to the constructor as `prefix` (already read while sniffing the magic
 * number) come first. A stream error is raised only once every byte received before it has been read: a corrupt gzip
 * member or a failing pipe loses nothing that came before the failure (an async iterator would drop what it had
 * buffered).
 */
export class StreamInput implements ByteInput {
  readonly interruptible = true;
  private readonly stream: Readable;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private headOff = 0;
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly countRaw: (() => number) | undefined;
  private readonly onClose: (() => void) | undefined;

  /**
   * @param stream where the chunks come from (`Buffer`/`Uint8Array` chunks; a string chunk is a usage error)
   * @param prefix bytes to deliver before the stream's first chunk
   * @param countRaw reports the compressed bytes consumed, for gzip progress
   * @param onClose extra cleanup (destroying a pipeline)
   */
  constructor(stream: Readable, prefix: Uint8Array | null = null, countRaw?: () => number, onClose?: () => void) {
    this.stream = stream;
    this.countRaw = countRaw;
    this.onClose = onClose;
    if (prefix !== null && prefix.length > 0) this.push(prefix);
    stream.on('data', (chunk: unknown) => {
      if (!(chunk instanceof Uint8Array)) {
        this.fail(new TypeError('capture stream yielded a non-binary chunk (was an encoding set on the stream?)'));
        return;
      }
      if (chunk.length > 0) this.push(chunk);
      if (this.queued >= QUEUE_HIGH_BYTES) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (e: Error) => this.fail(e));
    stream.on('close', () => {
      // Destroyed without 'end' or 'error' (closed by us): nothing more will come.
      this.ended = true;
      this.notify();
    });
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.queue.length === 0) {
      if (this.error !== null) throw this.error;
      if (this.ended || this.closed) return 0;
      if (this.stream.isPaused()) this.stream.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const chunk = this.queue[0]!; // queue is not empty
    const n = Math.min(length, chunk.length - this.headOff);
    // One copy per stream chunk (typically 64-256 KiB), never per packet.
    into.set(chunk.subarray(this.headOff, this.headOff + n), offset);
    this.headOff += n;
    this.queued -= n;
    if (this.headOff === chunk.length) {
      this.queue.shift();
      this.headOff = 0;
    }
    if (this.queued < QUEUE_HIGH_BYTES / 2 && this.stream.isPaused() && !this.ended) this.stream.resume();
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.onClose?.();
    this.stream.destroy();
    this.notify();
  }

  rawBytesRead(): number | undefined {
    return this.countRaw?.();
  }

  private push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  private fail(e: Error): void {
    this.error ??= e;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** Wraps a `Readable` of raw capture bytes in a {@link StreamInput}. */
export function streamInput(stream: NodeJS.ReadableStream, prefix: Uint8Array | null = null): StreamInput {
  const readable = stream instanceof Readable ? stream : Readable.from(stream);
  return new StreamInput(readable, prefix);
}

/**
 * Sizes of the compressed pieces the salvaging decompressions (see {@link gunzipInput}) feed zlib from where the
 * failed call of the pass before began: zlib hands over nothing of the call that met the error, and a call decodes
 * one piece, so the last pass loses nothing before the byte at fault.
 */
const SALVAGE_PIECE_BYTES: readonly number[] = [64, 1];

/**
 * Decompresses a gzip input on the fly (RFC 1952; concatenated members are read as one stream).
 *
 * zlib gives nothing of the output of the call that met corrupt data (or bytes after the last member), which at
 * {@link GUNZIP_CHUNK_BYTES} a call can be the whole of a small file. When `reopen` can read the input again (a
 * regular file), an error is therefore not raised at once: the input is decompressed again from the start, fed in
 * small pieces ({@link SALVAGE_PIECE_BYTES}) from where the failed call began, the bytes already handed over are
 * skipped, and the error comes after every good byte before it. Standard input cannot be read twice.
 *
 * @param raw the compressed input, positioned after `prefix`
 * @param prefix compressed bytes already read from `raw` while sniffing the magic number
 * @param chunkBytes size of the reads from `raw`
 * @param reopen opens the compressed input again from its first byte
 */
export function gunzipInput(
  raw: ByteInput,
  prefix: Uint8Array,
  chunkBytes: number,
  reopen?: () => Promise<ByteInput>,
): ByteInput {
  const first = gunzipStream(raw, prefix, chunkBytes, Infinity, 0);
  return reopen === undefined ? first : new SalvagingInput(first, chunkBytes, reopen);
}

/** See {@link gunzipInput}: the decompressed bytes, decompressed again in smaller pieces after an error. */
class SalvagingInput implements ByteInput {
  readonly interruptible = true;
  private current: GunzipStreamInput;
  private delivered = 0;
  private pass = 0;
  private readonly chunkBytes: number;
  private readonly reopen: () => Promise<ByteInput>;

  constructor(first: GunzipStreamInput, chunkBytes: number, reopen: () => Promise<ByteInput>) {
    this.current = first;
    this.chunkBytes = chunkBytes;
    this.reopen = reopen;
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    for (;;) {
      try {
        const n = await this.current.read(into, offset, length);
        this.delivered += n;
        return n;
      } catch (err) {
        const piece = SALVAGE_PIECE_BYTES[this.pass];
        if (piece === undefined) throw err;
        this.pass++;
        const fineFrom = this.current.consumed();
        await this.current.close().catch(() => undefined);
        this.current = gunzipStream(await this.reopen(), new Uint8Array(0), this.chunkBytes, fineFrom, piece);
        // Skip what was handed over already: the same bytes again, since decompression is deterministic.
        const scratch = new Uint8Array(64 * 1024);
        for (let skipped = 0; skipped < this.delivered;) {
          const n = await this.current.read(scratch, 0, Math.min(scratch.length, this.delivered - skipped));
          if (n === 0) throw err;
          skipped += n;
        }
      }
    }
  }

  close(): Promise<void> {
    return this.current.close();
  }

  rawBytesRead(): number | undefined {
    return this.current.rawBytesRead();
  }
}

/** A gunzip stream read as a StreamInput, which also says how many compressed bytes zlib has consumed. */
class GunzipStreamInput extends StreamInput {
  readonly consumed: () => number;

  constructor(gunzip: Gunzip, countRaw: () => number, onClose: () => void) {
    super(gunzip, null, countRaw, onClose);
    this.consumed = () => gunzip.bytesWritten;
  }
}

/**
 * A gunzip stream over `raw` (after `prefix`). From compressed byte `fineFrom` on, zlib is fed pieces of `piece`
 * bytes, one call each (see {@link gunzipInput}).
 */
function gunzipStream(raw: ByteInput, prefix: Uint8Array, chunkBytes: number, fineFrom: number, piece: number): GunzipStreamInput {
  let rawBytes = 0;
  async function* compressed(): AsyncGenerator<Uint8Array> {
    rawBytes += prefix.length;
    if (prefix.length > 0) yield prefix;
    for (;;) {
      // A fresh buffer per read: zlib may still hold the previous chunk while we read the next one.
      const buf = new Uint8Array(chunkBytes);
      const n = await raw.read(buf, 0, chunkBytes);
      if (n === 0) return;
      const at = rawBytes;
      rawBytes += n;
      if (at + n <= fineFrom) {
        yield n === chunkBytes ? buf : buf.subarray(0, n);
        continue;
      }
      let i = Math.max(0, Math.min(n, fineFrom - at));
      if (i > 0) yield buf.subarray(0, i);
      for (; i < n; i += piece) yield buf.subarray(i, Math.min(n, i + piece));
    }
  }
  const source = Readable.from(compressed(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  return new GunzipStreamInput(
    gunzip,
    () => rawBytes,
    () => {
      source.destroy();
      void raw.close();
    },
  );
}
