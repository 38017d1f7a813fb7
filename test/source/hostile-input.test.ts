/**
 * Inputs built to hurt: record headers that claim up to 256 MiB (snap length 2^32-1, pcapng snap length 0), and a
 * gzip file cut inside its first deflate block among other files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ByteInput } from '../../src/source/byte-input.js';
import { ChunkBuffer } from '../../src/source/chunk-buffer.js';
import { BIN, pcapHeader, recordHeader } from '../helpers/hostile.js';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-hostile-'));

/** An input over `data` handing over at most `piece` bytes a read. */
class PieceInput implements ByteInput {
  private pos = 0;
  constructor(private readonly data: Uint8Array, private readonly piece: number) {}
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const n = Math.min(length, this.piece, this.data.length - this.pos);
    into.set(this.data.subarray(this.pos, this.pos + n), offset);
    this.pos += n;
    return n;
  }
  async close(): Promise<void> {}
  rawBytesRead(): undefined {
    return undefined;
  }
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** An IPv4 UDP packet 10.0.0.1:1000 -> 10.0.0.2:53 of `size` bytes (raw IP). */
function udp(size: number): Buffer {
  const p = Buffer.alloc(size);
  p[0] = 0x45;
  p.writeUInt16BE(Math.min(size, 0xffff), 2);
  p[8] = 64;
  p[9] = 17;
  p.writeUInt32BE(0x0a000001, 12);
  p.writeUInt32BE(0x0a000002, 16);
  p.writeUInt16BE(1000, 20);
  p.writeUInt16BE(53, 22);
  p.writeUInt16BE(Math.min(size - 20, 0xffff), 24);
  return p;
}

describe('records that claim more than the input holds', () => {
  it('cost what arrived, not what the header claims', async () => {
    // A chunk of 64 bytes; a record that needs 200 MiB while the input holds 10,000 bytes.
    const chunk = new ChunkBuffer(new PieceInput(new Uint8Array(10_000), 1000), 64);
    await chunk.fill(200 << 20);
    expect(chunk.eof).toBe(true);
    expect(chunk.available).toBe(10_000);
    expect(chunk.bytes.length).toBeLessThan(4 * 10_000); // was 200 MiB
  });

  it('a buffer grown for a large record is let go once it is read (two large records are never held at once)', async () => {
    const chunk = new ChunkBuffer(new PieceInput(new Uint8Array(100_000), 4096), 64);
    await chunk.fill(50_000);
    expect(chunk.bytes.length).toBeGreaterThanOrEqual(50_000);
    chunk.start += 50_000; // the record is read
    await chunk.fill(16);
    const spare = (chunk as unknown as { spare: Uint8Array }).spare;
    expect([chunk.bytes.length, spare.length]).toEqual([128, 128]);
  });

  it('snap length 2^32-1: a record of 1 MiB that is there is read; one claiming 200 MiB in a 3 MB file is a located error', () => {
    const real = join(tmp, 'big-record.pcap');
    const big = udp(1 << 20);
    writeFileSync(real, Buffer.concat([pcapHeader(0xffffffff), recordHeader(big.length, 1_700_000_000), big]));
    const ok = run(['flows', '-f', 'ndjson', real]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ 'id.resp_p': 53, orig_pkts: 1, orig_wire_bytes: 1 << 20 });

    const claim = join(tmp, 'claim.pcap');
    const small = udp(28);
    writeFileSync(claim, Buffer.concat([
      pcapHeader(0xffffffff), recordHeader(small.length, 1_700_000_000), small,
      recordHeader(200 << 20, 1_700_000_001), Buffer.alloc(3 << 20),
    ]));
    const bad = run(['flows', '-f', 'ndjson', claim]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${claim}: packet 2 at byte 68: file ends inside packet data: the record needs ${200 << 20} bytes`);
    expect(JSON.parse(bad.out)).toMatchObject({ 'id.resp_p': 53 }); // the packet before it still counts
  });
});

describe('a gzip file cut inside its first deflate block', () => {
  it('is a located error in its turn, and the other files are still read', () => {
    const cut = join(tmp, 'cut.pcap.gz');
    writeFileSync(cut, gzipSync(readFileSync(DEMO)).subarray(0, 100));
    const alone = run(['flows', '-f', 'ndjson', DEMO]);
    const r = run(['flows', '-f', 'ndjson', cut, DEMO]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(alone.out);
    expect(r.err).toContain(`sockscope: error: ${cut}: packet 0 at byte 0: read error (gzip): unexpected end of file (after 100 compressed bytes of 100)\n`);
    expect(r.err).toMatch(/^sockscope: 126 packets read/m);
  });

  it('damaged inside the pcap file header (a byte inserted in the deflate stream) is located too', () => {
    const gz = gzipSync(readFileSync(DEMO));
    const bad = join(tmp, 'inserted.pcap.gz');
    writeFileSync(bad, Buffer.concat([gz.subarray(0, 127), gz.subarray(0, 1), gz.subarray(127)]));
    const r = run(['flows', '-f', 'ndjson', bad, DEMO]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`sockscope: error: ${bad}: packet 0 at byte 0: read error (gzip): invalid distance too far back`);
    expect(r.err).toMatch(/^sockscope: 126 packets read/m);
  });
});
