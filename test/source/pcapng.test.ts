import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/source/open.js';
import { PcapngInterface, PcapngSource } from '../../src/source/pcapng.js';
import { CaptureError } from '../../src/source/types.js';
import { Bytes, CORPUS, drain, epochString, fnv1a } from './read-all.js';

// ── Block builders (draft-ietf-opsawg-pcapng) ───────────────────────────────────────────────────────────────────

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** type(4) total-length(4) body total-length(4), body padded to 4 bytes. */
function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length);
  const b = new Bytes(le).u32(type).u32(total).bytes(body);
  while (b.length < total - 4) b.u8(0);
  return b.u32(total).build();
}

/** One option: code(2) length(2) value padded. */
function opt(le: boolean, code: number, value: ArrayLike<number>): Uint8Array {
  const b = new Bytes(le).u16(code).u16(value.length).bytes(value);
  while (b.length % 4 !== 0) b.u8(0);
  return b.build();
}

function shb(le: boolean): Uint8Array {
  // byte-order magic, version 1.0, section length -1 (unknown)
  return block(le, 0x0a0d0d0a, new Bytes(le).u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn).build());
}

function idb(le: boolean, linkType: number, snaplen: number, options: Uint8Array[] = []): Uint8Array {
  const b = new Bytes(le).u16(linkType).u16(0).u32(snaplen);
  for (const o of options) b.bytes(o);
  if (options.length > 0) b.u32(0); // opt_endofopt
  return block(le, 1, b.build());
}

const tsresol = (le: boolean, v: number): Uint8Array => opt(le, 9, [v]);
const tsoffset = (le: boolean, sec: bigint): Uint8Array => opt(le, 14, new Bytes(le).u64(BigInt.asUintN(64, sec)).build());

function epb(le: boolean, ifId: number, ticks: bigint, data: number[], orig = data.length, caplen = data.length): Uint8Array {
  const b = new Bytes(le).u32(ifId).u64(0n).u32(caplen).u32(orig).bytes(data);
  // Fix the timestamp words: high word first, then low word, each in the section's byte order.
  const body = b.build();
  const ts = new Bytes(le).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn)).build();
  body.set(ts, 4);
  return block(le, 6, body);
}

function spb(le: boolean, orig: number, data: number[]): Uint8Array {
  return block(le, 3, new Bytes(le).u32(orig).bytes(data).build());
}

/** Obsolete Packet Block (type 2): 16-bit interface id, 16-bit drops count. */
function pb(le: boolean, ifId: number, ticks: bigint, data: number[]): Uint8Array {
  const b = new Bytes(le).u16(ifId).u16(0).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn));
  return block(le, 2, b.u32(data.length).u32(data.length).bytes(data).build());
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'sockscope-pcapng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function write(bytes: Uint8Array): string {
  const path = join(dir, `t${fileNo++}.pcapng`);
  writeFileSync(path, bytes);
  return path;
}

const DATA = Array.from({ length: 42 }, (_, i) => 0x40 + i);

// ── Timestamps ──────────────────────────────────────────────────────────────────────────────────────────────────

describe('if_tsresol and if_tsoffset', () => {
  async function oneTime(le: boolean, options: Uint8Array[], ticks: bigint): Promise<[number, number]> {
    const { frames, error } = await drain(await openCapture(write(concat(shb(le), idb(le, 1, 0, options), epb(le, 0, ticks, DATA)))));
    expect(error).toBeNull();
    return [frames[0]!.tsSec, frames[0]!.tsNsec];
  }

  it.each([
    // [description, tsresol byte, ticks, seconds, nanoseconds]
    ['default microseconds', null, 1_700_000_000_123_456n, 1_700_000_000, 123_456_000],
    ['10^-9 past 2^32 seconds (2107)', 9, 4_323_283_200n * 1_000_000_000n + 123_456_789n, 4_323_283_200, 123_456_789],
    ['10^-9 just below a second boundary', 9, 1_767_663_089_999_999_999n, 1_767_663_089, 999_999_999],
    ['10^-3 milliseconds', 3, 1_700_000_000_007n, 1_700_000_000, 7_000_000],
    ['10^0 whole seconds', 0, 1_700_000_000n, 1_700_000_000, 0],
    ['10^-10 (long division)', 10, 1_700_000_000n * 10_000_000_000n + 1_234_567_891n, 1_700_000_000, 123_456_789],
    ['10^-12 picoseconds (BigInt fallback)', 12, 10_000_000n * 10n ** 12n + 987_654_321_999n, 10_000_000, 987_654_321],
    ['2^-20, half a second', 0x80 | 20, (1_700_000_000n << 20n) + (1n << 19n), 1_700_000_000, 500_000_000],
    ['2^-20, one tick truncates to 953 ns', 0x80 | 20, (5n << 20n) + 1n, 5, 953],
    ['2^-32, fraction is the low word', 0x80 | 32, (1_700_000_000n << 32n) + 0xc0000000n, 1_700_000_000, 750_000_000],
    ['2^-3, eighths', 0x80 | 3, (9n << 3n) + 5n, 9, 625_000_000],
    ['2^-40 (BigInt fallback)', 0x80 | 40, (3n << 40n) + (1n << 38n), 3, 250_000_000],
  ])('%s', async (_name, res, ticks, sec, nsec) => {
    for (const le of [true, false]) {
      const options = res === null ? [] : [tsresol(le, res)];
      expect(await oneTime(le, options, ticks)).toEqual([sec, nsec]);
    }
  });

  it('if_tsoffset adds whole seconds, positive or negative', async () => {
    expect(await oneTime(true, [tsoffset(true, 1_000_000_000n)], 700_000_000_250_000n)).toEqual([1_700_000_000, 250_000_000]);
    expect(await oneTime(false, [tsresol(false, 9), tsoffset(false, -100n)], 1_000_000_000_000_000_005n)).toEqual([999_999_900, 5]);
  });

  it('precisionDigits follows the resolution', () => {
    expect(new PcapngInterface(1, 0, 6, 0, -1).precisionDigits).toBe(6);
    expect(new PcapngInterface(1, 0, 9, 0, -1).precisionDigits).toBe(9);
    expect(new PcapngInterface(1, 0, 0x80 | 20, 0, -1).precisionDigits).toBe(7);
  });

  it('zeek/pcapng-multi-interface.pcapng: interface 0 in ns and interface 1 in µs, as capinfos lists them', async () => {
    const src = (await openCapture(join(CORPUS, 'zeek/pcapng-multi-interface.pcapng'))) as PcapngSource;
    const stamps: string[] = [];
    const ifaces: number[] = [];
    while (await src.pump((f) => {
      const digits = src.interfaces[f.interfaceId]!.precisionDigits;
      stamps.push(epochString(f.tsSec, f.tsNsec, digits));
      ifaces.push(f.interfaceId);
    }));
    expect(src.interfaces.map((i) => i.tsresol)).toEqual([9, 6]);
    // capinfos: IDB 0 has 2 packets, IDB 1 has 4; first 1767663089.500330493, last 1767663437.140942.
    expect(ifaces.filter((i) => i === 0)).toHaveLength(2);
    expect(ifaces.filter((i) => i === 1)).toHaveLength(4);
    expect(stamps[0]).toBe('1767663089.500330493');
    expect(stamps[stamps.length - 1]).toBe('1767663437.140942');
  });
});

// ── Blocks ──────────────────────────────────────────────────────────────────────────────────────────────────────

describe('blocks', () => {
  it('SPB: no timestamp (last one seen), wire length from its own field, caplen cut by the snap length', async () => {
    const le = true;
    const bytes = concat(
      shb(le),
      idb(le, 1, 20),
      spb(le, 42, DATA.slice(0, 20)), // before any timestamp: 0
      epb(le, 0, 1_000_000_500_000n, DATA.slice(0, 20), 42),
      spb(le, 1514, DATA.slice(0, 20)),
    );
    const src = await openCapture(write(bytes));
    const { frames } = await drain(src);
    expect(frames.map((f) => [f.tsSec, f.tsNsec, f.caplen, f.wireLen])).toEqual([
      [0, 0, 20, 42],
      [1_000_000, 500_000_000, 20, 42],
      [1_000_000, 500_000_000, 20, 1514],
    ]);
    expect(frames[2]!.hash).toBe(fnv1a(Uint8Array.from(DATA), 0, 20));
    expect(src.stats()).toMatchObject({ truncatedBySnaplen: 3, badTimestamps: 0 });
  });

  it('SPB: the block padding is not packet data when orig < the block room', async () => {
    const { frames } = await drain(await openCapture(write(concat(shb(true), idb(true, 1, 0), spb(true, 5, DATA.slice(0, 5)))))); 
    expect([frames[0]!.caplen, frames[0]!.wireLen]).toEqual([5, 5]);
  });

  it('obsolete Packet Block (type 2) with its 16-bit interface id', async () => {
    const le = false;
    const bytes = concat(shb(le), idb(le, 1, 0), idb(le, 0, 0), pb(le, 1, 1_234_000_001n, DATA));
    const { frames } = await drain(await openCapture(write(bytes)));
    expect(frames.map((f) => [f.interfaceId, f.linkType, f.tsSec, f.tsNsec, f.caplen])).toEqual([[1, 0, 1234, 1000, 42]]);
  });

  it('skips NRB, ISB, DSB, custom (0xBAD, 0x40000BAD) and unknown blocks by their length', async () => {
    const le = true;
    const junk = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
    const bytes = concat(
      shb(le),
      block(le, 4, junk), // NRB
      idb(le, 1, 0),
      block(le, 0x00000bad, junk),
      epb(le, 0, 1n, DATA),
      block(le, 5, junk), // ISB
      block(le, 0x40000bad, junk),
      block(le, 0x0000000a, junk), // DSB
      block(le, 0x7eadbeef, junk), // unknown
      epb(le, 0, 2n, DATA),
    );
    const { frames, error } = await drain(await openCapture(write(bytes)));
    expect(error).toBeNull();
    expect(frames.map((f) => f.tsNsec)).toEqual([1000, 2000]);
    // 28 SHB + 20 NRB + 20 IDB + 20 CB = 88: the first EPB's header sits there.
    expect(frames[0]!.fileOffset).toBe(88);
  });

  it('several sections with different byte orders: interface ids restart per section', async () => {
    const bytes = concat(
      shb(true),
      idb(true, 1, 0),
      epb(true, 0, 10n, DATA),
      shb(false),
      idb(false, 0, 0, [tsresol(false, 9)]),
      idb(false, 228, 0),
      epb(false, 0, 20n, DATA),
      epb(false, 1, 30n, DATA),
      shb(true),
      idb(true, 113, 0),
      spb(true, 42, DATA),
    );
    const src = (await openCapture(write(bytes))) as PcapngSource;
    const { frames, error } = await drain(src);
    expect(error).toBeNull();
    expect(frames.map((f) => [f.interfaceId, f.linkType, f.tsNsec])).toEqual([
      [0, 1, 10_000],
      [0, 0, 20], // section 2, interface 0: DLT_NULL, nanoseconds
      [1, 228, 30_000],
      [0, 113, 30_000], // section 3: SPB on its own interface 0, last timestamp
    ]);
    expect(src.sections).toBe(3);
  });

  it('header-only files are empty captures: SHB alone, SHB + IDB', async () => {
    for (const bytes of [shb(false), concat(shb(true), idb(true, 1, 0))]) {
      const { frames, error } = await drain(await openCapture(write(bytes)));
      expect([frames.length, error]).toEqual([0, null]);
    }
  });

  it('corpus be/le twins give identical frames', async () => {
    for (const t of ['test100', 'test101', 'test102', 'test202']) {
      const le = await drain(await openCapture(join(CORPUS, `misc/pcapng-test-generator/le/${t}.pcapng`)));
      const be = await drain(await openCapture(join(CORPUS, `misc/pcapng-test-generator/be/${t}.pcapng`)));
      const strip = (r: { fileOffset: number }[]) => r.map(({ fileOffset: _, ...rest }) => rest);
      expect(le.frames.length).toBeGreaterThan(0);
      expect(strip(be.frames)).toEqual(strip(le.frames));
    }
  });

  it('test202 (3 sections, byte order changes): link types per packet as its generator describes', async () => {
    // test202.txt: sections hold EPB x3 (section 1), SPB EPB SPB EPB (section 2), EPB (section 3).
    const txt = readFileSync(join(CORPUS, 'misc/pcapng-test-generator/le/test202.txt'), 'utf8');
    expect(txt).toContain('SHB: 3');
    const { frames } = await drain(await openCapture(join(CORPUS, 'misc/pcapng-test-generator/le/test202.pcapng')));
    expect(frames).toHaveLength(8);
    expect(frames.filter((f) => f.linkType === 1)).toHaveLength(6);
    expect(frames.filter((f) => f.linkType === 0)).toHaveLength(2);
  });
});

// ── Chunk edges ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('records straddling chunk edges', () => {
  it('a 3000-byte block read through 64-byte chunks equals the one-chunk read', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => (i * 31) & 0xff);
    const bytes = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, DATA), epb(true, 0, 2n, big), epb(true, 0, 3n, DATA));
    const path = write(bytes);
    const whole = await drain(await openCapture(path));
    const tiny = await drain(await openCapture(path, { chunkSize: 64 }));
    expect(tiny.error).toBeNull();
    expect(tiny.frames).toEqual(whole.frames);
    expect(tiny.frames[1]!.hash).toBe(fnv1a(Uint8Array.from(big), 0, 3000));
  });
});

// ── Bad input ───────────────────────────────────────────────────────────────────────────────────────────────────

describe('bad input: good packets first, then a located CaptureError', () => {
  const le = true;
  const head = concat(shb(le), idb(le, 1, 0), epb(le, 0, 1n, DATA)); // 28 + 20 + 76 = 124 bytes
  const BAD_AT = 124;

  async function failing(tail: Uint8Array): Promise<CaptureError> {
    const path = write(concat(head, tail));
    const { frames, error } = await drain(await openCapture(path));
    expect(frames).toHaveLength(1);
    expect(error).toBeInstanceOf(CaptureError);
    expect(error).toMatchObject({ file: path, packet: 2 });
    return error as CaptureError;
  }

  it('leading and trailing block lengths disagree', async () => {
    const bad = epb(le, 0, 2n, DATA);
    new DataView(bad.buffer).setUint32(bad.length - 4, 80, true);
    const e = await failing(bad);
    expect(e.byteOffset).toBe(BAD_AT);
    expect(e.reason).toBe('block type 0x00000006: leading length 76 and trailing length 80 disagree');
  });

  it('block length not a multiple of 4', async () => {
    const e = await failing(new Bytes(le).u32(6).u32(30).build());
    expect(e.byteOffset).toBe(BAD_AT);
    expect(e.reason).toMatch(/invalid total length 30 \(must be a multiple of 4/);
  });

  it('block length below 12', async () => {
    const e = await failing(new Bytes(le).u32(6).u32(8).u32(8).build());
    expect(e.reason).toMatch(/invalid total length 8/);
  });

  it('absurd block length (over 256 MiB)', async () => {
    const e = await failing(new Bytes(le).u32(6).u32(0x7ffffffc).u32(0).build());
    expect(e.reason).toMatch(/absurd/);
  });

  it('EPB captured length larger than the block', async () => {
    const bad = epb(le, 0, 2n, DATA, 42, 400);
    const e = await failing(bad);
    expect(e.reason).toBe("block type 0x00000006: captured length 400 exceeds the block's 44 data bytes");
  });

  it('EPB on an interface the section does not have', async () => {
    const e = await failing(epb(le, 3, 2n, DATA));
    expect(e.reason).toMatch(/refers to interface 3, but the section has 1/);
  });

  it('file cut inside a block', async () => {
    const e = await failing(epb(le, 0, 2n, DATA).subarray(0, 50));
    expect(e.byteOffset).toBe(BAD_AT);
    expect(e.reason).toBe('file ends inside block type 0x00000006: the block needs 76 bytes, only 50 remain');
  });

  it('bad byte-order magic in a later section header', async () => {
    const bad = shb(le);
    bad[8] = 0x99;
    const e = await failing(bad);
    expect(e.reason).toMatch(/byte-order magic is 0x1a2b3c99/);
  });

  it('pause contract holds for pcapng too', async () => {
    const bytes = concat(shb(false), idb(false, 1, 0), ...[1n, 2n, 3n, 4n, 5n].map((t) => epb(false, 0, t, DATA)));
    const src = await openCapture(write(bytes));
    const batches: number[][] = [];
    let more = true;
    while (more) {
      const got: number[] = [];
      more = await src.pump((f) => (got.push(f.number), f.number !== 2));
      if (got.length > 0) batches.push(got);
    }
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
  });
});

describe('first section header', () => {
  it('a bad byte-order magic in the first SHB fails at open, packet 0, byte 0', async () => {
    const bad = shb(true);
    bad[9] = 0;
    const path = write(bad);
    await expect(openCapture(path)).rejects.toMatchObject({ file: path, packet: 0, byteOffset: 0, reason: /byte-order magic is 0x1a2b004d/ });
  });

  it('an unsupported major version is refused', async () => {
    const bad = shb(false);
    bad[13] = 2; // version 2.0, big-endian
    const { frames, error } = await drain(await openCapture(write(bad)));
    expect(frames).toHaveLength(0);
    expect(error).toMatchObject({ packet: 1, byteOffset: 0, reason: /unsupported pcapng version 2\.0/ });
  });
});

describe('timestamp arithmetic is exact', () => {
  it.each([6, 9, 3, 0, 10, 11, 12, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32, 0x80 | 48])(
    'tsresol %i: 300 random 64-bit tick counts agree with BigInt division',
    async (res) => {
      // xorshift32, seeded: reproducible "random" high and low words, biased toward large high words.
      let x = 0x9e3779b9 ^ res;
      const next = (): number => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x >>> 0;
      };
      const units = (res & 0x80) !== 0 ? 1n << BigInt(res & 0x7f) : 10n ** BigInt(res);
      const ticks: bigint[] = [];
      for (let i = 0; i < 300; i++) {
        const high = i % 3 === 0 ? next() : i % 3 === 1 ? next() >>> 11 : next() >>> 24;
        ticks.push((BigInt(high) << 32n) | BigInt(next()));
      }
      ticks.push(0n, (1n << 64n) - 1n, (1n << 53n) - 1n, 1n << 53n, units - 1n, units);
      const le = res % 2 === 0;
      const bytes = concat(shb(le), idb(le, 1, 0, [tsresol(le, res)]), ...ticks.map((t) => epb(le, 0, t, [1])));
      const { frames, error } = await drain(await openCapture(write(bytes)));
      expect(error).toBeNull();
      const got = frames.map((f) => `${f.tsSec}.${f.tsNsec}`);
      const want = ticks.map((t) => {
        const sec = t / units;
        // Seconds beyond 2^53 cannot be exact in a number; compare what a number can hold.
        return `${Number(sec)}.${((t % units) * 1_000_000_000n) / units}`;
      });
      expect(got).toEqual(want);
    },
  );
});
