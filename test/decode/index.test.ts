import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/source/types.js';
import { decodeFrame, isSupportedLinkType, resetPacket, Status, STATUS_NAME, viewFor } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { corpusPath, walkCapture } from '../helpers/capture-walk.js';
import { cat, ETH_TCP_SYN, ETH_UDP_DNS, hex, IPV6_TCP_DATA } from '../helpers/decode-frames.js';

// ── Reuse ─────────────────────────────────────────────────────────────────────────────────────────────────────
describe('one DecodedPacket for every frame', () => {
  it('decoding a TCP SYN then a UDP DNS query leaks no TCP field', () => {
    const p = new DecodedPacket();
    const syn = viewFor(ETH_TCP_SYN);
    decodeFrame(p, ETH_TCP_SYN, syn, 0, ETH_TCP_SYN.length, LinkType.ETHERNET);
    expect([p.tcpFlags, p.optMss, p.optTs]).toEqual([2, 1460, 1]);
    decodeFrame(p, ETH_UDP_DNS, viewFor(ETH_UDP_DNS), 0, ETH_UDP_DNS.length, LinkType.ETHERNET);
    const fresh = new DecodedPacket();
    decodeFrame(fresh, ETH_UDP_DNS, viewFor(ETH_UDP_DNS), 0, ETH_UDP_DNS.length, LinkType.ETHERNET);
    expect([p.proto, p.tcpFlags, p.seq, p.ack, p.window, p.tcpHeaderLen, p.optMss, p.optWscale, p.optSackPerm, p.optTs, p.tsVal])
      .toEqual([17, 0, 0, 0, 0, 0, -1, -1, 0, 0, 0]);
    expect({ ...p, src6: [...p.src6], dst6: [...p.dst6] }).toEqual({ ...fresh, src6: [...fresh.src6], dst6: [...fresh.dst6] });
  });

  it('IPv6 addresses do not leak into a following IPv4 packet', () => {
    const p = new DecodedPacket();
    decodeFrame(p, IPV6_TCP_DATA, viewFor(IPV6_TCP_DATA), 0, IPV6_TCP_DATA.length, LinkType.RAW);
    decodeFrame(p, ETH_UDP_DNS, viewFor(ETH_UDP_DNS), 0, ETH_UDP_DNS.length, LinkType.ETHERNET);
    expect([...p.src6, ...p.dst6]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('resetPacket assigns every field: a packet with every field dirtied equals a fresh one', () => {
    const fresh = new DecodedPacket();
    const p = new DecodedPacket();
    const keys = Object.keys(p) as (keyof DecodedPacket)[];
    expect(keys.length).toBeGreaterThan(40);
    for (const k of keys) {
      const v = p[k];
      if (typeof v === 'number') (p as unknown as Record<string, number>)[k] = 12345;
      else if (v instanceof Uint32Array) v.fill(7);
    }
    resetPacket(p);
    for (const k of keys) {
      if (k === 'bytes' || k === 'view') continue; // borrowed: replaced by decodeFrame, not reset
      const v = p[k];
      if (v instanceof Uint32Array) expect([...v], k).toEqual([...(fresh[k] as Uint32Array)]);
      else expect(v, k).toBe(fresh[k]);
    }
  });
});

// ── The borrowed view ─────────────────────────────────────────────────────────────────────────────────────────
describe('viewFor', () => {
  it('reuses the view while the buffer region is the same, and makes a new one for a new region', () => {
    const chunk = new Uint8Array(256);
    const a = viewFor(chunk);
    expect(viewFor(chunk)).toBe(a);
    expect(viewFor(new Uint8Array(chunk.buffer, 0, 256))).toBe(a);
    const sub = new Uint8Array(chunk.buffer, 16, 64);
    const b = viewFor(sub);
    expect(b).not.toBe(a);
    expect([b.byteOffset, b.byteLength]).toEqual([16, 64]);
  });

  it('offsets are into `bytes`, also when the frame sits inside a larger chunk at an offset', () => {
    const chunk = cat(new Uint8Array(100), ETH_UDP_DNS, new Uint8Array(7));
    const p = new DecodedPacket();
    decodeFrame(p, chunk, viewFor(chunk), 100, ETH_UDP_DNS.length, LinkType.ETHERNET);
    expect([p.status, p.end, p.l3, p.l4, p.payload, p.srcPort]).toEqual([Status.OK, 100 + 64, 114, 134, 142, 53000]);
  });

  it('a caplen running past the buffer is clamped, not read', () => {
    const p = new DecodedPacket();
    decodeFrame(p, ETH_UDP_DNS, viewFor(ETH_UDP_DNS), 0, 10_000, LinkType.ETHERNET);
    expect([p.status, p.end]).toEqual([Status.OK, ETH_UDP_DNS.length]);
  });
});

describe('isSupportedLinkType / STATUS_NAME', () => {
  it('names link types by number', () => {
    expect([1, 101, 113, 276, 0, 108, 9, 239, 10, 127, 228, 229].every(isSupportedLinkType)).toBe(true);
    expect([160, 284, 147].some(isSupportedLinkType)).toBe(false);
  });
  it('has a name per status', () => expect(STATUS_NAME[Status.TRUNCATED_TCP]).toBe('truncated_tcp'));
});

// ── Robustness: every prefix and random corruption of real packets decodes without throwing ───────────────────
describe('never throws', () => {
  const FILES = ['zeek/tunnel-gre.pcap', 'zeek/pppoe.pcap', 'zeek/radiotap.pcap', 'tcpdump/nflog.pcap', 'zeek/vlan-mpls-mixed.pcap',
    'zeek/tunnel-teredo.pcap', 'zeek/llc-fddi-rst-repeats.pcap', 'misc/chrissanders-packets/ipv6_fragments.pcapng', 'zeek/tunnel-gtp-inner-ipv6.pcap',
    'zeek/tunnel-geneve.pcap', 'zeek/pbb.pcap', 'zeek/vntag-nsec.pcap', 'tcpdump/mptcp-v1.pcap', 'zeek/ppp-quic-retry.pcap'];
  it.each(FILES)('%s: every prefix of every packet (max 300 bytes), and bit flips', (rel) => {
    const { bytes, packets } = walkCapture(corpusPath(rel));
    const p = new DecodedPacket();
    const inner = new DecodedPacket();
    let seed = 1;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const pk of packets.slice(0, 60)) {
      const copy = bytes.slice(pk.offset, pk.offset + pk.caplen);
      const view = new DataView(copy.buffer);
      for (let round = 0; round < 4; round++) {
        for (let len = 0; len <= Math.min(copy.length, 300); len++) {
          decodeFrame(p, copy, view, 0, len, pk.linkType);
          expect(p.end).toBe(len);
          if (p.innerOffset >= 0) {
            expect(p.innerOffset).toBeLessThanOrEqual(p.end);
            decodeFrame(inner, copy, view, p.innerOffset, p.end - p.innerOffset, p.innerLinkType);
          }
          if (p.payload >= 0) expect(p.payload + p.payloadCaptured).toBeLessThanOrEqual(p.end);
        }
        // corrupt a few bytes of the headers for the next round
        for (let i = 0; i < 3; i++) copy[Math.floor(rnd() * Math.min(copy.length, 80))] = Math.floor(rnd() * 256);
      }
    }
  });

  it('all-0xff and all-zero frames of every length on every supported link type', () => {
    const p = new DecodedPacket();
    for (const fill of [0x00, 0xff, 0x45, 0x60]) {
      const buf = new Uint8Array(128).fill(fill);
      const view = new DataView(buf.buffer);
      for (const lt of [0, 1, 9, 10, 12, 14, 50, 101, 105, 108, 113, 127, 228, 229, 239, 276]) {
        for (let len = 0; len <= 128; len++) expect(() => decodeFrame(p, buf, view, 0, len, lt)).not.toThrow();
      }
    }
  });
});

// ── No allocation on the hot path ─────────────────────────────────────────────────────────────────────────────
describe('hot path', () => {
  it('decoding a frame 1e6 times leaves the heap where it was and triggers no garbage collection', async () => {
    const frames = [ETH_TCP_SYN, ETH_UDP_DNS, cat(hex('18 00 00 00'), IPV6_TCP_DATA)]; // NULL: AF_INET6 (24)
    const lts = [LinkType.ETHERNET, LinkType.ETHERNET, LinkType.NULL];
    const views = frames.map((f) => new DataView(f.buffer, f.byteOffset, f.byteLength));
    const p = new DecodedPacket();
    const run = (n: number) => {
      let sum = 0; // kept a small integer (| 0): a growing double would itself allocate heap numbers
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        const f = frames[k]!;
        sum = (sum + decodeFrame(p, f, views[k]!, 0, f.length, lts[k]!) + p.srcPort) | 0;
      }
      return sum;
    };
    run(200_000); // warm up and let V8 optimise
    await new Promise((r) => setTimeout(r, 20));
    let gcs = 0;
    const observer = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    const sum = run(1_000_000);
    const grown = process.memoryUsage().heapUsed - before;
    await new Promise((r) => setTimeout(r, 50)); // GC entries are delivered asynchronously
    observer.disconnect();
    expect(sum).toBe((333_334 * 50000 + 333_333 * 53000 + 333_333 * 443) | 0); // all OK (status 0), ports summed
    // 1e6 decodes allocating even one 16-byte object each would grow the heap by ~16 MB before a GC
    expect(grown).toBeLessThan(2_000_000);
    // Growth alone misses short-lived garbage (the scavenger collects it); one `subarray` per decode costs ~100
    // scavenges per 1e6 packets, a clean decode none (a couple are allowed for the test runner's own work).
    expect(gcs).toBeLessThanOrEqual(2);
  });
});
