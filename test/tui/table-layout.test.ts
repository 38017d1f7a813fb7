/**
 * The `flows` table fitted to a terminal (src/sink/table-layout.ts) on corpus captures, IPv4 and IPv6, checked
 * against Zeek's conn.log for the same traces: at 80 columns every flow still shows its conn_state, packets and bytes,
 * its ports, and (two lines per flow) its end states and duration.
 */
import { describe, expect, it } from 'vitest';
import { cutMiddle, fitSocket } from '../../src/sink/format.js';
import { renderTable } from '../../src/sink/writers.js';
import { tableCells } from '../../src/sink/table-layout.js';
import { record } from '../helpers/records.js';
import { corpus, finalSnapshot, readConnLog } from './corpus.js';

describe('cutMiddle and fitSocket', () => {
  it('keeps both ends of an address and the whole port', () => {
    expect(cutMiddle('2001:470:1f11:81f:c999:d94:aa7:1', 15)).toBe('2001:47…4:aa7:1');
    expect(cutMiddle('10.0.0.1', 20)).toBe('10.0.0.1');
    expect(fitSocket('2001:470:1f11:81f:c999:d94:aa7:1', ':443', true, 20)).toBe('[2001:47…:aa7:1]:443');
    expect(fitSocket('2001:470:1f11:81f:c999:d94:aa7:1', ':443', true, 20)).toHaveLength(20);
    expect(fitSocket('192.168.100.200', ':65535', false, 15)).toBe('192.….200:65535');
    expect(fitSocket('10.0.0.1', ':80', false, 30)).toBe('10.0.0.1:80');
  });
});

describe('flows table on a narrow terminal', async () => {
  // wikipedia.pcap: IPv4 and IPv6 (2001:... addresses); Zeek's conn.log is the independent answer for the counts.
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
  const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));
  const v6 = snap.flows.filter((r) => r.ipVersion === 6);
  const v4 = snap.flows.filter((r) => r.ipVersion === 4);

  it('has the IPv6 flows this test is about', () => {
    expect(v6.length).toBeGreaterThan(0);
    expect(v4.length).toBeGreaterThan(0);
    expect(snap.flows.length).toBe(zeek.length);
  });

  it.each([['IPv4', v4], ['IPv6', v6]] as const)('%s, one line at 80 columns: conn_state, packets, bytes and ports of every flow', (_, rows) => {
    const lines = renderTable(rows, 80, 'one-line').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PROTO\s+ORIGINATOR\s+RESPONDER\s+STATE\s+PKTS →\/←\s+BYTES →\/←$/);
    expect(lines).toHaveLength(rows.length + 1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    for (const r of rows) {
      const port = r.proto === 'tcp' || r.proto === 'udp' ? `:${r.respPort}` : '';
      const line = lines.find((l) => l.includes(`${port}  `) && l.includes(` ${r.connState} `) && l.includes(` ${r.orig.pkts}/${r.resp.pkts} `));
      expect(line, `${r.origAddr} -> ${r.respAddr}${port}`).toBeDefined();
    }
  });

  it('two lines at 80 columns: every column, the end states and the zone of the start time', () => {
    const lines = renderTable(snap.flows, 80, 'two-line').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+SERVICE$/);
    expect(lines[1]).toMatch(/^ {2}STATE\s+ORIG\/RESP STATE\s+PKTS →\/←\s+BYTES →\/←\s+DURATION$/);
    expect(lines).toHaveLength(2 * snap.flows.length + 2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    // Zeek's states and packet counts, row by row (each flow's second line).
    const seconds = lines.slice(2).filter((_, i) => i % 2 === 1);
    const states = seconds.map((l) => l.trim().split(/\s+/)[0]).sort();
    expect(states).toEqual(zeek.map((z) => z['conn_state']).sort());
    const pkts = seconds.map((l) => /(\d+)\/(\d+)\s+\S+ \S*B\/\S+ \S*B/.exec(l)).map((m) => `${m![1]}/${m![2]}`).sort();
    expect(pkts).toEqual(zeek.map((z) => `${z['orig_pkts']}/${z['resp_pkts']}`).sort());
    for (const first of lines.slice(2).filter((_, i) => i % 2 === 0)) expect(first).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z /);
  });

  it('one line at 200 columns is the whole table, sockets uncut', () => {
    const lines = renderTable(snap.flows, 200, 'auto').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+SERVICE\s+STATE\s+ORIG\/RESP STATE\s+PKTS/);
    expect(lines).toHaveLength(snap.flows.length + 1);
    expect(lines.join('\n')).not.toContain('…');
  });

  it('shows the date when flows start on different days', () => {
    const a = snap.flows[0]!;
    const b = { ...snap.flows[1]!, startSec: a.startSec + 3 * 86400 };
    const lines = renderTable([a, b], 200).trimEnd().split('\n');
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z /);
  });
});

describe('start times in UTC or local time', () => {
  it('marks UTC with Z and local time with its offset (TZ), as tcpdump users read them', () => {
    const r = { ...record(), startSec: Date.UTC(2011, 2, 18, 19, 6, 7, 96) / 1000 };
    expect(tableCells(r)[0]).toBe('2011-03-18 19:06:07.096Z');
    const tz = process.env['TZ'];
    try {
      process.env['TZ'] = 'Asia/Kolkata';
      expect(tableCells(r, 'local')[0]).toBe('2011-03-19 00:36:07.096+05:30');
      process.env['TZ'] = 'America/St_Johns';
      expect(tableCells(r, 'local')[0]).toBe('2011-03-18 16:36:07.096-02:30');
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });
});
