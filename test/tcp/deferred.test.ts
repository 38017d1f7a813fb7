/**
 * The small tiers of TCP state (tcp/deferred.ts) defer the tracker's work, they do not change it: every corpus capture,
 * a generated SYN flood and a port scan give the same records with the segment log and the lone-SYN shortcut as with
 * a tracker of its own for every connection from its first segment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordJson } from '../../src/sink/fields.js';
import { useTiers } from '../../src/tcp/deferred.js';
import type { FlowTableOptions } from '../../src/pipeline.js';
import { corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';
import { makeFlood } from '../helpers/flood.js';

async function lines(path: string, table: FlowTableOptions = {}, verifyChecksums = false): Promise<string[]> {
  const r = await runCapture(path, table, { verifyChecksums });
  return r.records.map((rec) => recordJson(rec));
}

/** The records of `path` with the tiers on, and with every connection tracked from the start. */
async function bothWays(path: string, table: FlowTableOptions = {}, verify = false): Promise<[string[], string[]]> {
  useTiers({ log: true, loneSyn: true });
  const tiered = await lines(path, table, verify);
  useTiers({ log: false, loneSyn: false });
  const tracked = await lines(path, table, verify);
  useTiers({ log: true, loneSyn: true });
  return [tiered, tracked];
}

describe.skipIf(!HAVE_CORPUS)('TCP state tiers', () => {
  afterEach(() => useTiers({ log: true, loneSyn: true }));

  it('give the records of trackers from the first segment on every corpus capture', async () => {
    let tcpRecords = 0;
    for (const c of corpusCaptures()) {
      for (const verify of [false, true]) {
        const [tiered, tracked] = await bothWays(c, {}, verify);
        expect.soft(tiered, c).toEqual(tracked);
        tcpRecords += tiered.filter((l) => l.includes('"proto":"tcp"')).length;
      }
    }
    expect(tcpRecords).toBeGreaterThan(1000);
  }, 120_000);

  it('give the same records on a SYN flood and a port scan (lone SYNs, retransmitted SYNs, resets, evictions)', async () => {
    const syn = makeFlood(['--scenario', 'synflood', '--packets', '20k', '--seed', '5']);
    const [a, b] = await bothWays(syn, { maxFlows: 3000 });
    expect(a.length).toBeGreaterThan(15_000);
    expect(a).toEqual(b);
    const scan = makeFlood(['--scenario', 'portscan', '--packets', '20k', '--hosts', '1', '--seed', '6']);
    const [c, d] = await bothWays(scan, { maxFlows: 3000, tcpIdleSec: 2 });
    expect(c.length).toBeGreaterThan(8_000);
    expect(c).toEqual(d);
  }, 60_000);
});
