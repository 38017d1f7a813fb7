/**
 * Capture health: the interface counters read from /sys against `ip -s -j link` (iproute2), the sliding window of
 * missed bytes, the summary lines; and, as an unprivileged user, the one notice that other users' processes cannot
 * be read while their sockets still show their user and kernel state.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureHealth, lossText, MissedBytesWindow, readInterfaceCounters, snapshotLoss } from '../../src/local/capture-health.js';
import { direction, record } from '../helpers/records.js';

const ROOT = join(import.meta.dirname, '../..');

describe('interface counters', () => {
  it('equal ip -s link on loopback (each packet counted once: sent, not also received)', () => {
    const before = readInterfaceCounters('lo')!;
    const ip = JSON.parse(execFileSync('ip', ['-s', '-j', 'link', 'show', 'lo'], { encoding: 'utf8' })) as
      { stats64: { rx: { packets: number; dropped: number }; tx: { packets: number } } }[];
    const after = readInterfaceCounters('lo')!;
    const s = ip[0]!.stats64;
    // Other processes use loopback meanwhile: ip's figures lie between the two reads.
    expect(s.tx.packets).toBeGreaterThanOrEqual(before.txPackets);
    expect(s.tx.packets).toBeLessThanOrEqual(after.txPackets);
    expect(s.rx.packets).toBeGreaterThanOrEqual(before.rxPackets);
    expect(s.rx.packets).toBeLessThanOrEqual(after.rxPackets);
    expect(after.packets).toBe(after.txPackets);
    expect(readInterfaceCounters('no-such-if0')).toBeNull();
    expect(readInterfaceCounters('any')!.packets).toBeGreaterThanOrEqual(after.packets);
  });
});

describe('missed bytes', () => {
  it('sums the flows of the last 60 s and the whole run', () => {
    const w = new MissedBytesWindow(60);
    w.add(1000.5, 100, 1000);
    w.add(1030, 0, 3000);
    w.add(1061, 50, 1000);
    expect(w.window(1061)).toEqual({ missed: 50, bytes: 4000 }); // 1000.5 left the window
    expect(w.window(1200)).toEqual({ missed: 0, bytes: 0 });
    expect([w.totalMissed, w.totalBytes]).toEqual([150, 5000]);
    expect(lossText(50, 4000)).toBe('1.250%');
    expect(lossText(0, 0)).toBe('-');
  });

  it('from a snapshot: TCP flows active in the window', () => {
    const r = (lastSec: number, missed: number, proto: 'tcp' | 'udp' = 'tcp') =>
      record({ lastSec, missedBytes: missed, proto, orig: direction({ seqBytes: 900 }), resp: direction({ seqBytes: 100 }) });
    expect(snapshotLoss([r(100, 10), r(100, 0, 'udp'), r(10, 500)], 100)).toEqual({ missed: 10, bytes: 1000 });
  });

  it('says what the capture may have missed, and what cap cannot say', async () => {
    const h = new CaptureHealth('lo', '', () => 0);
    h.write(record({ lastSec: 50, missedBytes: 20, orig: direction({ seqBytes: 1000 }), resp: direction({ seqBytes: 0 }) }));
    const lines = await h.close();
    expect(lines[0]).toMatch(/^sockscope: capture health: lo counted \d+ packets while 0 were captured/);
    expect(lines[1]).toBe('sockscope: capture health: missed_bytes 2.000% of acknowledged TCP bytes in the last 60 s (20 of 1000), 2.000% in all');
    expect(lines[2]).toMatch(/no libpcap drop count \(pcap_stats\)/);
    expect((await new CaptureHealth('lo', 'tcp', () => 0).close())[0]).toMatch(/a filter was set/);
  });
});

const NOBODY = process.getuid?.() === 0 && spawnSync('id', ['-u', 'nobody']).status === 0 && existsSync(join(ROOT, 'dist/local/local-sockets.js'));

describe.skipIf(!NOBODY)('without the privilege to read other users\' /proc/PID/fd', () => {
  it('says so once; its own sockets get their process, the others their user and state', async () => {
    // A root-owned listener (this test process's), and LocalSockets run as nobody with a listener of its own.
    const script = `
      import net from 'node:net';
      const { LocalSockets } = await import(${JSON.stringify(join(ROOT, 'dist/local/local-sockets.js'))});
      const srv = net.createServer(() => {});
      await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      const port = srv.address().port;
      const notices = [];
      const ls = new LocalSockets({ onNotice: (l) => notices.push(l) });
      ls.refresh(); ls.refresh();
      const mine = ls.listeners().find((e) => e.localPort === port);
      const root = ls.listeners().find((e) => e.localPort === Number(process.argv[1]));
      console.log(JSON.stringify({ notices, pid: process.pid, mine: [mine?.owner?.pid, mine?.user()], root: [root?.owner, root?.user(), root?.kernelState()] }));
      srv.close();
    `;
    const holder = createServer(() => {});
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const rootPort = (holder.address() as AddressInfo).port;
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('runuser', ['-u', 'nobody', '--', 'node', '--input-type=module', '-e', script, String(rootPort)], { cwd: '/tmp' });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
    });
    holder.close();
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { notices: string[]; pid: number; mine: unknown[]; root: unknown[] };
    expect(out.notices).toHaveLength(1);
    expect(out.notices[0]).toMatch(/^sockscope: cannot read \/proc\/PID\/fd of \d+ processes of other users \(needs root, or CAP_SYS_PTRACE\)/);
    expect(out.mine).toEqual([out.pid, 'nobody']);
    expect(out.root).toEqual([null, 'root', 'LISTEN']);
  });
});
