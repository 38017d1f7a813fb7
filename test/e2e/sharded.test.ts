/**
 * `flows --threads N`: the main thread reads and decodes, worker threads each hold a share of the flows, and the
 * merged output must be the output of one thread, byte for byte, summary included: on every corpus capture read in one run (tunnels, fragments, IPv6, bad
 * files, clock jumps between files), in each streaming format, and on a generated capture large enough that every
 * worker posts many batches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';
import { makeFlood } from '../helpers/flood.js';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const MAKE_PCAP = resolve(import.meta.dirname, '../../../shared/bench/make-pcap.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-shard-'));

function run(args: string[], input?: Buffer) {
  // Bounded: a run that hangs fails its test (with the reason in `err`) instead of stopping the suite.
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000, killSignal: 'SIGKILL', ...(input !== undefined ? { input } : {}),
  });
  if (r.error !== undefined) return { code: null, out: r.stdout, err: `${r.stderr}\n[test harness] ${r.error.message}` };
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Zeek logs carry the wall-clock time they were opened and closed. */
const withoutClock = (s: string) => s.replace(/^#(open|close)\t.*$/gm, '#$1');

describe.skipIf(!HAVE_CORPUS)('flows --threads on the corpus', () => {
  const captures = corpusCaptures().map((c) => join(CORPUS, c));

  it('writes the same ndjson records, in the same order, with the same summary, on 1, 2 and 3 threads', () => {
    const one = run(['flows', '-f', 'ndjson', '-j', '1', ...captures]);
    expect(one.out.split('\n').length).toBeGreaterThan(1000);
    expect(one.err).toMatch(/packets read/);
    for (const threads of ['2', '3']) {
      const many = run(['flows', '-f', 'ndjson', '-j', threads, ...captures]);
      expect(many.code).toBe(one.code);
      expect(many.err).toBe(one.err);
      expect(many.out === one.out).toBe(true); // not toBe: a diff of megabytes helps nobody
    }
  });

  it('passes the flow-table and checksum options on to every worker', () => {
    const opts = ['--verify-checksums', '--udp-timeout', '7', '--tcp-timeout', '30', '--close-delay', '1'];
    const one = run(['flows', '-f', 'ndjson', '-j', '1', ...opts, ...captures]);
    const two = run(['flows', '-f', 'ndjson', '-j', '2', ...opts, ...captures]);
    expect(two.err).toBe(one.err);
    expect(two.err).toMatch(/wrong checksum/);
    expect(two.out === one.out).toBe(true);
    // The options changed something: shorter timeouts split flows the defaults keep whole.
    expect(one.out === run(['flows', '-f', 'ndjson', '-j', '1', ...captures]).out).toBe(false);
  });

  it('takes the record settings (community ID seed or none, local networks) to every worker', () => {
    const plain = run(['flows', '-f', 'ndjson', '-j', '1', ...captures]).out;
    for (const opts of [['--community-id-seed', '1'], ['--no-community-id'], ['--local-nets', 'private'], ['--local-nets', '10.0.0.0/8,fd00::/8']]) {
      const one = run(['flows', '-f', 'ndjson', '-j', '1', ...opts, ...captures]);
      const two = run(['flows', '-f', 'ndjson', '-j', '2', ...opts, ...captures]);
      expect(two.err, opts.join(' ')).toBe(one.err);
      expect(two.err).not.toMatch(/not used/);
      expect(two.out === one.out, opts.join(' ')).toBe(true);
      expect(one.out === plain, opts.join(' ')).toBe(false); // the option changed the records
    }
  });

  it('writes the same csv and zeek logs on 2 threads', () => {
    for (const format of ['csv', 'zeek']) {
      const one = run(['flows', '-f', format, '-j', '1', ...captures]);
      const two = run(['flows', '-f', format, '-j', '2', ...captures]);
      expect(two.err).toBe(one.err);
      expect(withoutClock(two.out) === withoutClock(one.out)).toBe(true);
    }
  });
});

describe.skipIf(!HAVE_CORPUS)('flows --threads on a generated capture', () => {
  const pcap = join(tmp, 'gen.pcap');
  const make = () => {
    const r = spawnSync(process.execPath, [MAKE_PCAP, '--packets', '60k', '--flows', '4000', '--seed', '7', '--out', pcap, '--quiet']);
    expect(r.status).toBe(0);
  };

  it('merges many batches per worker into the single-thread output', () => {
    make();
    const one = run(['flows', '-f', 'ndjson', '-j', '1', pcap]);
    expect(one.code).toBe(0);
    expect(one.out.length).toBeGreaterThan(4 << 20); // batches of 1 MiB, and the end of input's flush
    const two = run(['flows', '-f', 'ndjson', '-j', '2', pcap]);
    expect(two.err).toBe(one.err);
    expect(two.out === one.out).toBe(true);
    // The uids do not depend on the threads either: each comes from the position of the flow's first packet.
    const uids = new Set(one.out.trim().split('\n').map((l) => (JSON.parse(l) as { uid: string }).uid));
    expect(uids.size).toBe(one.out.trim().split('\n').length);
  });

  it('fills the pool of batch buffers many times over: a SYN flood of 100,000 flows', () => {
    // About 70 MB of records: some 35 batches of 1 MiB per worker, through 8 pool buffers each.
    const flood = makeFlood(['--scenario', 'synflood', '--packets', '100k', '--seed', '9']);
    const one = run(['flows', '-f', 'ndjson', '-j', '1', flood]);
    expect(one.code).toBe(0);
    expect(one.out.length).toBeGreaterThan(2 * 3 * 8 << 20);
    const two = run(['flows', '-f', 'ndjson', '-j', '2', flood]);
    expect(two.err).toBe(one.err);
    expect(two.out === one.out).toBe(true);
  });

  it('reads standard input on threads too, gzip-compressed or not', () => {
    if (!existsSync(pcap)) make();
    const one = run(['flows', '-f', 'ndjson', '-j', '1', pcap]);
    const whole = readFileSync(pcap);
    for (const input of [whole, gzipSync(whole)]) {
      const two = run(['flows', '-f', 'ndjson', '-j', '2', '-'], input);
      expect(two.code).toBe(0);
      expect(two.out === one.out).toBe(true);
      expect(two.err).toBe(one.err);
    }
  });

  it('keeps every flow before a cut in the file and reports the error once', () => {
    const whole = readFileSync(pcap);
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6) + 5));
    const one = run(['flows', '-f', 'ndjson', '-j', '1', cut]);
    const two = run(['flows', '-f', 'ndjson', '-j', '2', cut]);
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    expect(two.err).toBe(one.err);
    expect(two.err.match(/error: .*cut\.pcap: packet \d+ at byte \d+/g)).toHaveLength(1);
    expect(two.out === one.out).toBe(true);
    expect(two.out.length).toBeGreaterThan(1 << 20);
  });
});
