/**
 * Totals at a glance: the throughput of the whole capture over the last minute (iftop's 2 s, 10 s and 40 s averages
 * and a per-second graph) and the top talkers (hosts by the bytes of the flows they are in). Pure, tested without Ink.
 */
import type { FlowRecord } from '../flow/record.js';
import { sanitize } from './sanitize.js';

/** Seconds of history kept (the graph shows the last 60). */
const KEEP_SEC = 65;

/**
 * Wire bytes read, sampled at each snapshot on the clock the rates use (the capture clock for a replay, the wall
 * clock live); averages and the graph are differences between samples.
 */
export class Throughput {
  private readonly secs: number[] = [];
  private readonly bytes: number[] = [];

  /** A sample: `totalBytes` read by `sec`. Samples older than a minute are dropped; time going back starts over. */
  add(sec: number, totalBytes: number): void {
    const n = this.secs.length;
    if (n > 0 && sec < this.secs[n - 1]!) { // n > 0
      this.secs.length = 0;
      this.bytes.length = 0;
    } else if (n > 0 && sec === this.secs[n - 1]) {
      this.bytes[n - 1] = totalBytes;
      return;
    }
    this.secs.push(sec);
    this.bytes.push(totalBytes);
    let drop = 0;
    while (drop < this.secs.length - 2 && this.secs[drop + 1]! < sec - KEEP_SEC) drop++; // keep one older sample
    if (drop > 0) {
      this.secs.splice(0, drop);
      this.bytes.splice(0, drop);
    }
  }

  /** Bytes a second over the last `windowSec` seconds (over less when the history is shorter); 0 without two samples. */
  average(windowSec: number): number {
    const n = this.secs.length;
    if (n < 2) return 0;
    const now = this.secs[n - 1]!; // n >= 2
    let i = n - 2;
    while (i > 0 && this.secs[i]! > now - windowSec) i--;
    const dt = now - this.secs[i]!;
    return dt > 0 ? Math.max(0, (this.bytes[n - 1]! - this.bytes[i]!) / dt) : 0;
  }

  /** Bytes a second in each of the last `count` whole seconds, oldest first (0 where nothing was sampled). */
  perSecond(count = 60): number[] {
    const out = new Array<number>(count).fill(0);
    const n = this.secs.length;
    if (n < 2) return out;
    const end = this.secs[n - 1]!; // n >= 2
    for (let i = 1; i < n; i++) {
      const t0 = this.secs[i - 1]!; // i >= 1
      const t1 = this.secs[i]!;
      const rate = t1 > t0 ? (this.bytes[i]! - this.bytes[i - 1]!) / (t1 - t0) : 0;
      // Spread the interval's bytes over the seconds it covers.
      for (let s = Math.floor(t0 - end + count); s < Math.ceil(t1 - end + count); s++) {
        if (s < 0 || s >= count) continue;
        const lo = Math.max(t0, end - count + s);
        const hi = Math.min(t1, end - count + s + 1);
        if (hi > lo) out[s]! += (rate * (hi - lo)); // s in range
      }
    }
    return out;
  }
}

/** A host and the traffic of the flows it is in. */
export interface Talker {
  readonly addr: string;
  /** IP bytes of its flows, both directions. */
  readonly bytes: number;
  readonly flows: number;
}

/** The `n` hosts with the most bytes in `flows` (a flow's bytes count for both its ends), biggest first. */
export function topTalkers(flows: readonly FlowRecord[], n: number): Talker[] {
  const by = new Map<string, { bytes: number; flows: number }>();
  const add = (addr: string, bytes: number) => {
    const t = by.get(addr);
    if (t === undefined) by.set(addr, { bytes, flows: 1 });
    else {
      t.bytes += bytes;
      t.flows++;
    }
  };
  for (const r of flows) {
    const bytes = r.orig.ipBytes + r.resp.ipBytes;
    add(r.origAddr, bytes);
    if (r.respAddr !== r.origAddr) add(r.respAddr, bytes);
  }
  return [...by]
    .map(([addr, t]) => ({ addr: sanitize(addr), bytes: t.bytes, flows: t.flows }))
    .sort((a, b) => b.bytes - a.bytes || (a.addr < b.addr ? -1 : 1))
    .slice(0, n);
}
