/**
 * Which process holds which socket: the inodes of `socket:[N]` links under `/proc/PID/fd`, the process's name from
 * `/proc/PID/comm` and its user from the `Uid:` line of `/proc/PID/status` (as `ss -p` and bandwhich find them).
 *
 * Reading another user's `/proc/PID/fd` needs root (or CAP_SYS_PTRACE / CAP_DAC_READ_SEARCH): without it those
 * directories fail with EACCES, and the scan counts them (`unreadable`) instead of failing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The process that holds a socket. */
export interface SocketOwner {
  readonly pid: number;
  /** `/proc/PID/comm`: the name the process gave itself (at most 15 bytes), as `ss -p` and `top` show it. */
  readonly process: string;
  /** The user name of the process's real uid (`/etc/passwd`), or the uid as text when it has no name. */
  readonly user: string;
}

/** What one scan found. */
export interface ScanResult {
  /** Sockets by inode; a socket shared by several processes (after fork) belongs to the first scanned. */
  readonly owners: Map<number, SocketOwner>;
  /** Processes whose fd directory could not be read for want of privilege. */
  readonly unreadable: number;
  /** Processes looked at (the first `scanned` of the list given). */
  readonly scanned: number;
}

/** The root of procfs, injectable for tests. */
export interface ProcFs {
  readonly root: string;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

/** User names by uid from `/etc/passwd` (read once per process: users rarely change while capturing). */
let userNames: Map<number, string> | null = null;

export function userName(uid: number): string {
  if (userNames === null) {
    userNames = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length >= 3 && f[0] !== '') userNames.set(Number(f[2]), f[0]!); // length >= 3
      }
    } catch {
      // No /etc/passwd (a minimal container): users are shown by number.
    }
  }
  return userNames.get(uid) ?? String(uid);
}

/** The name and user of `pid`, or null when it has gone. */
function describe(root: string, pid: number): { process: string; user: string } | null {
  try {
    const comm = readFileSync(`${root}/${pid}/comm`, 'utf8').replace(/\n$/, '');
    const status = readFileSync(`${root}/${pid}/status`, 'utf8');
    const m = /\nUid:\s+(\d+)/.exec(status);
    return { process: comm, user: m === null ? '' : userName(Number(m[1])) };
  } catch {
    return null;
  }
}

/**
 * Scans the fd directories of `pids` (every process when undefined: newest first when looking for `wanted`) for the
 * socket inodes in `wanted` (every socket when undefined). Stops early once every wanted inode is found (a socket
 * shared by several processes then belongs to the first found), and once `budget.untilMs` has passed (after at least
 * one process): `scanned` says how many of `pids` were looked at.
 */
export function scanSockets(
  pids?: Iterable<number>,
  wanted?: ReadonlySet<number>,
  fs: ProcFs = { root: '/proc' },
  budget?: { readonly now: () => number; readonly untilMs: number },
): ScanResult {
  const owners = new Map<number, SocketOwner>();
  let unreadable = 0;
  let scanned = 0;
  // Looking for particular (new) sockets, the newest processes go first: a new socket is most often a new process's,
  // and the scan stops once every wanted inode is found.
  const list = pids ?? (wanted === undefined ? allPids(fs.root) : allPids(fs.root).reverse());
  for (const pid of list) {
    if (wanted !== undefined && owners.size >= wanted.size) break;
    if (budget !== undefined && scanned > 0 && budget.now() >= budget.untilMs) break;
    scanned++;
    let fds: string[];
    try {
      fds = readdirSync(`${fs.root}/${pid}/fd`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') unreadable++;
      continue; // ENOENT: the process ended meanwhile
    }
    let who: { process: string; user: string } | null | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`${fs.root}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = SOCKET_LINK.exec(link);
      if (m === null) continue;
      const inode = Number(m[1]);
      if (owners.has(inode) || (wanted !== undefined && !wanted.has(inode))) continue;
      who ??= describe(fs.root, pid);
      if (who === null) break;
      owners.set(inode, { pid, process: who.process, user: who.user });
    }
  }
  return { owners, unreadable, scanned };
}

/** Every process id under procfs, ascending. */
export function allPids(root = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(root)) {
    const c = name.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}
