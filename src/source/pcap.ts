/**
 * Classic pcap reader (libpcap's savefile format, draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
 * 16-byte header plus the captured bytes. Both byte orders; microsecond (magic a1b2c3d4) and nanosecond (a1b23c4d)
 * timestamps. Records are walked in place in the reader's chunk buffer; nothing is allocated per packet.
 */
import { CaptureReader } from './capture-reader.js';
import { MAX_RECORD_BYTES } from './chunk-buffer.js';
import type { ChunkBuffer } from './chunk-buffer.js';
import { CaptureError } from './types.js';
import type { FrameHandler } from './types.js';

/** File magic numbers, as read big-endian from the first 4 bytes. A byte-swapped value means little-endian. */
export const PcapMagic = {
  /** Microsecond timestamps, file written big-endian. Little-endian files start d4 c3 b2 a1. */
  MICRO: 0xa1b2c3d4,
  /** Nanosecond timestamps (big-endian); little-endian files start 4d 3c b2 a1. */
  NANO: 0xa1b23c4d,
  MICRO_SWAPPED: 0xd4c3b2a1,
  NANO_SWAPPED: 0x4d3cb2a1,
} as const;

/** Byte offsets in the 24-byte file header. */
const FILE_HEADER = {
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  SNAPLEN: 16,
  LINKTYPE: 20,
  LENGTH: 24,
} as const;

/** Byte offsets in the 16-byte record header. */
const RECORD = {
  TS_SEC: 0,
  /** Microseconds or nanoseconds, by the file magic. */
  TS_FRAC: 4,
  INCL_LEN: 8,
  ORIG_LEN: 12,
  LENGTH: 16,
} as const;

/** Bits of the file header's link-type field above the 16-bit LINKTYPE_* (draft-ietf-opsawg-pcap §4). */
const LINKTYPE_FIELD = {
  TYPE_MASK: 0xffff,
  /** "P" bit: the FCS length bits are valid. */
  FCS_PRESENT: 0x04000000,
  /** FCS length in 16-bit words lives in the top 4 bits. */
  FCS_WORDS_SHIFT: 28,
} as const;

/**
 * libpcap rejects records longer than this unless the snap length is larger (MAXIMUM_SNAPLEN in pcap-int.h):
 * a larger caplen almost always means a corrupt record header.
 */
export const PCAP_MAX_SANE_CAPLEN = 262144;

/** Parsed file header. */
export interface PcapHeaderInfo {
  /** True for little-endian files. */
  littleEndian: boolean;
  /** True for nanosecond timestamps (magic a1b23c4d). */
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  /** Snap length in bytes, as written. */
  snaplen: number;
  /** LINKTYPE_* (low 16 bits of the field). */
  linkType: number;
  /** Bytes of FCS at the end of every packet when the file says so (the "P" bit), else -1 (unknown). */
  fcsBytes: number;
}

/**
 * Reads the pcap file header at `view[offset]`. Returns null when the magic is not a pcap magic.
 *
 * @param view at least 24 bytes from `offset`
 */
export function parsePcapHeader(view: DataView, offset: number): PcapHeaderInfo | null {
  const magic = view.getUint32(offset + FILE_HEADER.MAGIC, false);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magic === PcapMagic.MICRO) [littleEndian, nanosecond] = [false, false];
  else if (magic === PcapMagic.NANO) [littleEndian, nanosecond] = [false, true];
  else if (magic === PcapMagic.MICRO_SWAPPED) [littleEndian, nanosecond] = [true, false];
  else if (magic === PcapMagic.NANO_SWAPPED) [littleEndian, nanosecond] = [true, true];
  else return null;
  const field = view.getUint32(offset + FILE_HEADER.LINKTYPE, littleEndian);
  const fcsBytes =
    (field & LINKTYPE_FIELD.FCS_PRESENT) !== 0 ? (field >>> LINKTYPE_FIELD.FCS_WORDS_SHIFT) * 2 : -1;
  return {
    littleEndian,
    nanosecond,
    versionMajor: view.getUint16(offset + FILE_HEADER.VERSION_MAJOR, littleEndian),
    versionMinor: view.getUint16(offset + FILE_HEADER.VERSION_MINOR, littleEndian),
    snaplen: view.getUint32(offset + FILE_HEADER.SNAPLEN, littleEndian),
    linkType: field & LINKTYPE_FIELD.TYPE_MASK,
    fcsBytes,
  };
}

/**
 * A classic pcap file as a {@link PacketSource}. Frames carry the file's link type, interface 0, and timestamps
 * as unsigned 32-bit seconds (so files written after 2038 read correctly) plus nanoseconds.
 *
 * Sub-second fields out of range (>= 10^6 µs or >= 10^9 ns) are clamped to the largest valid value and counted in
 * `stats().badTimestamps`; records with caplen < orig_len are counted in `truncatedBySnaplen`.
 */
export class PcapSource extends CaptureReader {
  /** The parsed file header. */
  readonly header: PcapHeaderInfo;
  /** LINKTYPE_* of every frame. */
  readonly linkType: number;
  /** Bytes of FCS that end each packet, when the header says so; else -1. Frames still include those bytes. */
  readonly fcsBytes: number;
  private readonly littleEndian: boolean;
  /** Multiplier from the sub-second field to nanoseconds: 1000 or 1. */
  private readonly fracToNs: number;
  /** Largest valid sub-second field: 999_999 or 999_999_999. */
  private readonly fracMax: number;
  /** Largest caplen accepted; beyond it a record length is absurd. */
  private readonly maxCaplen: number;

  private constructor(name: string, chunk: ChunkBuffer, totalBytes: number | undefined, header: PcapHeaderInfo) {
    super(name, chunk, totalBytes);
    this.header = header;
    this.linkType = header.linkType;
    this.fcsBytes = header.fcsBytes;
    this.littleEndian = header.littleEndian;
    this.fracToNs = header.nanosecond ? 1 : 1000;
    this.fracMax = header.nanosecond ? 999_999_999 : 999_999;
    this.maxCaplen = Math.min(Math.max(header.snaplen, PCAP_MAX_SANE_CAPLEN), MAX_RECORD_BYTES - RECORD.LENGTH);
    this.frame.linkType = header.linkType;
    this.frame.interfaceId = 0;
  }

  /**
   * Reads the file header from `chunk` (which must start at input byte 0) and returns the source positioned at the
   * first record. Rejects with a {@link CaptureError} (packet 0) when the header is cut short or not pcap.
   */
  static async open(name: string, chunk: ChunkBuffer, totalBytes?: number): Promise<PcapSource> {
    if (chunk.available < FILE_HEADER.LENGTH) await chunk.fill(FILE_HEADER.LENGTH);
    if (chunk.available < FILE_HEADER.LENGTH) {
      throw new CaptureError(
        name,
        0,
        chunk.consumed,
        `file ends inside the pcap file header (${chunk.available} of ${FILE_HEADER.LENGTH} bytes)`,
      );
    }
    const header = parsePcapHeader(chunk.view, chunk.start);
    if (header === null) {
      throw new CaptureError(name, 0, chunk.consumed, 'not a pcap file header');
    }
    if (header.versionMajor < 2) {
      throw new CaptureError(name, 0, chunk.consumed + FILE_HEADER.VERSION_MAJOR,
        `unsupported pcap version ${header.versionMajor}.${header.versionMinor}`);
    }
    chunk.start += FILE_HEADER.LENGTH;
    return new PcapSource(name, chunk, totalBytes, header);
  }

  protected deliver(onFrame: FrameHandler): number {
    const chunk = this.chunk;
    const view = chunk.view;
    const le = this.littleEndian;
    const end = chunk.end;
    const frame = this.frame;
    frame.bytes = chunk.bytes;
    let pos = chunk.start;
    let delivered = 0;
    for (;;) {
      if (end - pos < RECORD.LENGTH) {
        this.need = RECORD.LENGTH;
        break;
      }
      const caplen = view.getUint32(pos + RECORD.INCL_LEN, le);
      if (caplen > this.maxCaplen) {
        chunk.start = pos;
        throw this.fail(
          chunk.base + pos,
          `absurd record length: captured length ${caplen} exceeds the limit of ${this.maxCaplen} bytes` +
            ` (snap length ${this.header.snaplen})`,
        );
      }
      const next = pos + RECORD.LENGTH + caplen;
      if (next > end) {
        this.need = RECORD.LENGTH + caplen;
        break;
      }
      const origLen = view.getUint32(pos + RECORD.ORIG_LEN, le);
      let frac = view.getUint32(pos + RECORD.TS_FRAC, le);
      if (frac > this.fracMax) {
        frac = this.fracMax;
        this.badTimestamps++;
      }
      if (caplen < origLen) this.truncatedBySnaplen++;
      frame.offset = pos + RECORD.LENGTH;
      frame.caplen = caplen;
      // A record claiming a wire length below its captured length is malformed; the captured bytes are the truth.
      frame.wireLen = origLen >= caplen ? origLen : caplen;
      frame.tsSec = view.getUint32(pos + RECORD.TS_SEC, le);
      frame.tsNsec = frac * this.fracToNs;
      frame.number = ++this.packets;
      frame.fileOffset = chunk.base + pos;
      pos = next;
      // Consume before the callback, so that a throwing callback leaves the reader at the next record.
      chunk.start = pos;
      delivered++;
      if (onFrame(frame) === false) return delivered;
    }
    chunk.start = pos;
    return delivered;
  }

  protected cutShortReason(available: number): string {
    if (available < RECORD.LENGTH) {
      return `file ends inside a record header (${available} of ${RECORD.LENGTH} bytes)`;
    }
    const caplen = this.chunk.view.getUint32(this.chunk.start + RECORD.INCL_LEN, this.littleEndian);
    return `file ends inside packet data: the record needs ${caplen} bytes, only ${available - RECORD.LENGTH} remain`;
  }
}
