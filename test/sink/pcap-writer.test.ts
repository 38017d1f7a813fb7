import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import {afterAll, describe, expect, it} from 'vitest';
import {PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC, PcapWriter} from '../../src/sink/pcap-writer.js';
import {openCapture} from '../../src/source/open.js';
import {Frame, type PacketSource} from '../../src/source/types.js';

const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-pcap-writer-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

interface Rec {
  caplen: number;
  wireLen: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  bytes: string;
}

/** Reads every frame of a source, copying what the borrowed frame holds. */
async function drain(source: PacketSource, each?: (f: Frame) => void): Promise<Rec[]> {
  const out: Rec[] = [];
  for (let more = true, guard = 0; more && guard < 100_000; guard++) {
    more = await source.pump(f => {
      each?.(f);
      out.push({
        caplen: f.caplen,
        wireLen: f.wireLen,
        tsSec: f.tsSec,
        tsNsec: f.tsNsec,
        linkType: f.linkType,
        bytes: Buffer.from(f.bytes.subarray(f.offset, f.offset + f.caplen)).toString('hex'),
      });
    });
  }
  await source.close();
  return out;
}

/** Copies a capture through a PcapWriter (frames written straight from the reader's borrowed buffer). */
async function copyThrough(input: string, output: string, opts: ConstructorParameters<typeof PcapWriter>[1] = {}) {
  const writer = new PcapWriter(output, opts);
  const original = await drain(await openCapture(input), f => writer.write(f));
  await writer.finish();
  return {writer, original, copy: await drain(await openCapture(output))};
}

function tcpdumpLines(file: string): string[] {
  return execFileSync('tcpdump', ['-nn', '-tt', '-r', file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    .trim()
    .split('\n')
    .filter(l => l !== '');
}

// ── Round trips through the project's reader and tcpdump ─────────────────────────────────────────────────────────

describe('round trip of corpus captures', () => {
  it.each([
    ['zeek/wikipedia.pcap', 1],
    ['tcpdump/LINKTYPE_IPV6.pcap', 229],
    ['misc/chrissanders-packets/http_ip4and6.pcapng', 1],
    ['misc/dpkt/truncated_dns.pcap', 1],
  ])('%s: same frames (µs), same tcpdump lines', async (name, linkType) => {
    const input = join(CORPUS, name);
    const output = join(dir, name.replaceAll('/', '_') + '.copy.pcap');
    const {writer, original, copy} = await copyThrough(input, output);
    expect(original.length).toBeGreaterThan(0);
    expect(writer.packets).toBe(original.length);
    expect(writer.dropped).toBe(0);
    // Microsecond magic: the copy has the original's timestamps cut to whole microseconds; all else is identical.
    expect(copy).toEqual(original.map(r => ({...r, tsNsec: Math.floor(r.tsNsec / 1000) * 1000})));
    expect(copy[0]!.linkType).toBe(linkType);
    expect(readFileSync(output).readUInt32LE(0)).toBe(PCAP_MAGIC_USEC);
    expect(tcpdumpLines(output)).toEqual(tcpdumpLines(input));
  });

  it('keeps snap-length truncation: incl_len < orig_len survives (dpkt truncated_dns: 200 of 238 bytes)', async () => {
    const {copy} = await copyThrough(join(CORPUS, 'misc/dpkt/truncated_dns.pcap'), join(dir, 'trunc.pcap'));
    expect(copy).toHaveLength(1);
    expect([copy[0]!.caplen, copy[0]!.wireLen, copy[0]!.tsSec, copy[0]!.tsNsec]).toEqual([200, 238, 1606299163, 787495000]);
  });

  it('nanosecond magic keeps nanoseconds exactly (tcpdump tcp-handshake-nano.pcap)', async () => {
    const input = join(CORPUS, 'tcpdump/tcp-handshake-nano.pcap');
    const output = join(dir, 'nano.pcap');
    const {original, copy} = await copyThrough(input, output, {nanosecond: true});
    expect(copy).toEqual(original);
    expect(original.some(r => r.tsNsec % 1000 !== 0)).toBe(true); // the file really has sub-µs digits
    expect(readFileSync(output).readUInt32LE(0)).toBe(PCAP_MAGIC_NSEC);
    const nano = (f: string) =>
      execFileSync('tcpdump', ['-nn', '--time-stamp-precision=nano', '-tt', '-r', f], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    expect(nano(output)).toBe(nano(input));
  });
});

// ── Exact bytes ──────────────────────────────────────────────────────────────────────────────────────────────────

function frameOf(bytes: number[], tsSec: number, tsNsec: number, wireLen = bytes.length, linkType = 1): Frame {
  const f = new Frame();
  f.bytes = Uint8Array.from([0xee, 0xee, ...bytes, 0xee]); // payload at offset 2, garbage around it
  f.offset = 2;
  f.caplen = bytes.length;
  f.wireLen = wireLen;
  f.tsSec = tsSec;
  f.tsNsec = tsNsec;
  f.linkType = linkType;
  return f;
}

describe('file layout', () => {
  it('writes the 24-byte header and 16-byte record headers little-endian, cutting at snaplen', async () => {
    const path = join(dir, 'layout.pcap');
    const w = new PcapWriter(path, {snaplen: 4});
    w.write(frameOf([1, 2, 3, 4, 5, 6], 0x01020304, 999_999_999, 60, 101));
    w.write(frameOf([7, 8], 5, 1500, 2, 101));
    await w.finish();
    const b = readFileSync(path);
    expect(b.toString('hex')).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '04000000' + '65000000' + // file header, link 101
        '04030201' + '3f420f00' + '04000000' + '3c000000' + '01020304' + // 999999 µs, incl 4, orig 60
        '05000000' + '01000000' + '02000000' + '02000000' + '0708', // 1500 ns -> 1 µs
    );
    expect(w.bytesWritten).toBe(b.length);
  });

  it('open() creates the file before any frame, rejects with the open error, and finish() closes what it opened', async () => {
    await expect(PcapWriter.open(join(dir, 'missing-dir', 'x.pcap'))).rejects.toMatchObject({code: 'ENOENT'});
    await expect(PcapWriter.open(dir)).rejects.toMatchObject({code: 'EISDIR'});
    const path = join(dir, 'opened.pcap');
    const w = await PcapWriter.open(path, {snaplen: 4, linkType: 101});
    expect(readFileSync(path).length).toBe(0); // created (truncated) at open, written later
    w.write(frameOf([1, 2], 5, 1500, 2, 101));
    await w.finish();
    expect(readFileSync(path).toString('hex')).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '04000000' + '65000000' +
        '05000000' + '01000000' + '02000000' + '02000000' + '0102',
    );
  });

  it('writes a valid empty file (header only) when no frame came, with the configured link type', async () => {
    const path = join(dir, 'empty.pcap');
    const w = new PcapWriter(path, {linkType: 113});
    await w.finish();
    const b = readFileSync(path);
    expect(b.length).toBe(24);
    expect(b.readUInt32LE(20)).toBe(113);
    expect(tcpdumpLines(path)).toEqual([]);
  });

  it('drops (and counts) a frame whose link type differs from the file header', async () => {
    const w = new PcapWriter(join(dir, 'mixed.pcap'));
    w.write(frameOf([1, 2, 3], 1, 0, 3, 1));
    w.write(frameOf([1, 2, 3], 1, 0, 3, 113));
    await w.finish();
    expect([w.packets, w.dropped]).toEqual([1, 1]);
  });

  it('copies the frame at write time: reusing the source buffer afterwards does not change the file', async () => {
    const path = join(dir, 'reuse.pcap');
    const w = new PcapWriter(path);
    const f = frameOf([0xaa, 0xbb], 1, 0);
    w.write(f);
    f.bytes.fill(0x11);
    w.write(f);
    await w.finish();
    const b = readFileSync(path);
    expect(b.subarray(24 + 16, 24 + 18).toString('hex')).toBe('aabb');
    expect(b.subarray(24 + 34, 24 + 36).toString('hex')).toBe('1111');
  });
});

// ── Backpressure ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('backpressure', () => {
  it('never blocks: a stalled stream gets what fits in the backlog, the rest is counted as dropped', async () => {
    const chunks: Buffer[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        release = cb; // completes only when the test says so
      },
    });
    // One record = 16 + 1000 bytes; batches of ~8 records; backlog of 3 batches.
    const w = new PcapWriter(slow, {snaplen: 1000, batchBytes: 8 * 1016 + 24, maxBacklogBytes: 3 * (8 * 1016 + 24)});
    const f = frameOf(Array.from({length: 1000}, (_, i) => i & 0xff), 7, 0);
    for (let i = 0; i < 100; i++) w.write(f); // synchronous: returns at once even though nothing drains
    expect(w.packets + w.dropped).toBe(100);
    expect(w.dropped).toBeGreaterThan(50);
    const done = w.finish();
    for (let i = 0; i < 50 && release; i++) {
      const r = release;
      release = undefined;
      r();
      await new Promise(res => setImmediate(res));
    }
    await done;
    const file = Buffer.concat(chunks);
    expect(file.length).toBe(24 + w.packets * 1016);
    expect(file.readUInt32LE(0)).toBe(PCAP_MAGIC_USEC);
  });
});
