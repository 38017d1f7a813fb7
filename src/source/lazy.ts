/**
 * Many capture files read in turn, one open at a time. `sockscope flows day/*.pcap` over the files of a rotating
 * `tcpdump -G` may name thousands: holding them all open would take a descriptor and a read buffer each (past the
 * usual limit of 1024 descriptors, and megabytes per file), where reading needs only the current one.
 */
import { DEFAULT_CHUNK_BYTES } from './chunk-buffer.js';
import { openCapture } from './open.js';
import type { OpenCaptureOptions } from './open.js';
import { CaptureError } from './types.js';
import type { FrameHandler, PacketSource, SourceStats } from './types.js';

/** Read size while {@link openCaptures} checks a file. */
const CHECK_CHUNK_BYTES = 1 << 16;

/** A capture file checked by {@link openCaptures} and opened again when first pumped; closing releases it. */
export class LazyCapture implements PacketSource {
  readonly name: string;
  readonly live = false;
  private readonly opts: OpenCaptureOptions;
  private source: PacketSource | null = null;
  private closed = false;
  /** What stats() says while the file is not open: nothing read yet, or the counters it closed with. */
  private last: SourceStats;

  constructor(name: string, totalBytes: number | undefined, opts: OpenCaptureOptions = {}) {
    this.name = name;
    this.opts = opts;
    this.last = { packets: 0, bytesRead: 0, totalBytes, truncatedBySnaplen: 0, badTimestamps: 0 };
  }

  async pump(onFrame: FrameHandler): Promise<boolean> {
    if (this.closed) return false;
    if (this.source === null) {
      try {
        this.source = await openCapture(this.name, this.opts);
      } catch (e) {
        // Checked when the run began; changed since (removed, truncated, replaced). Reported like any bad input.
        if (e instanceof CaptureError) throw e;
        throw new CaptureError(this.name, 0, 0, `cannot open: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return this.source.pump(onFrame);
  }

  stats(): SourceStats {
    return this.source?.stats() ?? this.last;
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.source;
    if (s === null) return;
    this.source = null;
    this.last = s.stats();
    await s.close();
  }
}

/**
 * Opens every capture named, in order, so that a name that is no capture fails before anything is read (with the
 * error of {@link openCapture}), and hands back sources that hold no file open until they are read: each regular
 * file is closed again after the check and reopened when its turn comes. Standard input (`-`) and other inputs that
 * cannot be read twice (a FIFO) stay open from the check on.
 */
export async function openCaptures(paths: readonly string[], opts: OpenCaptureOptions = {}): Promise<PacketSource[]> {
  // The check reads only what a format needs to be recognised: reading a full chunk (and one ahead) of every file
  // here would read the start of each file twice. An input that stays open (a FIFO) reads in pieces that small
  // anyway: a pipe hands over at most its buffer, 64 KiB, at a time.
  const checkOpts: OpenCaptureOptions = { ...opts, chunkSize: Math.min(opts.chunkSize ?? DEFAULT_CHUNK_BYTES, CHECK_CHUNK_BYTES) };
  const sources: PacketSource[] = [];
  try {
    for (const path of paths) {
      let checked: PacketSource;
      try {
        checked = await openCapture(path, path === '-' ? opts : checkOpts);
      } catch (e) {
        // A capture damaged from its first bytes (a gzip file cut inside its first block) is bad input like any
        // other: reported in its turn, and the other files are still read. Only a name that is no capture stops the run.
        if (!(e instanceof CaptureError && e.damaged)) throw e;
        sources.push(new FailedCapture(e));
        continue;
      }
      const totalBytes = checked.stats().totalBytes;
      if (path === '-' || totalBytes === undefined) {
        sources.push(checked);
        continue;
      }
      await checked.close();
      sources.push(new LazyCapture(path, totalBytes, opts));
    }
  } catch (e) {
    for (const s of sources) await s.close();
    throw e;
  }
  return sources;
}

/** A capture that could not be read from its start: pumping it raises the error found when it was checked. */
export class FailedCapture implements PacketSource {
  readonly name: string;
  readonly live = false;
  private readonly error: CaptureError;
  constructor(error: CaptureError) {
    this.name = error.file;
    this.error = error;
  }
  pump(): Promise<boolean> {
    return Promise.reject(this.error);
  }
  stats(): SourceStats {
    return { packets: 0, bytesRead: 0, totalBytes: undefined, truncatedBySnaplen: 0, badTimestamps: 0 };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
