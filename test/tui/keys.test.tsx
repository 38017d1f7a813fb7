/**
 * The one key map (src/tui/keys.ts): the status line, the help overlay and `watch --help` are written from it, and
 * App acts on it: digit keys sort by the Nth column shown, the services view sorts, `b` switches bits and bytes, live
 * replays sort by rate. Checked on Zeek's wikipedia trace against its conn.log.
 */
import type { Key } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import App from '../../src/tui/App.js';
import { keysText } from '../../src/tui/components/StatusBar.js';
import { actionOf, helpRows, KEY_MAP, keyHints, keysSummary } from '../../src/tui/keys.js';
import { compactRate } from '../../src/tui/model.js';
import { corpus, finalSnapshot, readConnLog } from './corpus.js';
import { startApp, TestFeed } from './harness.js';


const noKey: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
} as Key;

describe('the key map', () => {
  it('gives each key one action per view, replay keys only with a replay', () => {
    expect(actionOf('q', noKey, 'flows', false)?.action).toBe('quit');
    expect(actionOf(' ', noKey, 'flows', true)?.action).toBe('pause');
    expect(actionOf(' ', noKey, 'flows', false)).toBeNull(); // App pages down instead
    expect(actionOf('3', noKey, 'services', false)?.action).toBe('sortColumn');
    expect(actionOf('3', noKey, 'detail', false)).toBeNull();
    expect(actionOf('', { ...noKey, tab: true }, 'detail', false)?.action).toBe('switchView');
    expect(actionOf('', { ...noKey, escape: true }, 'detail', false)?.action).toBe('back');
  });

  it('writes the status line, the help and watch --help from the same bindings', () => {
    expect(keyHints('flows', true).slice(0, 2)).toEqual(['? help', 'q quit']);
    expect(keyHints('flows', false)).not.toContain('space pause');
    expect(keysText('flows', true, 80).length).toBeLessThanOrEqual(80);
    const help = helpRows(true).map(([k]) => k);
    const summary = keysSummary();
    for (const b of KEY_MAP) {
      if (b.help === undefined) continue;
      expect(help).toContain(b.keys);
      expect(summary).toContain(b.keys.replace(/ {2}/g, '/'));
    }
    expect(helpRows(false).map(([k]) => k)).not.toContain('space');
  });
});

let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

async function start(props: Parameters<typeof App>[0]) {
  const app = await startApp({ columns: 120, rows: 40, ...props });
  unmount = app.unmount;
  await app.press(); // settled: the first frames drawn
  const rows = () => app.frame().split('\n').filter((l) => /^(tcp|udp|icmp6?)\s/.test(l));
  return { press: app.press, frame: app.frame, rows };
}

describe('App acts on the key map (zeek/wikipedia.pcap)', async () => {
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));
  const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));

  it('digit keys sort by the Nth column on screen; the same digit again reverses', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press('6'); // Proto Originator Responder Orig st Resp st Conn: the sixth is Conn
    expect(ui.frame()).toContain('sort: Conn ↑');
    const states = ui.rows().map((l) => l.split(/\s+/).find((w) => /^(S0|S1|SF|SH|SHR|OTH|REJ|RSTO|RSTR|RSTRH)$/.test(w)));
    expect(states).toEqual([...states].sort());
    await ui.press('6');
    expect(ui.frame()).toContain('sort: Conn ↓');
  });

  it('the services view sorts: s moves to the next column, digits choose one', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press('\t');
    expect(ui.frame()).toContain('sort: Conns ↓');
    // The DNS server has the most connections in Zeek's log.
    const dns = zeek.filter((z) => z['id.resp_h'] === '141.142.2.2' && z['id.resp_p'] === '53').length;
    expect(ui.rows()[0]).toMatch(new RegExp(`^udp\\s+141\\.142\\.2\\.2:53 domain\\s+${dns}\\s`));
    await ui.press('s');
    expect(ui.frame()).toContain('sort: Clients ↓');
    await ui.press('6');
    expect(ui.frame()).toContain('sort: Bytes ↓');
    await ui.press('2');
    expect(ui.frame()).toContain('sort: Listener ↓');
    const socks = ui.rows().map((l) => l.split(/\s+/)[1]!);
    expect(socks[0]!.startsWith('141.142.')).toBe(true); // IPv4 sorts before IPv6, numerically
  });

  it('b switches the rates between bytes and bits per second', async () => {
    const ended = await start({ feed: new TestFeed(snap) });
    expect(ended.frame()).toMatch(/bytes \S+ KB  flows/); // an ended replay shows no stale rate
    unmount?.();
    const ui = await start({ feed: new TestFeed(snap), live: true });
    expect(ui.frame()).toMatch(/bytes \S+ KB \(0 B\/s\)/);
    await ui.press('b');
    expect(ui.frame()).toMatch(/bytes \S+ KB \(0 b\/s\)/);
    expect(keyHints('flows', false)).toContain('b bits/bytes');
    // One convention, a unit on every rate: bytes per second by default, bits per second after b.
    expect([compactRate(1500), compactRate(1500, true), compactRate(23e6), compactRate(23e6, true), compactRate(0)])
      .toEqual(['1.5KB/s', '12kb/s', '23MB/s', '184Mb/s', '0']);
    expect(compactRate(0.4)).toBe('<1B/s');
  });

  it('live, the table starts sorted by current rate', async () => {
    const ui = await start({ feed: new TestFeed(snap), live: true });
    expect(ui.frame()).toContain('sort: Rate ↓');
  });
});

describe('keys that arrive together', async () => {
  const snap = await finalSnapshot(corpus('zeek/wikipedia.pcap'));

  it('a filter and its Enter in one read (typed fast, or pasted) set the filter; keys after the Enter are keys', async () => {
    const ui = await start({ feed: new TestFeed(snap) });
    await ui.press('/', 'proto:udp\rS');
    expect(ui.frame()).toContain('filter: proto:udp');
    expect(ui.frame()).not.toContain('█'); // no longer typing
    expect(ui.frame()).toContain('sort: Bytes o/r ↑'); // S reversed the order
  });

  it('Esc followed at once by Tab is two keys: the filter is cleared and the services view shows', async () => {
    const ui = await start({ feed: new TestFeed(snap), initialFilter: 'proto:udp' });
    expect(ui.frame()).toContain('filter: proto:udp');
    await ui.press('\u001b\t');
    expect(ui.frame()).toContain('[Services]');
    expect(ui.frame()).not.toContain('filter:');
  });

  it('live: the header clock is the wall clock, not the last packet\'s time', async () => {
    const ui = await start({ feed: new TestFeed(snap), live: true, now: () => Date.UTC(2030, 0, 2, 3, 4, 5) });
    expect(ui.frame()).toContain('clock 2030-01-02 03:04:05');
  });
});
