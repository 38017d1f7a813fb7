/**
 * Wireshark's TCP analysis flags against sockscope's counters: for every corpus capture with TCP (the lossy ones from
 * misc/chrissanders-packets, the Zeek traces, tcpdump's), tshark is run with default preferences and its per-packet
 * tcp.analysis.* flags are summed per direction (source socket -> destination socket); sockscope's per-direction
 * counters for the same sockets must be equal. Needs Debian's tshark (installed by .ci/run); skipped without it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every corpus capture in which tshark found TCP (from its oracle), e.g. the lossy misc/chrissanders-packets ones. */
function tcpCaptures(): string[] {
  return corpusCaptures().filter((c) => {
    const p = join(CORPUS, `${c}.oracle.json`);
    if (!existsSync(p)) return false;
    const counts = (JSON.parse(readFileSync(p, 'utf8')) as { counts?: { frames_with_tcp?: number } | null }).counts;
    return (counts?.frames_with_tcp ?? 0) > 0;
  });
}

/** Counter names in sockscope's DirectionRecord and the tshark fields that feed them. */
const COUNTERS = [
  ['retransmissions', 'tcp.analysis.retransmission'],
  ['outOfOrder', 'tcp.analysis.out_of_order'],
  ['dupAcks', 'tcp.analysis.duplicate_ack'],
  ['zeroWindows', 'tcp.analysis.zero_window'],
  ['keepAlives', 'tcp.analysis.keep_alive'],
] as const;
type Counter = (typeof COUNTERS)[number][0];
type Counts = Record<Counter, number>;

const zero = (): Counts => ({ retransmissions: 0, outOfOrder: 0, dupAcks: 0, zeroWindows: 0, keepAlives: 0 });

/** tshark's flags summed per direction, keyed `src:port>dst:port`. Only frames whose TCP layer is the outermost. */
function tsharkCounts(capture: string): Map<string, Counts> {
  const home = mkdtempSync(join(tmpdir(), 'sockscope-tshark-'));
  const out = execFileSync(
    'tshark',
    [
      '-n', '-r', join(CORPUS, capture), '-Y', 'tcp', '-T', 'fields', '-E', 'occurrence=f',
      '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport',
      ...COUNTERS.flatMap(([, f]) => ['-e', f]),
    ],
    // An empty configuration directory: default preferences, as the oracles were made.
    { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: home, HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const map = new Map<string, Counts>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const c = line.split('\t');
    const key = `${c[0] || c[1]}:${c[2]}>${c[3] || c[4]}:${c[5]}`;
    const counts = map.get(key) ?? zero();
    COUNTERS.forEach(([name], i) => {
      if ((c[6 + i] ?? '') !== '') counts[name]++;
    });
    map.set(key, counts);
  }
  return map;
}

describe.skipIf(!HAVE_CORPUS || !haveTshark())('TCP analysis counters against tshark', () => {
  it.each(tcpCaptures())('%s', async (capture) => {
    const expected = tsharkCounts(capture);
    // tshark never splits a connection by inactivity (zeek/tcp-retransmit-timeout retransmits after exactly the
    // 300 s Zeek timeout): compare with idle timeouts out of the way.
    const { records } = await runCapture(capture, { tcpIdleSec: 1e9 });
    const ours = new Map<string, Counts>();
    for (const r of records) {
      if (r.proto !== 'tcp') continue;
      const dirs = [
        [`${r.origAddr}:${r.origPort}>${r.respAddr}:${r.respPort}`, r.orig],
        [`${r.respAddr}:${r.respPort}>${r.origAddr}:${r.origPort}`, r.resp],
      ] as const;
      for (const [key, d] of dirs) {
        const counts = ours.get(key) ?? zero();
        for (const [name] of COUNTERS) counts[name] += d[name];
        ours.set(key, counts);
      }
    }
    const diffs: string[] = [];
    for (const [key, want] of expected) {
      const got = ours.get(key) ?? zero();
      for (const [name] of COUNTERS) {
        if (got[name] !== want[name]) diffs.push(`${key} ${name}: tshark ${want[name]} sockscope ${got[name]}`);
      }
    }
    expect(diffs).toEqual([]);
  }, 60_000);
});

describe.skipIf(!HAVE_CORPUS)('analysis counters on the lossy captures (values read from tshark 4.0)', () => {
  async function dir(capture: string, src: string, srcPort: number) {
    const { records } = await runCapture(capture);
    const r = records.find((x) => x.proto === 'tcp' && ((x.origAddr === src && x.origPort === srcPort) || (x.respAddr === src && x.respPort === srcPort)));
    if (r === undefined) throw new Error(`no flow from ${src}:${srcPort} in ${capture}`);
    return r.origAddr === src && r.origPort === srcPort ? r.orig : r.resp;
  }
  it('tcp_retransmissions: 5 retransmissions of one segment', async () => {
    expect((await dir('misc/chrissanders-packets/tcp_retransmissions.pcapng', '10.3.30.1', 1048)).retransmissions).toBe(5);
  });
  it('tcp_dupack: 3 duplicate ACKs answered by a fast retransmission', async () => {
    expect((await dir('misc/chrissanders-packets/tcp_dupack.pcapng', '172.31.136.85', 38760)).dupAcks).toBe(3);
    expect((await dir('misc/chrissanders-packets/tcp_dupack.pcapng', '195.81.202.68', 80)).retransmissions).toBe(1);
  });
  it('tcp_zerowindowrecovery: one zero-window advertisement', async () => {
    expect((await dir('misc/chrissanders-packets/tcp_zerowindowrecovery.pcapng', '192.168.0.20', 2235)).zeroWindows).toBe(1);
  });
});
