/**
 * This host's sockets read from /proc, checked against `ss` (iproute2) on sockets this test opens on loopback: the
 * parser's view of /proc/net equals ss's socket list, and LocalSockets finds each socket's process (this one), user
 * and kernel state, keeps them after the socket is gone, and sets the local record fields of a flow.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal, localOfRecord } from '../../src/local/attribution.js';
import { LocalSockets } from '../../src/local/local-sockets.js';
import { KERNEL_TCP_STATES, parseProcNet, PROC_NET_TABLES, ssStateName } from '../../src/local/proc-net.js';
import { formatIpv4, formatIpv6 } from '../../src/decode/address.js';
import { recordObject } from '../../src/sink/fields.js';
import { record } from '../helpers/records.js';
import { withListeners } from '../../src/local/services.js';
import { groupServices } from '../../src/tui/model.js';
import { serviceRowText } from '../../src/tui/components/ServicesView.js';

const HAS_SS = spawnSync('ss', ['-V']).status === 0;
const COMM = readFileSync('/proc/self/comm', 'utf8').trim();

function text(version: number, w: readonly number[]): string {
  return version === 4 ? formatIpv4(w[3]! >>> 0) : formatIpv6(w.map((x) => x >>> 0));
}

/** `ss -tanH` / `-uanH` as (state, local, peer) triples; IPv4-mapped addresses as ss prints them. */
function ssList(proto: 'tcp' | 'udp'): string[] {
  const out = execFileSync('ss', [proto === 'tcp' ? '-tanH' : '-uanH'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [state, , , local, peer] = l.trim().split(/\s+/);
    return `${state} ${local!.replace(/^\[(.*)\]:/, '$1:').replace(/%[^:]*:/, ':')} ${peer!.replace(/^\[(.*)\]:/, '$1:').replace(/%[^:]*:/, ':')}`;
  });
}

/** ss writes a wildcard local address as `*` (dual stack), `[::]` or `0.0.0.0`: one spelling for the comparison. */
function wildcard(socket: string): string {
  return socket.replace(/^(\*|::|0\.0\.0\.0):/, '*:');
}

describe('/proc/net tables', () => {
  it('every kernel TCP state code has the netstat and ss names', () => {
    expect(KERNEL_TCP_STATES.map((s) => s.code)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ssStateName('ESTABLISHED')).toBe('ESTAB');
    expect(ssStateName('FIN_WAIT_2')).toBe('FIN-WAIT-2');
  });

  it('parses hand-written lines: byte order, IPv4-mapped peers, TIME_WAIT without inode', () => {
    const v4 = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0',
      '   1: 0200000A:C350 0100000A:0050 06 00000000:00000000 03:00000128 00000000     0        0 0 3 0000000000000000',
    ].join('\n');
    const [listen, tw] = parseProcNet(v4, 6, false);
    expect(listen).toMatchObject({ version: 4, localPort: 8080, remotePort: 0, state: 10, uid: 1000, inode: 4242 });
    expect(text(4, listen!.local)).toBe('127.0.0.1');
    expect(text(4, tw!.local)).toBe('10.0.0.2');
    expect(text(4, tw!.remote)).toBe('10.0.0.1');
    expect(tw).toMatchObject({ localPort: 50000, remotePort: 80, state: 6, inode: 0 });
    const v6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0000000000000000FFFF00000200630A:1388 0000000000000000FFFF00000100630A:A000 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 20 4 30 10 -1',
      '   1: 00000000000000000000000000000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1 0000000000000000 100 0 0 10 0',
      '   2: 000000FD000000000000000002000000:1388 000000FD000000000000000001000000:A001 08 00000000:00000000 00:00000000 00000000     0        0 79 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const [mapped, any, six] = parseProcNet(v6, 6, true);
    expect(mapped).toMatchObject({ version: 4, localPort: 5000, remotePort: 40960, anyV6: false });
    expect([text(4, mapped!.local), text(4, mapped!.remote)]).toEqual(['10.99.0.2', '10.99.0.1']);
    expect(any).toMatchObject({ version: 6, anyV6: true, state: 10 });
    expect([text(6, six!.local), text(6, six!.remote), six!.state]).toEqual(['fd00::2', 'fd00::1', 8]);
  });
});

describe.skipIf(!HAS_SS)('LocalSockets against ss, on loopback sockets of this process', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  let v4Client: net.Socket;
  let v6Client: net.Socket;
  let halfClient: net.Socket;
  let port = 0;

  beforeAll(async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.on('end', () => {}); // never end our side: the client's FIN leaves this side in CLOSE_WAIT
      s.resume();
    });
    server.on('error', () => {});
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '::', r)); // dual stack
    port = (server.address() as net.AddressInfo).port;
    const connect = (host: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect({ host, port });
        c.on('connect', () => resolve(c));
        c.on('error', reject);
        sockets.push(c);
      });
    v4Client = await connect('127.0.0.1');
    v6Client = await connect('::1');
    halfClient = await connect('127.0.0.1');
    halfClient.end(); // FIN: the client goes to FIN_WAIT_2 once acknowledged, the server's socket to CLOSE_WAIT
    halfClient.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
  });

  afterAll(() => {
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    configureLocal();
  });

  it('reads the same TCP and UDP sockets as ss -tan / -uan', () => {
    for (const proto of ['tcp', 'udp'] as const) {
      const mine: string[] = [];
      for (const t of PROC_NET_TABLES.filter((x) => (x.proto === 6) === (proto === 'tcp'))) {
        let body = '';
        try {
          body = readFileSync(`/proc/net/${t.file}`, 'latin1');
        } catch {
          continue;
        }
        for (const s of parseProcNet(body, t.proto, t.v6)) {
          const state = proto === 'tcp' ? KERNEL_TCP_STATES.find((k) => k.code === s.state)!.ss : s.remotePort === 0 ? 'UNCONN' : 'ESTAB';
          // ss prints a dual-stack socket's IPv4 peer as ::ffff:a.b.c.d; the parser keys it as IPv4.
          const mappedV6 = t.v6 && s.version === 4;
          const addr = (w: readonly number[]) => (mappedV6 ? `::ffff:${text(4, w)}` : text(s.version, w));
          const peer = s.remotePort === 0 ? '*' : `${addr(s.remote)}:${s.remotePort}`;
          mine.push(`${state} ${wildcard(`${addr(s.local)}:${s.localPort}`)} ${peer}`);
        }
      }
      // Sockets come and go between the two reads (other tests, other engineers): compare ours, on our port.
      const ours = (l: string) => l.includes(`:${port} `) || l.endsWith(`:${port}`);
      const theirs = ssList(proto).map((l) => {
        const [state, local, peer] = l.split(' ');
        return `${state} ${wildcard(local!)} ${/^(\*|::|0\.0\.0\.0):\*$/.test(peer!) ? '*' : peer}`;
      });
      expect(mine.filter(ours).sort(), proto).toEqual(theirs.filter(ours).sort());
    }
    expect(ssList('tcp').filter((l) => l.includes(`:${port}`)).length).toBe(7); // listener + 3 connections x 2 ends
  });

  it('finds each end: this process, its user, the kernel state; IPv4 through the dual-stack listener', () => {
    const ls = new LocalSockets({ sliceMs: 5000 }); // one refresh makes the whole pass
    ls.refresh();
    const me = { pid: process.pid, process: COMM, user: userInfo().username };
    const lo4 = 0x7f000001;
    const v4 = ls.lookup(6, 4, 0, 0, 0, lo4, v4Client.localPort!, 0, 0, 0, lo4, port);
    expect(v4?.owner).toEqual(me);
    expect(v4?.kernelState()).toBe('ESTABLISHED');
    const v4server = ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, v4Client.localPort!);
    expect([v4server?.owner, v4server?.listener, v4server?.kernelState()]).toEqual([me, false, 'ESTABLISHED']);
    const v6 = ls.lookup(6, 6, 0, 0, 0, 1, v6Client.localPort!, 0, 0, 0, 1, port);
    expect([v6?.owner, v6?.kernelState()]).toEqual([me, 'ESTABLISHED']);
    const half = ls.lookup(6, 4, 0, 0, 0, lo4, halfClient.localPort!, 0, 0, 0, lo4, port);
    const halfServer = ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, halfClient.localPort!);
    expect([half?.kernelState(), halfServer?.kernelState()]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    // A port nobody connected from: the listener stands in (dual-stack `::` for IPv4).
    const listener = ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, 1);
    expect([listener?.listener, listener?.owner, listener?.kernelState()]).toEqual([true, me, 'LISTEN']);
    expect(ls.listeners().some((e) => e.localPort === port && e.owner?.pid === process.pid)).toBe(true);
    expect(ls.isHostAddress(4, 0, 0, 0, lo4)).toBe(true);
    expect(ls.isHostAddress(4, 0, 0, 0, 0x08080808)).toBe(false);
    expect(ls.stats.fullScans).toBe(1);
  });

  it('cuts the pass over every process into slices: the owner is found over several refreshes, newest process first', () => {
    const ls = new LocalSockets({ sliceMs: 0 }); // one process a refresh
    const lo4 = 0x7f000001;
    const find = () => ls.lookup(6, 6, 0, 0, 0, 1, v6Client.localPort!, 0, 0, 0, 1, port);
    let refreshes = 0;
    do {
      ls.refresh();
      refreshes++;
    } while (find()?.owner == null && refreshes < 5000);
    expect(find()?.owner?.pid).toBe(process.pid);
    // Every process newer than this one was looked at first, one a refresh.
    const newer = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) > process.pid).length;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(newer + 1 + 5); // processes come and go meanwhile
    expect(ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, 1)?.owner?.pid).toBe(process.pid);
  });

  it('keeps the owner of a socket that has gone, and reads it as CLOSED', async () => {
    const ls = new LocalSockets({ sliceMs: 5000 }); // one refresh makes the whole pass
    ls.refresh();
    const lo4 = 0x7f000001;
    const lport = v4Client.localPort!;
    const before = ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, lport);
    const serverSide = sockets.find((s) => s.remotePort === lport && s !== v4Client)!;
    serverSide.destroy(); // the server closes first: its socket ends in FIN_WAIT_x then TIME_WAIT, the client's in CLOSE_WAIT
    v4Client.destroy(); // and the client's goes at once (LAST_ACK, then gone)
    await new Promise((r) => setTimeout(r, 100));
    ls.refresh();
    const after = ls.lookup(6, 4, 0, 0, 0, lo4, port, 0, 0, 0, lo4, lport);
    expect(after).toBe(before);
    expect(after?.owner?.pid).toBe(process.pid);
    expect(after?.kernelState()).toBe('TIME_WAIT');
    const client = ls.lookup(6, 4, 0, 0, 0, lo4, lport, 0, 0, 0, lo4, port);
    expect([client?.owner?.pid, client?.kernelState()]).toEqual([process.pid, 'CLOSED']);
  });

  it('joins the listeners into the services view: an idle one as its own row, a busy one to its connections', async () => {
    const idle = net.createServer(() => {});
    servers.push(idle);
    await new Promise<void>((r) => idle.listen(0, '127.0.0.1', r));
    const idlePort = (idle.address() as net.AddressInfo).port;
    const ls = new LocalSockets({ sliceMs: 5000 }); // one refresh makes the whole pass
    ls.refresh();
    const busy = record({ uid: 'CLocalTest00000009', origAddr: '127.0.0.1', respAddr: '127.0.0.1', origPort: 40000, respPort: port });
    const rows = withListeners(groupServices([busy]), ls);
    const me = `${COMM}[${process.pid}]`;
    expect(rows[0]).toMatchObject({ addr: '127.0.0.1', port, connections: 1, process: me });
    const row = rows.find((g) => g.port === idlePort);
    expect(row).toMatchObject({ proto: 'tcp', addr: '127.0.0.1', connections: 0, listening: true, process: me });
    expect(serviceRowText(row!, 140)).toMatch(new RegExp(`^tcp\\s+127\\.0\\.0\\.1:${idlePort}.*${COMM}\\[${process.pid}\\] listening, no traffic yet`));
    expect(ls.connectionsOf(ls.listeners().find((e) => e.localPort === idlePort)!)).toEqual([]);
    // The connections the listener serves are the sockets on its port that ss lists besides it (the accepted ends).
    const accepted = ssList('tcp').filter((l) => !l.startsWith('LISTEN') && l.split(' ')[1]!.endsWith(`:${port}`));
    expect(accepted.length).toBeGreaterThan(1);
    expect(ls.connectionsOf(ls.listeners().find((e) => e.localPort === port)!).length).toBe(accepted.length);
  });

  it('sets the record fields of a flow between two of its sockets', () => {
    const ls = new LocalSockets({ sliceMs: 5000 }); // one refresh makes the whole pass
    ls.refresh();
    configureLocal({ sockets: ls });
    const r = record({
      uid: 'CLocalTest00000001', origAddr: '::1', respAddr: '::1', ipVersion: 6, origPort: v6Client.localPort!, respPort: port,
    });
    const o = recordObject(r);
    expect(o).toMatchObject({
      local_orig: true, local_resp: true,
      orig_pid: process.pid, orig_process: COMM, orig_user: userInfo().username,
      resp_pid: process.pid, resp_process: COMM, resp_user: userInfo().username,
      orig_kernel_state: 'ESTABLISHED', resp_kernel_state: 'ESTABLISHED',
    });
    expect(localOfRecord(r)).toBe(localOfRecord(r)); // one lookup per flow
    const away = recordObject(record({ uid: 'CLocalTest00000002', origAddr: '198.51.100.1', respAddr: '198.51.100.2' }));
    expect([away['local_orig'], away['local_resp'], away['orig_pid'], away['resp_kernel_state']]).toEqual([false, false, undefined, undefined]);
    configureLocal();
    const off = recordObject(record({ uid: 'CLocalTest00000003' }));
    expect(Object.keys(off).filter((k) => k.startsWith('local_') || k.includes('_pid') || k.includes('kernel'))).toEqual([]);
  });
});
