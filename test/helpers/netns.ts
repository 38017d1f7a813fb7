/**
 * Two network namespaces joined by a veth pair, for tests that need real traffic without touching the host's
 * network: `a` (client) 10.99.0.1/24 + fd00:99::1/64, `b` (server) 10.99.0.2/24 + fd00:99::2/64, loopback up in
 * both, IPv6 addresses added with `nodad` so they are usable at once. Needs root and iproute2's `ip netns`.
 *
 * Every process a test starts through {@link NetnsPair.spawn} is killed by {@link NetnsPair.destroy}, which also
 * deletes both namespaces; call it in `afterAll` (it is safe after a partial setup).
 */
import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process';

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add); CI runs as root';
  const probe = `ss-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], {encoding: 'utf8'});
  if (add.error !== undefined || add.status !== 0) {
    return `ip netns is unavailable: ${add.error?.message ?? add.stderr.trim()}`;
  }
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Whether a program is on PATH. */
export function hasProgram(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

let pairCounter = 0;

/** The addresses of a {@link NetnsPair}. */
export const NETNS_ADDR = {
  A4: '10.99.0.1',
  B4: '10.99.0.2',
  A6: 'fd00:99::1',
  B6: 'fd00:99::2',
} as const;

/** A live child process with its output collected as text. */
export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export class NetnsPair {
  readonly a: string;
  readonly b: string;
  readonly vethA: string;
  readonly vethB: string;
  private readonly children: Child[] = [];

  private constructor(tag: string) {
    const id = `${process.pid}-${++pairCounter}`;
    this.a = `ss-${tag}-${id}-a`;
    this.b = `ss-${tag}-${id}-b`;
    // Interface names are at most 15 bytes (IFNAMSIZ - 1).
    const short = `${process.pid % 100000}${pairCounter}`;
    this.vethA = `ssa${short}`.slice(0, 15);
    this.vethB = `ssb${short}`.slice(0, 15);
  }

  /** Creates both namespaces and the veth pair; on failure, removes what was made and rethrows. */
  static create(tag: string, opts: {offload?: boolean} = {}): NetnsPair {
    const p = new NetnsPair(tag);
    try {
      const ip = (...args: string[]) => execFileSync('ip', args, {stdio: ['ignore', 'ignore', 'pipe']});
      ip('netns', 'add', p.a);
      ip('netns', 'add', p.b);
      ip('link', 'add', p.vethA, 'netns', p.a, 'type', 'veth', 'peer', 'name', p.vethB, 'netns', p.b);
      for (const [ns, dev, v4, v6] of [
        [p.a, p.vethA, NETNS_ADDR.A4, NETNS_ADDR.A6],
        [p.b, p.vethB, NETNS_ADDR.B4, NETNS_ADDR.B6],
      ] as const) {
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev);
        ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad');
        ip('-n', ns, 'link', 'set', dev, 'up');
        if (opts.offload === false && hasProgram('ethtool')) {
          spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
        }
      }
    } catch (e) {
      p.destroy();
      throw e;
    }
    return p;
  }

  /** Starts `cmd args` inside namespace `side`; the process is killed by {@link destroy}. */
  spawn(side: 'a' | 'b', cmd: string, args: string[], opts: {cwd?: string} = {}): Child {
    const ns = side === 'a' ? this.a : this.b;
    const proc = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd});
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | string>(resolve => {
      proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      proc.on('error', e => resolve(`spawn error: ${e.message}`));
    });
    const child: Child = {proc, stdout: () => out, stderr: () => err, exited};
    this.children.push(child);
    return child;
  }

  /** Runs `cmd args` inside namespace `side` to completion (bounded by `timeoutMs`). */
  run(side: 'a' | 'b', cmd: string, args: string[], timeoutMs = 20_000): {status: number | null; stdout: string; stderr: string} {
    const ns = side === 'a' ? this.a : this.b;
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], {encoding: 'utf8', timeout: timeoutMs});
    return {status: r.status, stdout: r.stdout, stderr: r.stderr};
  }

  /** Kills every process started here, then deletes both namespaces. Never throws. */
  destroy(): void {
    for (const c of this.children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
    spawnSync('ip', ['netns', 'del', this.a]);
    spawnSync('ip', ['netns', 'del', this.b]);
  }
}

/** Resolves once `read()` matches `re`, polling every 20 ms; rejects after `timeoutMs` with what was read. */
export async function waitFor(read: () => string, re: RegExp, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(read())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got:\n${read()}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Resolves with the exit code, or kills the process and rejects after `timeoutMs`. */
export async function exitWithin(child: Child, timeoutMs: number, what: string): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.proc.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${timeoutMs} ms; stderr:\n${child.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
