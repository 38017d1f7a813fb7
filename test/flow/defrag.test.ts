import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Defragmenter } from '../../src/flow/defrag.js';
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
