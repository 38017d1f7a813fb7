/**
 * Every encapsulation fixture (fixtures/encap, built by fixtures/make-encap.mjs from the standards' byte layouts) run
 * through the whole pipeline: each TCP/UDP conversation tshark lists (outer tunnel flows and inner flows) is a flow
 * with the same packets in each direction, and no other TCP/UDP flow exists. The deep-5 capture has five tunnel
 * layers, one more than sockscope follows: its innermost flows are cut and counted.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { summaryText } from '../../src/cli/run-flows.js';
import { runCapture } from '../helpers/corpus.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/encap');
const NAMES = readdirSync(DIR).filter((n) => n.endsWith('.pcap')).map((n) => n.slice(0, -5)).sort();

interface Conv { proto: string; a: string; b: string; aToB: number; bToA: number }
interface Answer { note: string; frames: number; conversations: Conv[] }

/** `10.1.0.1:80` / `2001:db8::1:80` -> [address, port]. */
function endpoint(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

/** Packets a->b and b->a of the flow between `a` and `b`, whichever end sockscope made the originator. */
function directions(r: FlowRecord, a: [string, number]): [number, number] {
  const aIsOrig = r.origAddr === a[0] && r.origPort === a[1];
  return aIsOrig ? [r.orig.pkts, r.resp.pkts] : [r.resp.pkts, r.orig.pkts];
}

function find(records: FlowRecord[], c: Conv): FlowRecord | undefined {
  const a = endpoint(c.a);
  const b = endpoint(c.b);
  return records.find((r) => r.proto === c.proto
    && ((r.origAddr === a[0] && r.origPort === a[1] && r.respAddr === b[0] && r.respPort === b[1])
      || (r.origAddr === b[0] && r.origPort === b[1] && r.respAddr === a[0] && r.respPort === a[1])));
}

describe('encapsulation fixtures against tshark', () => {
  it('has the fixtures', () => {
    expect(NAMES.length).toBeGreaterThan(40);
  });
  for (const name of NAMES) {
    it(`${name}: every tshark conversation, packets per direction`, async () => {
      const answer = JSON.parse(readFileSync(join(DIR, `${name}.tshark.json`), 'utf8')) as Answer;
      const { records, stats } = await runCapture(join(DIR, `${name}.pcap`));
      const got = answer.conversations.map((c) => {
        const r = find(records, c);
        return { conv: `${c.proto} ${c.a} ${c.b}`, packets: r === undefined ? null : directions(r, endpoint(c.a)) };
      });
      const want = answer.conversations.map((c) => ({ conv: `${c.proto} ${c.a} ${c.b}`, packets: [c.aToB, c.bToA] }));
      const tcpUdp = records.filter((r) => r.proto === 'tcp' || r.proto === 'udp');
      if (name === 'deep-5') {
        // The fifth layer (IPv4 in IPv4 inside VXLAN) is not followed: the TCP and UDP flows inside it are missing,
        // and every one of the 10 packets is counted as cut.
        expect(got.filter((g) => g.packets !== null)).toEqual(want.filter((w) => w.conv.startsWith('udp 192.0.2.1')));
        expect(stats.tunnelLayersCut).toEqual({ depth_exceeded: 10 });
        return;
      }
      expect(got).toEqual(want);
      expect(tcpUdp).toHaveLength(answer.conversations.length);
      expect(stats.packetsRead).toBe(answer.frames);
    });
  }
});

describe('what cannot be decoded is named', () => {
  it('llc-snap: ARP, STP, Novell raw 802.3 and MACsec frames are counted by their numbers', async () => {
    const { stats } = await runCapture(join(DIR, 'llc-snap.pcap'));
    expect(stats.unassigned).toEqual({ not_ip: 4 });
    expect(stats.undecoded).toEqual({
      'novell_raw_802_3': 1, 'unknown_ethertype 0x0806': 1, 'unknown_ethertype 0x88e5': 1, 'unknown_llc_sap 0x42': 1,
    });
    expect(summaryText(stats)).toContain('sockscope: not decoded further: novell_raw_802_3: 1, unknown_ethertype 0x0806: 1, '
      + 'unknown_ethertype 0x88e5: 1, unknown_llc_sap 0x42: 1\n');
  });
  it('deep-5: the summary names the tunnel layers not followed', async () => {
    const { stats } = await runCapture(join(DIR, 'deep-5.pcap'));
    expect(summaryText(stats)).toContain('sockscope: tunnel layers not followed: depth_exceeded: 10\n');
  });
  it('a capture that decodes whole names nothing', async () => {
    const { stats } = await runCapture(join(DIR, 'vxlan.pcap'));
    expect([stats.undecoded, stats.tunnelLayersCut, stats.packetsUnassigned]).toEqual([{}, {}, 0]);
  });
});
