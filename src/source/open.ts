/**
 * Opens a capture file (or standard input) as a {@link PacketSource}, choosing the reader by the magic number,
 * never by the file name, and decompressing gzip input on the fly.
 */
import { open as openFile } from 'node:fs/promises';
import { FileInput, gunzipInput, streamInput } from './byte-input.js';
import type { ByteInput } from './byte-input.js';
import { ChunkBuffer, DEFAULT_CHUNK_BYTES } from './chunk-buffer.js';
import { PcapMagic, PcapSource } from './pcap.js';
import { BlockType, PcapngSource } from './pcapng.js';
import { CaptureError } from './types.js';
import type { PacketSource } from './types.js';

/** The input formats {@link detectFormat} tells apart by their first bytes. */
export const CaptureFormat = {
  UNKNOWN: 0,
  PCAP: 1,
  PCAPNG: 2,
  GZIP: 3,
} as const;
export type CaptureFormat = (typeof CaptureFormat)[keyof typeof CaptureFormat];

/** Bytes needed to tell the formats apart. */
export const MAGIC_BYTES = 4;

/** gzip member header ID1 ID2 (RFC 1952 §2.3.1). */
const GZIP_ID = [0x1f, 0x8b] as const;

/** Options of {@link openCapture}. */
export interface OpenCaptureOptions {
  /**
   * Read size and initial buffer size in bytes. Records larger than this grow the buffer.
   * @default 1048576 (1 MiB)
   */
  chunkSize?: number;
  /**
   * The stream that `-` reads. Tests inject a `Readable` here.
   * @default process.stdin
   */
  stdin?: NodeJS.ReadableStream;
}

/**
 * Names the format from the first bytes of an input (at least {@link MAGIC_BYTES}; gzip needs 2).
 *
 * @param bytes the first bytes of the input, in file order
 */
export function detectFormat(bytes: Uint8Array): CaptureFormat {
  if (bytes.length >= 2 && bytes[0] === GZIP_ID[0] && bytes[1] === GZIP_ID[1]) return CaptureFormat.GZIP;
  if (bytes.length < MAGIC_BYTES) return CaptureFormat.UNKNOWN;
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  switch (magic) {
    case PcapMagic.MICRO:
    case PcapMagic.NANO:
    case PcapMagic.MICRO_SWAPPED:
    case PcapMagic.NANO_SWAPPED:
      return CaptureFormat.PCAP;
    case BlockType.SECTION_HEADER:
      return CaptureFormat.PCAPNG;
    default:
      return CaptureFormat.UNKNOWN;
  }
}

/**
 * Opens `path` for reading packets: classic pcap (either byte order, µs or ns), pcapng, or either of them
 * gzip-compressed. `-` reads standard input (also sniffed, also possibly gzipped). Reading streams in chunks of
 * `opts.chunkSize` bytes, so memory stays constant whatever the file size.
 *
 * Rejects with a {@link CaptureError} naming the file, packet 0 and byte 0 when the magic number is unknown or the
 * input is empty; with the underlying Node error (ENOENT, EACCES, ...) when the file cannot be opened.
 */
export async function openCapture(path: string, opts: OpenCaptureOptions = {}): Promise<PacketSource> {
  const chunkBytes = Math.max(64, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_BYTES));
  let input: ByteInput;
  let totalBytes: number | undefined;
  if (path === '-') {
    input = streamInput(opts.stdin ?? process.stdin);
  } else {
    const fh = await openFile(path, 'r');
    try {
      const st = await fh.stat();
      // Nothing was read: no packet or byte to name (describeOpenError: `cannot read DIR: is a directory`).
      if (st.isDirectory()) throw Object.assign(new Error(`${path}: is a directory, not a capture file`), { code: 'EISDIR', path });
      if (st.isFile()) totalBytes = st.size;
    } catch (err) {
      await fh.close();
      throw err;
    }
    input = new FileInput(fh);
  }
  // A regular file can be read again, to salvage what a damaged gzip stream held before the damage.
  const reopen = totalBytes === undefined ? undefined : async () => new FileInput(await openFile(path, 'r'));
  try {
    return await openInput(path, input, chunkBytes, totalBytes, false, reopen);
  } catch (err) {
    await input.close().catch(() => undefined);
    throw err;
  }
}

async function openInput(
  name: string,
  input: ByteInput,
  chunkBytes: number,
  totalBytes: number | undefined,
  gzipped: boolean,
  reopen?: () => Promise<ByteInput>,
): Promise<PacketSource> {
  const chunk = new ChunkBuffer(input, chunkBytes);
  /** A read or decompression error while the file header is read, located at the first unread byte. */
  const readError = (err: unknown): CaptureError => {
    if (err instanceof CaptureError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    const raw = gzipped ? input.rawBytesRead() : undefined;
    const where = raw === undefined ? '' : ` (after ${raw} compressed bytes${totalBytes === undefined ? '' : ` of ${totalBytes}`})`;
    return new CaptureError(name, 0, chunk.consumed, `read error${gzipped ? ' (gzip)' : ''}: ${reason}${where}`, true);
  };
  try {
    await chunk.fill(MAGIC_BYTES);
  } catch (err) {
    throw readError(err);
  }
  const head = chunk.bytes.subarray(chunk.start, chunk.start + Math.min(chunk.available, MAGIC_BYTES));
  const format = detectFormat(head);
  if (format === CaptureFormat.PCAP) return PcapSource.open(name, chunk, totalBytes).catch((e: unknown) => Promise.reject(readError(e)));
  if (format === CaptureFormat.PCAPNG) return PcapngSource.open(name, chunk, totalBytes).catch((e: unknown) => Promise.reject(readError(e)));
  if (format === CaptureFormat.GZIP && !gzipped) {
    // Hand the sniffed bytes, and the rest of the input, to zlib; read the decompressed stream the same way.
    const prefix = await chunk.takeUnread();
    return openInput(name, gunzipInput(input, prefix, chunkBytes, reopen), chunkBytes, totalBytes, true);
  }
  if (chunk.available === 0) {
    throw new CaptureError(name, 0, 0, gzipped ? 'gzip data decompresses to nothing' : 'empty input: no capture file header');
  }
  const seen = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CaptureError(
    name,
    0,
    0,
    `unknown capture format: first bytes ${seen}${gzipped ? ' (after gzip decompression)' : ''}; expected pcap ` +
      '(a1 b2 c3 d4, a1 b2 3c 4d or byte-swapped), pcapng (0a 0d 0d 0a) or gzip (1f 8b)',
  );
}
