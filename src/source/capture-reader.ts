/**
 * What the pcap and pcapng readers share: the `pump` loop over a {@link ChunkBuffer}, the located errors, the stats.
 * A subclass implements {@link CaptureReader.deliver}, the synchronous walk over the complete records in the buffer.
 */
import type { ChunkBuffer } from './chunk-buffer.js';
import { CaptureError, Frame } from './types.js';
import type { FrameHandler, PacketSource, SourceStats } from './types.js';

/** Base of the file readers: owns the buffer, the reused frame, the counters and the error state. */
export abstract class CaptureReader implements PacketSource {
  readonly name: string;
  readonly live = false;
  /** The one frame handed to every callback. */
  protected readonly frame = new Frame();
  protected readonly chunk: ChunkBuffer;
  /** Packets delivered so far; also the number of the last delivered frame. */
  protected packets = 0;
  protected truncatedBySnaplen = 0;
  protected badTimestamps = 0;
  /**
   * Set by `deliver` when it stops for lack of bytes: how many bytes from `chunk.start` the next record needs
   * (at least its header). Always > the bytes available when it is read.
   */
  protected need = 0;
  private readonly totalBytes: number | undefined;
  private failure: CaptureError | null = null;
  private finished = false;

  /**
   * @param name file path or `-`, used in error messages
   * @param chunk buffer positioned at the first record (after the pcap file header / pcapng SHB)
   * @param totalBytes size of the input file when it is a regular file
   */
  protected constructor(name: string, chunk: ChunkBuffer, totalBytes: number | undefined) {
    this.name = name;
    this.chunk = chunk;
    this.totalBytes = totalBytes;
  }

  /**
   * Calls `onFrame` for every complete record in the buffer, stopping early when it returns `false`; returns the
   * number of frames delivered. When it stops for lack of bytes it sets {@link need}. Throws a {@link CaptureError}
   * (through {@link fail}) on a malformed record, after having delivered the good records before it.
   */
  protected abstract deliver(onFrame: FrameHandler): number;

  /** Why a record that the end of input cut short is bad (called with 0 < available < need at end of input). */
  protected abstract cutShortReason(available: number): string;

  async pump(onFrame: FrameHandler): Promise<boolean> {
    if (this.failure !== null) throw this.failure;
    if (this.finished) return false;
    const chunk = this.chunk;
    for (;;) {
      if (this.deliver(onFrame) > 0) return true;
      if (chunk.eof) {
        if (chunk.available === 0) {
          this.finished = true;
          await chunk.close();
          return false;
        }
        throw this.fail(chunk.consumed, this.cutShortReason(chunk.available));
      }
      try {
        await chunk.fill(this.need);
      } catch (err) {
        if (err instanceof CaptureError) throw err;
        // A read or decompression error (corrupt gzip data, EIO): locate it at the first unread byte.
        const reason = err instanceof Error ? err.message : String(err);
        throw this.fail(chunk.consumed, `read error: ${reason}`);
      }
    }
  }

  stats(): SourceStats {
    return {
      packets: this.packets,
      bytesRead: this.chunk.consumed,
      totalBytes: this.totalBytes,
      rawBytesRead: this.chunk.rawBytesRead(),
      truncatedBySnaplen: this.truncatedBySnaplen,
      badTimestamps: this.badTimestamps,
    };
  }

  async close(): Promise<void> {
    this.finished = true;
    await this.chunk.close();
  }

  /**
   * Records a fatal input error at `byteOffset` (the offset of the bad record's header, in the decompressed input)
   * for the next packet number, makes every later `pump` reject with it, and returns it for the caller to throw.
   */
  protected fail(byteOffset: number, reason: string): CaptureError {
    this.failure = new CaptureError(this.name, this.packets + 1, byteOffset, reason);
    void this.chunk.close().catch(() => undefined);
    return this.failure;
  }
}
