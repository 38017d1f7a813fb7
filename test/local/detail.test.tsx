/**
 * The detail view beside the kernel: each local end's process and the kernel's state of its socket (with ss's name),
 * and a plain flag when the state inferred from packets differs from the kernel's. Real loopback sockets of this
 * process, read through LocalSockets.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { renderToString } from 'ink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../../src/local/attribution.js';
import { kernelDisagreement, localDetailRows } from '../../src/local/detail.js';
import { LocalSockets } from '../../src/local/local-sockets.js';
import FlowDetail from '../../src/tui/components/FlowDetail.js';
import Header from '../../src/tui/components/Header.js';
import { CaptureHealth } from '../../src/local/capture-health.js';
import type { CaptureStats, Snapshot } from '../../src/pipeline-types.js';
import { direction, record } from '../helpers/records.js';

const COMM = readFileSync('/proc/self/comm', 'utf8').trim();

describe('detail view with the kernel beside it', () => {
  let server: net.Server;
  let client: net.Socket;
  let port = 0;

  beforeAll(async () => {
    server = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
    client = await new Promise<net.Socket>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => resolve(c));
    });
    const ls = new LocalSockets({ sliceMs: 5000 }); // one refresh makes the whole pass
    ls.refresh();
    configureLocal({ sockets: ls });
  });

  afterAll(() => {
    client.destroy();
    server.close();
    configureLocal();
  });

  const flow = (uid: string, origState: string) =>
    record({
      uid, origAddr: '127.0.0.1', respAddr: '127.0.0.1', origPort: client.localPort!, respPort: port,
      orig: direction({ state: origState }), resp: direction({ state: 'ESTABLISHED' }), endReason: 'active',
    });

  it('shows both ends\' process and kernel state; no flag when they agree', () => {
    const r = flow('CDetailTest0000001', 'ESTABLISHED');
    const who = `${COMM} (pid ${process.pid}, ${userInfo().username})`;
    expect(localDetailRows(r)).toEqual([
      ['process', who, who],
      ['kernel state', 'ESTABLISHED (ss ESTAB)', 'ESTABLISHED (ss ESTAB)'],
    ]);
    expect(kernelDisagreement(r)).toBeUndefined();
    const out = renderToString(<FlowDetail record={r} history={[]} gone={false} width={140} />, { columns: 140 });
    expect(out).toMatch(/kernel state\s+ESTABLISHED \(ss ESTAB\)\s+ESTABLISHED \(ss ESTAB\)/);
    expect(out).not.toContain('KERNEL DISAGREES');
  });

  it('flags an end whose inferred state is not the kernel\'s', () => {
    const r = flow('CDetailTest0000002', 'FIN_WAIT_1');
    expect(kernelDisagreement(r)).toBe('KERNEL DISAGREES: orig kernel ESTABLISHED, inferred FIN_WAIT_1 (capture loss or asymmetric routing?)');
    const out = renderToString(<FlowDetail record={r} history={[]} gone={false} width={140} />, { columns: 140 });
    expect(out).toContain('KERNEL DISAGREES: orig kernel ESTABLISHED, inferred FIN_WAIT_1');
  });

  it('the capture summary counts the ends whose kernel state was and was not the inferred one', async () => {
    const health = new CaptureHealth('lo', '', () => 0);
    health.write(flow('CDetailTest0000004', 'ESTABLISHED'));
    health.write(flow('CDetailTest0000005', 'FIN_WAIT_1'));
    const lines = await health.close();
    expect(lines).toContain(
      "sockscope: capture health: the kernel's state of 4 local TCP ends as their records were written: 3 as inferred, 1 not " +
        '(kernel/inferred: CDetailTest0000005 orig ESTABLISHED/FIN_WAIT_1; capture loss or asymmetric routing?)',
    );
  });

  it('says nothing of the kernel for a flow not of this host', () => {
    const r = record({ uid: 'CDetailTest0000003', origAddr: '198.51.100.1', respAddr: '198.51.100.2' });
    expect(localDetailRows(r)).toEqual([]);
    expect(kernelDisagreement(r)).toBeUndefined();
  });
});

describe('the live header', () => {
  it("shows the capture's health: interface counters against packets captured, missed bytes over 60 s", () => {
    const stats = { packetsRead: 7, packetsAssigned: 7, unassigned: {}, packetsUnassigned: 0, wireBytes: 700, truncatedBySnaplen: 0,
      activeFlows: 1, totalFlows: 1, evictedFlows: 0, clockSec: 100, firstSec: 90, unsupportedLinkTypes: {}, tunnelledPackets: 0,
      badChecksums: 0 } as CaptureStats;
    const flows = [record({ lastSec: 99, missedBytes: 10, orig: direction({ seqBytes: 1000 }), resp: direction({ seqBytes: 0 }) })];
    const snapshot: Snapshot = { flows, stats, source: 'lo', done: false, paused: false, speed: 1 };
    const health = new CaptureHealth('lo', '', () => 7);
    const text = health.headerText(7, flows, 100);
    expect(text).toMatch(/^interface \d+ pkts, captured 7, kernel dropped 0  missed_bytes 1\.000% \(60 s\)$/);
    const out = renderToString(<Header snapshot={snapshot} packetRate={0} byteRate={0} live width={200} health={text} />, { columns: 200 });
    expect(out).toContain(`${text}  |  live: arrival timestamps`);
  });
});

