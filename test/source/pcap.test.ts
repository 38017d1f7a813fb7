import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/source/open.js';
import { PcapSource } from '../../src/source/pcap.js';
import { CaptureError } from '../../src/source/types.js';
import type { Frame } from '../../src/source/types.js';
import { Bytes, drain, fnv1a } from './read-all.js';

interface Rec {
  sec: number;
  frac: number;
  data: number[];
  /** Defaults to data.length. */
  caplen?: number;
  /** Defaults to data.length. */
  orig?: number;
}

/** A classic pcap file, built field by field (24-byte header, then 16-byte record headers). */
function pcapFile(opts: { le: boolean; nano?: boolean; snaplen?: number; linkField?: number; records: Rec[] }): Uint8Array {
  const b = new Bytes(opts.le);
  b.u32(opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4) // magic, written in the file's own byte order
    .u16(2) // version major
    .u16(4) // version minor
    .u32(0) // thiszone
    .u32(0) // sigfigs
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkField ?? 1);
  for (const r of opts.records) {
    b.u32(r.sec).u32(r.frac).u32(r.caplen ?? r.data.length).u32(r.orig ?? r.data.length).bytes(r.data);
  }
  return b.build();
}

const dir = mkdtempSync(join(tmpdir(), 'sockscope-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function write(bytes: Uint8Array): string {
  const path = join(dir, `t${fileNo++}.pcap`);
  writeFileSync(path, bytes);
  return path;
}

const PAYLOAD_A = [0xde, 0xad, 0xbe, 0xef, 0x01];
const PAYLOAD_B = Array.from({ length: 60 }, (_, i) => i);

// ── Header variants ─────────────────────────────────────────────────────────────────────────────────────────────

describe('file header', () => {
  it('big-endian microsecond file: fields, offsets, numbering', async () => {
    const path = write(
      pcapFile({
        le: false,
        snaplen: 96,
        linkField: 101,
        records: [
          { sec: 1_700_000_000, frac: 123_456, data: PAYLOAD_A, orig: 1500 },
          { sec: 0xffff_ffff, frac: 999_999, data: PAYLOAD_B },
        ],
      }),
    );
    const src = await openCapture(path);
    expect(src).toBeInstanceOf(PcapSource);
    const pcap = src as PcapSource;
    expect(pcap.header).toMatchObject({ littleEndian: false, nanosecond: false, snaplen: 96, linkType: 101 });
    const { frames, error } = await drain(src);
    expect(error).toBeNull();
    expect(frames).toEqual([
      {
        number: 1, fileOffset: 24, caplen: 5, wireLen: 1500, tsSec: 1_700_000_000, tsNsec: 123_456_000,
        linkType: 101, interfaceId: 0, hash: fnv1a(Uint8Array.from(PAYLOAD_A), 0, 5),
      },
      {
        // Seconds are unsigned 32-bit: 0xffffffff is 2106-02-07, not -1.
        number: 2, fileOffset: 24 + 16 + 5, caplen: 60, wireLen: 60, tsSec: 4_294_967_295, tsNsec: 999_999_000,
        linkType: 101, interfaceId: 0, hash: fnv1a(Uint8Array.from(PAYLOAD_B), 0, 60),
      },
    ]);
    expect(src.stats()).toMatchObject({ packets: 2, truncatedBySnaplen: 1, badTimestamps: 0, bytesRead: 24 + 32 + 65 });
  });

  it('little-endian nanosecond file keeps all nine digits', async () => {
    const path = write(pcapFile({ le: true, nano: true, records: [{ sec: 1, frac: 999_999_999, data: PAYLOAD_A }] }));
    const { frames } = await drain(await openCapture(path));
    expect([frames[0]!.tsSec, frames[0]!.tsNsec]).toEqual([1, 999_999_999]);
  });

  it('big-endian nanosecond file', async () => {
    const path = write(pcapFile({ le: false, nano: true, records: [{ sec: 7, frac: 5, data: PAYLOAD_A }] }));
    const src = (await openCapture(path)) as PcapSource;
    expect(src.header.nanosecond).toBe(true);
    const { frames } = await drain(src);
    expect([frames[0]!.tsSec, frames[0]!.tsNsec]).toEqual([7, 5]);
  });

  it('link-type field: the FCS length in the upper bits is split off, the link type is the low 16 bits', async () => {
    // FCS len = 2 sixteen-bit words (bits 28-31), P bit (26) set, LINKTYPE_ETHERNET.
    const field = ((2 << 28) | 0x04000000 | 1) >>> 0;
    const src = (await openCapture(write(pcapFile({ le: true, linkField: field, records: [{ sec: 1, frac: 0, data: PAYLOAD_B }] })))) as PcapSource;
    expect([src.linkType, src.fcsBytes]).toEqual([1, 4]);
    const { frames } = await drain(src);
    expect(frames[0]!.linkType).toBe(1);
    expect(frames[0]!.caplen).toBe(60); // the FCS bytes stay in the frame; decoders use fcsBytes
  });

  it('without the P bit the FCS length is unknown (-1)', async () => {
    const src = (await openCapture(write(pcapFile({ le: true, linkField: 113, records: [] })))) as PcapSource;
    expect([src.linkType, src.fcsBytes]).toEqual([113, -1]);
    await src.close();
  });

  it('a header-only file is an empty capture, not an error', async () => {
    const { frames, error } = await drain(await openCapture(write(pcapFile({ le: true, records: [] }))));
    expect([frames.length, error]).toEqual([0, null]);
  });
});

// ── Records ─────────────────────────────────────────────────────────────────────────────────────────────────────

describe('records', () => {
  it('out-of-range microseconds are clamped to 999999 and counted', async () => {
    const src = await openCapture(write(pcapFile({ le: true, records: [
      { sec: 10, frac: 1_000_000, data: PAYLOAD_A },
      { sec: 11, frac: 0xffff_ffff, data: PAYLOAD_A },
      { sec: 12, frac: 999_999, data: PAYLOAD_A },
    ] })));
    const { frames } = await drain(src);
    expect(frames.map((f) => [f.tsSec, f.tsNsec])).toEqual([[10, 999_999_000], [11, 999_999_000], [12, 999_999_000]]);
    expect(src.stats().badTimestamps).toBe(2);
  });

  it('wire length below the captured length is raised to the captured length', async () => {
    const { frames } = await drain(await openCapture(write(pcapFile({ le: true, records: [{ sec: 1, frac: 0, data: PAYLOAD_B, orig: 10 }] }))));
    expect([frames[0]!.caplen, frames[0]!.wireLen]).toEqual([60, 60]);
  });

  it('caplen above the snap length but within 262144 is read (libpcap does the same)', async () => {
    const big = Array.from({ length: 70_000 }, (_, i) => i * 7);
    const { frames, error } = await drain(await openCapture(write(pcapFile({ le: true, snaplen: 65535, records: [{ sec: 1, frac: 0, data: big }] }))));
    expect(error).toBeNull();
    expect(frames[0]!.caplen).toBe(70_000);
    expect(frames[0]!.hash).toBe(fnv1a(Uint8Array.from(big), 0, 70_000));
  });
});

// ── Bad input ───────────────────────────────────────────────────────────────────────────────────────────────────

describe('bad input: good packets first, then a located CaptureError', () => {
  it('absurd record length (caplen > max(snaplen, 262144))', async () => {
    const bytes = pcapFile({ le: true, snaplen: 65535, records: [
      { sec: 1, frac: 0, data: PAYLOAD_A },
      { sec: 2, frac: 0, data: PAYLOAD_A },
      { sec: 3, frac: 0, data: PAYLOAD_A, caplen: 300_000 },
    ] });
    const path = write(bytes);
    const src = await openCapture(path);
    const seen: number[] = [];
    // Everything is in the first chunk: the good frames arrive in the same pump that then rejects.
    const err = await src.pump((f) => void seen.push(f.number)).catch((e: unknown) => e);
    expect(seen).toEqual([1, 2]);
    expect(err).toBeInstanceOf(CaptureError);
    expect(err).toMatchObject({ file: path, packet: 3, byteOffset: 24 + 2 * 21 });
    expect((err as CaptureError).reason).toMatch(/absurd record length: captured length 300000/);
    // The error is sticky.
    await expect(src.pump(() => undefined)).rejects.toBe(err);
    await src.close();
  });

  it('absurd length caught before any read of the record body (a 4 GB caplen does not allocate)', async () => {
    const path = write(pcapFile({ le: false, snaplen: 0xffffffff, records: [{ sec: 1, frac: 0, data: [], caplen: 0xfffffff0 }] }));
    const { frames, error } = await drain(await openCapture(path));
    expect(frames).toHaveLength(0);
    expect(error).toMatchObject({ packet: 1, byteOffset: 24, reason: /absurd/ });
  });

  it('file cut inside packet data', async () => {
    const bytes = pcapFile({ le: true, records: [{ sec: 1, frac: 0, data: PAYLOAD_A }, { sec: 2, frac: 0, data: PAYLOAD_B }] });
    const path = write(bytes.subarray(0, bytes.length - 10));
    const { frames, error } = await drain(await openCapture(path, { chunkSize: 64 }));
    expect(frames).toHaveLength(1);
    expect(error).toMatchObject({ file: path, packet: 2, byteOffset: 45 });
    expect((error as CaptureError).reason).toBe('file ends inside packet data: the record needs 60 bytes, only 50 remain');
  });

  it('version 1 files are refused', async () => {
    const bytes = pcapFile({ le: true, records: [] });
    bytes[4] = 1;
    await expect(openCapture(write(bytes))).rejects.toMatchObject({ packet: 0, reason: /unsupported pcap version 1\.4/ });
  });
});

// ── The pump contract ───────────────────────────────────────────────────────────────────────────────────────────

describe('pump contract', () => {
  const records: Rec[] = Array.from({ length: 10 }, (_, i) => ({ sec: 100 + i, frac: i, data: PAYLOAD_A }));

  it('returning false pauses after that frame; the next pump resumes with the following one', async () => {
    const src = await openCapture(write(pcapFile({ le: true, records })));
    const perPump: number[][] = [];
    let more = true;
    while (more) {
      const got: number[] = [];
      more = await src.pump((f) => {
        got.push(f.number);
        return f.number % 4 !== 0; // pause after frames 4 and 8
      });
      perPump.push(got);
    }
    expect(perPump.filter((p) => p.length > 0)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    expect(src.stats().packets).toBe(10);
  });

  it('pausing on every frame delivers one frame per pump, none lost or repeated', async () => {
    const src = await openCapture(write(pcapFile({ le: true, records })));
    const seen: number[] = [];
    let pumps = 0;
    while (await src.pump((f) => (seen.push(f.tsSec), false))) pumps++;
    expect(seen).toEqual(records.map((r) => r.sec));
    expect(pumps).toBeGreaterThanOrEqual(10);
  });

  it('one Frame object is reused, and bytes points into the chunk buffer (no copy)', async () => {
    const src = await openCapture(write(pcapFile({ le: true, records })));
    const frames = new Set<Frame>();
    const buffers = new Set<Uint8Array>();
    const offsets: number[] = [];
    const fileOffsets: number[] = [];
    while (await src.pump((f) => void (frames.add(f), buffers.add(f.bytes), offsets.push(f.offset), fileOffsets.push(f.fileOffset))));
    expect(frames.size).toBe(1);
    expect(buffers.size).toBe(1);
    // The packets lie in the buffer as in the file (wherever the file's bytes start in it).
    expect(fileOffsets).toEqual(records.map((_, i) => 24 + i * 21));
    expect(offsets.map((o) => o - offsets[0]!)).toEqual(records.map((_, i) => i * 21));
  });

  it('a callback that throws leaves the reader at the next record', async () => {
    const src = await openCapture(write(pcapFile({ le: true, records })));
    await expect(src.pump((f) => { if (f.number === 3) throw new Error('consumer bug'); })).rejects.toThrow('consumer bug');
    const rest: number[] = [];
    while (await src.pump((f) => void rest.push(f.number)));
    expect(rest).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });
});
