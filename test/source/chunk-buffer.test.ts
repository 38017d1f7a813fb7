/**
 * ChunkBuffer on its own: records of every size walked over a scripted input that hands over odd-sized pieces, read
 * one chunk ahead into the spare buffer, the unread tail carried over, records larger than the headroom in buffers
 * of their own.
 */
import { describe, expect, it } from 'vitest';
import type { ByteInput } from '../../src/source/byte-input.js';
import { ChunkBuffer } from '../../src/source/chunk-buffer.js';

/** An input over `data` whose reads return pseudo-random sizes, and which fails if two reads are ever in flight. */
class ScriptedInput implements ByteInput {
  pos = 0;
  reads = 0;
  closed = false;
  private inFlight = false;
  private seed: number;
  constructor(private readonly data: Uint8Array, seed: number, private readonly maxPiece = Infinity) {
    this.seed = seed;
  }
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.inFlight) throw new Error('two reads in flight');
    this.inFlight = true;
    await new Promise((r) => setImmediate(r)); // resolve later, as the thread pool does
    this.inFlight = false;
    this.reads++;
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    const want = Math.min(length, this.maxPiece, 1 + (this.seed % Math.max(1, length)));
    const n = Math.min(want, this.data.length - this.pos);
    into.set(this.data.subarray(this.pos, this.pos + n), offset);
    this.pos += n;
    return n;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  rawBytesRead(): number | undefined {
    return undefined;
  }
}

/** Records of [u32 BE length][length bytes of (index + j) & 0xff], lengths from `sizes`. */
function recordsOf(sizes: number[]): Uint8Array {
  const total = sizes.reduce((a, n) => a + 4 + n, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let p = 0;
  sizes.forEach((n, i) => {
    view.setUint32(p, n);
    for (let j = 0; j < n; j++) out[p + 4 + j] = (i + j) & 0xff;
    p += 4 + n;
  });
  return out;
}

/** Walks the records as the capture readers do (fill what the next record needs, read it in place). */
async function walk(chunk: ChunkBuffer): Promise<{ sizes: number[]; offsets: number[] }> {
  const sizes: number[] = [];
  const offsets: number[] = [];
  for (;;) {
    if (chunk.available < 4) await chunk.fill(4);
    if (chunk.available === 0) break;
    const n = chunk.view.getUint32(chunk.start);
    if (chunk.available < 4 + n) await chunk.fill(4 + n);
    expect(chunk.available).toBeGreaterThanOrEqual(4 + n);
    const i = sizes.length;
    for (let j = 0; j < n; j++) {
      if (chunk.bytes[chunk.start + 4 + j] !== ((i + j) & 0xff)) throw new Error(`record ${i} byte ${j} wrong`);
    }
    offsets.push(chunk.consumed);
    sizes.push(n);
    chunk.start += 4 + n;
  }
  return { sizes, offsets };
}

describe('ChunkBuffer', () => {
  it('walks records of every size, straddling chunk edges and larger than the buffers, at their input offsets', async () => {
    const sizes: number[] = [];
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Mostly small records, some around the chunk size, a few several chunks long.
      sizes.push(i % 500 === 7 ? 5000 + (seed % 3000) : i % 37 === 0 ? 200 + (seed % 400) : seed % 90);
    }
    const data = recordsOf(sizes);
    const expected: number[] = [];
    sizes.reduce((p, n) => (expected.push(p), p + 4 + n), 0);
    for (const [chunkBytes, maxPiece] of [[64, Infinity], [256, 100], [1024, Infinity], [1 << 20, Infinity]] as const) {
      const input = new ScriptedInput(data, chunkBytes, maxPiece);
      const chunk = new ChunkBuffer(input, chunkBytes);
      const seen = await walk(chunk);
      expect(seen.sizes).toEqual(sizes);
      expect(seen.offsets).toEqual(expected);
      expect(chunk.eof).toBe(true);
      await chunk.close();
      expect(input.closed).toBe(true);
    }
  });

  it('reads one chunk ahead: after a fill the next read is already under way', async () => {
    const data = recordsOf(Array.from({ length: 100 }, () => 60));
    const input = new ScriptedInput(data, 1, 1000);
    const chunk = new ChunkBuffer(input, 1000);
    await chunk.fill(4);
    const readsAfterFirstFill = input.reads;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(input.reads).toBe(readsAfterFirstFill + 1); // the read ahead finished while nobody waited
    await chunk.close();
  });

  it('takeUnread hands over the unread bytes and the chunk read ahead, in input order', async () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    const chunk = new ChunkBuffer(new ScriptedInput(data, 3, 700), 1024);
    await chunk.fill(2);
    chunk.start += 1; // one byte consumed
    const rest = await chunk.takeUnread();
    expect(rest.length).toBeGreaterThan(1);
    expect([...rest]).toEqual([...data.subarray(1, 1 + rest.length)]);
    expect(chunk.available).toBe(0);
  });

  it('a read that fails is reported by the fill that needs it, and close still releases the input', async () => {
    const input = new ScriptedInput(recordsOf([10, 20, 30]), 5, 8);
    let n = 0;
    const failing: ByteInput = {
      read: (into, offset, length) => (++n === 3 ? Promise.reject(new Error('EIO: i/o error')) : input.read(into, offset, length)),
      close: () => input.close(),
      rawBytesRead: () => undefined,
    };
    const chunk = new ChunkBuffer(failing, 16);
    await expect(walk(chunk)).rejects.toThrow('EIO');
    await chunk.close();
    expect(input.closed).toBe(true);
  });
});
