/**
 * `sockscope listeners`: this host's listening TCP sockets and bound UDP sockets (in the current network namespace),
 * with the process that holds each and the connections it serves, from /proc (src/local) as `ss -ltunp` shows them:
 * the services a capture will see, before any packet arrives.
 */
import type { Command } from 'commander';
import { formatIpv4, formatIpv6 } from '../../decode/address.js';
import { LocalSockets, type SocketEntry } from '../../local/local-sockets.js';
import { ssStateName } from '../../local/proc-net.js';
import { sanitize } from '../../tui/sanitize.js';
import type { Env } from '../env.js';
import { Exit } from '../errors.js';

/** One listener as a record: the JSON line of `listeners --json`. */
export interface ListenerRecord {
  proto: 'tcp' | 'udp';
  addr: string;
  port: number;
  state: string;
  pid?: number;
  process?: string;
  user?: string;
  /** Connected sockets on its port now (TCP: the accepted connections; UDP: connected sockets). */
  connections: number;
}

function addrText(e: SocketEntry): string {
  if (e.local.every((w) => w === 0)) return e.version === 4 ? '0.0.0.0' : '::';
  return e.version === 4 ? formatIpv4(e.local[3] >>> 0) : formatIpv6(e.local.map((w) => w >>> 0));
}

/** The listeners of `sockets` (after a refresh), by protocol, then port, then address. */
export function listenerRecords(sockets: LocalSockets): ListenerRecord[] {
  const out = sockets.listeners().map((e): ListenerRecord => {
    const r: ListenerRecord = {
      proto: e.proto === 6 ? 'tcp' : 'udp',
      addr: addrText(e),
      port: e.localPort,
      state: e.proto === 6 ? 'LISTEN' : 'UNCONN',
      connections: sockets.connectionsOf(e).length,
    };
    if (e.owner !== null) {
      r.pid = e.owner.pid;
      r.process = e.owner.process;
    }
    const user = e.user();
    if (user !== undefined) r.user = user;
    return r;
  });
  return out.sort((a, b) => a.proto.localeCompare(b.proto) || a.port - b.port || a.addr.localeCompare(b.addr));
}

export function register(program: Command, env: Env, setExit: (code: number) => void): void {
  program
    .command('listeners')
    .summary("this host's listening sockets with their processes (as ss -ltunp)")
    .description(
      "Lists this host's listening TCP sockets and bound UDP sockets in the current network namespace, from " +
        '/proc/net and /proc/PID/fd: address, port, the process that holds each (name, pid, user) and how many ' +
        "connections it serves now. Reading other users' processes needs root (or CAP_SYS_PTRACE); without it " +
        'their sockets show their user only.',
    )
    .option('--json', 'one JSON object per line')
    .action((o: { json?: boolean }) => {
      const notes: string[] = [];
      // One look, so one whole pass over every process (no slices: nothing else runs on this thread).
      const sockets = new LocalSockets({ onNotice: (l) => notes.push(l), sliceMs: Infinity });
      sockets.refresh();
      const records = listenerRecords(sockets);
      if (o.json === true) {
        for (const r of records) env.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        const rows = records.map((r) => [
          r.proto,
          r.addr.includes(':') ? `[${r.addr}]:${r.port}` : `${r.addr}:${r.port}`,
          ssStateName(r.state === 'LISTEN' ? 'LISTEN' : 'CLOSED'),
          r.process === undefined ? (r.user === undefined ? '-' : `? (${r.user})`) : `${sanitize(r.process)} (pid ${r.pid}, ${r.user ?? '?'})`,
          `${r.connections} connection${r.connections === 1 ? '' : 's'}`,
        ]);
        const head = ['proto', 'socket', 'state', 'process', 'connections'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length))); // 5 columns
        for (const r of [head, ...rows]) env.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
      }
      for (const l of notes) env.stderr.write(`${sanitize(l)}\n`);
      setExit(Exit.OK);
    });
}
