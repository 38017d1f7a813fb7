import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { ReplayControl } from '../../src/pipeline.js';
import type { Snapshot } from '../../src/pipeline-types.js';
import App from '../../src/tui/App.js';
import { LIVE_LIMITS } from '../../src/tui/components/Header.js';
import { displayWidth } from '../../src/tui/model.js';
import { corpus, finalSnapshot, fixture, readConnLog, sock } from './corpus.js';
import { direction, record } from './records.js';
import { startApp, TestFeed, tick } from './harness.js';


const KEY = { down: '\u001b[B', up: '\u001b[A', pageDown: '\u001b[6~', enter: '\r', esc: '\u001b', tab: '\t' };
let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

async function start(props: Parameters<typeof App>[0]) {
  const app = await startApp({ columns: 100, rows: 30, ...props });
  unmount = app.unmount;
  /** Lines of the table body (after 3 header lines, the filter bar and the title row; before the status line). */
  const body = () => app.frame().split('\n').slice(5, -1).filter((l) => l.trim() !== '');
  return { ...app, body };
}

// ── Real capture: Zeek's wikipedia trace ─────────────────────────────────────────────────────────────────────────

describe('App on zeek/wikipedia.pcap', async () => {
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
  const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));
  const dnsServer = zeek.filter((z) => z['id.resp_h'] === '141.142.2.2' && z['id.resp_p'] === '53');

  it('shows the source, the packet count tshark reports, and the flows', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    expect(ui.frame()).toContain('wikipedia.pcap');
    expect(ui.frame()).toContain('packets 136 '); // capinfos: 136 packets
    expect(ui.frame()).toContain(`${snap.flows.length} total`);
    expect(ui.frame()).toContain('sort: Bytes o/r ↓');
    expect(ui.body().length).toBe(30 - 1 - 6); // the screen is full of rows: 34 flows, 23 rows of room
  });

  it('s cycles the sort column and S reverses it: the biggest flow moves from the top to the bottom', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    const biggest = [...snap.flows].sort((a, b) => b.orig.ipBytes + b.resp.ipBytes - (a.orig.ipBytes + a.resp.ipBytes))[0]!;
    expect(ui.body()[0]).toContain(sock(biggest.origAddr, biggest.origPort));
    await ui.press('S');
    expect(ui.frame()).toContain('sort: Bytes o/r ↑');
    expect(ui.body()[0]).not.toContain(sock(biggest.origAddr, biggest.origPort));
    await ui.press('s');
    expect(ui.frame()).toContain('sort: Rate ↓');
  });

  it('/ filters by text: the DNS server\'s connections, as many as Zeek logged', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press('/', ...'141.142.2.2:53', KEY.enter);
    expect(ui.frame()).toContain(`filter: 141.142.2.2:53  ${dnsServer.length}/${snap.flows.length}`);
    expect(ui.body()).toHaveLength(dnsServer.length);
    for (const l of ui.body()) expect(l).toMatch(/^udp\s+141\.142\.220\.118:\d+\s+141\.142\.2\.2:53 domain/);
    await ui.press(KEY.esc);
    expect(ui.frame()).not.toContain('filter:');
    await ui.press('/141.142.2.2:53', KEY.enter); // pasted
    expect(ui.body()).toHaveLength(dnsServer.length);
  });

  it('Enter opens the detail of the selected flow and Esc goes back', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press('/', ...'208.80.152.118', KEY.enter, KEY.enter);
    const z = zeek.find((r) => r['id.resp_h'] === '208.80.152.118')!;
    expect(ui.frame()).toContain(`TCP  ${sock(z['id.orig_h']!, z['id.orig_p']!)} → ${sock(z['id.resp_h']!, z['id.resp_p']!)} http`);
    expect(ui.frame()).toMatch(new RegExp(`packets\\s+${z['orig_pkts']}\\s+${z['resp_pkts']}\\s`));
    expect(ui.frame()).toMatch(new RegExp(`IP bytes\\s+${z['orig_ip_bytes']}\\s+${z['resp_ip_bytes']}\\s`));
    expect(ui.frame()).toContain('handshake RTT');
    await ui.press(KEY.esc);
    expect(ui.frame()).toContain('Originator');
    expect(ui.frame()).not.toContain('handshake RTT');
  });

  it('Tab shows the services view: connections and distinct clients per responder socket', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press(KEY.tab);
    expect(ui.frame()).toContain('[Services]');
    const row = ui.frame().split('\n').find((l) => l.includes('141.142.2.2:53 domain'))!;
    const clients = new Set(dnsServer.map((z) => z['id.orig_h'])).size;
    expect(row).toMatch(new RegExp(`^udp\\s+141\\.142\\.2\\.2:53 domain\\s+${dnsServer.length}\\s+${clients}\\s`));
    expect(row).toContain('well-known');
    expect(row).toContain(`SF:${dnsServer.length}`);
    await ui.press(KEY.enter); // Enter on a listener shows its connections
    expect(ui.frame()).toContain('[Flows]');
    expect(ui.body().every((l) => l.includes(':53 domain'))).toBe(true);
  });
});

// ── Replay controls, live header, scrolling ──────────────────────────────────────────────────────────────────────

function snapshotOf(flows: FlowRecord[], over: Partial<Snapshot> = {}): Snapshot {
  return {
    flows, source: 'test.pcap', done: false, paused: false, speed: 1,
    stats: {
      packetsRead: 10, packetsAssigned: 9, unassigned: { not_ip: 1 }, packetsUnassigned: 1, wireBytes: 1000,
      truncatedBySnaplen: 0, activeFlows: flows.length, totalFlows: flows.length, evictedFlows: 0, clockSec: 1010,
      firstSec: 1000, unsupportedLinkTypes: {}, tunnelledPackets: 0,
    },
    ...over,
  };
}

const many = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    record({ uid: `U${i}`, origPort: 10000 + i, orig: direction({ pkts: 1, ipBytes: 100 + i, state: 'ESTABLISHED' }) }));

describe('App controls', () => {
  it('space pauses, + and - change the speed, n steps while paused', async () => {
    const replay = new ReplayControl(1);
    let steps = 0;
    const step = replay.step.bind(replay);
    replay.step = () => {
      steps++;
      step();
    };
    const ui = await start({ feed: new TestFeed(snapshotOf(many(3))), replay });
    expect(ui.frame()).toContain('[playing 1x]');
    await ui.press(' ', '+', '+');
    expect([replay.paused, replay.speed]).toEqual([true, 4]);
    expect(ui.frame()).toContain('[PAUSED 4x]');
    await ui.press('n', '.');
    expect(steps).toBe(2);
    await ui.press('nnn'); // keys faster than Ink reads arrive as one run of characters
    expect(steps).toBe(5);
    await ui.press('-', '-', '-', ' ');
    expect([replay.paused, replay.speed]).toEqual([false, 0.5]);
    expect(ui.frame()).toContain('not_ip 1');
  });

  it('live capture says what it cannot see', async () => {
    const ui = await start({ feed: new TestFeed(snapshotOf(many(1), { source: 'eth0' })), live: true });
    expect(ui.frame()).toContain('[LIVE]');
    expect(ui.frame()).toContain('arrival timestamps');
    expect(LIVE_LIMITS).toContain('no kernel drop counts');
  });

  it('scrolls through 5000 flows a page at a time and keeps the selection on its flow when rows move', async () => {
    const flows = many(5000);
    const feed = new TestFeed(snapshotOf(flows));
    const ui = await start({ feed });
    const page = 30 - 1 - 6;
    expect(ui.body()).toHaveLength(page);
    expect(ui.body()[0]).toContain(':14999 '); // bytes ↓: U4999 (port 14999) is the biggest
    await ui.press(KEY.pageDown, KEY.pageDown, KEY.down);
    // Selection is now row 2 * (page - 1) + 1 = 45: U4954, port 14954.
    expect(ui.frame()).toContain(':14954 ');
    // A new snapshot reverses every byte count: the selected flow moves to the other end of the table.
    feed.publish(snapshotOf(flows.map((r, i) => ({ ...r, orig: { ...r.orig, ipBytes: 10_000 - i } }))));
    await tick();
    await ui.press(KEY.enter);
    expect(ui.frame()).toContain('10.0.0.1:14954 → 10.0.0.2:80 http');
  });

  it('strips control characters from packet text before it reaches the screen', async () => {
    const evil = record({ uid: 'E', connState: 'S1\u001b[2J\u001b]0;pwned\u0007' });
    const ui = await start({ feed: new TestFeed(snapshotOf([evil])) });
    expect(ui.frame()).not.toContain('[2J');
    expect(ui.frame()).not.toContain('pwned');
    expect(ui.body()[0]).toMatch(/ S1 /);
  });
});

// ── The demo capture: services drill-down, wide filters, tiny terminals ────────────────────────────────────────────

describe('App on the demo capture', async () => {
  const demo = await finalSnapshot(fixture('demo.pcap'));
  const dhcp = await finalSnapshot(corpus('zeek/dhcp.pcap'));
  const lines = (frame: string) => frame.split('\n');

  it('services Enter on an ICMPv6 row shows that socket\'s three connections', async () => {
    const ui = await start({ feed: new TestFeed(demo), columns: 120, rows: 40 });
    await ui.press(KEY.tab);
    const row = lines(ui.frame()).find((l) => l.includes('[ff02::16] c0'))!;
    expect(row).toMatch(/^icmp6 \[ff02::16\] c0\s+3\s/); // the first row: most connections
    await ui.press(KEY.enter);
    expect(ui.frame()).toContain(`filter: resp=icmp6/[ff02::16]:c0  3/${demo.flows.length}`);
    expect(ui.body()).toHaveLength(3);
    for (const l of ui.body()) expect(l).toMatch(/^icmp6\s+\S+ t143\s+\[ff02::16\] c0\s/);
  });

  it('services Enter on the DHCP server shows its two connections, not its own broadcast', async () => {
    const ui = await start({ feed: new TestFeed(dhcp), columns: 120, rows: 40 });
    await ui.press(KEY.tab);
    expect(lines(ui.frame())[5]).toMatch(/^udp\s+128\.2\.6\.152:67 bootps\s+2\s/);
    await ui.press(KEY.enter);
    expect(ui.frame()).toContain('filter: resp=udp/128.2.6.152:67  2/4');
    expect(ui.body()).toHaveLength(2);
    for (const l of ui.body()) expect(l).toMatch(/^udp\s+128\.2\.6\.\d+:68\s+128\.2\.6\.152:67 bootps/);
  });

  it('a filter of wide characters keeps every line within the width, the header on top', async () => {
    const ui = await start({ feed: new TestFeed(demo), columns: 120, rows: 40 });
    await ui.press('/', '日本語🙂', 'x'.repeat(100));
    const check = () => {
      const ls = lines(ui.frame());
      expect(ls[0]).toMatch(/^sockscope  \S*demo\.pcap/);
      expect(ls.length).toBeLessThanOrEqual(39);
      for (const l of ls) expect(displayWidth(l), l).toBeLessThanOrEqual(120);
      expect(ls[4]).toMatch(/^Proto\s+Originator/);
    };
    check();
    await ui.press(KEY.enter);
    check();
    expect(lines(ui.frame())[3]).toMatch(/filter: 日本語🙂x+…  0\/21\s*$/);
  });

  it.each([
    [20, 5], [30, 6], [12, 3], [40, 10],
  ])('cuts every line at %dx%d, in every view, and keeps the status line', async (columns, rows) => {
    const ui = await start({ feed: new TestFeed(demo), columns, rows, replay: new ReplayControl(1) });
    const check = (what: string) => {
      const ls = lines(ui.frame());
      expect(ls.length, what).toBeLessThanOrEqual(rows - 1);
      for (const l of ls) expect(displayWidth(l), `${what}: ${l}`).toBeLessThanOrEqual(columns);
      if (rows >= 5) expect(ls[ls.length - 1], what).toMatch(/^\? help/);
    };
    check('flows');
    await ui.press(KEY.enter);
    check('detail');
    await ui.press(KEY.esc, KEY.tab);
    check('services');
    await ui.press('?');
    check('help');
    await ui.press('x', KEY.tab, '/', 'x'.repeat(40));
    check('typing a filter');
  });

  it('shows the header whole from 10 rows; shorter terminals give up header lines before table rows', async () => {
    const tall = await start({ feed: new TestFeed(demo), columns: 80, rows: 10 });
    expect(lines(tall.frame())[0]).toContain('demo.pcap');
    expect(lines(tall.frame())).toHaveLength(9);
    tall.unmount();
    const short = await start({ feed: new TestFeed(demo), columns: 80, rows: 5 });
    const ls = lines(short.frame());
    expect(ls).toHaveLength(4);
    expect(ls[0]).toContain('[Flows]');
    expect(ls[1]).toMatch(/^Proto/);
    expect(ls[2]).toMatch(/^tcp /);
  });
});
