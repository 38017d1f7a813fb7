import { renderToString } from 'ink';
import { describe, expect, it } from 'vitest';
import ServicesView from '../../../src/tui/components/ServicesView.js';
import { filterFlows, groupServices, protoText, serviceFilter } from '../../../src/tui/model.js';
import { corpus, finalSnapshot, fixture, readConnLog } from '../corpus.js';

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

describe('services drill-down (Enter) on real captures', async () => {
  const captures = { demo: await finalSnapshot(fixture('demo.pcap')), dhcp: await finalSnapshot(corpus('zeek/dhcp.pcap')) };

  it.each(Object.keys(captures))('%s: each row\'s filter shows exactly the connections it counts, to that socket', (name) => {
    const snap = captures[name as keyof typeof captures];
    for (const g of groupServices(snap.flows)) {
      const shown = filterFlows(snap.flows, serviceFilter(g));
      expect(shown, `${g.key}: ${serviceFilter(g)}`).toHaveLength(g.connections);
      for (const r of shown) expect([protoText(r), r.respAddr, r.respPort]).toEqual([g.proto, g.addr, g.port]);
    }
  });

  it('dhcp: the server socket 128.2.6.152:67 is the responder of two flows; its own broadcast is not one of them', () => {
    const snap = captures.dhcp;
    const g = groupServices(snap.flows).find((x) => x.key === 'udp 128.2.6.152:67')!;
    expect(g.connections).toBe(2);
    expect(serviceFilter(g)).toBe('resp=udp/128.2.6.152:67');
    expect(filterFlows(snap.flows, '128.2.6.152:67')).toHaveLength(3); // as text it is also the originator of one
    expect(filterFlows(snap.flows, serviceFilter(g))).toHaveLength(2);
  });

  it('demo: ICMPv6 rows say icmp6, as the flows view does, and drill down to the ICMP code the rows show', () => {
    const groups = groupServices(captures.demo.flows);
    const out = renderToString(<ServicesView groups={groups} top={0} height={40} selected={-1} width={120} />, { columns: 120 });
    const mld = out.split('\n').find((l) => l.includes('[ff02::16] c0'))!;
    expect(mld).toMatch(/^icmp6 \[ff02::16\] c0\s+3\s+3\s/);
    expect(out).toMatch(/^icmp  10\.99\.0\.2 c0 /m);
    const g = groups.find((x) => x.addr === 'ff02::16' && x.port === 0)!;
    expect(serviceFilter(g)).toBe('resp=icmp6/[ff02::16]:c0');
    expect(filterFlows(captures.demo.flows, serviceFilter(g))).toHaveLength(3);
  });
});
