/**
 * IPFIX to a real collector: every corpus capture is exported over UDP on loopback to nfdump's nfcapd (Debian's
 * nfdump package), each capture under an observation domain of its own, and `nfdump` reads the stored flows back.
 * For each capture the flows must be sockscope's own records: protocol, addresses, ports, start and end to the
 * millisecond, and the packets and IP bytes of each direction.
 *
 * How nfdump shows an RFC 5103 biflow: one flow, the initiator as source; the forward counts are its "In Pkt"/"In
 * Byte" (%ipkt, %ibyt) and the reverse counts (PEN 29305 packetDeltaCount, octetDeltaCount) its "Out Pkt"/"Out Byte"
 * (%opkt, %obyt). nfdump keeps no enterprise elements except its vendors' and skips sockscope's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { Pipeline } from '../../src/pipeline.js';
import { IpfixExporter, parseTarget } from '../../src/sink/ipfix.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';

/** The built CLI (npm test builds it first). */
const BIN = resolve(import.meta.dirname, '../../bin/sockscope');

const HAVE_NFDUMP =
  spawnSync('nfcapd', ['-V']).status === 0 && spawnSync('nfdump', ['-V']).status === 0 && spawnSync('ss', ['-V']).status === 0;

/** A capture time as nfdump's %ts and %te print it in UTC: `2011-03-18 19:06:08.857`. */
const ms = (sec: number): string =>
  new Date(Math.floor(Math.round(sec * 1e6) / 1000)).toISOString().replace('T', ' ').replace('Z', '');

/** One flow as the nfdump line below prints it. ICMP: nfdump shows type.code as the destination port. */
function expectedLine(r: FlowRecord): string {
  const icmp = r.proto === 'icmp';
  return [
    r.ipProto,
    r.origAddr, icmp ? 0 : r.origPort, r.respAddr, icmp ? `${r.origPort}.${r.respPort}` : r.respPort,
    r.orig.pkts, r.orig.ipBytes, r.resp.pkts, r.resp.ipBytes, ms(r.startSec), ms(r.lastSec),
  ].join(' ');
}

/**
 * -N prints plain numbers (protocol numbers too, no 1.2 M). Times are %ts/%te in UTC, not %tsr/%ter: nfdump 1.7.1
 * prints %ter's milliseconds wrong (1331764481.712 as 1331764481.012).
 */
const FORMAT = 'fmt:%exp %pr %sa %sp %da %dp %ipkt %ibyt %opkt %obyt %ts %te';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  s.close();
  return port;
}

/** Stops a child with SIGTERM, then SIGKILL after `ms`; resolves once it has exited. */
async function stop(p: ChildProcess, ms = 5000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = once(p, 'exit');
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** nfcapd on a free loopback UDP port, writing into a fresh directory. */
interface Collector {
  port: number;
  dir: string;
  proc: ChildProcess;
  log: () => string;
}

async function startNfcapd(): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-nfcapd-'));
  const port = await freeUdpPort();
  const proc = spawn('nfcapd', ['-p', String(port), '-b', '127.0.0.1', '-w', dir, '-t', '3600', '-B', String(8 << 20)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const started = Date.now();
  while (!log.includes('Startup')) {
    if (Date.now() - started > 5000 || proc.exitCode !== null) throw new Error(`nfcapd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, dir, proc, log: () => log };
}

/**
 * Waits until nfcapd has read every datagram waiting on its socket (`ss` shows the receive queue empty twice in a
 * row), at most `ms`: on a busy machine it may still be reading when the exporter is done, and a datagram left in
 * the queue at SIGTERM is lost.
 */
async function drained(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  let empty = 0;
  while (empty < 2 && Date.now() < end) {
    const out = spawnSync('ss', ['-Hanu', `sport = :${port}`], { encoding: 'utf8' }).stdout;
    const recvQ = Number(out.trim().split(/\s+/)[1] ?? 0);
    empty = recvQ === 0 ? empty + 1 : 0;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Stops nfcapd (it writes its file on SIGTERM) and reads every flow back: observation domain -> nfdump lines. */
async function readBack(c: Collector): Promise<Map<number, string[]>> {
  await drained(c.port);
  await stop(c.proc);
  const files = readdirSync(c.dir).filter((f) => f.startsWith('nfcapd.') && !f.includes('current'));
  expect(files.length).toBeGreaterThan(0);
  const got = new Map<number, string[]>();
  for (const f of files) {
    // nfdump -E lists the exporters: SysID (what %exp prints) and the observation domain.
    const exporters = spawnSync('nfdump', ['-E', join(c.dir, f)], { encoding: 'utf8' }).stdout;
    const domainOf = new Map<string, number>();
    for (const m of exporters.matchAll(/SysID: (\d+), IP: +\S+, version: 10, ID: +(\d+)/g)) domainOf.set(m[1]!, Number(m[2]));
    const out = spawnSync('nfdump', ['-r', join(c.dir, f), '-q', '-6', '-N', '-o', FORMAT], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(out.status, out.stderr).toBe(0);
    for (const line of out.stdout.split('\n')) {
      const cells = line.trim().split(/\s+/);
      if (cells.length < 14) continue;
      const domain = domainOf.get(cells[0]!);
      expect(domain, `exporter ${cells[0]} of ${line}`).toBeDefined();
      const list = got.get(domain!) ?? [];
      list.push(cells.slice(1).join(' '));
      got.set(domain!, list);
    }
  }
  return got;
}

/** What differs between two multisets of lines, in a few words. */
function difference(name: string, want: readonly string[], have: readonly string[]): string | undefined {
  const w = [...want].sort();
  const h = [...have].sort();
  if (JSON.stringify(w) === JSON.stringify(h)) return undefined;
  const missing = w.filter((l) => !h.includes(l)).slice(0, 3);
  const extra = h.filter((l) => !w.includes(l)).slice(0, 3);
  return `${name}: ${w.length} flows, nfdump ${h.length}; missing ${JSON.stringify(missing)} extra ${JSON.stringify(extra)}`;
}

const running = new Set<ChildProcess>();

describe.skipIf(!HAVE_CORPUS || !HAVE_NFDUMP)('IPFIX to nfcapd, read back with nfdump', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const p of running) await stop(p, 1000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every corpus capture: the same flows, addresses, ports, times and per-direction packets and bytes', async () => {
    const c = await startNfcapd();
    dirs.push(c.dir);
    const captures = corpusCaptures();
    const expected = new Map<number, string[]>();
    for (const [i, capture] of captures.entries()) {
      const domain = i + 1;
      const lines: string[] = [];
      const exporter = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${c.port}`)], domain });
      const pipeline = new Pipeline({
        sources: [await openCapture(join(CORPUS, capture))],
        onFlowEnd: (r) => {
          exporter.write(r);
          lines.push(expectedLine(r));
        },
      });
      await pipeline.run();
      const summary = await exporter.close();
      expect(summary.join('\n')).not.toMatch(/not sent/);
      expected.set(domain, lines);
      // Loopback loses datagrams only when nfcapd's socket buffer is full: let it read each capture's.
      await drained(c.port);
    }
    const got = await readBack(c);
    const mismatched = captures
      .map((capture, i) => difference(capture, expected.get(i + 1) ?? [], got.get(i + 1) ?? []))
      .filter((d) => d !== undefined);
    expect(mismatched).toEqual([]);
    const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
    expect(total).toBeGreaterThan(1000);
    expect(c.log()).toMatch(/Sequence Errors: 0/);
  }, 240_000);

  it('--ipfix-uniflow: two one-way records, each direction its own flow with In counts only', async () => {
    const c = await startNfcapd();
    dirs.push(c.dir);
    const want: string[] = [];
    const exporter = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${c.port}`)], uniflow: true, domain: 5 });
    const pipeline = new Pipeline({
      sources: [await openCapture(join(CORPUS, 'zeek/wikipedia.pcap'))],
      onFlowEnd: (r) => {
        exporter.write(r);
        const icmp = r.proto === 'icmp';
        const dp = (p: number): string | number => (icmp ? `${r.origPort}.${r.respPort}` : p);
        if (r.orig.pkts > 0 || r.resp.pkts === 0) {
          want.push([r.ipProto, r.origAddr, icmp ? 0 : r.origPort, r.respAddr, dp(r.respPort), r.orig.pkts, r.orig.ipBytes, 0, 0,
            ms(r.orig.firstSec ?? r.startSec), ms(r.orig.lastSec ?? r.lastSec)].join(' '));
        }
        if (r.resp.pkts > 0) {
          want.push([r.ipProto, r.respAddr, icmp ? 0 : r.respPort, r.origAddr, dp(r.origPort), r.resp.pkts, r.resp.ipBytes, 0, 0,
            ms(r.resp.firstSec!), ms(r.resp.lastSec!)].join(' '));
        }
      },
    });
    await pipeline.run();
    expect(await exporter.close()).toHaveLength(1);
    const got = await readBack(c);
    expect(difference('wikipedia uniflow', want, got.get(5) ?? [])).toBeUndefined();
    expect(want.length).toBeGreaterThan(34);
  }, 60_000);

  it('the CLI: flows over the whole corpus with -o ndjson and --ipfix; nfdump reads back the ndjson records', async () => {
    const c = await startNfcapd();
    dirs.push(c.dir);
    const out = join(c.dir, 'flows.ndjson');
    const files = corpusCaptures().map((f) => join(CORPUS, f));
    const run = spawnSync(process.execPath, [BIN, 'flows', ...files, '-o', out, '--ipfix', `127.0.0.1:${c.port}`, '--ipfix-domain', '77'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toMatch(new RegExp(`IPFIX to udp://127.0.0.1:${c.port}: \\d+ records sent in \\d+ messages`));
    expect(run.stderr).not.toMatch(/not sent/);
    const want = readFileSync(out, 'utf8').trim().split('\n').map((l) => {
      const j = JSON.parse(l) as Record<string, number | string>;
      const icmp = j.proto === 'icmp';
      return [
        j.ip_proto, j['id.orig_h'], icmp ? 0 : j['id.orig_p'], j['id.resp_h'], icmp ? `${j['id.orig_p']}.${j['id.resp_p']}` : j['id.resp_p'],
        j.orig_pkts, j.orig_ip_bytes, j.resp_pkts, j.resp_ip_bytes, ms(j.ts as number), ms(j.last_ts as number),
      ].join(' ');
    });
    const got = await readBack(c);
    expect(difference('corpus through the CLI', want, got.get(77) ?? [])).toBeUndefined();
    expect(want.length).toBeGreaterThan(1000);
  }, 180_000);
});
