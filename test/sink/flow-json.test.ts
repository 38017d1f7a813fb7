/**
 * The ndjson line encoded straight from a flow's state (sink/flow-json.ts) is byte for byte the line of its record
 * (sink/json-bytes.ts over snapshot.ts's FlowRecord), on every corpus capture, with the default table and with
 * checksum verification and short timeouts (which end flows in other states), and on a generated port scan whose
 * connections stay in the log tier (tcp/deferred.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localNets } from '../../src/cli/options.js';
import { flowRecord } from '../../src/flow/snapshot.js';
import { configureNames } from '../../src/inspect/names.js';
import { configureLocal } from '../../src/local/attribution.js';
import { Pipeline, type FlowTableOptions } from '../../src/pipeline.js';
import { encodeFlowJson } from '../../src/sink/flow-json.js';
import { encodeRecordJson } from '../../src/sink/json-bytes.js';
import { GrowingOut } from '../../src/sink/writers.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';
import { makeFlood } from '../helpers/flood.js';


async function bothWays(path: string, flowTable: FlowTableOptions, verifyChecksums: boolean): Promise<[string, string, number]> {
  const direct = new GrowingOut();
  const viaRecord = new GrowingOut();
  let n = 0;
  const opts: ConstructorParameters<typeof Pipeline>[0] = {
    sources: [await openCapture(path)],
    flowTable,
    verifyChecksums,
    onFlowEndState: (f) => {
      encodeFlowJson(direct, f, f.endReason);
      encodeRecordJson(viaRecord, flowRecord(f, f.endReason));
      n++;
    },
  };
  await new Pipeline(opts).run();
  return [direct.buf.toString('utf8', 0, direct.len), viaRecord.buf.toString('utf8', 0, viaRecord.len), n];
}

describe.skipIf(!HAVE_CORPUS)('encodeFlowJson', () => {
  it('writes the bytes of the record on every corpus capture', async () => {
    let lines = 0;
    for (const c of corpusCaptures()) {
      for (const [table, verify] of [[{}, false], [{ tcpIdleSec: 30, udpIdleSec: 7, closeDelaySec: 1, maxFlows: 50 }, true]] as const) {
        const [direct, viaRecord, n] = await bothWays(join(CORPUS, c), table, verify);
        if (direct !== viaRecord) expect.soft(direct, c).toBe(viaRecord);
        lines += n;
      }
    }
    expect(lines).toBeGreaterThan(5000);
  }, 120_000);

  it('writes the bytes of the record with payload names and local networks on (every later field in play)', async () => {
    configureNames({ payload: true });
    configureLocal({ nets: localNets('10.0.0.0/8,192.168.0.0/16,172.16.0.0/12,fe80::/10') });
    try {
      let lines = 0;
      let named = 0;
      for (const c of corpusCaptures()) {
        const [direct, viaRecord, n] = await bothWays(join(CORPUS, c), {}, false);
        if (direct !== viaRecord) expect.soft(direct, c).toBe(viaRecord);
        lines += n;
        named += direct.split('"service":').length - 1;
      }
      expect(lines).toBeGreaterThan(2500);
      expect(named).toBeGreaterThan(100);
    } finally {
      configureNames();
      configureLocal();
    }
  }, 120_000);

  it('writes the bytes of the record on a port scan (connections in the log tier, resets, evictions)', async () => {
    const pcap = makeFlood(['--scenario', 'portscan', '--packets', '40k', '--hosts', '1', '--seed', '2']);
    const [direct, viaRecord, n] = await bothWays(pcap, { maxFlows: 5000 }, false);
    expect(n).toBeGreaterThan(15_000);
    expect(direct === viaRecord).toBe(true);
    expect(direct).toContain('"end_reason":"evicted"');
    expect(direct).toContain('"conn_state":"REJ"');
  });

  it('writes the bytes of the record on a SYN flood (lone SYNs of many signatures, retransmitted SYNs)', async () => {
    const pcap = makeFlood(['--scenario', 'synflood', '--packets', '30k', '--seed', '3']);
    const [direct, viaRecord, n] = await bothWays(pcap, { maxFlows: 4000 }, false);
    expect(n).toBeGreaterThan(25_000);
    expect(direct === viaRecord).toBe(true);
    expect(direct).toContain('"history":"S"');
    expect(direct).toContain('"orig_timestamps":true');
    expect(direct).toContain('"orig_timestamps":false');
  });
});
