/**
 * Packet sources: classic pcap, pcapng, live capture. A source fills one reused {@link Frame} per packet and hands it
 * to a callback synchronously; nothing on this path allocates per packet.
 */

/** LINKTYPE_* values from the tcpdump.org link-layer header registry that sockscope knows by name. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW_OPENBSD: 12,
  RAW_BSDOS: 14,
  LOOP: 108,
  LINUX_SLL: 113,
  RAW: 101,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/**
 * One captured packet. The source owns it and overwrites it for every packet.
 *
 * Lifetime: `bytes` is borrowed. It is valid only until the callback that received the frame returns; anything that
 * keeps bytes longer (a pcap writer, a payload hint) must copy them.
 */
export class Frame {
  /** Captured bytes, `bytes.length` may exceed `caplen`: read only `bytes[offset .. offset + caplen)`. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Where this packet's bytes start inside `bytes`. */
  offset = 0;
  /** Captured length in bytes (pcap "incl_len"). */
  caplen = 0;
  /** Length on the wire in bytes (pcap "orig_len"); >= caplen when the snap length cut the packet. */
  wireLen = 0;
  /** Capture time, whole seconds since the Unix epoch (may exceed 2^32 for pcapng). */
  tsSec = 0;
  /** Nanoseconds within `tsSec`, 0..999_999_999 (invalid sub-second fields are clamped and counted by the source). */
  tsNsec = 0;
  /** LINKTYPE_* of this packet (pcapng: of its interface). */
  linkType = 1;
  /** pcapng interface index (0 for pcap and live). */
  interfaceId = 0;
  /** 1-based packet number within its source. */
  number = 0;
  /** Byte offset of this packet's record header within the (decompressed) input. */
  fileOffset = 0;

  /**
   * Makes this frame a copy of `f` whose bytes are `bytes` (a copy of f's captured bytes, from offset 0): a frame held
   * past the callback that lent it (see PacedSource). Beside the fields above, so that a new field is copied too.
   */
  copyOf(f: Frame, bytes: Uint8Array): void {
    this.bytes = bytes;
    this.offset = 0;
    this.caplen = f.caplen;
    this.wireLen = f.wireLen;
    this.tsSec = f.tsSec;
    this.tsNsec = f.tsNsec;
    this.linkType = f.linkType;
    this.interfaceId = f.interfaceId;
    this.number = f.number;
    this.fileOffset = f.fileOffset;
  }
}

/**
 * A frame's capture time in seconds since the epoch, to the microsecond: nanoseconds are cut as libpcap cuts them
 * when Zeek (or any reader at its default precision) opens a nanosecond capture, so `ts` and `duration` come out as
 * in Zeek's logs. A double at today's epoch resolves only about 0.24 µs anyway.
 */
export function captureSec(frame: Frame): number {
  return frame.tsSec + Math.floor(frame.tsNsec / 1000) * 1e-6;
}

/**
 * Receives each frame of a chunk, synchronously. Returning `false` asks the source to stop delivering after this
 * frame: the next `pump` call resumes with the following packet (replay pacing uses this). Any other return value
 * (including undefined) continues.
 */
export type FrameHandler = (frame: Frame) => boolean | void;

/** Counters a source keeps about its own input. */
export interface SourceStats {
  /** Packets handed to the callback so far. */
  packets: number;
  /** Input bytes consumed so far (decompressed, for gzip input). */
  bytesRead: number;
  /** Size of the input in bytes when known (a regular file), else undefined. For gzip, the compressed size. */
  totalBytes?: number | undefined;
  /** Compressed bytes consumed (gzip input), comparable with totalBytes for progress. */
  rawBytesRead?: number | undefined;
  /** Packets whose caplen < wireLen (cut by the snap length). */
  truncatedBySnaplen: number;
  /** Packets whose timestamp was invalid (sub-second field out of range) and was clamped. */
  badTimestamps: number;
  /** Live capture only: packets the kernel or libpcap dropped, when known. */
  dropped?: number | undefined;
}

/**
 * A packet source. `pump` delivers the next chunk of packets synchronously to `onFrame` and resolves true while
 * more input may follow, false at the end of input. It rejects with a {@link CaptureError} on malformed input, after
 * having delivered every good packet before the bad record.
 */
export interface PacketSource {
  /** Human-readable name: the file path, `-` for stdin, or the interface name. */
  readonly name: string;
  /** Whether packets come from a clock (live) rather than from a file. */
  readonly live: boolean;
  pump(onFrame: FrameHandler): Promise<boolean>;
  stats(): SourceStats;
  close(): Promise<void>;
}

/** A malformed capture file: names the file, the packet number and the byte offset where reading stopped. */
export class CaptureError extends Error {
  readonly file: string;
  readonly packet: number;
  readonly byteOffset: number;
  readonly reason: string;
  /**
   * True when the input is a capture (or a gzip stream) that could not be read to its end (cut short, corrupt
   * compressed data, a read error), false when it is no capture at all (unknown magic number, empty).
   */
  readonly damaged: boolean;
  constructor(file: string, packet: number, byteOffset: number, reason: string, damaged = false) {
    super(`${file}: packet ${packet} at byte ${byteOffset}: ${reason}`);
    this.name = 'CaptureError';
    this.file = file;
    this.packet = packet;
    this.byteOffset = byteOffset;
    this.reason = reason;
    this.damaged = damaged;
  }
}
