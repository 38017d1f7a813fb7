import { describe, expect, it } from 'vitest';
import { ipv4HeaderChecksumOk, transportChecksumOk } from '../../src/decode/checksum.js';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

const DEMO = new URL('../../fixtures/demo.pcap', import.meta.url).pathname;

/** Checksum verdicts for every decoded packet of a capture: [ip ok, transport ok, proto, ip version]. */
async function verdicts(path: string): Promise<[boolean, boolean, number, number][]> {
  const src = await openCapture(path);
  const p = new DecodedPacket();
  const out: [boolean, boolean, number, number][] = [];
  while (
    await src.pump((f) => {
      decodeFrame(p, f.bytes, new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), f.offset, f.caplen, f.linkType);
      if (p.ipVersion !== 0) out.push([ipv4HeaderChecksumOk(p), transportChecksumOk(p), p.proto, p.ipVersion]);
    })
  );
  return out;
}

describe('checksums', () => {
  it('every IPv4/IPv6 TCP, UDP, ICMP and ICMPv6 packet of the demo capture (offload off) checks out', async () => {
    const v = await verdicts(DEMO);
    expect(new Set(v.map(([, , proto, ver]) => `${ver}/${proto}`))).toEqual(new Set(['4/6', '4/17', '4/1', '6/6', '6/17', '6/58']));
    expect(v.filter(([ip, l4]) => !ip || !l4)).toEqual([]);
  });

  it.skipIf(!HAVE_CORPUS)('finds the corrupted UDP checksums Zeek finds (dns-corrupt-udp-checksum)', async () => {
    const v = await verdicts(`${CORPUS}/zeek/dns-corrupt-udp-checksum.pcap`);
    expect(v.map(([ip, l4]) => [ip, l4])).toEqual([[true, false], [true, false]]);
  });

  it.skipIf(!HAVE_CORPUS)('with --verify-checksums, flows match Zeek on its checksum traces', async () => {
    const udp = (await runCapture(`${CORPUS}/zeek/dns-corrupt-udp-checksum.pcap`, undefined, { verifyChecksums: true })).records;
    expect(udp.map((r) => [r.orig.pkts, r.resp.pkts, r.history, r.connState])).toEqual([[0, 0, 'Cc', 'OTH']]);
    const syn = (await runCapture(`${CORPUS}/zeek/tcp-syn-bad-checksum.pcap`, undefined, { verifyChecksums: true })).records;
    expect(syn.map((r) => [r.orig.pkts, r.resp.pkts, r.history, r.connState])).toEqual([[0, 0, 'C', 'OTH']]);
    // A dropped SYN still opens a connection; the SYN+ACK that follows starts another (Zeek logs two). Zeek (-b, no
    // likely server ports) keeps the SYN+ACK sender as originator (SH, HcADF); sockscope flips to port 80's client.
    const local = (await runCapture(`${CORPUS}/zeek/tcp-bad-checksum-localhost.pcap`, undefined, { verifyChecksums: true })).records;
    expect(local.map((r) => [r.orig.pkts, r.resp.pkts, r.resp.ipBytes, r.history, r.connState])).toEqual([
      [0, 0, 0, 'C', 'OTH'],
      [0, 4, 604, '^hCadf', 'SHR'],
    ]);
    // Without verification they count, as tshark counts them.
    const counted = (await runCapture(`${CORPUS}/zeek/dns-corrupt-udp-checksum.pcap`)).records;
    expect(counted.map((r) => [r.orig.pkts, r.resp.pkts, r.connState])).toEqual([[1, 1, 'SF']]);
  });
});
