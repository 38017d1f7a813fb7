/**
 * Names in the TUI (`watch --names`): the Name column, the confirmed service beside the responder and the port's
 * guess apart from it, the detail view's names, the services view's names, two lines per flow at 80 columns, and a
 * sort key that takes effect in the frame it causes. The names shown are checked against tshark's on the same
 * captures.
 */
import { execFileSync } from 'node:child_process';
import { renderToString } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { configureNames } from '../../src/inspect/names.js';
import type { Snapshot } from '../../src/pipeline-types.js';
import App from '../../src/tui/App.js';
import FlowDetail, { detailRows, nameRows } from '../../src/tui/components/FlowDetail.js';
import { rowLines } from '../../src/tui/components/FlowTable.js';
import { serviceRowParts } from '../../src/tui/components/ServicesView.js';
import { flowName, groupServices, layoutColumns, layoutTwoLines, twoLinesFor, type CellContext } from '../../src/tui/model.js';
import { corpus, finalSnapshot, sock, tsharkNames } from './corpus.js';
import { startApp, TestFeed, tick } from './harness.js';
import { direction, record } from './records.js';


let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

async function start(props: Parameters<typeof App>[0]) {
  const app = await startApp(props);
  unmount = app.unmount;
  return app;
}

/** A corpus capture's final snapshot with payload inspection on (as watch --names runs). */
async function withNames(capture: string): Promise<Snapshot> {
  configureNames({ payload: true });
  try {
    return await finalSnapshot(corpus(capture));
  } finally {
    configureNames();
  }
}

const ctx: CellContext = { clockSec: 0, rates: new Map() };

describe('the Name column and the detail view on zeek/wikipedia.pcap (--names)', async () => {
  const snap = await withNames('zeek/wikipedia.pcap');
  const theirs = tsharkNames(corpus('zeek/wikipedia.pcap'));

  it('names every flow tshark names, as tshark does: HTTP Host for the web flows, the question for DNS', async () => {
    const ui = await start({ feed: new TestFeed(snap), columns: 200, rows: 50, names: true });
    const lines = ui.frame().split('\n');
    const title = lines.find((l) => l.startsWith('Proto'))!;
    expect(title).toMatch(/Proto\s+Originator\s+Responder\s+Name\s+Orig st/);
    // The Name column: from its title to the next column's.
    const [from, to] = [title.indexOf('Name'), title.indexOf('Orig st')];
    const rows = lines.filter((l) => /^(tcp|udp)\s/.test(l));
    let compared = 0;
    for (const [client, name] of theirs) {
      const row = rows.find((l) => l.split(/\s+/)[1] === client);
      expect(row, client).toBeDefined();
      expect(row!.slice(from, to).trim(), client).toBe(name);
      compared++;
    }
    expect(compared).toBe(theirs.size);
    expect(compared).toBeGreaterThanOrEqual(20);
  });

  it('shows the confirmed service plain and a port-only guess dimmed, never as the service', () => {
    const http = snap.flows.find((r) => r.names?.service === 'http')!;
    const cols = layoutColumns(160, {}, true);
    const seg = rowLines(http, cols, ctx)[0]!;
    expect(seg.some((s) => s.text.includes('208.80.152') && s.text.includes(' http') && !s.dim)).toBe(true);
    // The NetBIOS datagram flow to 138 has no confirmed service: its port's name is a guess, dimmed.
    const guess = record({ respPort: 443, names: null });
    const parts = rowLines(guess, cols, ctx)[0]!;
    expect(parts.find((s) => s.dim)?.text).toBe('https');
    expect(nameRows(guess).find((x) => x.label === 'service')).toEqual({
      label: 'service', value: '- (port 443 is usually https: a guess, not seen in the payload)', guess: true,
    });
  });

  it('the detail view shows the flow\'s names as tshark reads them, and the Community ID', async () => {
    const ui = await start({ feed: new TestFeed(snap), columns: 120, rows: 40, names: true });
    await ui.press('\r'); // the biggest flow: an HTTP GET to upload.wikimedia.org
    const f = ui.frame();
    const client = /TCP {2}(\S+) →/.exec(f)![1]!;
    expect(f).toMatch(/service\s+http\n/);
    expect(f).toContain(`http             GET ${theirs.get(client)}`);
    const r = snap.flows.find((x) => sock(x.origAddr, x.origPort) === client)!;
    const cid = execFileSync('tshark', ['-n', '-r', corpus('zeek/wikipedia.pcap'), '--enable-protocol', 'communityid', '-Y', `tcp.port == ${r.origPort}`,
      '-T', 'fields', '-e', 'communityid', '-c', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    expect(f).toContain(`community_id     ${cid}`);
    // A DNS flow: its question, type and answer code.
    const dns = snap.flows.find((x) => x.names?.dnsQuery === 'meta.wikimedia.org' && x.names.dnsQtype === 28)!;
    expect(nameRows(dns).find((x) => x.label === 'dns')?.value).toBe('meta.wikimedia.org AAAA   answer NOERROR');
  });

  it('the detail fits a short terminal: the window events and sequence bytes give way, the names and throughput stay', () => {
    const r = snap.flows.find((x) => x.origPort === 50001)!;
    const whole = renderToString(<FlowDetail record={r} history={[]} gone={false} width={80} />, { columns: 80 }).split('\n');
    const short = renderToString(<FlowDetail record={r} history={[]} gone={false} width={80} height={18} />, { columns: 80 }).split('\n');
    expect(whole).toHaveLength(20);
    expect(short).toHaveLength(18);
    const labels = (ls: string[]) => ls.map((l) => l.slice(0, 15).trim());
    expect(labels(whole).filter((l) => !labels(short).includes(l))).toEqual(['seq bytes', 'window events']);
    for (const l of ['service', 'http', 'resp_name', 'community_id', 'throughput']) expect(labels(short)).toContain(l);
  });

  it('the services view lists each listener\'s confirmed services and the names its clients asked for', () => {
    const groups = groupServices(snap.flows);
    const upload = groups.find((g) => g.addr === '208.80.152.3')!;
    expect(upload.services).toBe('http');
    expect(upload.names).toEqual(['upload.wikimedia.org']);
    const dns = groups.find((g) => g.addr === '141.142.2.2' && g.port === 53)!;
    expect(dns.services).toBe('dns');
    expect(dns.names).toEqual(['upload.wikimedia.org', 'upload.wikimedia.org.ncsa.uiuc.edu', 'meta.wikimedia.org']);
    const [before, guess, after] = serviceRowParts(upload, 120, true);
    expect(guess).toBe(''); // confirmed: nothing dimmed
    expect(before + after).toMatch(/^tcp {3}208\.80\.152\.3:80 http\s+6\s+1\s+0\s+\S+\s+upload\.wikimedia\.org\s+S1:6/);
  });
});

describe('the detail view on zeek/ssh-basic.pcap (--names)', async () => {
  const snap = await withNames('zeek/ssh-basic.pcap');

  it('shows both SSH banners as tshark reads them, the client\'s under the originator', () => {
    const out = execFileSync('tshark', ['-n', '-r', corpus('zeek/ssh-basic.pcap'), '-Y', 'ssh.protocol', '-T', 'fields', '-e', 'ip.src',
      '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ssh.protocol'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const banner = new Map(out.split('\n').filter(Boolean).map((l) => l.split('\t')).map(([a, a6, p, b]) => [sock(a || a6!, p!), b!]));
    let compared = 0;
    for (const r of snap.flows.filter((x) => x.names?.service === 'ssh')) {
      const row = detailRows(r).find(([k]) => k === 'ssh banner')!;
      if (r.respPort !== 22) {
        // tshark decodes SSH on port 22 only (41644 and 2200 here); sockscope, like Zeek, by the banner.
        expect(banner.has(sock(r.respAddr, r.respPort))).toBe(false);
        expect(row[2]).toMatch(/^SSH-2\.0-/);
        continue;
      }
      // tshark's banner of a socket is the last one it saw there: the server's is one for all its connections.
      expect(row).toEqual(['ssh banner', banner.get(sock(r.origAddr, r.origPort)), banner.get(sock(r.respAddr, r.respPort))]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });
});

describe('two lines per flow', () => {
  const v6 = record({ uid: 'V6', ipVersion: 6, origAddr: '2001:db8:1:2::1002', origPort: 35023, respAddr: '2001:db8:1:2::1000', respPort: 80 });
  const v4 = record({ uid: 'V4', origAddr: '10.0.0.1', origPort: 50000 });

  it('auto: two lines when one line would cut an IPv6 socket, or hide the names; one line otherwise', () => {
    const one = layoutColumns(80, { orig: 26, resp: 30, respSocket: 25 });
    expect(twoLinesFor('auto', one, [v4, v6])).toBe(true);
    expect(twoLinesFor('auto', one, [v4])).toBe(false);
    expect(twoLinesFor('one-line', one, [v6])).toBe(false);
    expect(twoLinesFor('two-line', one, [v4])).toBe(true);
    const named = record({ names: { service: 'http', serverName: '', alpn: '', httpHost: 'example.org', httpMethod: 'GET', dnsQuery: '', dnsQtype: -1, dnsRcode: -1, sshClient: '', sshServer: '', respName: '' } });
    expect(twoLinesFor('auto', layoutColumns(80, {}, true), [named], true)).toBe(true);
    expect(twoLinesFor('auto', layoutColumns(160, {}, true), [named], true)).toBe(false);
  });

  it('at 80 columns: whole IPv6 sockets on the first line, states and counters on the second', () => {
    const cols = layoutTwoLines(80, { orig: 26, resp: 30, respSocket: 25 });
    const [first, second] = rowLines(v6, cols, ctx).map((l) => l.map((s) => s.text).join(''));
    expect(first).toMatch(/^tcp {4}\[2001:db8:1:2::1002\]:35023 \[2001:db8:1:2::1000\]:80 http/);
    expect(second).toMatch(/^ {2}ESTAB\s+ESTAB\s+S1\s+1\/1\s+60\/60\s+0\s+1s\s+0$/);
    for (const l of [first!, second!]) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('a name with no room beside two whole sockets goes to the second line, before the counters that give way to it', () => {
    const at = (w: number) => layoutTwoLines(w, { orig: 43, resp: 27, respSocket: 27, name: 15 }, true);
    const line = (w: number, n: 1 | 2) => at(w).filter((c) => (c.line === 2) === (n === 2)).map((c) => `${c.spec.id}:${c.width}`);
    expect(line(80, 1)).toEqual(['proto:6', 'orig:43', 'resp:27']);
    expect(line(80, 2)).toEqual(['origState:9', 'respState:9', 'conn:6', 'bytes:11', 'rate:7', 'retx:5', 'name:15']);
    // Wider: the name beside the sockets, every counter on the second line.
    expect(line(120, 1)).toEqual(['proto:6', 'orig:43', 'resp:27', 'name:15']);
    expect(line(120, 2)).toEqual(['origState:9', 'respState:9', 'conn:6', 'pkts:11', 'bytes:11', 'rate:7', 'age:6', 'rtt:7', 'retx:5']);
  });

  it('L steps through auto, two-line and one-line; the view keeps its selection', async () => {
    const flows = [v6, ...Array.from({ length: 30 }, (_, i) => record({ uid: `U${i}`, origPort: 40000 + i, orig: direction({ pkts: 1, ipBytes: 10 + i }) }))];
    const snap = { flows, source: 't.pcap', done: true, paused: false, speed: 1, stats: {
      packetsRead: 1, packetsAssigned: 1, unassigned: {}, packetsUnassigned: 0, wireBytes: 1, truncatedBySnaplen: 0,
      activeFlows: 0, totalFlows: flows.length, evictedFlows: 0, clockSec: 1, firstSec: 1, unsupportedLinkTypes: {}, tunnelledPackets: 0,
    } } as Snapshot;
    const ui = await start({ feed: new TestFeed(snap), columns: 80, rows: 24 });
    const body = () => ui.frame().split('\n').slice(5, -1);
    // Bytes, biggest first: the IPv6 flow is at the top, too wide for one line: auto shows two.
    expect(body()[0]).toMatch(/^ {2}Orig st/);
    expect(body()[1]).toContain('[2001:db8:1:2::1002]:35023 [2001:db8:1:2::1000]:80');
    await ui.press('L');
    expect(ui.frame()).toContain('rows: two-line');
    await ui.press('L');
    expect(ui.frame()).toContain('rows: one-line');
    expect(body()[0]).toMatch(/^tcp\s+\[\S*…\S*\]:35023 /); // one line: the address shortened in the middle, the port kept
    await ui.press('L');
    expect(ui.frame()).toContain('rows: auto');
  });
});

describe('a sort key under a big table', () => {
  it('takes effect in the frame the key causes, without waiting for a snapshot', async () => {
    const flows: FlowRecord[] = Array.from({ length: 20_000 }, (_, i) =>
      record({ uid: `C${i}`, origAddr: `10.${(i * 7919) % 200}.${(i * 31) % 250}.${i % 250}`, origPort: 1024 + (i % 60000), orig: direction({ pkts: 1, ipBytes: i }) }));
    const snap = { flows, source: 't.pcap', done: false, paused: false, speed: 1, stats: {
      packetsRead: 1, packetsAssigned: 1, unassigned: {}, packetsUnassigned: 0, wireBytes: 1, truncatedBySnaplen: 0,
      activeFlows: flows.length, totalFlows: flows.length, evictedFlows: 0, clockSec: 1, firstSec: 1, unsupportedLinkTypes: {}, tunnelledPackets: 0,
    } } as Snapshot;
    const ui = await start({ feed: new TestFeed(snap), columns: 120, rows: 30 });
    const before = ui.frames.length;
    ui.stdin.write('2'); // the second column shown: Originator
    await tick();
    const next = ui.frames[before];
    expect(next).toBeDefined();
    expect(next).toContain('Originator↑');
    const smallest = [...flows].sort((a, b) => {
      const k = (r: FlowRecord) => r.origAddr.split('.').reduce((n, o) => n * 256 + Number(o), 0) * 65536 + r.origPort;
      return k(a) - k(b);
    })[0]!;
    expect(next!.split('\n')[5]).toContain(sock(smallest.origAddr, smallest.origPort));
  });
});

describe('name: and service: without --names', () => {
  it('say that they match nothing without payload inspection, and stop saying it once the filter has none', async () => {
    const snap = { flows: [record()], source: 't.pcap', done: true, paused: false, speed: 1, stats: {
      packetsRead: 1, packetsAssigned: 1, unassigned: {}, packetsUnassigned: 0, wireBytes: 1, truncatedBySnaplen: 0,
      activeFlows: 0, totalFlows: 1, evictedFlows: 0, clockSec: 1, firstSec: 1, unsupportedLinkTypes: {}, tunnelledPackets: 0,
    } } as Snapshot;
    const off = await start({ feed: new TestFeed(snap), columns: 120, rows: 20, initialFilter: 'service:ssl' });
    expect(off.frame()).toContain('name: and service: match nothing without payload inspection: watch --names');
    await off.press('\u001b'); // Esc clears the filter
    expect(off.frame()).not.toContain('without payload inspection');
    off.unmount();
    const on = await start({ feed: new TestFeed(snap), columns: 120, rows: 20, initialFilter: '!name:example.org', names: true });
    expect(on.frame()).not.toContain('without payload inspection');
    expect(on.frame()).toContain('filter: !name:example.org  1/1');
  });
});

describe('the name a flow went to', () => {
  const names = { service: '', serverName: '', alpn: '', httpHost: '', httpMethod: '', dnsQuery: '', dnsQtype: -1, dnsRcode: -1, sshClient: '', sshServer: '', respName: '' };
  it.each([
    [{ serverName: 'sni.example', httpHost: 'host.example' }, 'sni.example'],
    [{ httpHost: 'host.example:8080' }, 'host.example'],
    [{ httpHost: '[2001:db8::1]:80' }, '[2001:db8::1]'],
    [{ dnsQuery: 'q.example' }, 'q.example'],
    [{ respName: 'passive.example', dnsQuery: 'q.example' }, 'passive.example'],
    [{ httpHost: 'evil\u001b[2Jhost' }, 'evilhost'], // no escape sequence from the wire reaches the screen
  ])('%j is %s', (over, want) => {
    expect(flowName(record({ names: { ...names, ...over } }))).toBe(want);
  });
});
