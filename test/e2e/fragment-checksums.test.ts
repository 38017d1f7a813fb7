/**
 * `--verify-checksums` on fragmented IPv4 traffic from the corpus: each fragment's own header checksum is judged as it
 * arrives (Zeek drops a fragment with a bad one before reassembly), never the rebuilt header of the reassembled
 * datagram; the transport checksum is judged over the whole datagram. The same in one thread and in several.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const GTP = 'zeek/tunnel-gtp-outer-ip-frag.pcap';
const PING = 'misc/chrissanders-packets/ip_frag_source.pcapng';

/** The rows of a full Zeek conn.log, by field name. */
function connLog(path: string): Record<string, string>[] {
  let fields: string[] = [];
  const rows: Record<string, string>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#fields\t')) fields = line.split('\t').slice(1);
    else if (line !== '' && !line.startsWith('#')) {
      const cols = line.split('\t');
      rows.push(Object.fromEntries(fields.map((f, i) => [f, cols[i]!])));
    }
  }
  return rows;
}

describe.skipIf(!HAVE_CORPUS)('--verify-checksums on fragmented IPv4', () => {
  it(`${GTP}: every fragment's header checksum is right, so no datagram is lost to the rebuilt header`, async () => {
    const zeek = connLog(join(CORPUS, 'zeek/tunnel-gtp-outer-ip-frag.conn.log')).find((r) => r.proto === 'udp')!;
    const want = [zeek.orig_pkts, zeek.orig_ip_bytes, zeek.resp_pkts, zeek.resp_ip_bytes].map(Number);
    expect(want).toEqual([27, 4176, 41, 54070]);
    const counts = (r: { orig: { pkts: number; ipBytes: number }; resp: { pkts: number; ipBytes: number } }) =>
      [r.orig.pkts, r.orig.ipBytes, r.resp.pkts, r.resp.ipBytes];

    // Zeek's baseline was made with -C (the manifest: "Checksums are wrong (anonymised) so the test ran with -C"):
    // without verification sockscope counts the same.
    const plain = await runCapture(GTP);
    expect(counts(plain.records.find((r) => r.proto === 'udp')!)).toEqual(want);

    const { stats, records } = await runCapture(GTP, undefined, { verifyChecksums: true });
    expect(stats.unassigned).toEqual({ fragment_incomplete: 4 }); // no bad_ip_checksum: tshark finds every IPv4 header good
    expect(stats.packetsRead).toBe(108);
    expect(stats.packetsRead).toBe(stats.packetsAssigned + stats.packetsUnassigned);
    // Every datagram reaches the flow. The 36 reassembled ones (72 frames) carry a wrong UDP checksum, as tshark says
    // (`tshark -o udp.check_checksum:TRUE -T fields -e ip.src -e ip.len -e udp.checksum.status`: 1 datagram of 1516
    // IP bytes from the originator, 35 of 53060 from the responder, status Bad; the 32 unfragmented ones Good), so
    // they are left out of the counters as Zeek without -C leaves them out, and the history notes it (C, c).
    const udp = records.find((r) => r.proto === 'udp')!;
    expect(counts(udp)).toEqual([want[0]! - 1, want[1]! - 1516, want[2]! - 35, want[3]! - 53060]);
    expect(udp.history).toBe('CcDd');
    expect(stats.badChecksums).toBe(72);
    // Nothing is forwarded from a datagram dropped for its checksum (Zeek hands no payload of such a packet to GTP):
    // the inner TCP connection keeps only the packets of the 32 good outer datagrams; without verification, all 68.
    const inner = (rs: typeof records) => rs.find((r) => r.proto === 'tcp')!;
    expect([inner(records).orig.pkts, inner(records).resp.pkts]).toEqual([26, 6]);
    expect([inner(plain.records).orig.pkts, inner(plain.records).resp.pkts]).toEqual([27, 41]);
    expect([stats.tunnelledPackets, plain.stats.tunnelledPackets]).toEqual([32, 68]);
  });

  it(`${PING}: frames 1-3 (header checksum 0) are bad_ip_checksum, the datagram of frames 4-6 is assigned`, async () => {
    // `tshark -o ip.check_checksum:TRUE -T fields -e frame.number -e ip.checksum.status`: frames 1-3 are the echo
    // request's fragments captured on the sender before checksum offload (0x0000, Bad), frames 4-6 the reply's (Good).
    const { stats, records } = await runCapture(PING, undefined, { verifyChecksums: true });
    expect([stats.packetsRead, stats.packetsAssigned, stats.unassigned]).toEqual([6, 3, { bad_ip_checksum: 3 }]);
    expect(records.map((r) => [r.proto, r.origAddr, r.respAddr, r.orig.pkts, r.orig.ipBytes, r.resp.pkts])).toEqual([
      ['icmp', '192.168.0.128', '10.10.0.3', 1, 3528, 0],
    ]);
    // Without verification both datagrams count.
    const plain = await runCapture(PING);
    expect([plain.stats.packetsAssigned, plain.records.map((r) => [r.orig.pkts, r.resp.pkts])]).toEqual([6, [[1, 1]]]);
  });

  it('judges fragments the same way with worker threads (-j 2) as in one thread', () => {
    const run = (threads: string) => {
      const r = spawnSync(process.execPath, [BIN, 'flows', '--verify-checksums', '-f', 'ndjson', '-j', threads, join(CORPUS, GTP), join(CORPUS, PING)], {
        encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const one = run('1');
    const two = run('2');
    expect(one.code).toBe(0);
    expect(one.err).toMatch(/114 packets read, 107 assigned to 3 flows, 7 not assigned \(fragment_incomplete 4, bad_ip_checksum 3\)/);
    expect(two).toEqual(one);
  });
});
