import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { addressKey, COLUMN_IDS, type CellContext } from '../../src/tui/model.js';
import { addressKeys, SortedFlows } from '../../src/tui/sort.js';
import { corpus, finalSnapshot } from './corpus.js';
import { direction, record } from './records.js';

/** A small deterministic generator (xorshift), so failures repeat. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** `n` flows with many ties (few protocols, states, ports, start times) and IPv4 and IPv6 addresses. */
function flows(n: number, seed: number): FlowRecord[] {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const v6 = ['2001:db8::1', '2001:db8::1:0', 'fe80::1', '::1', '::ffff:10.0.0.1', '2001:db8:0:0:1::', 'ff02::fb'];
  return Array.from({ length: n }, (_, i) => {
    const six = r() < 0.3;
    const addr = six ? pick(v6) : `10.0.${Math.floor(r() * 3)}.${Math.floor(r() * 12)}`;
    return record({
      uid: `C${i.toString(36)}`, proto: pick(['tcp', 'udp', 'icmp'] as const), ipVersion: six ? 6 : 4,
      origAddr: addr, origPort: pick([80, 443, 1024, 65535]), respAddr: six ? pick(v6) : '10.9.9.9',
      startSec: 1000 + Math.floor(r() * 5), connState: pick(['S0', 'SF', 'REJ']),
      orig: direction({ pkts: Math.floor(r() * 4), ipBytes: Math.floor(r() * 3) * 100, state: pick(['ESTABLISHED', 'CLOSED', null]) }),
      resp: direction({ pkts: Math.floor(r() * 4), ipBytes: 100, state: 'ESTABLISHED' }),
    });
  });
}

const ctx: CellContext = { clockSec: 2000, rates: new Map([['C1', 5], ['C2', 7]]) };

describe('SortedFlows', () => {
  it('a window found by selection is the same as that window of the whole order, for every column, both ways', () => {
    const fs = flows(5000, 7);
    for (const column of COLUMN_IDS) {
      for (const reversed of [false, true]) {
        const whole = new SortedFlows(fs, { column, reversed }, ctx).all().map((r) => r.uid);
        const part = new SortedFlows(fs, { column, reversed }, ctx);
        for (const [a, b] of [[0, 40], [2500, 2540], [4990, 5000], [2510, 2520], [100, 101]] as const) {
          expect(part.slice(a, b).map((r) => r.uid), `${column} ${reversed} ${a}-${b}`).toEqual(whole.slice(a, b));
        }
        for (const uid of ['C0', 'C2s', fs[4321]!.uid]) expect(part.indexOf(uid)).toBe(whole.indexOf(uid));
        expect(part.indexOf('nope')).toBe(-1);
        expect(part.at(4999)?.uid).toBe(whole[4999]);
      }
    }
  });

  it('orders by the key, then start time, then uid: the same rows keep their place from one snapshot to the next', () => {
    const fs = flows(3000, 11);
    const all = new SortedFlows(fs, { column: 'proto', reversed: false }, ctx).all();
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1]!;
      const b = all[i]!;
      expect(a.proto <= b.proto).toBe(true);
      if (a.proto === b.proto) expect(a.startSec < b.startSec || (a.startSec === b.startSec && a.uid < b.uid)).toBe(true);
    }
  });

  it('sorts the sockets of a real capture as their address keys do (IPv4 before IPv6, then the port)', async () => {
    const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
    const got = new SortedFlows(snap.flows, { column: 'orig', reversed: false }, ctx).all();
    const want = [...snap.flows].sort((a, b) => {
      const ka = addressKey(a.origAddr) + String(a.origPort).padStart(5, '0');
      const kb = addressKey(b.origAddr) + String(b.origPort).padStart(5, '0');
      return ka < kb ? -1 : ka > kb ? 1 : a.startSec - b.startSec || (a.uid < b.uid ? -1 : 1);
    });
    expect(got.map((r) => r.uid)).toEqual(want.map((r) => r.uid));
  });
});

describe('addressKeys', () => {
  const keys = (a: string, port = 0) => {
    const k = [new Float64Array(1), new Float64Array(1), new Float64Array(1)] as const;
    addressKeys(a, port, k[0], k[1], k[2], 0);
    return [k[0][0]!, k[1][0]!, k[2][0]!];
  };
  const before = (x: number[], y: number[]) => x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;

  it.each([
    ['10.0.0.9', '10.0.0.10'], ['255.255.255.255', '::'], ['2001:db8::1', '2001:db8::1:0'], ['::1', '::2'],
    ['fe80::1', 'ff02::1'], ['::ffff:10.0.0.1', '::ffff:10.0.0.2'], ['2001:db8:0:0:1::', '2001:db8::1:0:0:1'],
  ])('%s sorts before %s, as addressKey has it', (a, b) => {
    expect(addressKey(a) < addressKey(b)).toBe(true);
    expect(before(keys(a), keys(b))).toBeLessThan(0);
  });

  it('reads every form of one address alike, and the port after the address', () => {
    expect(keys('2001:db8::1')).toEqual(keys('2001:0db8:0:0:0:0:0:1'));
    expect(keys('::ffff:10.0.0.1')).toEqual(keys('::ffff:a00:1'));
    expect(before(keys('10.0.0.1', 65535), keys('10.0.0.2', 0))).toBeLessThan(0);
    expect(before(keys('2001:db8::1', 65535), keys('2001:db8::2', 0))).toBeLessThan(0);
  });

  it('puts text that is no address after every address', () => {
    expect(before(keys('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), keys('not-an-address'))).toBeLessThan(0);
    expect(before(keys('1:2:3:4:5:6:7:8:9'), keys('ffff::'))).toBeGreaterThan(0);
    expect(before(keys('10.0.0.256'), keys('ffff::'))).toBeGreaterThan(0);
  });
});
