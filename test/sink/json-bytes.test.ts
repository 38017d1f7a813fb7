import { describe, expect, it } from 'vitest';
import { recordJson, round6 } from '../../src/sink/fields.js';
import { encodeRecordJson, writeFraction, writeUint } from '../../src/sink/json-bytes.js';
import { ChunkedOut } from '../../src/sink/writers.js';
import { corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';
import { record } from '../helpers/records.js';

function encodeAll(records: Parameters<typeof recordJson>[0][]): string {
  const chunks: Buffer[] = [];
  const out = new ChunkedOut({ write: (b: Uint8Array) => chunks.push(Buffer.from(b)) });
  for (const r of records) encodeRecordJson(out, r);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('encodeRecordJson', () => {
  it('writes exactly recordJson + newline, escapes included', () => {
    const odd = [
      record(),
      record({ durationSec: 0, history: '', rttSynSec: null }),
      record({ origAddr: 'quote " back \\ tab \t é ☃', uid: 'x'.repeat(6000), startSec: 1e-7, lastSec: 12345678901.5 }),
    ];
    expect(encodeAll(odd)).toBe(odd.map((r) => `${recordJson(r)}\n`).join(''));
  });

  it.skipIf(!HAVE_CORPUS)('agrees with recordJson on every flow of the corpus and the demo capture', async () => {
    const all = [];
    for (const c of [...corpusCaptures(), new URL('../../fixtures/demo.pcap', import.meta.url).pathname]) {
      all.push(...(await runCapture(c)).records);
    }
    expect(all.length).toBeGreaterThan(1000);
    expect(encodeAll(all)).toBe(all.map((r) => `${recordJson(r)}\n`).join(''));
  });
});

describe('writeFraction', () => {
  const buf = Buffer.alloc(64);
  const text = (v: number, rounded: boolean): string => buf.toString('latin1', 0, writeFraction(buf, 0, v, rounded));

  it('writes what String writes, for times and rounded intervals, on the edges', () => {
    const edges = [
      0.5, -0.5, 1e-6, 1e-7, -1e-7, 5e-7, -5e-7, 0.1 + 0.2, 1 / 3, 0.000123, 0.999999, 0.9999995, 1.000001, 12.000001,
      1704067200.000001, 1704067200.999999, 1795292147.655098, 2147483647.999999, 4294967295.999999, 4294967295.9999995,
      4294967296.5, 8589934591.999999, 12345678901.5, 1e21 + 0.5, -1704067200.25, Number.NaN, Infinity, -Infinity,
      Number.MIN_VALUE, -Number.MIN_VALUE,
    ];
    for (const v of edges) {
      expect(text(v, false), `${v}`).toBe(Number.isFinite(v) ? String(v) : 'null');
      expect(text(v, true), `round6(${v})`).toBe(Number.isFinite(v) ? String(round6(v)) : 'null');
    }
  });

  it('writes what String writes, for a million pcap-like times and intervals', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 1_000_000; i++) {
      const sec = Math.floor(rand() * 4294967296);
      const frac = Math.floor(rand() * 1e6);
      const ts = sec + (i % 2 === 0 ? frac * 1e-6 : frac * 1000 * 1e-9); // as the pcap readers build times
      if (text(ts, false) !== String(ts)) expect(text(ts, false)).toBe(String(ts));
      const nsTs = sec + Math.floor(rand() * 1e9) * 1e-9; // nanosecond captures: mostly not whole microseconds
      if (text(nsTs, false) !== String(nsTs)) expect(text(nsTs, false)).toBe(String(nsTs));
      const interval = (rand() - 0.1) * 10 ** Math.floor(rand() * 8 - 4);
      if (text(interval, true) !== String(round6(interval))) expect(text(interval, true)).toBe(String(round6(interval)));
    }
  });
});

describe('writeUint', () => {
  const buf = Buffer.alloc(32);
  const text = (v: number): string => buf.toString('latin1', 0, writeUint(buf, 0, v));

  it('writes what String writes, at every change of digit count and on the paths between', () => {
    const values: number[] = [0, 9, 10, 99, 100, 101, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER];
    for (let p = 10; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1, 2 * p - 1, 3 * p + 7);
    // Numbers whose two-digit groups include 0x and x0 (the pairs table) and odd digit counts.
    for (let v = 0; v < 20_000; v += 7) values.push(v, v * 10_007, v * 104_729 + 3);
    for (const v of values) expect(text(v), String(v)).toBe(String(v));
  });
});
