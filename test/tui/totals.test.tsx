/**
 * The totals view (src/tui/totals.ts, components/TotalsView.tsx): throughput averages and the per-second graph from
 * samples, and the top talkers of Zeek's wikipedia trace, checked against its conn.log.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotFeed } from '../../src/pipeline-types.js';
import App from '../../src/tui/App.js';
import { Throughput, topTalkers } from '../../src/tui/totals.js';
import { corpus, finalSnapshot, readConnLog } from './corpus.js';

describe('Throughput', () => {
  it('averages over 2, 10 and 40 s and spreads bytes over the seconds they came in', () => {
    const t = new Throughput();
    // 1000 B/s for 30 s, then 5000 B/s for 10 s, sampled every 0.5 s.
    let bytes = 0;
    for (let i = 0; i <= 80; i++) {
      const sec = 100 + i * 0.5;
      if (i > 0) bytes += sec <= 130 ? 500 : 2500;
      t.add(sec, bytes);
    }
    expect(t.average(2)).toBeCloseTo(5000);
    expect(t.average(10)).toBeCloseTo(5000);
    expect(t.average(40)).toBeCloseTo((30 * 1000 + 10 * 5000) / 40);
    const per = t.perSecond(60);
    expect(per).toHaveLength(60);
    expect(per[59]).toBeCloseTo(5000);
    expect(per[45]).toBeCloseTo(1000);
    expect(per[10]).toBe(0); // before the first sample
    expect(per.reduce((a, b) => a + b, 0)).toBeCloseTo(bytes);
  });

  it('keeps a minute and starts over when the clock goes back', () => {
    const t = new Throughput();
    for (let s = 0; s <= 200; s++) t.add(s, s * 10);
    expect(t.average(40)).toBeCloseTo(10);
    t.add(5, 0);
    expect(t.average(2)).toBe(0);
  });
});

class TestFeed implements SnapshotFeed {
  constructor(private snap: Snapshot) {}
  subscribe = () => () => undefined;
  current = () => this.snap;
}
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

describe('top talkers on zeek/wikipedia.pcap', async () => {
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
  const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));
  const expected = new Map<string, number>();
  for (const z of zeek) {
    const b = Number(z['orig_ip_bytes']) + Number(z['resp_ip_bytes']);
    expected.set(z['id.orig_h']!, (expected.get(z['id.orig_h']!) ?? 0) + b);
    if (z['id.resp_h'] !== z['id.orig_h']) expected.set(z['id.resp_h']!, (expected.get(z['id.resp_h']!) ?? 0) + b);
  }
  const ranked = [...expected].sort((a, b) => b[1] - a[1]);

  it('ranks hosts by the bytes of their flows, as Zeek\'s conn.log adds them up', () => {
    const top = topTalkers(snap.flows, 5);
    expect(top.map((t) => [t.addr, t.bytes])).toEqual(ranked.slice(0, 5));
  });

  it('t shows the totals view: graph, averages and the top talker; t again goes back', async () => {
    const r = render(<App feed={new TestFeed(snap)} columns={100} rows={30} />);
    unmount = r.unmount;
    await new Promise((res) => setTimeout(res, 100));
    r.stdin.write('t');
    await new Promise((res) => setTimeout(res, 200));
    const frame = r.lastFrame() ?? '';
    expect(frame).toContain('Throughput, last 60 s');
    expect(frame).toMatch(/2s \S+\s+10s \S+\s+40s \S+\s+peak \S+/);
    const share = Math.round((100 * ranked[0]![1]) / snap.flows.reduce((n, f) => n + f.orig.ipBytes + f.resp.ipBytes, 0));
    expect(frame).toMatch(new RegExp(`${ranked[0]![0].replace(/\./g, '\\.')}\\s+\\S+\\s+${share}%`));
    expect(frame).toContain('t back');
    r.stdin.write('t');
    await new Promise((res) => setTimeout(res, 200));
    expect(r.lastFrame()).toContain('Originator');
  });
});
