/**
 * Live capture joined with this host's sockets, for real: in namespace a, a server (`ssk-server`), an idle listener
 * (`ssk-idle`, never connected to) and a client (`ssk-client`) each name themselves (process.title sets
 * /proc/PID/comm); a second client (`ssk-remote`) in namespace b connects over the veth. `sockscope capture -i any`
 * runs in a, and its records must name the real pid and process of every local end, leave the remote end unlocal,
 * and show the kernel's state equal to the inferred one for connections left established, half-closed
 * (FIN_WAIT_2 / CLOSE_WAIT) and closed (TIME_WAIT / CLOSED) — and equal to what `ss -tanp` says at the same moment.
 * `sockscope listeners` lists the idle listener with its process and no connection. Then `sockscope watch -i any`
 * in tmux, in the same namespace: the header shows the capture's health, the services view lists the idle TCP and UDP
 * listeners with their process before any packet reaches them, and the detail view of a new connection shows both
 * ends' processes and kernel states, in agreement with the inferred ones (skipped without tmux).
 *
 * Skips, saying why, when not root, when `ip netns` or ss is unavailable, or when cap is not built. Needs the built
 * CLI (`npm test` builds first). Every program exits by itself within 60 s.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, NETNS_ADDR, NetnsPair, exitWithin, hasProgram, netnsSkipReason, waitFor } from '../helpers/netns.js';
import { KERNEL_TCP_STATES } from '../../src/local/proc-net.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/sockscope');

function skipReason(): string | undefined {
  const ns = netnsSkipReason();
  if (ns !== undefined) return ns;
  if (!hasProgram('ss')) return 'ss not found (apt-get install -y iproute2)';
  if (!existsSync(join(ROOT, 'node_modules/cap/build/Release/cap.node'))) {
    return 'cap is not built (apt-get install -y libpcap-dev && npm rebuild cap)';
  }
  return undefined;
}
const SKIP = skipReason();
if (SKIP !== undefined) console.warn(`[skip] test/e2e/local-netns.test.ts: ${SKIP}`);

const { A4, B4 } = NETNS_ADDR;

/** Server: TCP 5000 (dual stack), UDP 5001; each connection's first bytes say what it does when the client's FIN comes. */
const SERVER_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
process.title = 'ssk-server';
setTimeout(() => process.exit(0), 60_000);
const tcp = net.createServer({allowHalfOpen: true}, s => {
  let mode = '';
  s.on('data', d => { if (mode === '') mode = d.toString(); });
  s.on('end', () => { if (mode === 'close') s.end(); }); // 'half' and 'hold' never close their side
  s.on('error', () => {});
});
await new Promise(r => tcp.listen(5000, '::', r));
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(m, r.port, r.address));
await new Promise(r => udp.bind(5001, '0.0.0.0', r));
console.log(JSON.stringify({pid: process.pid}));
`;

/** A listener nobody connects to: TCP 5002 and UDP 5003. */
const IDLE_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
process.title = 'ssk-idle';
setTimeout(() => process.exit(0), 60_000);
await new Promise(r => net.createServer(() => {}).listen(5002, '0.0.0.0', r));
await new Promise(r => dgram.createSocket('udp4').bind(5003, '0.0.0.0', r));
console.log(JSON.stringify({pid: process.pid}));
`;

/**
 * Client: argv[2] is its process name, argv[3] a JSON list of [host, mode]. Each connection writes its mode; 'half'
 * and 'close' send FIN after 1.5 s (the sockets are first seen established). A UDP exchange with 5001 when the
 * host is local. Prints its pid and local ports, then stays until killed (at most 60 s).
 */
const CLIENT_JS = `
import net from 'node:net';
import dgram from 'node:dgram';
process.title = process.argv[2];
setTimeout(() => process.exit(0), 60_000);
const steps = JSON.parse(process.argv[3]);
const ports = [];
for (const [host, mode] of steps) {
  if (mode === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise(r => s.bind(0, r));
    await new Promise(r => { s.once('message', r); s.send('ping', 5001, host); });
    ports.push(s.address().port);
    continue;
  }
  const c = await new Promise((resolve, reject) => {
    const c = net.connect({host, port: 5000, allowHalfOpen: true});
    c.on('connect', () => resolve(c));
    c.on('error', reject);
  });
  c.write(mode);
  ports.push(c.localPort);
  if (mode !== 'hold') setTimeout(() => c.end(), 1500);
}
console.log(JSON.stringify({pid: process.pid, ports}));
`;

type Rec = Record<string, string | number | boolean>;

/** `ss -tanpH` as socket `addr:port>addr:port` → [netstat state, pid, process]. */
function ssSockets(pair: NetnsPair): Map<string, [string, number | undefined, string | undefined]> {
  const out = pair.run('a', 'ss', ['-tanpH']).stdout;
  const map = new Map<string, [string, number | undefined, string | undefined]>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const netstat = KERNEL_TCP_STATES.find((k) => k.ss === f[0])?.netstat ?? f[0]!;
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    const norm = (s: string) => s.replace(/^\[(::ffff:)?/, '').replace(/^::ffff:/, '').replace(/\]:/, ':');
    map.set(`${norm(f[3]!)}>${norm(f[4]!)}`, [netstat, m === null ? undefined : Number(m[2]), m === null ? undefined : m[1]]);
  }
  return map;
}

describe.skipIf(SKIP !== undefined)("live capture knows this host's sockets (namespaces)", () => {
  let pair: NetnsPair | undefined;
  let dir = '';

  let server: Child;
  let idle: Child;
  const tmuxSessions: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-local-'));
    for (const [name, text] of [['server.mjs', SERVER_JS], ['idle.mjs', IDLE_JS], ['client.mjs', CLIENT_JS]]) {
      writeFileSync(join(dir, name!), text!);
    }
    pair = NetnsPair.create('local');
    server = pair.spawn('a', 'node', [join(dir, 'server.mjs')]);
    idle = pair.spawn('a', 'node', [join(dir, 'idle.mjs')]);
    await waitFor(() => server.stdout() + server.stderr(), /pid/, 10_000, 'the server');
    await waitFor(() => idle.stdout() + idle.stderr(), /pid/, 10_000, 'the idle listener');
  });

  afterAll(() => {
    for (const t of tmuxSessions) spawnSync('tmux', ['kill-session', '-t', t]);
    pair?.destroy();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const json = (c: Child) => JSON.parse(c.stdout().trim().split('\n')[0]!) as { pid: number; ports?: number[] };

  it('names every local end by its real pid and process, and its kernel state equals the inferred one and ss', async () => {
    const p = pair!;

    const cap = p.spawn('a', 'node', [BIN, 'capture', '-i', 'any', '--format', 'ndjson', '--close-delay', '0.5', '--duration', '40', 'tcp or udp']);
    await waitFor(cap.stderr, /listening on/, 10_000, 'sockscope capture');
    // established (IPv4, IPv6), half-closed, closed; a UDP exchange; and a client in namespace b over the veth.
    const steps = [['127.0.0.1', 'hold'], ['::1', 'hold'], ['127.0.0.1', 'half'], [A4, 'close'], ['127.0.0.1', 'udp']];
    const client = p.spawn('a', 'node', [join(dir, 'client.mjs'), 'ssk-client', JSON.stringify(steps)]);
    const remote = p.spawn('b', 'node', [join(dir, 'client.mjs'), 'ssk-remote', JSON.stringify([[A4, 'hold']])]);
    await waitFor(() => client.stdout() + client.stderr(), /pid/, 10_000, 'the client');
    await waitFor(() => remote.stdout() + remote.stderr(), /pid/, 10_000, 'the remote client');
    // The FINs go at 1.5 s; the closed connection's record is written 0.5 s after its end (--close-delay), on the
    // flow table's once-a-second clock.
    await new Promise((r) => setTimeout(r, 4000));
    const ss = ssSockets(p);
    cap.proc.kill('SIGINT');
    expect(await exitWithin(cap, 15_000, 'sockscope capture'), cap.stderr()).toBe(0);

    const records = cap.stdout().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Rec);
    const s = json(server), c = json(client), r = json(remote);
    const ports = c.ports!;
    const find = (port: number) => {
      const m = records.filter((x) => x['id.orig_p'] === port);
      expect(m, `the flow from port ${port}: ${JSON.stringify(records)}`).toHaveLength(1);
      return m[0]!;
    };
    const SERVER = { resp_pid: s.pid, resp_process: 'ssk-server', resp_user: 'root', local_resp: true };
    const CLIENT = { orig_pid: c.pid, orig_process: 'ssk-client', orig_user: 'root', local_orig: true };
    const states = (x: Rec) => [x['orig_state'], x['orig_kernel_state'], x['resp_state'], x['resp_kernel_state']];

    const est4 = find(ports[0]!), est6 = find(ports[1]!), half = find(ports[2]!), closed = find(ports[3]!), udp = find(ports[4]!);
    for (const x of [est4, est6, half, closed, udp]) expect(x, JSON.stringify(x)).toMatchObject({ ...CLIENT, ...SERVER });
    expect(states(est4)).toEqual(['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
    expect(states(est6)).toEqual(['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED']);
    expect(states(half)).toEqual(['FIN_WAIT_2', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSE_WAIT']);
    expect(states(closed)).toEqual(['TIME_WAIT', 'TIME_WAIT', 'CLOSED', 'CLOSED']);
    expect(closed['end_reason']).toBe('closed'); // written while the capture ran, not by the SIGINT
    expect(udp['orig_kernel_state']).toBeUndefined(); // kernel states are TCP's
    // The client in namespace b: not local here, and nothing named for it; the server end is.
    const fromB = records.find((x) => x['id.orig_h'] === B4 && x['id.orig_p'] === r.ports![0])!;
    expect(fromB, JSON.stringify(records)).toMatchObject({ local_orig: false, ...SERVER, resp_kernel_state: 'ESTABLISHED' });
    expect(fromB['orig_pid']).toBeUndefined();
    // ss at the same moment (before the SIGINT): the same states and processes for every socket it lists.
    for (const x of [est4, est6, half, closed, fromB]) {
      const o = `${x['id.orig_h']}:${x['id.orig_p']}`, q = `${x['id.resp_h']}:${x['id.resp_p']}`;
      for (const [side, local, peer] of [['orig', o, q], ['resp', q, o]] as const) {
        const seen = ss.get(`${local}>${peer}`);
        if (x[`local_${side}`] !== true) continue;
        if (seen === undefined) {
          expect(x[`${side}_kernel_state`], `${local}>${peer}: gone in ss`).toBe('CLOSED');
          continue;
        }
        expect(x[`${side}_kernel_state`], `${local}>${peer}`).toBe(seen[0]);
        if (seen[1] !== undefined) expect([x[`${side}_pid`], x[`${side}_process`]], `${local}>${peer}`).toEqual([seen[1], seen[2]]);
      }
    }
    // Nothing reached the idle listener, and no record names it.
    expect(records.some((x) => x['id.resp_p'] === 5002 || x['id.resp_p'] === 5003)).toBe(false);

    // `sockscope listeners` in namespace a: the idle listener with its process and no connection; the server's
    // listener serves the connections still open (two established, the half-closed one, and the one from b).
    const list = p.run('a', 'node', [BIN, 'listeners', '--json']).stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Rec);
    const i = json(idle);
    expect(list).toContainEqual({ proto: 'tcp', addr: '0.0.0.0', port: 5002, state: 'LISTEN', pid: i.pid, process: 'ssk-idle', user: 'root', connections: 0 });
    expect(list).toContainEqual({ proto: 'udp', addr: '0.0.0.0', port: 5003, state: 'UNCONN', pid: i.pid, process: 'ssk-idle', user: 'root', connections: 0 });
    expect(list).toContainEqual({ proto: 'tcp', addr: '::', port: 5000, state: 'LISTEN', pid: s.pid, process: 'ssk-server', user: 'root', connections: 4 });
    // And the capture's health: the interface counters against the packets captured, with nothing lost.
    const packets = /sockscope: (\d+) packets read/.exec(cap.stderr())![1];
    expect(cap.stderr()).toMatch(new RegExp(`capture health: any counted \\d+ packets while ${packets} were captured \\(a filter was set`));
    expect(cap.stderr()).toMatch(/missed_bytes 0\.000% of acknowledged TCP bytes in the last 60 s/);
    // Every local TCP end of the 5 TCP flows (4 with both ends here, 1 with one): 9 ends, all as inferred.
    expect(cap.stderr()).toContain("capture health: the kernel's state of 9 local TCP ends as their records were written: 9 as inferred, 0 not");
  }, 60_000);

  it.skipIf(!hasProgram('tmux'))('watch -i: the services view lists the idle listeners with their process, the detail view the kernel state', async () => {
    const p = pair!;
    const session = `sockscope-local-${process.pid}`;
    tmuxSessions.push(session);
    const cmd = `env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color ip netns exec ${p.a} node ${BIN} watch -i any 'tcp or udp'; sleep 2`;
    spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '40', cmd]);
    const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
    const until = async (re: RegExp, what: string) => {
      const end = Date.now() + 10_000;
      while (!re.test(screen())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const key = async (k: string) => {
      spawnSync('tmux', ['send-keys', '-t', session, k]);
      await new Promise((r) => setTimeout(r, 100)); // Ink reads keys between frames
    };
    await until(/\[LIVE\]/, 'the live screen');
    // A new connection while watch runs, held open: a flow with both ends here.
    const client = p.spawn('a', 'node', [join(dir, 'client.mjs'), 'ssk-client', JSON.stringify([['127.0.0.1', 'hold']])]);
    await waitFor(() => client.stdout() + client.stderr(), /pid/, 10_000, 'the client');
    const s = json(server), i = json(idle), c = json(client);
    await until(new RegExp(`127\\.0\\.0\\.1:${c.ports![0]}`), 'the new flow');
    expect(screen()).toMatch(/interface \d+ pkts, captured \d+, kernel dropped 0\s+missed_bytes [-0-9.%]+ \(60 s\)/);
    await key('Tab');
    await until(/listening, no traffic yet/, 'the services view');
    const services = screen();
    expect(services).toMatch(new RegExp(`tcp\\s+0\\.0\\.0\\.0:5002 .*ssk-idle\\[${i.pid}\\] listening, no traffic yet`));
    expect(services).toMatch(new RegExp(`udp\\s+0\\.0\\.0\\.0:5003 .*ssk-idle\\[${i.pid}\\] listening, no traffic yet`));
    expect(services).toMatch(new RegExp(`tcp\\s+127\\.0\\.0\\.1:5000 .*ssk-server\\[${s.pid}\\] S1:1`));
    await key('Tab');
    await until(/Originator/, 'the flows view');
    await key('/');
    for (const ch of `:${c.ports![0]}`) await key(ch);
    await key('Enter');
    await key('Enter');
    await until(/kernel state/, 'the detail view');
    const detail = screen();
    expect(detail).toMatch(new RegExp(`process\\s+ssk-client \\(pid ${c.pid}, root\\)\\s+ssk-server \\(pid ${s.pid}, root\\)`));
    expect(detail).toMatch(/kernel state\s+ESTABLISHED \(ss ESTAB\)\s+ESTABLISHED \(ss ESTAB\)/);
    expect(detail).not.toContain('KERNEL DISAGREES');
    await key('q');
  }, 60_000);
});
