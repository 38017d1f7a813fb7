/**
 * What a person sees at 80x24 and at 200x50, in a real terminal (tmux), on IPv4 and IPv6 captures: `flows` fits the
 * table to the terminal (two lines per flow when one would hide a column), `watch` keeps the end states, conn_state,
 * rate and retransmissions at 80 columns with IPv6 sockets shortened in the middle and the port visible. The counts
 * are checked against Zeek's conn.log of the same trace. Needs the built CLI and tmux; every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { corpus, readConnLog } from '../tui/corpus.js';
import { TmuxServer } from '../helpers/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const server = new TmuxServer('narrow');
const tmux = (...args: string[]): string => server.run(...args);
const start = (cmd: string, columns: number, rows: number): string => server.start(cmd, columns, rows);
const send = (s: string, ...keys: string[][]): Promise<void> => server.send(s, ...keys);
const history = (s: string): string => server.history(s);
const screen = (s: string): string => server.screen(s);
const waitFor = (s: string, test: (x: string) => boolean, read = screen, ms = 10_000): Promise<string> =>
  server.waitFor(s, test, read, ms);

afterEach(() => server.killSessions());
afterAll(() => server.close());

const WIKI = corpus('zeek/wikipedia.pcap');
const TEREDO = corpus('zeek/tunnel-teredo.pcap');
const zeek = readConnLog(corpus('zeek/wikipedia.conn.log'));
const haveTmux = (() => {
  try {
    execFileSync('tmux', ['-V']); // the binary alone
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`) || !haveTmux || !existsSync(WIKI))('narrow and wide terminals (tmux)', () => {
  it('flows at 80x24: two lines per flow, nothing wider than the terminal, every state and counter of Zeek\'s conn.log', async () => {
    const s = start(`node bin/sockscope flows -q ${WIKI}`, 80, 24);
    const out = await waitFor(s, (x) => x.includes('DONE='), history);
    expect(out).toContain('DONE=0');
    const lines = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('DONE='));
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+SERVICE$/);
    expect(lines[1]).toMatch(/^ {2}STATE\s+ORIG\/RESP STATE\s+PKTS →\/←\s+BYTES →\/←\s+DURATION$/);
    const second = lines.slice(2).filter((l) => l.startsWith('  '));
    expect(second).toHaveLength(zeek.length);
    expect(second.map((l) => l.trim().split(/\s+/)[0]).sort()).toEqual(zeek.map((z) => z['conn_state']).sort());
    // IPv6 sockets keep their ports: every IPv6 responder of Zeek's log is on screen with its port.
    const v6 = zeek.filter((z) => z['id.resp_h']!.includes(':'));
    expect(v6.length).toBeGreaterThan(0);
    for (const z of v6) expect(out).toMatch(new RegExp(`\\]:${z['id.resp_p']}\\s`));
  });

  it('flows at 200x50: one line per flow with every column and whole IPv6 sockets', async () => {
    const s = start(`node bin/sockscope flows -q ${WIKI}`, 200, 50);
    const out = await waitFor(s, (x) => x.includes('DONE='), history);
    const lines = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('DONE='));
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+SERVICE\s+STATE\s+ORIG\/RESP STATE\s+PKTS →\/←\s+BYTES →\/←\s+DURATION$/);
    expect(lines).toHaveLength(zeek.length + 1);
    for (const z of zeek.filter((r) => r['id.resp_h']!.includes(':'))) expect(out).toContain(`[${z['id.resp_h']}]`);
  });

  it('flows --layout one-line at 80x24 on IPv4 and IPv6: conn_state, packets and bytes stay, sockets give way', async () => {
    const s = start(`node bin/sockscope flows -q --layout one-line ${WIKI}`, 80, 24);
    const out = await waitFor(s, (x) => x.includes('DONE='), history);
    const lines = out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('DONE='));
    expect(lines[0]).toMatch(/^PROTO\s+ORIGINATOR\s+RESPONDER\s+STATE\s+PKTS →\/←\s+BYTES →\/←/);
    expect(lines).toHaveLength(zeek.length + 1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const pkts = lines.slice(1).map((l) => /\s(\d+)\/(\d+)\s/.exec(l)).map((m) => `${m![1]}/${m![2]}`).sort();
    expect(pkts).toEqual(zeek.map((z) => `${z['orig_pkts']}/${z['resp_pkts']}`).sort());
  });

  it('watch at 80x24 on IPv4 and IPv6: end states, conn_state, rate and retransmissions stay; ports visible', async () => {
    const title = /Proto\s+Originator\s+Responder\s+Orig st\s+Resp st\s+Conn\s+Rate\s+Retx/;
    const check = (scr: string): string[] => {
      const lines = scr.replace(/\n$/, '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
      expect(scr).toMatch(title);
      return lines.filter((l) => /^(tcp|udp|icmp6?|\d+)\s/.test(l));
    };
    // IPv4 (wikipedia.pcap): every row ends in conn_state, rate and retransmissions; both ports shown.
    const v4 = start(`node bin/sockscope watch --speed max ${WIKI}`, 80, 24);
    const rows4 = check(await waitFor(v4, (x) => x.includes('end of capture') && title.test(x)));
    expect(rows4.length).toBe(17); // 24 lines less the header, bars, title and status line
    const states = new Set(zeek.map((z) => z['conn_state']));
    for (const r of rows4) {
      const m = /^(tcp|udp)\s+\S+:(\d+)\s+\S+:(\d+)\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\d+$/.exec(r);
      expect(m, r).not.toBeNull();
      expect(states.has(m![4]!), r).toBe(true);
    }
    // IPv6 (tunnel-teredo.pcap, 2001:0:4137:9e50:8000:f12a:b9c8:2815 inside Teredo), one line per flow: shortened in
    // the middle (two lines per flow: test/e2e/tui-names-tmux.test.ts).
    const v6 = start(`node bin/sockscope watch --speed max --layout one-line ${TEREDO}`, 80, 24);
    await waitFor(v6, (x) => x.includes('end of capture') && title.test(x));
    await send(v6, ['/'], ['-l', '[2001'], ['Enter']);
    const rows6 = check(await waitFor(v6, (x) => x.includes('filter: [2001') && title.test(x)));
    expect(rows6.length).toBeGreaterThan(0);
    for (const r of rows6) {
      expect(r).toContain('…');
      expect(r).toMatch(/^(tcp|udp|icmp6|\d+)\s+\[\S+\](:\d+| t\d+)?\s+\[\S+\](:\d+| c\d+)?\s+\S+\s+\S+\s+OTH\s+\S+\s+\d+$/);
    }
    expect(rows6.join('\n')).toMatch(/\[2001…815\] t128 \[2001…::68\] c129/);
  });

  it('watch at 200x50: every column and whole IPv6 sockets', async () => {
    const s = start(`node bin/sockscope watch --speed max ${WIKI}`, 200, 50);
    const scr = await waitFor(s, (x) => x.includes('end of capture'));
    expect(scr).toMatch(/Proto\s+Originator\s+Responder\s+Orig st\s+Resp st\s+Conn\s+Pkts o\/r\s+Bytes o\/r↓\s+Rate\s+Dur\s+RTT\s+Retx/);
    expect(scr).not.toMatch(/\S…\S/);
    for (const z of zeek.filter((r) => r['id.orig_h']!.includes(':'))) expect(scr).toContain(`[${z['id.orig_h']}]:${z['id.orig_p']}`);
    tmux('send-keys', '-t', s, 'q');
    await waitFor(s, (x) => x.includes('DONE='));
  });
});

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`) || !haveTmux)('the filter language in watch (tmux)', () => {
  const tableRows = (scr: string) => scr.split('\n').filter((l) => /^(tcp|udp|icmp6?)\s/.test(l));

  it('watch --filter starts filtered, / takes the same expressions, a bad one says why and shows nothing', async () => {
    const s = start(`node bin/sockscope watch --speed max --filter 'proto:tcp and (port:8443 or state:S1)' fixtures/demo.pcap`, 120, 30);
    let scr = await waitFor(s, (x) => x.includes('end of capture') && x.includes('3/'));
    // demo.pcap: two refused connections to 8443 (IPv4 and IPv6) and the open SSH session (S1).
    let rows = tableRows(scr);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toMatch(/:8443 .*REJ|:22 .*S1/);
    await send(s, ['/'], ['C-u'], ['-l', 'net:fd00::/16 and !proto:icmp6 and bytes>1k'], ['Enter']);
    scr = await waitFor(s, (x) => x.includes('filter: net:fd00::/16') && !x.includes('█'));
    rows = tableRows(scr);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('[fd00:99::2]:80'); // the 43 kB IPv6 download
    await send(s, ['/'], ['C-u'], ['-l', 'port:80 and']);
    scr = await waitFor(s, (x) => x.includes('✗ expected a term after "and"'));
    expect(scr).toContain('filter: port:80 and█  ✗ expected a term after "and" (at column 12)');
    await send(s, ['Enter']);
    scr = await waitFor(s, (x) => !x.includes('█') && x.includes('✗'));
    expect(tableRows(scr)).toHaveLength(0);
    tmux('send-keys', '-t', s, 'q');
  });

  it('flows --filter writes only the matching flows; a bad expression is a usage error (exit 2) naming the column', () => {
    const run = (...args: string[]) => {
      try {
        return { out: execFileSync('node', ['bin/sockscope', 'flows', '-q', '-f', 'ndjson', ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), code: 0, err: '' };
      } catch (e) {
        const x = e as { status: number; stderr: string; stdout: string };
        return { out: x.stdout, code: x.status, err: x.stderr };
      }
    };
    const ok = run('--filter', 'port:80 or port:53', WIKI);
    expect(ok.code).toBe(0);
    const lines = ok.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines).toHaveLength(24); // tshark: 10 TCP conversations on port 80, 14 UDP on port 53
    for (const r of lines) expect([r['id.orig_p'], r['id.resp_p']].some((p) => p === 80 || p === 53)).toBe(true);
    const bad = run('--filter', '(port:80', WIKI);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('missing ) for this ( (at column 1)');
  });
});

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`) || !haveTmux)('the export keys in watch (tmux)', () => {
  it('W writes the packets of every flow shown, w those of the selected flow; tcpdump reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-w-'));
    try {
      const s = start(`sh -c 'cd ${dir} && exec node ${ROOT}/bin/sockscope watch --speed max --filter port:8443 ${ROOT}/fixtures/demo.pcap'`, 120, 30);
      await waitFor(s, (x) => x.includes('end of capture') && x.includes('2/21'));
      await send(s, ['W']);
      let scr = await waitFor(s, (x) => /wrote \d+ packets of 2 flows/.test(x));
      const all = /wrote (\d+) packets of 2 flows to (\S+)/.exec(scr)!;
      // demo.pcap: two refused connections to 8443, a SYN and a RST each (tcpdump 'tcp port 8443').
      const count = (file: string, expr: string[] = []) =>
        execFileSync('tcpdump', ['-nr', file, ...expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
      expect(Number(all[1])).toBe(count(`${ROOT}/fixtures/demo.pcap`, ['tcp port 8443']).length);
      expect(count(join(dir, all[2]!))).toHaveLength(Number(all[1]));
      await send(s, ['Enter'], ['w']);
      scr = await waitFor(s, (x) => /wrote \d+ packets? of 1 flow to/.test(x));
      const one = /wrote (\d+) packets? of 1 flow to (sockscope-\S+\.pcap)/.exec(scr)!;
      const lines = count(join(dir, one[2]!));
      expect(lines).toHaveLength(2);
      const sockets = new Set(lines.map((l) => l.split(' ').slice(2, 5).filter((w) => w !== '>').map((w) => w.replace(/:$/, '')).sort().join(' ')));
      expect(sockets.size).toBe(1); // both packets of one connection
      expect(readdirSync(dir).sort()).toEqual([all[2], one[2]].sort());
      await send(s, ['q']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
