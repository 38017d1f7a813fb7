import { renderToString } from 'ink';
import { describe, expect, it } from 'vitest';
import ServicesView from '../../../src/tui/components/ServicesView.js';
import { groupServices } from '../../../src/tui/model.js';
import { corpus, finalSnapshot, readConnLog } from '../corpus.js';

describe('ServicesView on zeek/wikipedia.pcap', async () => {
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
  const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));
  const groups = groupServices(snap.flows);
  const out = renderToString(<ServicesView groups={groups} top={0} height={40} selected={-1} width={120} />, { columns: 120 });

  // Zeek's answer, grouped by responder socket independently of sockscope.
  const expected = new Map<string, { conns: number; clients: Set<string> }>();
  for (const z of zeek) {
    const addr = z['id.resp_h']!.includes(':') ? `[${z['id.resp_h']}]` : z['id.resp_h'];
    const key = `${z['proto']} ${addr}:${z['id.resp_p']}`;
    const e = expected.get(key) ?? { conns: 0, clients: new Set() };
    e.conns++;
    e.clients.add(z['id.orig_h']!);
    expected.set(key, e);
  }

  it('has one row per responder socket, as many as Zeek\'s conn.log implies', () => {
    expect(groups.map((g) => g.key).sort()).toEqual([...expected.keys()].sort());
    expect(out.split('\n')).toHaveLength(groups.length + 1);
  });

  it.each([...expected].map(([k, e]) => [k, e.conns, e.clients.size] as const))(
    '%s: %d connections from %d clients',
    (key, conns, clients) => {
      const [proto, socket] = key.split(' ');
      const row = out.split('\n').find((l) => l.startsWith(proto!.padEnd(5) + ' ' + socket + ' ') || l.startsWith(`${proto!.padEnd(5)} ${socket}`))!;
      expect(row, key).toBeDefined();
      const cols = row.slice(row.indexOf(socket!) + socket!.length).trim().split(/\s+/);
      // After the socket (and its service name, if any): Conns, Clients.
      const nums = cols.filter((c) => /^\d+$/.test(c));
      expect(nums.slice(0, 2).map(Number)).toEqual([conns, clients]);
    },
  );

  it('shows the port class and the conn_state mix', () => {
    const dns = out.split('\n').find((l) => l.includes('141.142.2.2:53 domain'))!;
    expect(dns).toContain('well-known');
    expect(dns).toMatch(/SF:\d+/);
    const netbios = out.split('\n').find((l) => l.includes(':137 netbios-ns'))!;
    expect(netbios).toContain('well-known');
  });
});
