/**
 * --active-timeout: a long flow is written every N seconds while it goes on (end_reason active, cumulative counters,
 * as of the report), then once more when it ends, exactly as without the timeout; the same on threads.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../src/flow/table.js';
import { TimeoutClass } from '../../src/flow/flow.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { udpPacket } from '../helpers/packets.js';
import { decodeMessages } from '../sink/ipfix-decode.js';
import { DEFAULT_PEN, ENTERPRISE_ELEMENTS } from '../../src/sink/ipfix-elements.js';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');

function flows(args: string[]): { lines: string[]; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ndjson', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { lines: r.stdout.trim().split('\n'), err: r.stderr };
}

describe('the active timeout in the flow table', () => {
  it('reports a flow that goes on every N seconds of capture time, and never one that ended', () => {
    const reports: number[] = [];
    let now = 0;
    const t = new FlowTable({ udpIdleSec: 60, activeTimeoutSec: 30 }, () => {}, () => reports.push(now));
    const p = udpPacket(0x0a000001, 1000, 0x0a000002, 53);
    const f = t.insert(p, false, 100, TimeoutClass.UDP);
    for (now = 101; now <= 200; now++) {
      t.touch(f, now); // a packet every second
      t.expire(now);
    }
    expect(reports).toEqual([130, 160, 190]);
    expect(t.reported).toBe(3);
  });
});

describe.skipIf(!HAVE_CORPUS)('--active-timeout on a capture', () => {
  const modbus = join(CORPUS, 'zeek/modbus-and-non-modbus-p502.pcap');

  it('writes intermediate records of long flows, then the same final records as without it, on any thread count', () => {
    const plain = flows([modbus]);
    const active = flows(['--active-timeout', '30', modbus]);
    const reports = active.lines.filter((l) => l.includes('"end_reason":"active"'));
    expect(reports.length).toBe(6);
    // Without the reports, the records are those of a run without the timeout, in the same order.
    expect(active.lines.filter((l) => !l.includes('"end_reason":"active"'))).toEqual(plain.lines);
    expect(active.err).toMatch(/6 intermediate records of long flows/);
    // Each report of a flow comes before its final record, and counts no more than it.
    for (const line of reports) {
      const r = JSON.parse(line) as { uid: string; orig_pkts: number; duration: number };
      const last = JSON.parse(plain.lines.find((l) => l.includes(`"uid":"${r.uid}"`))!) as { orig_pkts: number; duration: number };
      expect(r.orig_pkts).toBeLessThanOrEqual(last.orig_pkts);
      expect(r.duration).toBeLessThan(last.duration);
    }
    expect(flows(['--active-timeout', '30', '-j', '2', modbus]).lines).toEqual(active.lines);
    // 0 turns it off.
    expect(flows(['--active-timeout', '0', modbus]).lines).toEqual(plain.lines);
  });
});

describe.skipIf(!HAVE_CORPUS)('--active-timeout in IPFIX', () => {
  it('sends intermediate reports with flowEndReason 2 whose delta counts add up to the flow totals', () => {
    const modbus = join(CORPUS, 'zeek/modbus-and-non-modbus-p502.pcap');
    const r = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ipfix', '--active-timeout', '30', modbus], { timeout: 60_000 });
    expect(r.status).toBe(0);
    const data = decodeMessages(new Uint8Array(r.stdout)).flatMap((m) => m.records);
    expect(data.filter((d) => d.values.get('0/136') === 2)).toHaveLength(6);
    const uid = `${DEFAULT_PEN}/${ENTERPRISE_ELEMENTS.uid.id}`;
    const totals = new Map<string, number>();
    for (const d of data) totals.set(d.values.get(uid) as string, (totals.get(d.values.get(uid) as string) ?? 0) + (d.values.get('0/2') as number));
    for (const line of flows([modbus]).lines) {
      const rec = JSON.parse(line) as { uid: string; orig_pkts: number };
      expect(totals.get(rec.uid)).toBe(rec.orig_pkts);
    }
  });
});
