/**
 * The shared-memory ring between the reading thread and a shard worker: what goes in comes out, field for field, in
 * order, across the ring's wraparound; nothing is seen before it is published; the writer waits for room.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { createRing, RecordKind, RingClosedError, RingReader, RingWriter } from '../../src/shard/packet-ring.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';

/** The fields of a packet that the demultiplexer reads (what the ring carries). */
function carried(p: DecodedPacket): Record<string, unknown> {
  return {
    status: p.status, proto: p.proto, ipVersion: p.ipVersion, src4: p.src4, dst4: p.dst4, src6: Array.from(p.src6),
    dst6: Array.from(p.dst6), srcPort: p.srcPort, dstPort: p.dstPort, icmpOneWay: p.icmpOneWay, tcpFlags: p.tcpFlags,
    seq: p.seq, ack: p.ack, window: p.window, payloadLen: p.payloadLen, payloadCaptured: p.payloadCaptured,
    optMss: p.optMss, optWscale: p.optWscale, optSackPerm: p.optSackPerm, optSack: p.optSack, optTs: p.optTs,
    tsVal: p.tsVal, tsEcr: p.tsEcr, ipBytes: p.ipBytes, udpLength: p.udpLength, l3: p.l3, l4: p.l4,
  };
}

/** Decoded packets of real captures: IPv4 and IPv6, TCP with options, UDP. */
async function realPackets(): Promise<DecodedPacket[]> {
  const out: DecodedPacket[] = [];
  for (const path of [resolve(import.meta.dirname, '../../fixtures/demo.pcap'), `${CORPUS}/zeek/wikipedia.pcap`]) {
    const src = await openCapture(path);
    while (await src.pump((f) => {
      const p = new DecodedPacket();
      decodeFrame(p, f.bytes, new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), f.offset, f.caplen, f.linkType);
      out.push(p);
    }));
    await src.close();
  }
  return out;
}

describe.skipIf(!HAVE_CORPUS)('packet ring', () => {
  it('carries every field the demultiplexer reads, in order, around the ring many times', async () => {
    const packets = await realPackets();
    expect(packets.some((p) => p.ipVersion === 6)).toBe(true);
    expect(packets.some((p) => p.seq > 0x7fffffff)).toBe(true); // unsigned values above 2^31 survive int32 slots
    const ring = createRing(16);
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const got = new DecodedPacket();
    let read = 0;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      if (w.free() < 2) {
        // Full: the reader takes everything published so far.
        w.publish();
        for (let n = r.wait(0); n > 0; n--) {
          r.next(got);
          const want = packets[Math.floor(read / 2)]!;
          if (read % 2 === 0) {
            expect(r.kind).toBe(RecordKind.EXPIRE);
            expect([r.tsSec, r.ordinal]).toEqual([read / 2 + 0.5, read / 2]);
          } else {
            expect(r.kind).toBe(RecordKind.PACKET);
            expect(carried(got)).toEqual(carried(want));
            const k = (read - 1) / 2;
            expect([r.tsSec, r.wireLen, r.frames, r.ordinal, r.serial, r.checksumBad]).toEqual([k + 0.25, 60 + k, 1 + (k % 3), k, 8 * k + 1, k % 5 === 0]);
          }
          read++;
        }
      }
      w.expire(i + 0.5, i);
      w.packet(p, i + 0.25, 60 + i, 1 + (i % 3), i, 8 * i + 1, i % 5 === 0);
    }
    w.end();
    w.publish();
    for (let n = r.wait(0); n > 0; n--) {
      r.next(got);
      read++;
    }
    expect(r.kind).toBe(RecordKind.END);
    expect(read).toBe(2 * packets.length + 1);
  });

  it('shows nothing until it is published, and lets a waiting writer on once the reader makes room', async () => {
    const ring = createRing(8);
    const w = new RingWriter(ring);
    const r = new RingReader(ring);
    const p = new DecodedPacket();
    for (let i = 0; i < 8; i++) w.expire(i, i);
    expect(r.wait(0)).toBe(0);
    w.publish();
    expect(w.free()).toBe(0);
    let roomy = false;
    const room = w.waitForRoom(3).then(() => (roomy = true));
    await new Promise((done) => setTimeout(done, 20));
    expect(roomy).toBe(false);
    expect(r.wait(0)).toBe(8);
    for (let i = 0; i < 3; i++) r.next(p);
    r.wait(0); // reports the three records taken
    await room;
    expect(w.free()).toBe(3);
  });

  it('stops a writer waiting for room once the ring is closed (its worker died)', async () => {
    const ring = createRing(4);
    const w = new RingWriter(ring);
    for (let i = 0; i < 4; i++) w.expire(i, i);
    w.publish();
    const waiting = w.waitForRoom(1);
    w.close();
    await expect(waiting).rejects.toBeInstanceOf(RingClosedError);
  });
});

/**
 * Fields of a decoded packet the ring does not carry, each with why: a field added to DecodedPacket must be carried
 * or named here, so that a worker never silently sees a default where one thread sees the value.
 */
const NOT_CARRIED: Record<string, string> = {
  bytes: 'the frame: the reading thread decodes, workers get numbers',
  view: 'the frame',
  end: 'decoding only',
  payload: 'payload inspection (--names) runs on one thread',
  ttl: 'not read by the demultiplexer',
  isFragment: 'reassembly is done by the reading thread',
  fragOffset: 'reassembly',
  moreFragments: 'reassembly',
  fragId: 'reassembly',
  fragData: 'reassembly',
  fragNext: 'reassembly',
  icmpType: 'ICMP flows are keyed by srcPort/dstPort, which carry the type and code',
  icmpCode: 'as icmpType',
  tcpHeaderLen: 'checksums are judged by the reading thread (checksumBad)',
  innerOffset: 'tunnels are opened by the reading thread',
  innerLinkType: 'tunnels',
  encap: 'tunnels',
  undecodedKind: 'counted by the reading thread',
  undecodedValue: 'counted by the reading thread',
};

describe('packet ring fields', () => {
  it('carries every field of a decoded packet but those named in NOT_CARRIED', () => {
    const p = new DecodedPacket();
    const o = p as unknown as Record<string, unknown>;
    let n = 1;
    for (const k of Object.keys(o)) {
      if (k in NOT_CARRIED) continue;
      const v = o[k];
      if (typeof v === 'number') o[k] = k === 'status' ? 0 : n++;
      else if (v instanceof Uint32Array) v.set([n++, n++, n++, n++]);
      else throw new Error(`DecodedPacket.${k}: carry it in the ring or name it in NOT_CARRIED`);
    }
    const ring = createRing(4);
    const w = new RingWriter(ring);
    w.packet(p, 1.5, 60, 1, 0, 8, false);
    w.publish();
    const r = new RingReader(ring);
    expect(r.wait(0)).toBe(1);
    const q = new DecodedPacket();
    r.next(q);
    for (const k of Object.keys(o)) {
      if (k in NOT_CARRIED) continue;
      const a = o[k], b = (q as unknown as Record<string, unknown>)[k];
      expect(a instanceof Uint32Array ? Array.from(a) : a, k).toEqual(b instanceof Uint32Array ? Array.from(b) : b);
    }
  });
});
