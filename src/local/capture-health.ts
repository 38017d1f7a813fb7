/**
 * What a live capture may have missed, from two sides:
 *
 * - **The interface's own counters** (`/sys/class/net/IFACE/statistics`): packets the interface received and sent
 *   while sockscope captured, against the packets sockscope got, and the packets the kernel dropped on receipt
 *   (`rx_dropped`, `rx_missed_errors`). cap exposes no `pcap_stats`, so libpcap's own drop count (packets the
 *   kernel's capture buffer could not take) is not available: a shortfall here is how such loss shows.
 * - **Content never seen** (Zeek's capture-loss.zeek): the share of acknowledged TCP bytes that were never captured
 *   (`missed_bytes` over the bytes of the same flows), over a sliding window of the flows that ended in it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { FlowRecord } from '../flow/record.js';
import { kernelStateOf, localOfRecord } from './attribution.js';

/** Interface counters at one moment (sums over every interface for `any`). */
export interface InterfaceCounters {
  /** Packets the interface received and sent (loopback: sent only, each packet is received once more). */
  readonly packets: number;
  readonly rxPackets: number;
  readonly txPackets: number;
  /** Received packets the kernel dropped (rx_dropped + rx_missed_errors). */
  readonly rxDropped: number;
}

function counter(dir: string, name: string): number {
  try {
    return Number(readFileSync(`${dir}/${name}`, 'latin1').trim()) || 0;
  } catch {
    return 0;
  }
}

/** The counters of `iface` (every interface for `any`), or null when /sys has no such interface. */
export function readInterfaceCounters(iface: string, sysRoot = '/sys/class/net'): InterfaceCounters | null {
  let names: string[];
  if (iface === 'any') {
    try {
      names = readdirSync(sysRoot);
    } catch {
      return null;
    }
  } else names = [iface];
  let rx = 0, tx = 0, dropped = 0, packets = 0, found = false;
  for (const name of names) {
    if (name.includes('/') || name.startsWith('.')) continue;
    const dir = `${sysRoot}/${name}/statistics`;
    let ok = true;
    try {
      readFileSync(`${dir}/rx_packets`);
    } catch {
      ok = false;
    }
    if (!ok) continue;
    found = true;
    const r = counter(dir, 'rx_packets');
    const t = counter(dir, 'tx_packets');
    rx += r;
    tx += t;
    dropped += counter(dir, 'rx_dropped') + counter(dir, 'rx_missed_errors');
    // Loopback hands every packet it sends back to itself as received: a capture on it sees each packet once.
    packets += isLoopback(sysRoot, name) ? t : r + t;
  }
  return found ? { packets, rxPackets: rx, txPackets: tx, rxDropped: dropped } : null;
}

function isLoopback(sysRoot: string, name: string): boolean {
  return counter(`${sysRoot}/${name}`, 'type') === 772; // ARPHRD_LOOPBACK
}

/** Acknowledged TCP bytes and those of them never seen, in one-second buckets over a sliding window. */
export class MissedBytesWindow {
  private readonly windowSec: number;
  private readonly secs: Float64Array;
  private readonly missed: Float64Array;
  private readonly bytes: Float64Array;
  totalMissed = 0;
  totalBytes = 0;

  constructor(windowSec = 60) {
    this.windowSec = windowSec;
    this.secs = new Float64Array(windowSec).fill(-1);
    this.missed = new Float64Array(windowSec);
    this.bytes = new Float64Array(windowSec);
  }

  /** Adds a TCP flow that ended (or was last active) at `tSec`. */
  add(tSec: number, missedBytes: number, seqBytes: number): void {
    const s = Math.floor(tSec);
    const i = ((s % this.windowSec) + this.windowSec) % this.windowSec;
    if (this.secs[i] !== s) {
      this.secs[i] = s;
      this.missed[i] = 0;
      this.bytes[i] = 0;
    }
    this.missed[i]! += missedBytes;
    this.bytes[i]! += seqBytes;
    this.totalMissed += missedBytes;
    this.totalBytes += seqBytes;
  }

  /** Missed and acknowledged bytes of the window ending at `nowSec`. */
  window(nowSec: number): { missed: number; bytes: number } {
    let missed = 0, bytes = 0;
    const now = Math.floor(nowSec);
    for (let i = 0; i < this.windowSec; i++) {
      const s = this.secs[i]!; // i < windowSec
      if (s >= 0 && s > now - this.windowSec && s <= now) {
        missed += this.missed[i]!;
        bytes += this.bytes[i]!;
      }
    }
    return { missed, bytes };
  }
}

/** Zeek's capture-loss percentage, as text: `0.000%`, or `-` without acknowledged bytes. */
export function lossText(missed: number, bytes: number): string {
  return bytes > 0 ? `${((100 * missed) / bytes).toFixed(3)}%` : '-';
}

/** The missed share of the TCP flows in a snapshot last active in the `windowSec` before `nowSec` (the TUI's header). */
export function snapshotLoss(flows: readonly FlowRecord[], nowSec: number, windowSec = 60): { missed: number; bytes: number } {
  let missed = 0, bytes = 0;
  for (const r of flows) {
    if (r.proto !== 'tcp' || r.lastSec < nowSec - windowSec) continue;
    missed += r.missedBytes;
    bytes += r.orig.seqBytes + r.resp.seqBytes;
  }
  return { missed, bytes };
}

/** What `cap` reports and what it does not, said once in the summary. */
export const CAP_HEALTH_NOTE =
  "cap gives no libpcap drop count (pcap_stats) and no wire length: loss shows only as the interface's counters ahead " +
  'of the packets captured, and as missed_bytes';

/**
 * Watches one live capture's health: interface counters from the start, and missed bytes of the flows that end.
 * Takes every record as a FlowSink (sink/ipfix.ts's interface), and gives its summary lines on close.
 */
export class CaptureHealth {
  private readonly iface: string;
  private readonly filtered: boolean;
  private readonly sysRoot: string;
  private readonly start: InterfaceCounters | null;
  readonly missed = new MissedBytesWindow(60);
  /** Capture time of the newest record, seconds. */
  private lastSec = 0;
  /** Packets captured so far (the live source's count). */
  private readonly captured: () => number;

  constructor(iface: string, filter: string, captured: () => number, sysRoot = '/sys/class/net') {
    this.iface = iface;
    this.captured = captured;
    this.filtered = filter.trim() !== '';
    this.sysRoot = sysRoot;
    this.start = readInterfaceCounters(iface, sysRoot);
  }

  /** Local TCP ends whose kernel state was known when their record was written: agreeing with the inferred one, not. */
  agree = 0;
  differ = 0;
  /** The first few that differ, as `uid orig KERNEL/INFERRED`. */
  private readonly differing: string[] = [];

  write(r: FlowRecord): void {
    if (r.proto !== 'tcp') return;
    this.missed.add(r.lastSec, r.missedBytes, r.orig.seqBytes + r.resp.seqBytes);
    if (r.lastSec > this.lastSec) this.lastSec = r.lastSec;
    const l = localOfRecord(r);
    if (l === null) return;
    for (const [side, e, d] of [['orig', l.orig, r.orig], ['resp', l.resp, r.resp]] as const) {
      const k = kernelStateOf(e);
      if (k === undefined || d.state === null) continue;
      if (k === d.state) this.agree++;
      else {
        this.differ++;
        if (this.differing.length < 5) this.differing.push(`${r.uid} ${side} ${k}/${d.state}`);
      }
    }
  }

  /** The interface's packets and kernel drops since the start, or null without counters. */
  interfaceDelta(): { packets: number; rxDropped: number } | null {
    const now = readInterfaceCounters(this.iface, this.sysRoot);
    if (this.start === null || now === null) return null;
    return { packets: now.packets - this.start.packets, rxDropped: now.rxDropped - this.start.rxDropped };
  }

  /** One line for the TUI header: `iface 1,234 pkts / captured 1,230  dropped 0  missed 0.000% (60 s)`. */
  headerText(captured: number, flows: readonly FlowRecord[], nowSec: number): string {
    const d = this.interfaceDelta();
    const loss = snapshotLoss(flows, nowSec);
    const iface = d === null ? 'no interface counters' : `interface ${d.packets} pkts, captured ${captured}, kernel dropped ${d.rxDropped}`;
    return `${iface}  missed_bytes ${lossText(loss.missed, loss.bytes)} (60 s)`;
  }

  /** The summary lines. */
  async close(): Promise<string[]> {
    const lines: string[] = [];
    const d = this.interfaceDelta();
    if (d === null) {
      lines.push(`sockscope: capture health: ${this.iface} has no counters in /sys/class/net`);
    } else {
      const captured = this.captured();
      const behind = d.packets - captured;
      let line = `sockscope: capture health: ${this.iface} counted ${d.packets} packets while ${captured} were captured`;
      if (this.filtered) line += ' (a filter was set: the interface counts every packet, the capture only those it keeps)';
      else if (behind > 0) line += ` (${behind} not captured)`;
      line += `; the kernel dropped ${d.rxDropped} received packets`;
      lines.push(line);
    }
    const w = this.missed.window(this.lastSec);
    lines.push(
      `sockscope: capture health: missed_bytes ${lossText(w.missed, w.bytes)} of acknowledged TCP bytes in the last 60 s ` +
        `(${w.missed} of ${w.bytes}), ${lossText(this.missed.totalMissed, this.missed.totalBytes)} in all`,
    );
    if (this.agree + this.differ > 0) {
      let line = `sockscope: capture health: the kernel's state of ${this.agree + this.differ} local TCP ends as their records were written: ` +
        `${this.agree} as inferred, ${this.differ} not`;
      if (this.differ > 0) line += ` (kernel/inferred: ${this.differing.join(', ')}${this.differ > this.differing.length ? ', ...' : ''}; capture loss or asymmetric routing?)`;
      lines.push(line);
    }
    lines.push(`sockscope: capture health: ${CAP_HEALTH_NOTE}`);
    return lines;
  }
}
