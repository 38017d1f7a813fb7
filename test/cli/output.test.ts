/**
 * The output side of `flows` under pressure: a reader slower than sockscope, a reader that leaves, a full disk, a
 * closed standard output, and SIGINT/SIGTERM. Runs the built CLI as a user would, on captures the tests generate.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/env.js';
import { main } from '../../src/cli/main.js';
import { BIN, bytesRead, jsonLines, peakRss, sleep, UDP_RECORD_BYTES, udpFlowsPcap } from '../helpers/hostile.js';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-output-'));
/** 1,000,000 one-packet UDP flows (52 MB), 1000 a second: with --udp-timeout 1 records stream out all along. */
const BIG = join(tmp, 'udp-1M.pcap');
writeFileSync(BIG, udpFlowsPcap(1_000_000));

/** Resolves with the exit code (or the signal) of `child`. */
function exited(child: ChildProcess): Promise<number | NodeJS.Signals> {
  return new Promise((res) => child.on('exit', (code, sig) => res(code ?? sig!)));
}

/** Collects a stream's text. */
function collect(stream: NodeJS.ReadableStream): { text: () => string } {
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  return { text: () => Buffer.concat(parts).toString('utf8') };
}

/**
 * Waits until `pid` has read less than 64 KiB over `quietMs` (it waits for something; worker threads still make
 * small reads of their own); fails after `limitMs`.
 */
async function untilReadingStops(pid: number, quietMs = 600, limitMs = 20_000): Promise<number> {
  let last = bytesRead(pid);
  let since = Date.now();
  for (const t0 = Date.now(); Date.now() - t0 < limitMs; ) {
    await sleep(100);
    let now: number;
    try {
      now = bytesRead(pid);
    } catch {
      throw new Error(`sockscope (pid ${pid}) ended before its reading stopped`);
    }
    if (now - last >= 1 << 16) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`still reading after ${limitMs} ms`);
}

/** The flow count of a summary line. */
const flowsOf = (err: string): number => Number(/assigned to (\d+) flows?/.exec(err)?.[1] ?? NaN);

describe('a slow reader', () => {
  it('holds reading back, not memory; after SIGINT every record is whole and every open flow written', async () => {
    const child = spawn(process.execPath, [BIN, 'flows', '-f', 'ndjson', '--udp-timeout', '1', BIG], { stdio: ['ignore', 'pipe', 'pipe'] });
    const err = collect(child.stderr!);
    child.stdout!.pause(); // a reader that takes nothing for now
    const read = await untilReadingStops(child.pid!);
    // Waiting: a few MiB of the 52 MB read (1 MiB output backlog, a 64 KiB pipe, the 2 MiB read buffers), and
    // memory near its start. Without backpressure the whole file is read and its 490 MB of records queued.
    expect(read).toBeLessThan(16 << 20);
    expect(peakRss(child.pid!)).toBeLessThan(200 << 20);
    child.kill('SIGINT');
    await sleep(200);
    const out = collect(child.stdout!); // now the reader catches up
    child.stdout!.resume();
    expect(await exited(child)).toBe(130);
    const records = jsonLines(out.text()); // throws on a record cut short
    expect(out.text().endsWith('\n')).toBe(true);
    expect(records.length).toBe(flowsOf(err.text()));
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(100_000);
    expect(records.filter((r) => r.end_reason === 'eof').length).toBeGreaterThan(0); // the open flows
    expect(err.text()).toContain('SIGINT: stopping');
  }, 60_000);

  it('with worker threads (-j 2) too: reading waits, and SIGINT writes whole records', async () => {
    const child = spawn(process.execPath, [BIN, 'flows', '-j', '2', '-f', 'ndjson', '--udp-timeout', '1', BIG], { stdio: ['ignore', 'pipe', 'pipe'] });
    const err = collect(child.stderr!);
    child.stdout!.pause();
    expect(await untilReadingStops(child.pid!)).toBeLessThan(24 << 20);
    child.kill('SIGINT');
    await sleep(200);
    const out = collect(child.stdout!);
    child.stdout!.resume();
    expect(await exited(child)).toBe(130);
    const records = jsonLines(out.text());
    expect(records.length).toBe(flowsOf(err.text()));
    expect(records.length).toBeLessThan(200_000);
  }, 60_000);

  it('a second SIGINT exits at once, even while the reader takes nothing', async () => {
    const child = spawn(process.execPath, [BIN, 'flows', '-f', 'ndjson', '--udp-timeout', '1', BIG], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pause();
    await untilReadingStops(child.pid!);
    child.kill('SIGINT');
    await sleep(500);
    expect(child.exitCode).toBe(null); // still waiting for the reader to take the open flows
    const t0 = Date.now();
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2000);
  }, 60_000);
});

describe('signals', () => {
  /** `flows -` on a pipe that delivers `packets` packets and then stays open. */
  async function stalledRun(sig: NodeJS.Signals, packets: number) {
    const child = spawn(process.execPath, [BIN, 'flows', '-f', 'ndjson', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = collect(child.stdout!);
    const err = collect(child.stderr!);
    child.stdin!.write(udpFlowsPcap(packets));
    await untilReadingStops(child.pid!, 400);
    child.kill(sig);
    const code = await exited(child);
    child.stdin!.destroy();
    return { code, out: out.text(), err: err.text() };
  }

  it('SIGINT: every open flow and the summary are written, exit 130', async () => {
    const r = await stalledRun('SIGINT', 300);
    expect(r.code).toBe(130);
    expect(jsonLines(r.out).length).toBe(300);
    expect(r.err).toMatch(/^sockscope: 300 packets read, 300 assigned to 300 flows/m);
  }, 30_000);

  it('SIGTERM: the same, exit 143', async () => {
    const r = await stalledRun('SIGTERM', 40);
    expect(r.code).toBe(143);
    expect(jsonLines(r.out).map((x) => x.end_reason)).toEqual(Array(40).fill('eof'));
    expect(r.err).toMatch(/^sockscope: 40 packets read/m);
  }, 30_000);
});

describe('output errors', () => {
  it('a full disk (/dev/full) is one line naming the output and the reason, exit 3, and reading stops', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ndjson', '--udp-timeout', '1', BIG], {
        stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000,
      });
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('sockscope: error: cannot write the output (standard output): no space left on device (ENOSPC)\n');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const read = Number(/^sockscope: (\d+) packets read/m.exec(r.stderr)?.[1]);
      expect(read).toBeLessThan(100_000); // stopped at the failure, not at the end of the million
    } finally {
      closeSync(fd);
    }
  }, 60_000);

  it('-o FILE on a full disk names the file', () => {
    const r = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ndjson', '-q', '-o', '/dev/full', DEMO], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('sockscope: error: cannot write the output (/dev/full): no space left on device (ENOSPC)\n');
  });

  it('standard output closed (>&-) is an error, not a silent loss; > /dev/null is not', () => {
    const closed = spawnSync('sh', ['-c', `exec "${process.execPath}" "${BIN}" flows -f ndjson "${DEMO}" >&-`], { encoding: 'utf8' });
    expect(closed.status).toBe(3);
    expect(closed.stderr).toContain('standard output is closed');
    const discarded = spawnSync('sh', ['-c', `exec "${process.execPath}" "${BIN}" flows -f ndjson "${DEMO}" >/dev/null`], { encoding: 'utf8' });
    expect(discarded.status).toBe(0);
  });

  /** An in-process stdout whose reader leaves after `keep` bytes: later writes fail with EPIPE, as a closed pipe's. */
  function leavingReader(keep: number) {
    let handed = 0;
    let taken = 0;
    const stdout = new Writable({
      highWaterMark: 1 << 16,
      write(chunk: Buffer, _enc, cb) {
        taken += chunk.length;
        if (taken > keep) cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else setImmediate(cb);
      },
    });
    const write = stdout.write.bind(stdout) as (c: Uint8Array, cb?: () => void) => boolean;
    stdout.write = ((c: Uint8Array, cb?: () => void) => {
      handed += c.length;
      return write(c, cb);
    }) as typeof stdout.write;
    let err = '';
    const env: Env = {
      stdout, stderr: new PassThrough().on('data', (d) => (err += String(d))), stdin: new PassThrough(),
      now: Date.now, isTTY: false, errIsTTY: false, columns: 80,
    };
    return { env, handed: () => handed, err: () => err };
  }

  it('EPIPE while records stream (ndjson | head -1): reading stops at once, exit 0', async () => {
    const r = leavingReader(1000);
    expect(await main(['flows', '-f', 'ndjson', '--udp-timeout', '1', BIG], r.env)).toBe(0);
    expect(r.handed()).toBeLessThan(4 << 20); // of 490 MB
    expect(r.err()).toBe('');
  }, 60_000);

  it('EPIPE while json is written at the end (json | head -1): writing stops at once, exit 0', async () => {
    const small = join(tmp, 'udp-200k.pcap');
    writeFileSync(small, readFileSync(BIG).subarray(0, 24 + 200_000 * UDP_RECORD_BYTES));
    const r = leavingReader(1000);
    expect(await main(['flows', '-f', 'json', small], r.env)).toBe(0);
    expect(r.handed()).toBeLessThan(4 << 20); // of 98 MB
  }, 60_000);
});
