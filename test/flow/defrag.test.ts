import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4HeaderChecksumOk } from '../../src/decode/checksum.js';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Defragmenter, MAX_PENDING_BYTES } from '../../src/flow/defrag.js';
import { LinkType } from '../../src/source/types.js';
import { runCapture } from '../helpers/corpus.js';

/** An IPv4 UDP datagram 10.0.0.1:5000 -> 10.0.0.2:53 with `dataLen` payload bytes (value = index & 0xff). */
function udpDatagram(dataLen: number): Uint8Array {
  const udp = new Uint8Array(8 + dataLen);
  const v = new DataView(udp.buffer);
  v.setUint16(0, 5000);
  v.setUint16(2, 53);
  v.setUint16(4, 8 + dataLen);
  for (let i = 0; i < dataLen; i++) udp[8 + i] = i & 0xff;
  return udp;
}

/** IPv4 fragments of `payload` (protocol 17, id 0x1234), each carrying at most `size` bytes (a multiple of 8). */
function fragments(payload: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(off + size, payload.length));
    const f = new Uint8Array(20 + part.length);
    const v = new DataView(f.buffer);
    f[0] = 0x45;
    v.setUint16(2, f.length);
    v.setUint16(4, 0x1234);
    v.setUint16(6, (off / 8) | (off + size < payload.length ? 0x2000 : 0));
    f[8] = 64;
    f[9] = 17;
    v.setUint32(12, 0x0a000001);
    v.setUint32(16, 0x0a000002);
    f.set(part, 20);
    out.push(f);
  }
  return out;
}

function feed(d: Defragmenter, frame: Uint8Array, ts = 1) {
  const p = new DecodedPacket();
  decodeFrame(p, frame, new DataView(frame.buffer), 0, frame.length, LinkType.RAW);
  return d.add(p, ts, frame.length);
}

describe('Defragmenter memory', () => {
  it('holds at most MAX_PENDING_BYTES of fragments: the oldest datagrams are dropped and counted beyond it', () => {
    const d = new Defragmenter();
    const first = fragments(udpDatagram(60_000), 59_992); // two fragments: 59,992 bytes, then the rest
    const big = (id: number) => {
      const f = Uint8Array.from(first[0]!);
      new DataView(f.buffer).setUint16(4, id);
      return f;
    };
    // 600 datagrams of which only the first ~60 KB arrived: 36 MB, over the 32 MiB budget.
    const n = 600;
    for (let id = 1; id <= n; id++) expect(feed(d, big(id))).toBeNull();
    const dropped = d.incompleteFrames;
    expect(dropped).toBeGreaterThan(0);
    expect((n - dropped) * 59_992).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    // The newest are still held and complete when their last fragment comes.
    const last = Uint8Array.from(first[1]!);
    new DataView(last.buffer).setUint16(4, n);
    expect(feed(d, last)?.frames).toBe(2);
  });

  it('keeps what arrived, not the offsets claimed: a lone fragment near 64 KiB holds its own bytes', () => {
    // Offsets near the end of the datagram used to grow a buffer to 64 KiB for 8 bytes; 5000 of them took 290 MB.
    const d = new Defragmenter();
    const tail = fragments(udpDatagram(65_500), 65_504)[0]!.slice(0, 28); // header + 8 bytes
    const v = new DataView(tail.buffer);
    v.setUint16(2, 28);
    v.setUint16(6, 0x2000 | (65_504 / 8)); // more fragments, offset 65,504
    for (let id = 0; id < 4000; id++) {
      v.setUint16(4, id);
      feed(d, tail);
    }
    expect(d.incompleteFrames).toBe(0); // 4000 × 8 bytes (not 4000 × 64 KiB) fit the budget: nothing was dropped
  });
});

describe('Defragmenter', () => {
  it('reassembles fragments that arrive out of order into one datagram that decodes whole', () => {
    const payload = udpDatagram(3000);
    const [a, b, c] = fragments(payload, 1480);
    const d = new Defragmenter();
    expect(feed(d, c!)).toBeNull();
    expect(feed(d, a!)).toBeNull();
    const dg = feed(d, b!)!;
    expect(dg.frames).toBe(3);
    expect(dg.wireBytes).toBe(a!.length + b!.length + c!.length);
    const p = new DecodedPacket();
    decodeFrame(p, dg.bytes, new DataView(dg.bytes.buffer), 0, dg.bytes.length, LinkType.RAW);
    expect([p.status, p.isFragment, p.ipBytes, p.srcPort, p.dstPort, p.udpLength]).toEqual([0, 0, 20 + 3008, 5000, 53, 3008]);
    expect(dg.bytes.subarray(20)).toEqual(payload);
  });

  it('holds an incomplete datagram and counts its frames as incomplete when it times out or at the end', () => {
    const [a, , c] = fragments(udpDatagram(3000), 1480);
    const d = new Defragmenter();
    feed(d, a!, 1);
    feed(d, c!, 2);
    d.expire(20);
    expect(d.incompleteFrames).toBe(0);
    d.expire(40);
    expect(d.incompleteFrames).toBe(2);
    feed(d, a!, 50);
    d.flush();
    expect(d.incompleteFrames).toBe(3);
  });
});

describe('fragmented traffic in real captures', () => {
  it('IPv4: a fragmented ping counts one packet per datagram and IP bytes of the whole datagram', async () => {
    const { records, stats } = await runCapture('misc/chrissanders-packets/ip_frag_source.pcapng');
    const icmp = records.filter((r) => r.proto === 'icmp');
    expect(icmp.length).toBeGreaterThan(0);
    expect(stats.unassigned).not.toHaveProperty('fragment_incomplete');
    for (const r of icmp) expect(r.orig.ipBytes).toBeGreaterThan(1500 * r.orig.pkts);
    expect(stats.packetsRead).toBe(stats.packetsAssigned + stats.packetsUnassigned);
  });
});

/** `frame` (an IPv4 packet with a 20-byte header) with its header checksum set right, or to `wrong` if given. */
function checksummed(frame: Uint8Array, wrong?: number): Uint8Array {
  const f = frame.slice();
  const v = new DataView(f.buffer);
  v.setUint16(10, 0);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, wrong ?? ~sum & 0xffff);
  return f;
}

const tmp = mkdtempSync(join(tmpdir(), 'sockscope-defrag-'));
let files = 0;

/** Runs the pipeline on a classic pcap (raw IP, one frame a second) of `frames`. */
async function runFrames(frames: Uint8Array[], verifyChecksums: boolean) {
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, 0xa1b2c3d4, true);
  head.setUint16(4, 2, true);
  head.setUint16(6, 4, true);
  head.setUint32(16, 65535, true);
  head.setUint32(20, LinkType.RAW, true);
  parts.push(new Uint8Array(head.buffer));
  frames.forEach((f, i) => {
    const rec = new DataView(new ArrayBuffer(16));
    rec.setUint32(0, 1_700_000_000 + i, true);
    rec.setUint32(8, f.length, true);
    rec.setUint32(12, f.length, true);
    parts.push(new Uint8Array(rec.buffer), f);
  });
  const path = join(tmp, `frags-${files++}.pcap`);
  writeFileSync(path, Buffer.concat(parts));
  const run = await runCapture(path, undefined, { verifyChecksums });
  expect(run.stats.packetsRead).toBe(run.stats.packetsAssigned + run.stats.packetsUnassigned);
  return run;
}

describe('fragments and IPv4 header checksums', () => {
  it('the rebuilt header of a reassembled IPv4 datagram carries a valid checksum of its own', () => {
    for (const frags of [fragments(udpDatagram(3000), 1480).map((f) => checksummed(f)), fragments(udpDatagram(3000), 1480)]) {
      const d = new Defragmenter();
      let dg = null;
      for (const f of frags) dg = feed(d, f) ?? dg;
      const p = new DecodedPacket();
      decodeFrame(p, dg!.bytes, new DataView(dg!.bytes.buffer), 0, dg!.bytes.length, LinkType.RAW);
      expect([p.status, p.isFragment, p.ipBytes]).toEqual([0, 0, 3028]);
      expect(ipv4HeaderChecksumOk(p)).toBe(true);
      expect(dg!.bytes.subarray(0, 20)).toEqual(checksummed(dg!.bytes.subarray(0, 20)));
    }
  });

  it('with verification, a datagram whose fragments all have valid header checksums is assigned whole', async () => {
    const { stats, records } = await runFrames(fragments(udpDatagram(3000), 1480).map((f) => checksummed(f)), true);
    expect([stats.packetsRead, stats.packetsAssigned, stats.unassigned, stats.badChecksums]).toEqual([3, 3, {}, 0]);
    expect(records.map((r) => [r.proto, r.orig.pkts, r.orig.ipBytes, r.resp.pkts])).toEqual([['udp', 1, 3028, 0]]);
  });

  it('with verification, a fragment with a wrong header checksum counts as bad_ip_checksum and is not reassembled', async () => {
    const [a, b, c] = fragments(udpDatagram(3000), 1480).map((f) => checksummed(f));
    const badB = checksummed(b!, 0x1234);
    // The datagram never completes: the bad fragment's data is not used, so the other two are left waiting.
    const lost = await runFrames([a!, badB, c!], true);
    expect([lost.stats.packetsAssigned, lost.stats.unassigned]).toEqual([0, { fragment_incomplete: 2, bad_ip_checksum: 1 }]);
    expect(lost.records).toEqual([]);
    // A good copy of the same fragment completes it; the bad copy stays counted on its own.
    const saved = await runFrames([a!, badB, c!, b!], true);
    expect([saved.stats.packetsAssigned, saved.stats.unassigned]).toEqual([3, { bad_ip_checksum: 1 }]);
    expect(saved.records.map((r) => [r.orig.pkts, r.orig.ipBytes])).toEqual([[1, 3028]]);
    // Without verification no checksum is judged, as tshark by default: the datagram counts with every frame.
    const unchecked = await runFrames([a!, badB, c!], false);
    expect([unchecked.stats.packetsAssigned, unchecked.stats.unassigned]).toEqual([3, {}]);
  });
});
