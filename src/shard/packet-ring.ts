/**
 * A single-producer, single-consumer ring of decoded packets in shared memory, from the thread that reads and decodes
 * the input to a shard worker that demultiplexes them. Each record carries what the demultiplexer reads of a packet
 * (DecodedPacket's header fields, not its bytes) plus its capture time and place in the input, or a tick of the flow
 * table's clock (see DemuxOptions.dispatch). Records are published in whole frames: the consumer never sees part of
 * a frame's packets (a frame can carry tunnelled layers).
 */
import type { DecodedPacket } from '../decode/packet.js';

/** Atomics.waitAsync (in Node since 16; not in the ES2022 library typings). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** Record kinds. */
export const RecordKind = {
  /** A packet for the shard's flows. */
  PACKET: 1,
  /** The flow table's clock: expire flows due at `tsSec` (the demultiplexer does that once a second of capture time). */
  EXPIRE: 2,
  /** End of input: flush the open flows. */
  END: 3,
  /** The input's uid seed (in `tsSec`), from its first frame: see setUidSeed. */
  SEED: 4,
} as const;

// Int32 slots of a record; the float64 slots follow at F64_AT (in float64 units).
const KIND = 0;
const STATUS = 1;
const PROTO = 2;
const VERSION = 3;
const SRC4 = 4;
const DST4 = 5;
const SRC6 = 6; // 4 slots
const DST6 = 10; // 4 slots
const SRC_PORT = 14;
const DST_PORT = 15;
const ICMP_ONE_WAY = 16;
const TCP_FLAGS = 17;
const SEQ = 18;
const ACK = 19;
const WINDOW = 20;
const PAYLOAD_LEN = 21;
const PAYLOAD_CAPTURED = 22;
const OPT_MSS = 23;
const OPT_WSCALE = 24;
const OPT_SACK_PERM = 25;
const OPT_SACK = 26;
const OPT_TS = 27;
const TS_VAL = 28;
const TS_ECR = 29;
const IP_BYTES = 30;
const UDP_LENGTH = 31;
const L3 = 32;
const L4 = 33;
const FRAMES = 34;
const CHECKSUM_BAD = 35;
const VLAN = 36;
const INNER_VLAN = 37;
/**
 * Int32 slots per record (even, so that float64 slots stay aligned), and the record's first float64 slot in float64
 * units (int32 slot 38, after the int32 fields); the float64 fields are offsets from it.
 */
const RECORD_I32 = 46;
const F64_AT = 19;
const RECORD_F64 = RECORD_I32 / 2;
/** Capture time, seconds since the epoch; wire length of the frame(s). */
const TS = 0;
const WIRE_LEN = 1;
/** Position in the input of the frame that carried the packet (the pipeline's packet count), for record order. */
const ORDINAL = 2;
/** The flow serial a new flow on this packet gets (see FlowTable.insert). */
const SERIAL = 3;

/** Atomic counters (int32, mod 2^32): records published (written and visible), records consumed. */
const C_WRITTEN = 0;
const C_READ = 1;
const COUNTERS_I32 = 2;

/** The shared memory of one ring, to hand to a worker. */
export interface RingBuffers {
  counters: SharedArrayBuffer;
  records: SharedArrayBuffer;
  capacity: number;
}

/** Creates the shared memory of a ring of `capacity` records (a power of two). */
export function createRing(capacity: number): RingBuffers {
  return {
    counters: new SharedArrayBuffer(COUNTERS_I32 * 4),
    records: new SharedArrayBuffer(capacity * RECORD_I32 * 4),
    capacity,
  };
}

/** Views of a ring (either end). */
class RingViews {
  /** Atomic counters: records published (written and visible), records consumed; both only grow (mod 2^32). */
  readonly counters: Int32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly capacity: number;
  readonly mask: number;
  constructor(b: RingBuffers) {
    this.counters = new Int32Array(b.counters);
    this.i32 = new Int32Array(b.records);
    this.f64 = new Float64Array(b.records);
    this.capacity = b.capacity;
    this.mask = b.capacity - 1;
  }
}

/** The ring's consumer stopped (see RingWriter.close): the writer cannot go on. */
export class RingClosedError extends Error {
  constructor() {
    super('packet ring closed: its worker stopped');
  }
}

/** The producer's end. */
export class RingWriter {
  private readonly v: RingViews;
  /** Records written (published or not) and published; counted mod 2^32 where compared. */
  private written = 0;
  private published = 0;
  private closed = false;

  constructor(b: RingBuffers) {
    this.v = new RingViews(b);
  }

  /** Records that can be written before the consumer must catch up. */
  free(): number {
    return this.v.capacity - ((this.written - Atomics.load(this.v.counters, C_READ)) | 0);
  }

  /** Appends a packet (the caller made sure there is room: see free()). */
  packet(p: DecodedPacket, tsSec: number, wireLen: number, frames: number, ordinal: number, serial: number, checksumBad: boolean): void {
    const v = this.v;
    const slot = this.written & v.mask;
    const b = slot * RECORD_I32;
    const I = v.i32;
    I[b + KIND] = RecordKind.PACKET;
    I[b + STATUS] = p.status;
    I[b + PROTO] = p.proto;
    I[b + VERSION] = p.ipVersion;
    I[b + SRC4] = p.src4;
    I[b + DST4] = p.dst4;
    const s6 = p.src6, d6 = p.dst6;
    I[b + SRC6] = s6[0]!; I[b + SRC6 + 1] = s6[1]!; I[b + SRC6 + 2] = s6[2]!; I[b + SRC6 + 3] = s6[3]!; // length 4
    I[b + DST6] = d6[0]!; I[b + DST6 + 1] = d6[1]!; I[b + DST6 + 2] = d6[2]!; I[b + DST6 + 3] = d6[3]!;
    I[b + SRC_PORT] = p.srcPort;
    I[b + DST_PORT] = p.dstPort;
    I[b + ICMP_ONE_WAY] = p.icmpOneWay;
    I[b + TCP_FLAGS] = p.tcpFlags;
    I[b + SEQ] = p.seq;
    I[b + ACK] = p.ack;
    I[b + WINDOW] = p.window;
    I[b + PAYLOAD_LEN] = p.payloadLen;
    I[b + PAYLOAD_CAPTURED] = p.payloadCaptured;
    I[b + OPT_MSS] = p.optMss;
    I[b + OPT_WSCALE] = p.optWscale;
    I[b + OPT_SACK_PERM] = p.optSackPerm;
    I[b + OPT_SACK] = p.optSack;
    I[b + OPT_TS] = p.optTs;
    I[b + TS_VAL] = p.tsVal;
    I[b + TS_ECR] = p.tsEcr;
    I[b + IP_BYTES] = p.ipBytes;
    I[b + UDP_LENGTH] = p.udpLength;
    I[b + L3] = p.l3;
    I[b + L4] = p.l4;
    I[b + FRAMES] = frames;
    I[b + CHECKSUM_BAD] = checksumBad ? 1 : 0;
    I[b + VLAN] = p.vlan;
    I[b + INNER_VLAN] = p.innerVlan;
    const F = v.f64;
    const f = slot * RECORD_F64 + F64_AT;
    F[f + TS] = tsSec;
    F[f + WIRE_LEN] = wireLen;
    F[f + ORDINAL] = ordinal;
    F[f + SERIAL] = serial;
    this.written++;
  }

  /** Appends a tick of the flow table's clock at capture time `tsSec`, from the frame at `ordinal`. */
  expire(tsSec: number, ordinal: number): void {
    this.control(RecordKind.EXPIRE, tsSec, ordinal);
  }

  /** Appends the input's uid seed (see setUidSeed), before any packet of position `ordinal`. */
  seed(seed: number, ordinal: number): void {
    this.control(RecordKind.SEED, seed, ordinal);
  }

  /** Appends a record of kind `kind` that carries one number (in the `tsSec` slot) and its input position. */
  private control(kind: number, value: number, ordinal: number): void {
    const v = this.v;
    const slot = this.written & v.mask;
    v.i32[slot * RECORD_I32 + KIND] = kind;
    const f = slot * RECORD_F64 + F64_AT;
    v.f64[f + TS] = value;
    v.f64[f + ORDINAL] = ordinal;
    this.written++;
  }

  /** Appends the end of input. */
  end(): void {
    this.v.i32[(this.written & this.v.mask) * RECORD_I32 + KIND] = RecordKind.END;
    this.written++;
  }

  /** Records written since the last publish. */
  get unpublished(): number {
    return (this.written - this.published) | 0;
  }

  /** Makes every record written so far visible to the consumer (call between frames: see the module comment). */
  publish(): void {
    if (this.written === this.published) return;
    Atomics.store(this.v.counters, C_WRITTEN, this.written | 0);
    this.published = this.written;
    Atomics.notify(this.v.counters, C_WRITTEN);
  }

  /** Resolves once the consumer has made room for `n` more records (or at once if there is room). */
  async waitForRoom(n: number): Promise<void> {
    const v = this.v;
    for (;;) {
      if (this.closed) throw new RingClosedError();
      const read = Atomics.load(v.counters, C_READ);
      if (v.capacity - ((this.written - read) | 0) >= n) return;
      // Bounded waits, so that a consumer that died (see close) cannot keep the writer waiting for ever.
      const w = waitAsync(v.counters, C_READ, read, 250);
      if (w.async) await w.value;
    }
  }

  /** The consumer is gone: waitForRoom fails from now on. */
  close(): void {
    this.closed = true;
  }
}

/** The consumer's end: reads records into a DecodedPacket. */
export class RingReader {
  private readonly v: RingViews;
  private read = 0;
  /** Kind, capture time, wire length, frames, input position, flow serial and checksum verdict of the current record. */
  kind = 0;
  tsSec = 0;
  wireLen = 0;
  frames = 1;
  ordinal = 0;
  serial = 0;
  checksumBad = false;

  constructor(b: RingBuffers) {
    this.v = new RingViews(b);
  }

  /**
   * Waits until records are published beyond those consumed, up to `timeoutMs`; returns how many can be read.
   * Reports the consumed ones to the producer first (it may be waiting for room).
   */
  wait(timeoutMs: number): number {
    const v = this.v;
    Atomics.store(v.counters, C_READ, this.read | 0);
    Atomics.notify(v.counters, C_READ);
    let written = Atomics.load(v.counters, C_WRITTEN);
    if (written === (this.read | 0)) {
      Atomics.wait(v.counters, C_WRITTEN, written, timeoutMs);
      written = Atomics.load(v.counters, C_WRITTEN);
    }
    return (written - this.read) | 0;
  }

  /** Takes the next record (one of `wait()`'s count): its kind and numbers into the fields, a packet's into `p`. */
  next(p: DecodedPacket): void {
    const v = this.v;
    const slot = this.read & v.mask;
    const b = slot * RECORD_I32;
    const I = v.i32;
    const F = v.f64;
    const f = slot * RECORD_F64 + F64_AT;
    this.kind = I[b + KIND]!;
    this.tsSec = F[f + TS]!;
    this.ordinal = F[f + ORDINAL]!;
    if (this.kind === RecordKind.PACKET) {
      p.status = I[b + STATUS]! as DecodedPacket['status'];
      p.proto = I[b + PROTO]!;
      p.ipVersion = I[b + VERSION]!;
      p.src4 = I[b + SRC4]! >>> 0;
      p.dst4 = I[b + DST4]! >>> 0;
      const s6 = p.src6, d6 = p.dst6;
      s6[0] = I[b + SRC6]!; s6[1] = I[b + SRC6 + 1]!; s6[2] = I[b + SRC6 + 2]!; s6[3] = I[b + SRC6 + 3]!;
      d6[0] = I[b + DST6]!; d6[1] = I[b + DST6 + 1]!; d6[2] = I[b + DST6 + 2]!; d6[3] = I[b + DST6 + 3]!;
      p.srcPort = I[b + SRC_PORT]!;
      p.dstPort = I[b + DST_PORT]!;
      p.icmpOneWay = I[b + ICMP_ONE_WAY]!;
      p.tcpFlags = I[b + TCP_FLAGS]!;
      p.seq = I[b + SEQ]! >>> 0;
      p.ack = I[b + ACK]! >>> 0;
      p.window = I[b + WINDOW]!;
      p.payloadLen = I[b + PAYLOAD_LEN]!;
      p.payloadCaptured = I[b + PAYLOAD_CAPTURED]!;
      p.optMss = I[b + OPT_MSS]!;
      p.optWscale = I[b + OPT_WSCALE]!;
      p.optSackPerm = I[b + OPT_SACK_PERM]!;
      p.optSack = I[b + OPT_SACK]!;
      p.optTs = I[b + OPT_TS]!;
      p.tsVal = I[b + TS_VAL]! >>> 0;
      p.tsEcr = I[b + TS_ECR]! >>> 0;
      p.ipBytes = I[b + IP_BYTES]!;
      p.udpLength = I[b + UDP_LENGTH]!;
      p.l3 = I[b + L3]!;
      p.l4 = I[b + L4]!;
      this.frames = I[b + FRAMES]!;
      this.checksumBad = I[b + CHECKSUM_BAD] !== 0;
      p.vlan = I[b + VLAN]!;
      p.innerVlan = I[b + INNER_VLAN]!;
      this.wireLen = F[f + WIRE_LEN]!;
      this.serial = F[f + SERIAL]!;
    }
    this.read++;
  }
}
