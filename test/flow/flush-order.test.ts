/**
 * The order flows are flushed in at the end of input (FlowTable.beginFlush): last activity, then serial. lastThenSerial
 * sorts packed 64-bit keys natively where it can; it must give exactly what the comparison sort gives, on every input.
 */
import { describe, expect, it } from 'vitest';
import { lastThenSerial } from '../../src/flow/table.js';

/** The reference: indices sorted by a comparison of (last, serial). */
function reference(last: Float64Array, serial: Float64Array): number[] {
  return [...last.keys()].sort((a, b) => last[a]! - last[b]! || serial[a]! - serial[b]!);
}

/** A deterministic pseudo-random generator (xorshift32), so that a failure can be run again. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `n` flows whose last times are `base` plus whole µs drawn below `spanUs` (so with ties when n is large). */
function flows(n: number, base: number, spanUs: number, seed: number): [Float64Array, Float64Array] {
  const r = rng(seed);
  const last = new Float64Array(n), serial = new Float64Array(n);
  const serials = [...Array(n).keys()].map((i) => i * 3 + 100);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [serials[i], serials[j]] = [serials[j]!, serials[i]!];
  }
  for (let i = 0; i < n; i++) {
    last[i] = base + Math.floor(r() * spanUs) * 1e-6;
    serial[i] = serials[i]!;
  }
  return [last, serial];
}

describe('lastThenSerial', () => {
  it('orders as the comparison sort does: ties on time broken by serial, in many shapes of input', () => {
    const cases: [number, number, number][] = [
      [0, 1_700_000_000, 1], [1, 1_700_000_000, 1], [2, 1_700_000_000, 1],
      [50_000, 1_700_000_000.25, 1_000], // many ties
      [50_000, 1_700_000_000.123456, 600_000_000], // a 10-minute span, few ties
      [20_000, 0, 3_000_000], // times near 0 (a capture stamped from the epoch)
      [20_000, 1_700_000_000, 5_000_000_000], // a span over 2^32 µs: the comparison sort
      [5_000, 1_700_000_000, 1], // every time equal: one run, in serial order
    ];
    let seed = 1;
    for (const [n, base, span] of cases) {
      const [last, serial] = flows(n, base, span, seed++);
      expect([...lastThenSerial(last, serial)], `${n} flows over ${span} µs`).toEqual(reference(last, serial));
    }
  });

  it('falls back to the comparison sort for times that are not whole µs apart', () => {
    const last = Float64Array.from([5.0000004, 5.0000001, 5.0000003, 5.0000002, 5.0000001]);
    const serial = Float64Array.from([1, 5, 2, 4, 3]);
    expect([...lastThenSerial(last, serial)]).toEqual(reference(last, serial));
  });
});
