/**
 * pcapng reader (draft-ietf-opsawg-pcapng): a sequence of blocks `type(4) length(4) body length(4)`. Each Section
 * Header Block fixes the byte order of its section and restarts interface numbering; Interface Description Blocks
 * give each interface its link type, snap length, timestamp resolution (`if_tsresol`) and offset (`if_tsoffset`).
 * Packets come from Enhanced (6), Simple (3) and the obsolete Packet (2) blocks; every other block is skipped by its
 * length. Blocks are walked in place in the reader's chunk buffer; nothing is allocated per packet.
 */
import { CaptureReader } from './capture-reader.js';
import { MAX_RECORD_BYTES } from './chunk-buffer.js';
import type { ChunkBuffer } from './chunk-buffer.js';
import { CaptureError } from './types.js';
import type { FrameHandler } from './types.js';

/** Block type codes (draft-ietf-opsawg-pcapng §11.1). */
export const BlockType = {
  /** Obsolete Packet Block. */
  PACKET: 0x00000002,
  INTERFACE_DESCRIPTION: 0x00000001,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
  /** Palindromic, so it reads the same in both byte orders. */
  SECTION_HEADER: 0x0a0d0d0a,
} as const;

/** The Section Header Block's byte-order magic, as read in the section's own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** {@link BYTE_ORDER_MAGIC} read in the wrong byte order. */
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

/** Offsets common to every block. */
const BLOCK = {
  TYPE: 0,
  TOTAL_LENGTH: 4,
  BODY: 8,
  /** type + leading length: enough to know how long the block is (an SHB also needs its byte-order magic). */
  HEADER_LENGTH: 8,
  /** type + leading length + trailing length. */
  MIN_LENGTH: 12,
} as const;

/** Section Header Block (§4.1). */
const SHB = { BYTE_ORDER_MAGIC: 8, VERSION_MAJOR: 12, VERSION_MINOR: 14, SECTION_LENGTH: 16, MIN_LENGTH: 28 } as const;

/** Interface Description Block (§4.2). */
const IDB = { LINKTYPE: 8, SNAPLEN: 12, OPTIONS: 16, MIN_LENGTH: 20 } as const;

/** Enhanced Packet Block (§4.3); the obsolete Packet Block has the same layout with a 16-bit interface id. */
const EPB = { INTERFACE_ID: 8, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIG_LEN: 24, DATA: 28, MIN_LENGTH: 32 } as const;

/** Simple Packet Block (§4.4). */
const SPB = { ORIG_LEN: 8, DATA: 12, MIN_LENGTH: 16 } as const;

/** Option codes used here (§4.2 IDB options). */
const Option = { END: 0, IF_TSRESOL: 9, IF_FCSLEN: 13, IF_TSOFFSET: 14 } as const;

/** `if_tsresol`: high bit set means a power of two, else a power of ten; the low 7 bits are the exponent. */
const TSRESOL = { POWER_OF_TWO: 0x80, EXPONENT_MASK: 0x7f, DEFAULT: 6 } as const;

const TWO_32 = 4294967296;
/** 2^53 / 2^32: a timestamp whose high word is below this fits a double exactly. */
const EXACT_HIGH_LIMIT = 0x200000;
/** 10^9 = 2^9 * 1953125; multiplying a 32-bit fraction by 1953125 stays below 2^53. */
const NS_ODD_FACTOR = 1953125;
const NS_TWO_EXPONENT = 9;
/** Largest decimal ticks-per-second for the two-number long division (keeps every partial below 2^53). */
const MAX_LIMB_UNITS = 1e11;

/**
 * One interface of the current section, with its timestamp conversion prepared once (the per-packet path does
 * only number arithmetic).
 */
export class PcapngInterface {
  /** LINKTYPE_* (low 16 bits of the IDB field). */
  readonly linkType: number;
  /** Snap length in bytes; 0 means no limit. */
  readonly snaplen: number;
  /** Raw `if_tsresol` byte (6 when absent). */
  readonly tsresol: number;
  /** Seconds added to every timestamp (`if_tsoffset`, signed). */
  readonly tsOffsetSec: number;
  /** FCS bytes at the end of each packet (`if_fcslen`), or -1 when not stated. */
  readonly fcsBytes: number;
  /** For power-of-two resolutions: the exponent p (ticks are 2^-p s); -1 for decimal. */
  readonly pow2: number;
  /** Ticks per second for decimal resolutions (10^n); 0 for power-of-two. */
  readonly units: number;
  /** Ticks per second as a BigInt, for resolutions too fine for two-number math. */
  readonly unitsBig: bigint;
  /** True when the exact fast paths below cannot handle this resolution (10^n with n > 11, 2^-p with p > 32). */
  readonly needsBigInt: boolean;

  constructor(linkType: number, snaplen: number, tsresol: number, tsOffsetSec: number, fcsBytes: number) {
    this.linkType = linkType;
    this.snaplen = snaplen;
    this.tsresol = tsresol;
    this.tsOffsetSec = tsOffsetSec;
    this.fcsBytes = fcsBytes;
    const exponent = tsresol & TSRESOL.EXPONENT_MASK;
    if ((tsresol & TSRESOL.POWER_OF_TWO) !== 0) {
      this.pow2 = exponent;
      this.units = 0;
      this.unitsBig = 1n << BigInt(exponent);
      this.needsBigInt = exponent > 32;
    } else {
      this.pow2 = -1;
      this.unitsBig = 10n ** BigInt(exponent);
      this.units = Number(this.unitsBig);
      this.needsBigInt = this.units > MAX_LIMB_UNITS;
    }
  }

  /** Digits after the decimal point that this resolution needs (6 for µs, 9 for ns), as capinfos prints them. */
  get precisionDigits(): number {
    if (this.pow2 >= 0) return Math.min(9, Math.ceil(this.pow2 * Math.log10(2)));
    return Math.min(9, this.tsresol);
  }
}

/**
 * A pcapng file as a {@link PacketSource}. `frame.interfaceId` is the IDB index within the frame's section and
 * `frame.linkType` that interface's link type. Timestamps are computed exactly from the 64-bit tick count (no
 * floating-point rounding), seconds may exceed 2^32. Simple Packet Blocks carry no timestamp: they get the last
 * timestamp seen in the file (0 before any) and are not counted as bad timestamps.
 */
export class PcapngSource extends CaptureReader {
  /** Interfaces of the current section, by IDB index. */
  interfaces: PcapngInterface[] = [];
  /** Sections seen so far (Section Header Blocks). */
  sections = 0;
  /** Byte order of the current section. */
  private le = true;
  private lastSec = 0;
  private lastNsec = 0;

  private constructor(name: string, chunk: ChunkBuffer, totalBytes: number | undefined) {
    super(name, chunk, totalBytes);
  }

  /**
   * Checks that the input starts with a Section Header Block and returns the source; the SHB itself is read by the
   * first `pump`. Rejects with a {@link CaptureError} (packet 0) when the first block is not a valid SHB.
   */
  static async open(name: string, chunk: ChunkBuffer, totalBytes?: number): Promise<PcapngSource> {
    if (chunk.available < BLOCK.MIN_LENGTH) await chunk.fill(BLOCK.MIN_LENGTH);
    const at = chunk.consumed;
    if (chunk.available < BLOCK.MIN_LENGTH) {
      throw new CaptureError(name, 0, at, `file ends inside the pcapng section header (${chunk.available} bytes)`);
    }
    if (chunk.view.getUint32(chunk.start, false) !== BlockType.SECTION_HEADER) {
      throw new CaptureError(name, 0, at, 'not a pcapng section header block');
    }
    const bom = chunk.view.getUint32(chunk.start + SHB.BYTE_ORDER_MAGIC, true);
    if (bom !== BYTE_ORDER_MAGIC && bom !== BYTE_ORDER_MAGIC_SWAPPED) {
      throw new CaptureError(name, 0, at, `section header byte-order magic is 0x${hex(bom)}, expected 0x1a2b3c4d either way round`);
    }
    return new PcapngSource(name, chunk, totalBytes);
  }

  /** Byte order of the section starting at buffer position `pos`; throws on a bad byte-order magic. */
  private checkByteOrder(pos: number): boolean {
    const bom = this.chunk.view.getUint32(pos + SHB.BYTE_ORDER_MAGIC, true);
    if (bom === BYTE_ORDER_MAGIC) return true;
    if (bom === BYTE_ORDER_MAGIC_SWAPPED) return false;
    throw this.fail(
      this.chunk.base + pos,
      `section header byte-order magic is 0x${hex(bom)}, expected 0x1a2b3c4d either way round`,
    );
  }

  protected deliver(onFrame: FrameHandler): number {
    const chunk = this.chunk;
    const view = chunk.view;
    const end = chunk.end;
    const frame = this.frame;
    frame.bytes = chunk.bytes;
    let pos = chunk.start;
    let delivered = 0;
    for (;;) {
      if (end - pos < BLOCK.HEADER_LENGTH) {
        this.need = BLOCK.HEADER_LENGTH;
        break;
      }
      const type = view.getUint32(pos + BLOCK.TYPE, this.le);
      if (type === BlockType.SECTION_HEADER && end - pos < BLOCK.MIN_LENGTH) {
        this.need = BLOCK.MIN_LENGTH;
        break;
      }
      // An SHB may switch the byte order, so its own length is read in the order its magic announces.
      const le = type === BlockType.SECTION_HEADER ? this.checkByteOrder(pos) : this.le;
      const length = view.getUint32(pos + BLOCK.TOTAL_LENGTH, le);
      if (length < BLOCK.MIN_LENGTH || (length & 3) !== 0 || length > MAX_RECORD_BYTES) {
        chunk.start = pos;
        throw this.fail(chunk.base + pos, `block type 0x${hex(type)} has an invalid total length ${length}` +
          (length > MAX_RECORD_BYTES ? ` (absurd: over ${MAX_RECORD_BYTES} bytes)` : ' (must be a multiple of 4 and >= 12)'));
      }
      if (end - pos < length) {
        this.need = length;
        break;
      }
      const trailing = view.getUint32(pos + length - 4, le);
      if (trailing !== length) {
        chunk.start = pos;
        throw this.fail(chunk.base + pos,
          `block type 0x${hex(type)}: leading length ${length} and trailing length ${trailing} disagree`);
      }
      const blockPos = pos;
      pos += length;
      chunk.start = pos;
      switch (type) {
        case BlockType.ENHANCED_PACKET:
        case BlockType.PACKET: {
          if (length < EPB.MIN_LENGTH) throw this.blockTooShort(blockPos, type, length, EPB.MIN_LENGTH);
          const ifId =
            type === BlockType.ENHANCED_PACKET
              ? view.getUint32(blockPos + EPB.INTERFACE_ID, le)
              : view.getUint16(blockPos + EPB.INTERFACE_ID, le);
          const iface = this.interfaceFor(blockPos, type, ifId);
          const caplen = view.getUint32(blockPos + EPB.CAPLEN, le);
          if (caplen > length - EPB.MIN_LENGTH) {
            throw this.fail(chunk.base + blockPos,
              `block type 0x${hex(type)}: captured length ${caplen} exceeds the block's ${length - EPB.MIN_LENGTH} data bytes`);
          }
          const origLen = view.getUint32(blockPos + EPB.ORIG_LEN, le);
          this.setTime(iface, view.getUint32(blockPos + EPB.TS_HIGH, le), view.getUint32(blockPos + EPB.TS_LOW, le));
          frame.interfaceId = ifId;
          frame.linkType = iface.linkType;
          frame.offset = blockPos + EPB.DATA;
          frame.caplen = caplen;
          frame.wireLen = origLen >= caplen ? origLen : caplen;
          break;
        }
        case BlockType.SIMPLE_PACKET: {
          if (length < SPB.MIN_LENGTH) throw this.blockTooShort(blockPos, type, length, SPB.MIN_LENGTH);
          const iface = this.interfaceFor(blockPos, type, 0);
          const origLen = view.getUint32(blockPos + SPB.ORIG_LEN, le);
          // §4.4: the captured length is the original length cut by the snap length and by the block itself.
          let caplen = length - SPB.MIN_LENGTH;
          if (origLen < caplen) caplen = origLen;
          if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
          frame.tsSec = this.lastSec;
          frame.tsNsec = this.lastNsec;
          frame.interfaceId = 0;
          frame.linkType = iface.linkType;
          frame.offset = blockPos + SPB.DATA;
          frame.caplen = caplen;
          frame.wireLen = origLen >= caplen ? origLen : caplen;
          break;
        }
        case BlockType.SECTION_HEADER:
          this.startSection(blockPos, le, length);
          continue;
        case BlockType.INTERFACE_DESCRIPTION:
          this.addInterface(blockPos, length);
          continue;
        default:
          // NRB, ISB, DSB, custom blocks and unknown types carry no packet: skip by length.
          continue;
      }
      if (frame.caplen < frame.wireLen) this.truncatedBySnaplen++;
      frame.number = ++this.packets;
      frame.fileOffset = chunk.base + blockPos;
      delivered++;
      if (onFrame(frame) === false) return delivered;
    }
    chunk.start = pos;
    return delivered;
  }

  protected cutShortReason(available: number): string {
    const pos = this.chunk.start;
    const type = available >= BLOCK.HEADER_LENGTH ? this.chunk.view.getUint32(pos, this.le) : -1;
    if (type === -1 || (type === BlockType.SECTION_HEADER && available < BLOCK.MIN_LENGTH)) {
      return `file ends inside a block header (${available} bytes)`;
    }
    const le = type === BlockType.SECTION_HEADER ? this.checkByteOrder(pos) : this.le;
    const length = this.chunk.view.getUint32(pos + BLOCK.TOTAL_LENGTH, le);
    return `file ends inside block type 0x${hex(type)}: the block needs ${length} bytes, only ${available} remain`;
  }

  /**
   * Converts a 64-bit tick count (high and low 32-bit words) to `frame.tsSec`/`tsNsec` exactly, and remembers it for
   * Simple Packet Blocks. Decimal resolutions up to 10^11 and power-of-two ones up to 2^32 use number arithmetic
   * only; finer ones fall back to BigInt.
   */
  private setTime(iface: PcapngInterface, high: number, low: number): void {
    let sec: number;
    let nsec: number;
    if (iface.needsBigInt) {
      const ticks = (BigInt(high) << 32n) | BigInt(low);
      const units = iface.unitsBig;
      sec = Number(ticks / units);
      nsec = Number(((ticks % units) * 1_000_000_000n) / units);
    } else if (iface.pow2 >= 0) {
      const p = iface.pow2;
      const div = 2 ** p;
      const q = Math.floor(low / div);
      const frac = low - q * div;
      sec = high * 2 ** (32 - p) + q;
      // floor(frac * 10^9 / 2^p) with 10^9 = 2^9 * 1953125: frac * 1953125 < 2^53, and dividing by 2^k is exact.
      nsec = p >= NS_TWO_EXPONENT
        ? Math.floor((frac * NS_ODD_FACTOR) / 2 ** (p - NS_TWO_EXPONENT))
        : frac * NS_ODD_FACTOR * 2 ** (NS_TWO_EXPONENT - p);
    } else {
      const units = iface.units;
      let rem: number;
      if (high < EXACT_HIGH_LIMIT) {
        // ticks < 2^53: one exact double. The quotient of a float division can be off by one; correct it.
        const ticks = high * TWO_32 + low;
        sec = Math.floor(ticks / units);
        rem = ticks - sec * units;
        if (rem < 0) {
          sec--;
          rem += units;
        } else if (rem >= units) {
          sec++;
          rem -= units;
        }
      } else {
        // Long division of [high, low >>> 16, low & 0xffff] by units: every partial stays below units * 2^16 < 2^53.
        const qHigh = Math.floor(high / units);
        let cur = (high - qHigh * units) * 65536 + (low >>> 16);
        const qMid = Math.floor(cur / units);
        cur = (cur - qMid * units) * 65536 + (low & 0xffff);
        const qLow = Math.floor(cur / units);
        rem = cur - qLow * units;
        sec = qHigh * TWO_32 + qMid * 65536 + qLow;
      }
      nsec = units <= 1_000_000_000 ? rem * (1_000_000_000 / units) : Math.floor(rem / (units / 1_000_000_000));
    }
    sec += iface.tsOffsetSec;
    this.frame.tsSec = sec;
    this.frame.tsNsec = nsec;
    this.lastSec = sec;
    this.lastNsec = nsec;
  }

  private startSection(pos: number, le: boolean, length: number): void {
    if (length < SHB.MIN_LENGTH) throw this.blockTooShort(pos, BlockType.SECTION_HEADER, length, SHB.MIN_LENGTH);
    const major = this.chunk.view.getUint16(pos + SHB.VERSION_MAJOR, le);
    if (major !== 1) {
      throw this.fail(this.chunk.base + pos, `unsupported pcapng version ${major}.` +
        `${this.chunk.view.getUint16(pos + SHB.VERSION_MINOR, le)} in section header`);
    }
    this.le = le;
    this.interfaces = [];
    this.sections++;
  }

  private addInterface(pos: number, length: number): void {
    if (this.sections === 0) throw this.fail(this.chunk.base + pos, 'interface description before any section header');
    if (length < IDB.MIN_LENGTH) throw this.blockTooShort(pos, BlockType.INTERFACE_DESCRIPTION, length, IDB.MIN_LENGTH);
    const view = this.chunk.view;
    const le = this.le;
    const linkType = view.getUint16(pos + IDB.LINKTYPE, le);
    const snaplen = view.getUint32(pos + IDB.SNAPLEN, le);
    let tsresol: number = TSRESOL.DEFAULT;
    let tsOffsetSec = 0;
    let fcsBytes = -1;
    // Options: code(2) length(2) value padded to 4 bytes. Malformed options past the block end are ignored.
    const optEnd = pos + length - 4;
    let o = pos + IDB.OPTIONS;
    while (o + 4 <= optEnd) {
      const code = view.getUint16(o, le);
      const len = view.getUint16(o + 2, le);
      if (code === Option.END || o + 4 + len > optEnd) break;
      if (code === Option.IF_TSRESOL && len >= 1) tsresol = view.getUint8(o + 4);
      else if (code === Option.IF_TSOFFSET && len >= 8) tsOffsetSec = Number(view.getBigInt64(o + 4, le));
      else if (code === Option.IF_FCSLEN && len >= 1) fcsBytes = view.getUint8(o + 4);
      o += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push(new PcapngInterface(linkType, snaplen, tsresol, tsOffsetSec, fcsBytes));
  }

  private interfaceFor(pos: number, type: number, ifId: number): PcapngInterface {
    const iface = this.interfaces[ifId];
    if (iface === undefined) {
      throw this.fail(this.chunk.base + pos, `block type 0x${hex(type)} refers to interface ${ifId}, but the section ` +
        `has ${this.interfaces.length} interface description block(s)`);
    }
    return iface;
  }

  private blockTooShort(pos: number, type: number, length: number, min: number): CaptureError {
    return this.fail(this.chunk.base + pos, `block type 0x${hex(type)} length ${length} is below its minimum of ${min}`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
