/**
 * LocalSockets: this host's sockets (in the capture's network namespace) and the processes that hold them, kept
 * fresh at a bounded rate, for the live capture's records. Looking a flow's end up is one map lookup; the tables
 * are read on a timer, never per packet.
 *
 * Each refresh reads /proc/net/{tcp,tcp6,udp,udp6} (proc-net.ts) and compares them with what it held: sockets seen
 * for the first time come first, and their inodes are looked for in the fd directories of the processes already known
 * to own sockets (an accepting server, a client making many connections), then, at a lower rate, in every process
 * (processes.ts). Sockets that leave the kernel's tables keep their last known owner (a process that exits stays
 * named) and read as CLOSED, for a while (`retainMs`) and up to a bound (`maxGone`).
 *
 * The rate is bounded by cost as well as by time: the next refresh waits at least `minRefreshMs` and at least 20
 * times what the last one took, a full pass over the fd directories at least `minScanMs` and 20 times its own cost,
 * so that at most about 5% of a core goes to each; and a pass is cut into slices of `sliceMs`, so that the capture's
 * thread is never held long.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseAddressWords as parseWords } from '../flow/community-id.js';
import { type KernelSocket, kernelStateName, parseProcNet, PROC_NET_TABLES, type SocketProto } from './proc-net.js';
import { allPids, type ScanResult, scanSockets, type SocketOwner, userName } from './processes.js';

/** Kernel TCP state LISTEN (include/net/tcp_states.h). */
const TCP_LISTEN = 0x0a;

/** One socket of this host, as last seen; kept (and shared by the flows bound to it) after it leaves the kernel. */
export class SocketEntry {
  /** 6 or 17. */
  readonly proto: SocketProto;
  /** A listening TCP socket or an unconnected UDP one (it serves many flows; its state is not theirs). */
  readonly listener: boolean;
  /** 4 or 6 (6 for a dual-stack socket bound to `::`), and the local address words (big-endian int32). */
  readonly version: 4 | 6;
  readonly local: readonly [number, number, number, number];
  readonly localPort: number;
  /** Latest kernel state code (proc-net.ts), or 0 once the socket has left the kernel's tables. */
  state = 0;
  /** Socket inode (0 for TIME_WAIT: the last non-zero one is kept), and its owner's uid when seen with an inode. */
  inode = 0;
  uid = -1;
  /** The process that holds (or last held) it; null when not found (yet), or not readable. */
  owner: SocketOwner | null = null;
  /** Refresh generation it was last seen in; wall time (ms) it was last seen. */
  seenGen = 0;
  seenMs = 0;

  constructor(proto: SocketProto, listener: boolean, version: 4 | 6, local: readonly [number, number, number, number], localPort: number) {
    this.proto = proto;
    this.listener = listener;
    this.version = version;
    this.local = local;
    this.localPort = localPort;
  }

  /** The kernel's state in netstat's names (`ESTABLISHED`, `FIN_WAIT_2`); CLOSED once gone; TCP only. */
  kernelState(): string | undefined {
    if (this.proto !== 6) return undefined;
    return this.state === 0 ? 'CLOSED' : kernelStateName(this.state);
  }

  /** The owner's user, or else the socket's (what /proc/net says even without the privilege to read /proc/PID/fd). */
  user(): string | undefined {
    if (this.owner !== null) return this.owner.user;
    return this.uid >= 0 ? userName(this.uid) : undefined;
  }
}

export interface LocalSocketsOptions {
  /** procfs root. @default '/proc' */
  procRoot?: string;
  /** Wall clock, ms. @default Date.now */
  now?: () => number;
  /** Fewest ms between two reads of the socket tables. @default 100 */
  minRefreshMs?: number;
  /** Fewest ms between the starts of two passes over every process's fd directory. @default 250 */
  minScanMs?: number;
  /** Most ms one refresh spends in the fd directories of every process (a full pass takes several). @default 8 */
  sliceMs?: number;
  /** How long a socket gone from the kernel keeps its entry, ms. @default 600000 */
  retainMs?: number;
  /** Most gone sockets kept. @default 65536 */
  maxGone?: number;
  /** Told once, in one line, when other users' /proc/PID/fd cannot be read. */
  onNotice?: (line: string) => void;
}

/** Counters of the refresher's work, for the summary and the tests. */
export interface LocalSocketsStats {
  refreshes: number;
  fullScans: number;
  ownerScans: number;
  /** Wall time of the last refresh and of the last full pass (all its slices), ms. */
  lastRefreshMs: number;
  lastScanMs: number;
  /** Sockets in the kernel's tables at the last refresh, and how many of those have an owner. */
  sockets: number;
  owned: number;
  /** Processes whose fd directory could not be read in the last full pass. */
  unreadable: number;
}

const key = (proto: number, version: number, w0: number, w1: number, w2: number, w3: number, port: number): string =>
  `${proto} ${version} ${w0} ${w1} ${w2} ${w3} ${port}`;

export class LocalSockets {
  private readonly root: string;
  private readonly now: () => number;
  private readonly minRefreshMs: number;
  private readonly minScanMs: number;
  private readonly retainMs: number;
  private readonly maxGone: number;
  private readonly onNotice: ((line: string) => void) | undefined;
  /** Connected sockets by local and remote socket; listeners and unconnected UDP sockets by local socket. */
  private readonly connected = new Map<string, SocketEntry>();
  private readonly bound = new Map<string, SocketEntry>();
  /** Owners found so far, by inode; pids known to own sockets (searched first for new inodes). */
  private readonly owners = new Map<number, SocketOwner>();
  private readonly ownerPids = new Set<number>();
  /** The host's addresses (networkInterfaces() of this namespace), as keys of `key(0, version, words, 0)`. */
  private hostAddrs = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private nextScanMs = 0;
  /** The full pass under way: the pids still to look at, the inodes it was started for, its cost so far. */
  private pass: { pids: number[]; wanted: Set<number>; costMs: number; unreadable: number } | null = null;
  private readonly sliceMs: number;
  private lastSliceMs = 0;
  private passTimer: NodeJS.Timeout | undefined;
  /** Between start() and stop(): timers may be set. */
  private running = false;
  private noticed = false;
  /** Inodes no scan could find (a process we may not read, or closed meanwhile): not searched for again. */
  private readonly unfindable = new Set<number>();
  /** Refresh generation: goes up by one per refresh. */
  gen = 0;
  readonly stats: LocalSocketsStats = {
    refreshes: 0, fullScans: 0, ownerScans: 0, lastRefreshMs: 0, lastScanMs: 0, sockets: 0, owned: 0, unreadable: 0,
  };

  constructor(opts: LocalSocketsOptions = {}) {
    this.root = opts.procRoot ?? '/proc';
    this.now = opts.now ?? Date.now;
    this.minRefreshMs = opts.minRefreshMs ?? 100;
    this.minScanMs = opts.minScanMs ?? 250;
    this.sliceMs = opts.sliceMs ?? 8;
    this.retainMs = opts.retainMs ?? 600_000;
    this.maxGone = opts.maxGone ?? 65536;
    this.onNotice = opts.onNotice;
  }

  /** Refreshes now, then on a timer at the bounded rate until {@link stop}. The timer keeps no process alive. */
  start(): void {
    this.running = true;
    this.refresh();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.passTimer);
    this.timer = undefined;
    this.passTimer = undefined;
  }

  private schedule(): void {
    const delay = Math.max(this.minRefreshMs, 20 * this.stats.lastRefreshMs);
    this.timer = setTimeout(() => {
      this.refresh();
      this.schedule();
    }, delay);
    this.timer.unref();
  }

  /**
   * While a pass over every process is under way, its next slice comes after three times the last slice's time (not
   * at the next refresh), so that a pass ends within a few times its cost; the socket tables are not read again for
   * it. How often passes start still bounds their share of the time (findOwners).
   */
  private schedulePass(): void {
    if (!this.running || this.pass === null || this.passTimer !== undefined) return;
    this.passTimer = setTimeout(() => {
      this.passTimer = undefined;
      const unknown = this.unknownInodes();
      if (unknown.size > 0) this.findOwners(unknown, this.now(), false);
      else this.pass = null;
      this.schedulePass();
    }, Math.max(5, 3 * this.lastSliceMs));
    this.passTimer.unref();
  }

  /** Inodes of sockets now in the tables whose owner is not known (nor known to be unfindable). */
  private unknownInodes(): Set<number> {
    const out = new Set<number>();
    for (const map of [this.connected, this.bound]) {
      for (const e of map.values()) {
        if (e.owner === null && e.inode !== 0 && e.seenGen === this.gen && !this.unfindable.has(e.inode)) out.add(e.inode);
      }
    }
    return out;
  }

  /** Reads the socket tables and finds the owners of new sockets (synchronous; see the module's note on rate). */
  refresh(): void {
    const t0 = this.now();
    this.gen++;
    this.readHostAddresses();
    const unknown = new Set<number>();
    let count = 0;
    for (const t of PROC_NET_TABLES) {
      let text: string;
      try {
        text = readFileSync(`${this.root}/net/${t.file}`, 'latin1');
      } catch {
        continue; // no IPv6 in this kernel, say
      }
      for (const s of parseProcNet(text, t.proto, t.v6)) {
        count++;
        const e = this.entryOf(s, t0);
        if (e.owner === null && e.inode !== 0) {
          const o = this.owners.get(e.inode);
          if (o !== undefined) e.owner = o;
          else if (!this.unfindable.has(e.inode)) unknown.add(e.inode);
        }
      }
    }
    const t1 = this.now();
    if (unknown.size > 0) this.findOwners(unknown, t0, true);
    const t2 = this.now();
    this.markGone(t0);
    this.stats.refreshes++;
    this.stats.sockets = count;
    // The tables' own cost paces the refreshes; a full scan's paces the full scans (findOwners).
    this.stats.lastRefreshMs = t1 - t0 + (this.now() - t2);
  }

  /** The entry of kernel socket `s`, made or updated. */
  private entryOf(s: KernelSocket, nowMs: number): SocketEntry {
    const listener = s.proto === 6 ? s.state === TCP_LISTEN : s.remotePort === 0;
    const l = s.local;
    const r = s.remote;
    const version = s.anyV6 ? 6 : s.version;
    const k = listener
      ? key(s.proto, version, l[0], l[1], l[2], l[3], s.localPort)
      : `${key(s.proto, version, l[0], l[1], l[2], l[3], s.localPort)} ${r[0]} ${r[1]} ${r[2]} ${r[3]} ${s.remotePort}`;
    const map = listener ? this.bound : this.connected;
    let e = map.get(k);
    // The same sockets again with another inode: a new socket (the port pair reused); flows bound to the old one keep it.
    if (e === undefined || (s.inode !== 0 && e.inode !== 0 && e.inode !== s.inode)) {
      e = new SocketEntry(s.proto, listener, version, l, s.localPort);
      map.set(k, e);
    } else if (e.state === 0) {
      map.delete(k); // back from the gone: move it to the end of the map's order (the gone are pruned oldest first)
      map.set(k, e);
    }
    e.state = s.state;
    e.seenGen = this.gen;
    e.seenMs = nowMs;
    if (s.inode !== 0) {
      if (e.inode !== s.inode) e.owner = null;
      e.inode = s.inode;
      e.uid = s.uid;
    }
    return e;
  }

  /**
   * Looks for `inodes` in the known owners' fd directories, then in every process's, newest first. That full pass is
   * cut into slices of at most `sliceMs` per refresh (the capture's thread is never held longer by it: a stall
   * of 30 ms overflows a ring of 256 slots at 10,000 packets a second) and starts at most every `minScanMs` and 20
   * times the last pass's cost.
   */
  private findOwners(inodes: Set<number>, nowMs: number, knownFirst: boolean): void {
    if (knownFirst && this.ownerPids.size > 0) {
      this.stats.ownerScans++;
      this.take(scanSockets(this.ownerPids, inodes, { root: this.root }), inodes);
    }
    if (inodes.size === 0) {
      this.pass = null; // everything found: no pass needed
      return;
    }
    if (this.pass === null) {
      if (nowMs < this.nextScanMs) return;
      this.pass = { pids: allPids(this.root).reverse(), wanted: new Set(inodes), costMs: 0, unreadable: 0 };
    }
    const pass = this.pass;
    const t0 = this.now();
    const scan = scanSockets(pass.pids, inodes, { root: this.root }, { now: this.now, untilMs: t0 + this.sliceMs });
    pass.pids = pass.pids.slice(scan.scanned);
    this.lastSliceMs = this.now() - t0;
    pass.costMs += this.lastSliceMs;
    pass.unreadable += scan.unreadable;
    this.take(scan, inodes);
    if (pass.pids.length > 0 && inodes.size > 0) {
      this.schedulePass(); // the pass goes on shortly
      return;
    }
    this.pass = null;
    // Inodes wanted since the pass began and still not found are in no process we may read (or closed meanwhile).
    if (pass.pids.length === 0) for (const inode of inodes) if (pass.wanted.has(inode)) this.unfindable.add(inode);
    this.stats.fullScans++;
    this.stats.lastScanMs = pass.costMs;
    this.stats.unreadable = pass.unreadable;
    this.nextScanMs = this.now() + Math.max(this.minScanMs, 20 * pass.costMs);
    if (pass.unreadable > 0 && !this.noticed) {
      this.noticed = true;
      this.onNotice?.(
        `sockscope: cannot read /proc/PID/fd of ${pass.unreadable} processes of other users (needs root, or ` +
          'CAP_SYS_PTRACE): their sockets show their user and kernel state but no process',
      );
    }
  }

  private take(scan: ScanResult, inodes: Set<number>): void {
    for (const [inode, owner] of scan.owners) {
      this.owners.set(inode, owner);
      this.ownerPids.add(owner.pid);
      inodes.delete(inode);
    }
    for (const map of [this.connected, this.bound]) {
      for (const e of map.values()) {
        if (e.owner === null && e.inode !== 0) e.owner = this.owners.get(e.inode) ?? null;
      }
    }
    let owned = 0;
    for (const e of this.connected.values()) if (e.owner !== null && e.seenGen === this.gen) owned++;
    for (const e of this.bound.values()) if (e.owner !== null && e.seenGen === this.gen) owned++;
    this.stats.owned = owned;
  }

  /** Entries not seen in this refresh become CLOSED; the oldest gone ones are dropped past retainMs or maxGone. */
  private markGone(nowMs: number): void {
    let gone = 0;
    for (const map of [this.connected, this.bound]) {
      for (const [k, e] of map) {
        if (e.seenGen === this.gen) continue;
        if (e.state !== 0) e.state = 0;
        if (nowMs - e.seenMs > this.retainMs) {
          map.delete(k);
          if (e.inode !== 0) this.owners.delete(e.inode);
        } else gone++;
      }
    }
    if (gone > this.maxGone) {
      let excess = gone - this.maxGone;
      for (const map of [this.connected, this.bound]) {
        for (const [k, e] of map) {
          if (excess === 0) break;
          if (e.state === 0) {
            map.delete(k);
            excess--;
          }
        }
      }
    }
    if (this.unfindable.size > 65536) this.unfindable.clear();
    if (this.ownerPids.size > 4096) this.ownerPids.clear();
  }

  private readHostAddresses(): void {
    const addrs = new Set<string>();
    const w = new Uint32Array(4);
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        const version = a.family === 'IPv4' ? 4 : 6;
        if (!parseWords(a.address.replace(/%.*$/, ''), version, w)) continue;
        addrs.add(key(0, version, w[0]! | 0, w[1]! | 0, w[2]! | 0, w[3]! | 0, 0));
      }
    }
    this.hostAddrs = addrs;
  }

  /** Whether the address (words as flows keep them) is one of this host's (in the capture's namespace). */
  isHostAddress(version: number, w0: number, w1: number, w2: number, w3: number): boolean {
    return this.hostAddrs.has(key(0, version, w0, w1, w2, w3, 0));
  }

  /**
   * The socket of this host at (local address, local port) talking to (remote address, remote port): the connected
   * socket, else the listening or bound socket that serves the local port (on its address, or on the wildcard
   * address, a dual-stack `::` included); null when none is known.
   */
  lookup(
    proto: number, version: number,
    l0: number, l1: number, l2: number, l3: number, lport: number,
    r0: number, r1: number, r2: number, r3: number, rport: number,
  ): SocketEntry | null {
    if (proto !== 6 && proto !== 17) return null;
    const local = key(proto, version, l0, l1, l2, l3, lport);
    return this.connected.get(`${local} ${r0} ${r1} ${r2} ${r3} ${rport}`)
      ?? this.bound.get(local)
      ?? this.bound.get(key(proto, version, 0, 0, 0, 0, lport))
      ?? (version === 4 ? this.bound.get(key(proto, 6, 0, 0, 0, 0, lport)) ?? null : null);
  }

  /** The listening TCP sockets and bound UDP sockets now in the kernel's tables. */
  listeners(): SocketEntry[] {
    return [...this.bound.values()].filter((e) => e.state !== 0);
  }

  /**
   * The connected sockets now in the kernel's tables that `listener` serves (same protocol and port, on its address
   * or any for a wildcard listener): one listening socket, many connection sockets. A walk over every connection.
   */
  connectionsOf(listener: SocketEntry): SocketEntry[] {
    const out: SocketEntry[] = [];
    const wild = listener.local.every((w) => w === 0);
    for (const e of this.connected.values()) {
      if (e.state === 0 || e.proto !== listener.proto || e.localPort !== listener.localPort) continue;
      if (wild ? listener.version === 6 || e.version === 4 : e.version === listener.version && e.local.every((w, i) => w === listener.local[i])) {
        out.push(e);
      }
    }
    return out;
  }
}
