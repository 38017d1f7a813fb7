/**
 * ShardedRun (worker threads behind `flows --threads`) used as a library: the merged counters equal one pipeline's,
 * and a worker that fails makes the run fail with its shard named. Workers run the compiled code (dist/, built by
 * `npm test`'s pretest), so this test imports the compiled module too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/pipeline.js';
import { openCapture } from '../../src/source/open.js';

const DIST = resolve(import.meta.dirname, '../../dist');
const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const LOSS = resolve(import.meta.dirname, '../../fixtures/demo-loss.pcap');
const MAKE_PCAP = resolve(import.meta.dirname, '../../../shared/bench/make-pcap.mjs');

type Module = typeof import('../../src/shard/run-sharded.js');
type Writers = typeof import('../../src/sink/writers.js');

async function load(): Promise<{ m: Module; w: Writers }> {
  return {
    m: (await import(`${DIST}/shard/run-sharded.js`)) as Module,
    w: (await import(`${DIST}/sink/writers.js`)) as Writers,
  };
}

describe('ShardedRun', () => {
  it('adds the shards up to one pipeline: packets, flows, reasons; progress ends at 1', async () => {
    const { m, w } = await load();
    expect(m.shardingAvailable()).toBe(true);
    const chunks: Uint8Array[] = [];
    const out = new w.ChunkedOut({ write: (c: Uint8Array) => chunks.push(c) });
    const run = new m.ShardedRun({ paths: [DEMO, LOSS], threads: 3, format: 'ndjson', out });
    const summary = await run.done;
    out.flush();
    const single = await new Pipeline({ sources: [await openCapture(DEMO), await openCapture(LOSS)] }).run();
    expect(summary.errors).toEqual([]);
    expect(summary.stats).toEqual(single.stats);
    expect(run.progress()).toBe(1);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(single.stats.totalFlows);
  });

  it('fails when the input cannot be opened, and stops its workers', async () => {
    const { m, w } = await load();
    const out = new w.ChunkedOut({ write: () => undefined });
    const run = new m.ShardedRun({ paths: ['/nonexistent/x.pcap'], threads: 2, format: 'csv', out });
    await expect(run.done).rejects.toThrow(/ENOENT/);
  });

  it('fails with the shard named when a worker cannot do its job, and stops reading', async () => {
    const { m, w } = await load();
    // 60,000 packets: the workers fail at their first record while the reader is still at work.
    const big = join(mkdtempSync(join(tmpdir(), 'sockscope-ring-')), 'big.pcap');
    const made = spawnSync(process.execPath, [MAKE_PCAP, '--packets', '60k', '--flows', '2000', '--seed', '3', '--out', big, '--quiet']);
    expect(made.status).toBe(0);
    for (const path of [DEMO, big]) {
      const out = new w.ChunkedOut({ write: () => undefined });
      // A format no writer knows: each worker fails at its first record.
      const run = new m.ShardedRun({ paths: [path], threads: 2, format: 'bogus' as 'csv', out });
      await expect(run.done).rejects.toThrow(/^shard \d: TypeError/);
    }
  }, 30_000);

  it('refuses fewer than two threads', async () => {
    const { m, w } = await load();
    const out = new w.ChunkedOut({ write: () => undefined });
    expect(() => new m.ShardedRun({ paths: [DEMO], threads: 1, format: 'ndjson', out })).toThrow(/2 or more/);
  });
});
