/**
 * The captures made by fixtures/make-fixtures.mjs from the real demo capture: VLAN tags (802.1Q, and QinQ) and
 * capture loss, which this machine's kernel cannot produce (no VLAN interfaces, no netem).
 */
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { runCapture } from '../helpers/corpus.js';

const fixture = (name: string): string => new URL(`../../fixtures/${name}`, import.meta.url).pathname;

/** Everything about a flow except the frame bytes (which grow with the tags). */
function essence(r: FlowRecord) {
  return {
    tuple: [r.proto, r.origAddr, r.origPort, r.respAddr, r.respPort],
    pkts: [r.orig.pkts, r.resp.pkts],
    ipBytes: [r.orig.ipBytes, r.resp.ipBytes],
    seqBytes: [r.orig.seqBytes, r.resp.seqBytes],
    states: [r.connState, r.history, r.orig.state, r.resp.state],
  };
}

describe('VLAN-tagged copies of the demo capture', () => {
  it.each([
    ['demo-vlan.pcap', 4],
    ['demo-qinq.pcap', 8],
  ])('%s: the same flows, each frame %d bytes longer on the wire', async (name, extra) => {
    const plain = (await runCapture(fixture('demo.pcap'))).records;
    const tagged = (await runCapture(fixture(name))).records;
    expect(tagged.map(essence)).toEqual(plain.map(essence));
    for (let i = 0; i < plain.length; i++) {
      const p = plain[i]!, t = tagged[i]!;
      expect(t.orig.wireBytes - p.orig.wireBytes).toBe(extra * p.orig.pkts);
      expect(t.resp.wireBytes - p.resp.wireBytes).toBe(extra * p.resp.pkts);
    }
  });
});

describe('capture loss (demo-loss.pcap: 5 of the 29 data segments of the IPv6 download left out, 7140 bytes)', () => {
  it('counts the acknowledged but uncaptured bytes as missed_bytes and a gap (g) in the history, as Zeek does', async () => {
    const find = (rs: FlowRecord[]) => rs.find((r) => r.proto === 'tcp' && r.ipVersion === 6 && r.respPort === 80)!;
    const full = find((await runCapture(fixture('demo.pcap'))).records);
    const lossy = find((await runCapture(fixture('demo-loss.pcap'))).records);
    expect(lossy.missedBytes).toBe(7140);
    expect(full.missedBytes).toBe(0);
    expect(lossy.history).toBe('ShADadgfF');
    // Sequence-space byte counts include what the capture missed; packet counts do not.
    expect(lossy.resp.seqBytes).toBe(full.resp.seqBytes);
    expect(lossy.resp.pkts).toBe(full.resp.pkts - 5);
    expect(lossy.resp.payloadBytes).toBe(full.resp.payloadBytes - 7140);
    expect([lossy.connState, lossy.orig.state, lossy.resp.state]).toEqual(['SF', 'CLOSED', 'TIME_WAIT']);
  });
});
