/**
 * Community ID v1 against the specification's own answers (../shared/corpus/community-id: the baseline JSON of every
 * directed tuple of its captures, and the hand-picked tuples of its README tables), with seed 0 and 1, base64 and
 * hex; the one-block SHA-1 against node:crypto; and address text parsing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { icmp4Counterpart, icmp6Counterpart } from '../../src/decode/icmp.js';
import { communityIdOfKey, parseAddressWords, sha1OneBlock } from '../../src/flow/community-id.js';
import { CORPUS } from '../helpers/corpus.js';

const DIR = join(CORPUS, 'community-id');
const HAVE = existsSync(DIR);

interface Vector { proto: number; saddr: string; daddr: string; sport: number | null; dport: number | null; communityid: string }

const ICMP4_PAIRED = new Set([0, 8, 9, 10, 13, 14, 15, 16, 17, 18]);
const ICMP6_PAIRED = new Set([128, 129, 130, 131, 133, 134, 135, 136, 139, 140, 144, 145]);

function idOf(v: Omit<Vector, 'communityid'>, seed: number, base64: boolean): string {
  const v6 = v.saddr.includes(':');
  const src = new Uint32Array(4), dst = new Uint32Array(4);
  expect(parseAddressWords(v.saddr, v6 ? 6 : 4, src)).toBe(true);
  expect(parseAddressWords(v.daddr, v6 ? 6 : 4, dst)).toBe(true);
  const ports = v.sport !== null && v.dport !== null;
  const oneWay = (v.proto === 1 && !ICMP4_PAIRED.has(v.sport!)) || (v.proto === 58 && !ICMP6_PAIRED.has(v.sport!));
  return communityIdOfKey(v.proto, v6 ? 6 : 4, src, dst, v.sport ?? 0, v.dport ?? 0, ports, oneWay, seed, base64);
}

describe.skipIf(!HAVE)('Community ID v1: the specification baseline', () => {
  const configs = [
    { file: 'baseline_deflt.json', seed: 0, base64: true },
    { file: 'baseline_seed1.json', seed: 1, base64: true },
    { file: 'baseline_nob64.json', seed: 0, base64: false },
  ];
  it.each(configs)('$file: every directed tuple (seed $seed, base64 $base64)', ({ file, seed, base64 }) => {
    const vectors = JSON.parse(readFileSync(join(DIR, 'baseline', file), 'utf8')) as Vector[];
    expect(vectors).toHaveLength(23);
    for (const v of vectors) expect(idOf(v, seed, base64), JSON.stringify(v)).toBe(v.communityid);
  });

  it("the hand-picked tuples of the README tables, in all three settings (ICMP type and code keyed as sockscope's decoder keys them)", () => {
    const text = readFileSync(join(DIR, 'baseline', 'README.md'), 'utf8');
    const sections = text.split('### ').slice(1);
    expect(sections).toHaveLength(3);
    const settings = [{ seed: 0, base64: true }, { seed: 1, base64: true }, { seed: 0, base64: false }];
    let rows = 0;
    sections.forEach((section, i) => {
      for (const line of section.split('\n')) {
        const cells = line.split('|').map((c) => c.trim());
        if (cells.length < 9 || !/^\d+$/.test(cells[2]!)) continue;
        const [, , proto, saddr, daddr, sport, dport, id] = cells;
        const v = {
          proto: Number(proto), saddr: saddr!.toLowerCase(), daddr: daddr!.toLowerCase(),
          sport: sport === '-' ? null : Number(sport), dport: dport === '-' ? null : Number(dport),
        };
        // The tables give an ICMP message's type and code; the flow key (Zeek's, the specification's) has the
        // counterpart type in place of the code for request/reply pairs.
        const counterpart = v.proto === 1 ? icmp4Counterpart(v.sport!) : v.proto === 58 ? icmp6Counterpart(v.sport!) : -1;
        if (counterpart >= 0) v.dport = counterpart;
        expect(idOf(v, settings[i]!.seed, settings[i]!.base64), line).toBe(id);
        rows++;
      }
    });
    expect(rows).toBe(48);
  });
});

describe('Community ID building blocks', () => {
  it('one-block SHA-1 equals node:crypto for every length 0-55', () => {
    const m = new Uint8Array(64), out = new Uint8Array(20);
    for (let len = 0; len <= 55; len++) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 151 + len * 7) & 0xff);
      m.set(data);
      sha1OneBlock(m, len, out);
      expect(Buffer.from(out).toString('hex'), `length ${len}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
    // Bytes of every value (the words' sign bits included), the buffer reused with old bytes past the message.
    let seed = 7;
    for (let k = 0; k < 2000; k++) {
      const len = k % 56;
      const data = Uint8Array.from({ length: len }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
      m.fill(0xa5);
      m.set(data);
      sha1OneBlock(m, len, out);
      expect(Buffer.from(out).toString('hex'), `input ${k}`).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });

  it('IPv4 with ports (hashed from the key\'s words, without message bytes) equals the specification\'s message hashed by node:crypto', () => {
    // Random tuples of every value (sign bits of addresses, ports, seeds), equal addresses ordered by port, one-way ICMP.
    let r = 11;
    const next = (): number => (r = (Math.imul(r, 1103515245) + 12345) >>> 0);
    const src = new Uint32Array(4), dst = new Uint32Array(4);
    for (let k = 0; k < 3000; k++) {
      const a = next(), b = k % 7 === 0 ? a : next();
      const sport = next() >>> 16, dport = k % 11 === 0 ? sport : next() >>> 16;
      const proto = [6, 17, 1, 58, 132][k % 5]!;
      const seed = k % 3 === 0 ? 0 : next() >>> 16;
      const oneWay = proto === 1 && k % 2 === 0;
      src[3] = a;
      dst[3] = b;
      const swap = !oneWay && (a > b || (a === b && sport > dport));
      const [x, y, p1, p2] = swap ? [b, a, dport, sport] : [a, b, sport, dport];
      const m = Buffer.alloc(16);
      m.writeUInt16BE(seed, 0);
      m.writeUInt32BE(x, 2);
      m.writeUInt32BE(y, 6);
      m.writeUInt8(proto, 10);
      m.writeUInt16BE(p1, 12);
      m.writeUInt16BE(p2, 14);
      const want = `1:${createHash('sha1').update(m).digest('base64')}`;
      expect(communityIdOfKey(proto, 4, src, dst, sport, dport, true, oneWay, seed, true), `tuple ${k}`).toBe(want);
    }
  });

  it('reads record address text (RFC 5952, mapped IPv4, leading zeros) and refuses what is no address', () => {
    const w = new Uint32Array(4);
    const words = (t: string, v: number) => (parseAddressWords(t, v, w) ? Array.from(w, (x) => x.toString(16)) : null);
    expect(words('192.168.0.1', 4)).toEqual(['0', '0', '0', 'c0a80001']);
    expect(words('::', 6)).toEqual(['0', '0', '0', '0']);
    expect(words('::1', 6)).toEqual(['0', '0', '0', '1']);
    expect(words('fe80::1', 6)).toEqual(['fe800000', '0', '0', '1']);
    expect(words('2001:db8::', 6)).toEqual(['20010db8', '0', '0', '0']);
    expect(words('::ffff:10.0.0.1', 6)).toEqual(['0', '0', 'ffff', 'a000001']);
    expect(words('fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 6)).toEqual(['fe800001', '2030405', '6070809', 'a0b0c0d']);
    for (const bad of ['1.2.3', '1.2.3.256', '1..2.3', 'a.b.c.d', '1.2.3.4.5']) expect(words(bad, 4), bad).toBeNull();
    for (const bad of ['1:2:3', '1::2::3', 'fe80:', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1']) expect(words(bad, 6), bad).toBeNull();
  });
});
