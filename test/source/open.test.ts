import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormat, detectFormat, openCapture } from '../../src/source/open.js';
import { CaptureError } from '../../src/source/types.js';
import { Bytes, CORPUS, corpusCaptures, drain, epochString } from './read-all.js';

interface Oracle {
  capinfos: {
    encapsulation?: string;
    encapsulations_in_use?: { encapsulation: string; packets: number }[];
    packet_count?: number;
    first_packet_epoch?: string | null;
    last_packet_epoch?: string | null;
  };
}

function oracle(rel: string): Oracle {
  return JSON.parse(readFileSync(join(CORPUS, `${rel}.oracle.json`), 'utf8')) as Oracle;
}

/** capinfos' short encapsulation names -> LINKTYPE_* (tcpdump.org registry). */
const LINKTYPE_OF: Record<string, number> = {
  ether: 1,
  Ethernet: 1,
  null: 0,
  'NULL/Loopback': 0,
  'linux-sll': 113,
  rawip: 101,
  rawip4: 228,
  rawip6: 229,
  ppp: 9,
  'fddi-swapped': 10,
  'ieee-802-11-radiotap': 127,
  nflog: 239,
  user13: 160,
};

/** An epoch string capinfos printed for a real timestamp (not "n/a", not absent, not a malformed "-2147483648"). */
function usableEpoch(s: string | null | undefined): s is string {
  return typeof s === 'string' && /^\d+(\.\d+)?$/.test(s);
}

function fractionDigits(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Captures with no capinfos facts, or that end in an error: checked in their own tests below. */
const SPECIAL = new Set(['tcpdump/dsa.pcap', 'misc/dpkt/truncated_dns_2.pcap']);

const captures = corpusCaptures();

// ── Every corpus capture ────────────────────────────────────────────────────────────────────────────────────────

describe('corpus: packet counts, timestamps and link types against capinfos', () => {
  it('finds the corpus', () => {
    expect(captures.length).toBeGreaterThan(140);
    expect(captures).toContain('misc/chrissanders-packets/dns.pcap');
  });

  it.each(captures.filter((c) => !SPECIAL.has(c)))('%s', async (rel) => {
    const facts = oracle(rel).capinfos;
    const path = join(CORPUS, rel);
    const src = await openCapture(path);
    const { frames, error } = await drain(src);
    expect(error).toBeNull();
    expect(frames.length).toBe(facts.packet_count);

    // Numbering, offsets and lengths are self-consistent.
    frames.forEach((f, i) => {
      expect(f.number).toBe(i + 1);
      expect(f.caplen).toBeLessThanOrEqual(f.wireLen);
      expect(f.tsNsec).toBeGreaterThanOrEqual(0);
      expect(f.tsNsec).toBeLessThan(1e9);
      if (i > 0) expect(f.fileOffset).toBeGreaterThan(frames[i - 1]!.fileOffset);
    });
    const size = statSync(path).size;
    expect(src.stats()).toMatchObject({ packets: frames.length, bytesRead: size, totalBytes: size });

    // First and last timestamps, exact at the precision capinfos printed them with.
    const first = frames[0];
    const last = frames[frames.length - 1];
    if (first !== undefined && last !== undefined) {
      if (usableEpoch(facts.first_packet_epoch)) {
        const digits = fractionDigits(facts.first_packet_epoch);
        expect(epochString(first.tsSec, first.tsNsec, digits)).toBe(facts.first_packet_epoch);
      }
      if (usableEpoch(facts.last_packet_epoch)) {
        const digits = fractionDigits(facts.last_packet_epoch);
        expect(epochString(last.tsSec, last.tsNsec, digits)).toBe(facts.last_packet_epoch);
      }
    }

    // Link type of every packet.
    if (facts.encapsulations_in_use !== undefined) {
      const expected: Record<number, number> = {};
      for (const e of facts.encapsulations_in_use) expected[LINKTYPE_OF[e.encapsulation]!] = e.packets;
      const seen: Record<number, number> = {};
      for (const f of frames) seen[f.linkType] = (seen[f.linkType] ?? 0) + 1;
      expect(seen).toEqual(expected);
    } else if (frames.length > 0) {
      const lt = LINKTYPE_OF[facts.encapsulation!];
      expect(lt).toBeDefined();
      for (const f of frames) expect(f.linkType).toBe(lt);
    }
  });

  it('reads the pcapng file named .pcap (format from the magic, not the name)', async () => {
    const src = await openCapture(join(CORPUS, 'misc/chrissanders-packets/dns.pcap'));
    expect(src.constructor.name).toBe('PcapngSource');
    expect((await drain(src)).frames).toHaveLength(7);
  });

  it('dsa.pcap (link type 284, refused by capinfos): 8 packets, as tcpdump prints 8 lines', async () => {
    const lines = readFileSync(join(CORPUS, 'tcpdump/dsa.out'), 'utf8').trim().split('\n');
    const { frames, error } = await drain(await openCapture(join(CORPUS, 'tcpdump/dsa.pcap')));
    expect(error).toBeNull();
    expect(frames).toHaveLength(lines.length);
    expect(frames.every((f) => f.linkType === 284)).toBe(true);
    // tcpdump -tttt: "1970-01-01 22:21:39.544060" for the first, "22:21:44.560415" for the last packet.
    expect(epochString(frames[0]!.tsSec, frames[0]!.tsNsec, 6)).toBe(String(22 * 3600 + 21 * 60 + 39) + '.544060');
    expect(epochString(frames[7]!.tsSec, frames[7]!.tsNsec, 6)).toBe(String(22 * 3600 + 21 * 60 + 44) + '.560415');
  });

  it('truncated_dns_2.pcap: 1 packet, then a CaptureError naming the file, packet 2 and byte 240', async () => {
    const path = join(CORPUS, 'misc/dpkt/truncated_dns_2.pcap');
    const { frames, error } = await drain(await openCapture(path));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.caplen).toBe(200);
    expect(error).toBeInstanceOf(CaptureError);
    const e = error as CaptureError;
    // 24-byte file header + 16-byte record header + 200 captured bytes = 240; the file has 7 more bytes.
    expect([e.file, e.packet, e.byteOffset]).toEqual([path, 2, 240]);
    expect(e.message).toContain(path);
    expect(e.reason).toMatch(/file ends inside a record header \(7 of 16 bytes\)/);
  });

  it('timestamp_invalid_nano.pcap: sub-second fields >= 1e9 are clamped and counted, not fatal', async () => {
    const src = await openCapture(join(CORPUS, 'tcpdump/timestamp_invalid_nano.pcap'));
    const { frames, error } = await drain(src);
    expect(error).toBeNull();
    // tcpdump: 17:16:09.999999999, 17:16:10.1000000000 (invalid ns), 17:16:10.2147483648 (invalid ns)
    expect(frames.map((f) => epochString(f.tsSec, f.tsNsec, 9))).toEqual([
      '1418145369.999999999',
      '1418145370.999999999',
      '1418145370.999999999',
    ]);
    expect(src.stats().badTimestamps).toBe(2);
  });

  it('time_2038_overflow.pcap and time_2107.pcapng give dates after 2038 and after 2106', async () => {
    const a = await drain(await openCapture(join(CORPUS, 'tcpdump/time_2038_overflow.pcap')));
    expect(a.frames[0]!.tsSec).toBe(2 ** 31); // 2038-01-19 03:14:08 UTC, past the signed 32-bit range
    const b = await drain(await openCapture(join(CORPUS, 'tcpdump/time_2107.pcapng')));
    expect(b.frames[0]!.tsSec).toBe(4323283200); // 2107-01-01, past the unsigned 32-bit range
    expect(new Date(b.frames[0]!.tsSec * 1000).toISOString()).toBe('2107-01-01T00:00:00.000Z');
  });

  it('truncated_dns.pcap: caplen 200 < wire length, counted in truncatedBySnaplen', async () => {
    const src = await openCapture(join(CORPUS, 'misc/dpkt/truncated_dns.pcap'));
    const { frames } = await drain(src);
    expect(frames[0]!.caplen).toBe(200);
    expect(frames[0]!.wireLen).toBeGreaterThan(200);
    expect(src.stats().truncatedBySnaplen).toBe(1);
  });
});

// ── Format detection and bad input ─────────────────────────────────────────────────────────────────────────────

describe('format detection', () => {
  it.each([
    [[0xd4, 0xc3, 0xb2, 0xa1], CaptureFormat.PCAP],
    [[0xa1, 0xb2, 0xc3, 0xd4], CaptureFormat.PCAP],
    [[0x4d, 0x3c, 0xb2, 0xa1], CaptureFormat.PCAP],
    [[0xa1, 0xb2, 0x3c, 0x4d], CaptureFormat.PCAP],
    [[0x0a, 0x0d, 0x0d, 0x0a], CaptureFormat.PCAPNG],
    [[0x1f, 0x8b, 0x08, 0x00], CaptureFormat.GZIP],
    [[0x50, 0x4b, 0x03, 0x04], CaptureFormat.UNKNOWN],
    [[0xd4, 0xc3], CaptureFormat.UNKNOWN],
  ])('%j -> %i', (bytes, format) => {
    expect(detectFormat(Uint8Array.from(bytes))).toBe(format);
  });

  const dir = mkdtempSync(join(tmpdir(), 'sockscope-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a wrong magic is a CaptureError naming the file, packet 0, byte 0 and the bytes seen', async () => {
    const path = join(dir, 'notes.pcap');
    writeFileSync(path, 'hello, not a capture\n');
    const err = await openCapture(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect(err).toMatchObject({ file: path, packet: 0, byteOffset: 0 });
    expect((err as CaptureError).reason).toContain('68 65 6c 6c');
  });

  it('an empty file is an error, not an empty capture', async () => {
    const path = join(dir, 'empty.pcap');
    writeFileSync(path, '');
    await expect(openCapture(path)).rejects.toMatchObject({ packet: 0, byteOffset: 0, reason: /empty input/ });
  });

  it('a pcap file header cut short is an error at packet 0', async () => {
    const path = join(dir, 'short.pcap');
    writeFileSync(path, Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0]));
    await expect(openCapture(path)).rejects.toMatchObject({ packet: 0, reason: /pcap file header \(10 of 24/ });
  });

  it('gzip of something that is not a capture names the decompressed bytes', async () => {
    const path = join(dir, 'text.gz');
    writeFileSync(path, gzipSync(Buffer.from('PK\x03\x04zip inside gzip')));
    await expect(openCapture(path)).rejects.toMatchObject({ packet: 0, reason: /50 4b 03 04 \(after gzip/ });
  });

  it('a missing file rejects with the Node error', async () => {
    await expect(openCapture(join(dir, 'nope.pcap'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

// ── gzip, stdin, chunk edges ───────────────────────────────────────────────────────────────────────────────────

describe('transparent gzip, stdin and chunked reading give the same frames as a plain read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-gz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const samples = [
    'zeek/wikipedia.pcap',
    'zeek/pcapng-multi-interface.pcapng',
    'misc/pcapng-test-generator/be/test202.pcapng',
    'tcpdump/ipv6_jumbogram_1.pcap',
    'misc/chrissanders-packets/synscan.pcapng',
  ];

  it.each(samples)('gzip: %s', async (rel) => {
    const plain = await drain(await openCapture(join(CORPUS, rel)));
    const raw = readFileSync(join(CORPUS, rel));
    const gzPath = join(dir, `${rel.replaceAll('/', '_')}.gz`);
    const gz = gzipSync(raw);
    writeFileSync(gzPath, gz);
    const src = await openCapture(gzPath, { chunkSize: 4096 });
    const zipped = await drain(src);
    expect(zipped.error).toBeNull();
    expect(zipped.frames).toEqual(plain.frames);
    expect(src.stats()).toMatchObject({ bytesRead: raw.length, totalBytes: gz.length, rawBytesRead: gz.length });
  });

  it('gzip cut short: the good packets, then a CaptureError', async () => {
    const raw = readFileSync(join(CORPUS, 'zeek/ssh-basic.pcap'));
    const gz = gzipSync(raw);
    const path = join(dir, 'cut.pcap.gz');
    writeFileSync(path, gz.subarray(0, gz.length >> 1));
    const { frames, error } = await drain(await openCapture(path, { chunkSize: 8192 }));
    expect(frames.length).toBeGreaterThan(100);
    expect(frames.length).toBeLessThan(1797);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).packet).toBe(frames.length + 1);
  });

  it.each([
    ['the demo capture', 'fixtures', 1],
    ['a 4.6 MB capture (many zlib calls before the damage)', 'corpus', 40],
  ])('gzip with bytes after its member, %s: every packet, then the error at the end of the good data', async (_, where, copies) => {
    // zlib gives nothing of the call that meets the bad bytes: the first pass loses the tail, the salvaging passes
    // over the file (read again) recover it to the byte.
    const one = where === 'fixtures'
      ? readFileSync(new URL('../../fixtures/demo.pcap', import.meta.url))
      : readFileSync(join(CORPUS, 'zeek/ssh-basic.pcap'));
    const records = one.subarray(24);
    const raw = Buffer.concat([one, ...Array.from({ length: copies - 1 }, () => records)]);
    const path = join(dir, `tail-${copies}.pcap.gz`);
    writeFileSync(path, Buffer.concat([gzipSync(raw), Buffer.from('JUNKJUNK')]));
    const plainPath = join(dir, `tail-${copies}.pcap`);
    writeFileSync(plainPath, raw);
    const plain = await drain(await openCapture(plainPath));
    const { frames, error } = await drain(await openCapture(path));
    expect(frames.length).toBe(plain.frames.length);
    expect(frames).toEqual(plain.frames);
    expect(error).toBeInstanceOf(CaptureError);
    expect(error).toMatchObject({ packet: frames.length + 1, byteOffset: raw.length, reason: /incorrect header check/ });
  });

  it('gzip with a corrupt deflate stream: the packets zlib decoded before it are kept (read again in small pieces)', async () => {
    const raw = readFileSync(new URL('../../fixtures/demo.pcap', import.meta.url));
    const gz = gzipSync(raw, { level: 1 });
    // Distances that point before the start of the stream: zlib stops with "invalid distance too far back" or
    // similar once it reaches them. Corrupt a stretch two thirds in.
    const bad = Buffer.from(gz);
    for (let i = Math.floor(bad.length * 0.66); i < Math.floor(bad.length * 0.66) + 64; i++) bad[i] = 0xff;
    const path = join(dir, 'corrupt.pcap.gz');
    writeFileSync(path, bad);
    const { frames, error } = await drain(await openCapture(path));
    expect(error).toBeInstanceOf(CaptureError);
    // Everything up to about the first 60% of the file decodes (what comes before the damage), not nothing.
    expect(frames.length).toBeGreaterThan(60);
    expect((error as CaptureError).packet).toBe(frames.length + 1);
  });

  it.each(samples)('chunkSize 64 (records straddle chunk edges and grow the buffer): %s', async (rel) => {
    const plain = await drain(await openCapture(join(CORPUS, rel)));
    const tiny = await drain(await openCapture(join(CORPUS, rel), { chunkSize: 64 }));
    expect(tiny.error).toBeNull();
    expect(tiny.frames).toEqual(plain.frames);
    // A 1 MiB read takes a small file in one go; 64-byte reads need a pump per record or more.
    if (plain.frames.length > 1) expect(tiny.pumps).toBeGreaterThan(plain.pumps);
  });

  it('a FIFO opened by path (read ahead on the thread pool) gives the same frames, its writer pausing', async () => {
    const rel = 'zeek/ssh-basic.pcap';
    const raw = readFileSync(join(CORPUS, rel));
    const plain = await drain(await openCapture(join(CORPUS, rel)));
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    // Another process writes the capture in three pieces 100 ms apart.
    const script = `const fs=require('fs');const b=fs.readFileSync(process.argv[1]);const fd=fs.openSync(process.argv[2],'w');
      const n=Math.ceil(b.length/3);let i=0;(function w(){if(i>=b.length){fs.closeSync(fd);return;}
      fs.writeSync(fd,b.subarray(i,i+n));i+=n;setTimeout(w,100);})();`;
    const child = spawn(process.execPath, ['-e', script, join(CORPUS, rel), fifo], { stdio: 'ignore' });
    const writer = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited with ${code}`))));
    });
    const killer = setTimeout(() => child.kill(), 10_000);
    try {
      const src = await openCapture(fifo, { chunkSize: 4096 });
      const piped = await drain(src);
      await writer;
      expect(piped.error).toBeNull();
      expect(piped.frames).toEqual(plain.frames);
      expect(src.stats().totalBytes).toBeUndefined();
    } finally {
      clearTimeout(killer);
    }
  });

  it('stdin (-) reads an injected Readable, in odd-sized pieces', async () => {
    const rel = 'zeek/tcp-ssh-dups.pcap';
    const raw = readFileSync(join(CORPUS, rel));
    const plain = await drain(await openCapture(join(CORPUS, rel)));
    const pieces: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 777) pieces.push(raw.subarray(i, i + 777));
    const src = await openCapture('-', { stdin: Readable.from(pieces), chunkSize: 1000 });
    expect(src.name).toBe('-');
    const piped = await drain(src);
    expect(piped.error).toBeNull();
    expect(piped.frames).toEqual(plain.frames);
    expect(src.stats().totalBytes).toBeUndefined();
    expect(src.stats().bytesRead).toBe(raw.length);
  });

  it('stdin (-) that is gzipped pcapng', async () => {
    const rel = 'zeek/ldap-missing-logs-pcapng.pcapng';
    const raw = readFileSync(join(CORPUS, rel));
    const plain = await drain(await openCapture(join(CORPUS, rel)));
    const gz = gzipSync(raw);
    // Split right after the 2-byte gzip magic, so that sniffing needs a second chunk.
    const src = await openCapture('-', { stdin: Readable.from([gz.subarray(0, 2), gz.subarray(2, 5000), gz.subarray(5000)]) });
    const piped = await drain(src);
    expect(piped.error).toBeNull();
    expect(piped.frames).toEqual(plain.frames);
    expect(src.stats().rawBytesRead).toBe(gz.length);
  });

  it('stdin errors name "-"', async () => {
    const bytes = new Bytes(true).u32(0x12345678).u32(0).build();
    await expect(openCapture('-', { stdin: Readable.from([Buffer.from(bytes)]) })).rejects.toMatchObject({
      file: '-',
      packet: 0,
      byteOffset: 0,
      reason: /78 56 34 12/,
    });
  });
});
