import { renderToString } from 'ink';
import { describe, expect, it } from 'vitest';
import FlowDetail, { optionsText, transitionsText } from '../../../src/tui/components/FlowDetail.js';
import { corpus, finalSnapshot, readConnLog, sock } from '../corpus.js';

describe('FlowDetail on zeek/ftp-ipv4.pcap (the FTP control connection)', async () => {
  const snap = await finalSnapshot(corpus('zeek/ftp-ipv4.pcap'));
  const z = readConnLog(corpus('zeek/ftp-ipv4.conn.log')).find((r) => r['id.resp_p'] === '21')!;
  const r = snap.flows.find((f) => f.respPort === 21 && f.proto === 'tcp')!;
  const out = renderToString(<FlowDetail record={r} history={[0, 1000, 4000, 2000]} gone={false} width={120} />, { columns: 120 });
  const line = (label: string) => out.split('\n').find((l) => l.startsWith(label)) ?? '';

  it('names both sockets and the service', () => {
    expect(out.split('\n')[0]).toContain(`TCP  ${sock(z['id.orig_h']!, z['id.orig_p']!)} → ${sock(z['id.resp_h']!, z['id.resp_p']!)} ftp`);
  });

  it('shows the per-direction counters Zeek logged for this connection', () => {
    expect(line('packets').split(/\s+/).slice(1, 3)).toEqual([z['orig_pkts'], z['resp_pkts']]);
    expect(line('IP bytes').split(/\s+/).slice(2, 4).map((s) => s.replace(/,/g, ''))).toEqual([z['orig_ip_bytes'], z['resp_ip_bytes']]);
    expect(line('seq bytes').split(/\s+/).slice(2, 4).map((s) => s.replace(/,/g, ''))).toEqual([z['orig_bytes'], z['resp_bytes']]);
    expect(out).toContain(`conn_state ${z['conn_state']}`);
  });

  it('shows each end\'s state, its transitions with times from the start, options and the handshake RTT', () => {
    expect(line('state')).toMatch(/^state\s+[A-Z_0-9]+/);
    const orig = out.split('\n').find((l) => l.startsWith('orig: '))!;
    expect(orig).toContain('ESTABLISHED +');
    const offsets = [...orig.matchAll(/\+([\d.]+)(ms|s)/g)].map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : 1));
    expect(offsets.length).toBeGreaterThan(1);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets); // in time order
    expect(line('options')).toMatch(/MSS \d+/);
    expect(out).toMatch(/handshake RTT: SYN→SYN\+ACK \d+\.\d+ms, SYN\+ACK→ACK \d+\.\d+ms/);
  });

  it('cuts every line at a narrow terminal\'s edge instead of wrapping it', () => {
    const narrow = renderToString(<FlowDetail record={r} history={[0, 1000, 4000, 2000]} gone={false} width={20} />, { columns: 20 });
    expect(narrow.split('\n')).toHaveLength(out.split('\n').length);
    for (const l of narrow.split('\n')) expect(l.length).toBeLessThanOrEqual(20);
  });

  it('draws the throughput sparkline from the rate history', () => {
    expect(line('throughput')).toMatch(/^throughput\s+▁▂█▄\s+2.0KB\/s now, 4.0KB\/s peak/);
  });
});

describe('detail helpers', () => {
  it('writes options and transitions', () => {
    expect(optionsText({ mss: 1460, wscale: 7, sackPermitted: true, timestamps: false })).toBe('MSS 1460, wscale 7, SACK');
    expect(optionsText(null)).toBe('-');
    expect(transitionsText([{ tsSec: 100, state: 'SYN_SENT' }, { tsSec: 100.0123, state: 'ESTABLISHED' }], 100)).toBe(
      'SYN_SENT +0ms → ESTABLISHED +12.3ms',
    );
  });
});
