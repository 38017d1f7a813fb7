/**
 * Captures the hostile-input tests generate (classic pcap, raw IP), and a look at a child process's reading and
 * memory through /proc, for tests that must show reading waits or memory stays bounded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built CLI. */
export const BIN = resolve(import.meta.dirname, '../../bin/sockscope');

/** A classic pcap file header (little-endian, microseconds) with `snaplen` and `linkType` (LINKTYPE_RAW). */
export function pcapHeader(snaplen = 65535, linkType = 101): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(snaplen, 16);
  b.writeUInt32LE(linkType, 20);
  return b;
}

/** A pcap record header for `caplen` captured bytes at `tsSec`.`usec`. */
export function recordHeader(caplen: number, tsSec: number, usec = 0, wireLen = caplen): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(tsSec, 0);
  h.writeUInt32LE(usec, 4);
  h.writeUInt32LE(caplen, 8);
  h.writeUInt32LE(wireLen, 12);
  return h;
}

/** Bytes per packet of {@link udpFlowsPcap}: record header, IPv4 header, UDP header, 8 bytes of data. */
export const UDP_RECORD_BYTES = 16 + 20 + 8 + 8;

/**
 * `n` UDP packets, each a flow of its own (10.x.y.z:port -> 11.0.0.1:53), `perSecond` packets a second of capture
 * time from 1,700,000,000 s: with a short --udp-timeout, flows end (and are written) all along the read.
 */
export function udpFlowsPcap(n: number, perSecond = 1000): Buffer {
  const buf = Buffer.alloc(24 + n * UDP_RECORD_BYTES);
  pcapHeader().copy(buf, 0);
  for (let i = 0; i < n; i++) {
    let o = 24 + i * UDP_RECORD_BYTES;
    buf.writeUInt32LE(1_700_000_000 + Math.floor(i / perSecond), o);
    buf.writeUInt32LE(Math.floor(((i % perSecond) * 1_000_000) / perSecond), o + 4);
    buf.writeUInt32LE(36, o + 8);
    buf.writeUInt32LE(36, o + 12);
    o += 16;
    buf[o] = 0x45;
    buf.writeUInt16BE(36, o + 2);
    buf[o + 8] = 64;
    buf[o + 9] = 17;
    buf.writeUInt32BE(0x0a000000 + (i >>> 14), o + 12);
    buf.writeUInt32BE(0x0b000001, o + 16);
    buf.writeUInt16BE(1024 + (i & 0x3fff), o + 20);
    buf.writeUInt16BE(53, o + 22);
    buf.writeUInt16BE(16, o + 24);
  }
  return buf;
}

/**
 * A capture file of three one-packet UDP flows (udpFlowsPcap) at t, t+1 s and t+`gapSec`: a quiet stretch for the
 * replay-gap tests. Returns its path.
 */
export function gapPcap(gapSec: number): string {
  const b = udpFlowsPcap(3, 1);
  b.writeUInt32LE(1_700_000_000 + gapSec, 24 + 2 * UDP_RECORD_BYTES);
  const path = join(mkdtempSync(join(tmpdir(), 'sockscope-gap-')), 'gap.pcap');
  writeFileSync(path, b);
  return path;
}

/** Bytes the process `pid` has read so far (all reads: files, pipes), from /proc/PID/io. */
export function bytesRead(pid: number): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/** Peak resident memory of the process `pid` so far, bytes (VmHWM). */
export function peakRss(pid: number): number {
  return 1024 * Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/**
 * A `--import` module that prints `peak-rss KiB` on stderr as the process exits: VmHWM, the peak of this program's
 * own memory. Not `process.resourceUsage().maxRSS`: Linux carries a spawned child's maxrss over from the parent it was
 * forked from (a test worker holding hundreds of MB), so a child's figure is never below its parent's.
 */
export const PEAK_RSS_AT_EXIT =
  `data:text/javascript,import{readFileSync}from'node:fs';process.on('exit',()=>process.stderr.write('peak-rss '+` +
  `/VmHWM:\\s*(\\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1]+'\\n'))`;

/** The peak (MiB) printed by {@link PEAK_RSS_AT_EXIT} in `stderr`; NaN when absent. */
export function peakRssMb(stderr: string): number {
  const m = /^peak-rss (\d+)$/m.exec(stderr);
  return m === null ? NaN : Number(m[1]) / 1024;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every line of `text` parsed as JSON; a line that is not (a record cut short) throws. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}
