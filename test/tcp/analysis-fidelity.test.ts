/**
 * Wireshark's tcp.analysis rules that decide between retransmission, fast and spurious retransmission and
 * out-of-order (tcp_analyze_sequence_number in epan/dissectors/packet-tcp.c), and the handshake RTTs, on hand-made
 * segment sequences. Each scenario was also written to a pcap with the same numbers and times and read by tshark
 * 4.0.17; the expected values are tshark's (frame numbers in the comments are those of that pcap).
 */
import { describe, expect, it } from 'vitest';
import { HAVE_CORPUS, runCapture } from '../helpers/corpus.js';
import { run, seg } from './helpers.js';
import type { Step } from './helpers.js';

const T = 1000;
const C0 = 1000; // client ISN
const S0 = 5000; // server ISN
const c1 = C0 + 1;
const s1 = S0 + 1;

function counters(e: {
  retransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
}) {
  return {
    retransmissions: e.retransmissions,
    fast: e.fastRetransmissions,
    spurious: e.spuriousRetransmissions,
    outOfOrder: e.outOfOrder,
  };
}

describe('handshake RTTs with retransmitted SYN and SYN+ACK (Wireshark ts_mru_syn)', () => {
  // SYN, SYN+ACK, both sent again a second later, then the ACK: tshark's initial_rtt is 0.0002 (last SYN -> ACK).
  const steps: Step[] = [
    ['o', seg('S', C0), T],
    ['r', seg('SA', S0, c1), T + 0.0001],
    ['o', seg('S', C0), T + 1.0], // frame 3: retransmission
    ['r', seg('SA', S0, c1), T + 1.0001], // frame 4: retransmission
    ['o', seg('A', c1, s1), T + 1.0002],
    ['o', seg('PA', c1, s1, 100), T + 1.01],
    ['o', seg('PA', c1 + 100, s1, 100), T + 1.02],
    ['o', seg('PA', c1, s1, 100), T + 1.1], // frame 8: 80 ms after the highest segment, beyond the 0.2 ms RTT
  ];
  const { conn } = run(steps);
  it('measures from the most recent SYN to the SYN+ACK answering it, and from that SYN+ACK to the ACK', () => {
    expect(conn.rttSynSec).toBeCloseTo(0.0001, 9);
    expect(conn.rttAckSec).toBeCloseTo(0.0001, 9);
    expect(conn.rttSynSec! + conn.rttAckSec!).toBeCloseTo(0.0002, 9);
  });
  it('uses that RTT as the out-of-order threshold: frame 8 is a retransmission (tshark: frames 3, 8; 4)', () => {
    expect(counters(conn.orig)).toEqual({ retransmissions: 2, fast: 0, spurious: 0, outOfOrder: 0 });
    expect(counters(conn.resp)).toEqual({ retransmissions: 1, fast: 0, spurious: 0, outOfOrder: 0 });
  });

  it('a SYN sent again after the SYN+ACK: rtt_syn stays with the SYN the SYN+ACK answered; the threshold is Wireshark’s', () => {
    // tshark: initial_rtt 0.01 (the last SYN -> the ACK), frame 7 a retransmission (30 ms after the highest segment).
    const r = run([
      ['o', seg('S', C0), T],
      ['r', seg('SA', S0, c1), T + 0.5],
      ['o', seg('S', C0), T + 1.0],
      ['o', seg('A', c1, s1), T + 1.01],
      ['o', seg('PA', c1, s1, 100), T + 1.02],
      ['o', seg('PA', c1 + 100, s1, 100), T + 1.03],
      ['o', seg('PA', c1, s1, 100), T + 1.06],
    ]).conn;
    expect(r.rttSynSec).toBeCloseTo(0.5, 9);
    expect(r.rttAckSec).toBeCloseTo(0.51, 9);
    expect(counters(r.orig)).toEqual({ retransmissions: 2, fast: 0, spurious: 0, outOfOrder: 0 });
  });

  it('the ACK that completes the handshake is itself judged with the threshold before it (tshark: out-of-order)', () => {
    // Wireshark sets ts_first_rtt after tcp_analyze_sequence_number ran on the packet: 2.5 ms < 3 ms default.
    const r = run([
      ['o', seg('S', C0), T],
      ['r', seg('SA', S0, c1), T + 0.001],
      ['o', seg('PA', C0 - 1, s1, 10), T + 0.0025],
    ]).conn;
    expect(counters(r.orig)).toEqual({ retransmissions: 0, fast: 0, spurious: 0, outOfOrder: 1 });
    // The same segment after a pure ACK that set the 2.5 ms RTT: 2.6 ms is not below it (tshark: retransmission).
    const after = run([
      ['o', seg('S', C0), T],
      ['r', seg('SA', S0, c1), T + 0.001],
      ['o', seg('A', c1, s1), T + 0.0025],
      ['o', seg('PA', C0 - 1, s1, 10), T + 0.0026],
    ]).conn;
    expect(counters(after.orig)).toEqual({ retransmissions: 1, fast: 0, spurious: 0, outOfOrder: 0 });
  });
});

describe.skipIf(!HAVE_CORPUS)('handshake RTTs on zeek/ssh-basic.pcap', () => {
  it('192.168.1.31:51489 -> :22, SYN and SYN+ACK sent 3 times: rtt_syn + rtt_ack is tshark’s initial_rtt 0.001037', async () => {
    // tshark stream 18: SYNs 865, 867, 869, SYN+ACKs 866, 868, 870 (1421006072.214754), ACK 871 (.215749).
    const { records } = await runCapture('zeek/ssh-basic.pcap');
    const r = records.find((x) => x.proto === 'tcp' && x.origAddr === '192.168.1.31' && x.origPort === 51489);
    expect(r).toBeDefined();
    expect(r!.rttSynSec).toBeCloseTo(0.000042, 6); // SYN 869 -> SYN+ACK 870
    expect(r!.rttAckSec).toBeCloseTo(0.000995, 6); // SYN+ACK 870 -> ACK 871
    expect(Math.abs(r!.rttSynSec! + r!.rttAckSec! - 0.001037)).toBeLessThan(1e-6);
  });
});

describe('fast retransmission when the duplicate-ACK sender also sends data with the same ACK number', () => {
  // packet-tcp.c resets a direction's duplicate-ACK count only when its ACK number changes.
  const dupAcks: Step[] = [
    ['o', seg('PA', 1001, 5001, 100), T],
    ['o', seg('PA', 1101, 5001, 100), T + 0.0001],
    ['o', seg('PA', 1201, 5001, 100), T + 0.0002],
    ['r', seg('A', 5001, 1101), T + 0.01],
    ['r', seg('A', 5001, 1101), T + 0.0101], // duplicate ACK #1
    ['r', seg('A', 5001, 1101), T + 0.0102], // duplicate ACK #2
  ];
  it('counts it as a fast retransmission, not out-of-order (tshark frame 9)', () => {
    const { conn } = run([
      ...dupAcks,
      ['r', seg('PA', 5001, 1101, 10), T + 0.0103], // data, same ACK number: the count stays at 2
      ['o', seg('PA', 1301, 5011, 100), T + 0.01035],
      ['o', seg('PA', 1101, 5011, 100), T + 0.0104],
    ]);
    expect(conn.resp.dupAcks).toBe(2);
    expect(counters(conn.orig)).toEqual({ retransmissions: 1, fast: 1, spurious: 0, outOfOrder: 0 });
  });
  it('a new ACK number resets the count: then it is out-of-order (tshark frame 9)', () => {
    const { conn } = run([
      ...dupAcks,
      ['r', seg('PA', 5001, 1150, 10), T + 0.0103],
      ['o', seg('PA', 1301, 5011, 100), T + 0.01035],
      ['o', seg('PA', 1101, 5011, 100), T + 0.0104],
    ]);
    expect(counters(conn.orig)).toEqual({ retransmissions: 0, fast: 0, spurious: 0, outOfOrder: 1 });
  });
});

describe('spurious retransmission is checked before out-of-order', () => {
  it('already acknowledged data 0.1 ms after the highest segment is spurious (tshark frame 5)', () => {
    const { conn } = run([
      ['o', seg('PA', 1001, 5001, 100), T],
      ['o', seg('PA', 1101, 5001, 100), T + 0.0001],
      ['r', seg('A', 5001, 1201), T + 0.0005],
      ['o', seg('PA', 1201, 5001, 100), T + 0.0006],
      ['o', seg('PA', 1001, 5001, 100), T + 0.0007],
    ]);
    expect(counters(conn.orig)).toEqual({ retransmissions: 1, fast: 0, spurious: 1, outOfOrder: 0 });
  });
});

describe('a segment of more than 1 byte at next-expected - 1 adds new data', () => {
  it('is no retransmission (tshark: no flag)', () => {
    const { conn } = run([
      ['o', seg('PA', 1001, 5001, 100), T],
      ['o', seg('PA', 1101, 5001, 100), T + 0.0001],
      ['o', seg('PA', 1200, 5001, 100), T + 0.5],
    ]);
    expect(counters(conn.orig)).toEqual({ retransmissions: 0, fast: 0, spurious: 0, outOfOrder: 0 });
    expect(conn.orig.keepAlives).toBe(0);
  });
  it('is no out-of-order segment either (tshark: no flag)', () => {
    const { conn } = run([
      ['o', seg('PA', 1001, 5001, 100), T],
      ['o', seg('PA', 1101, 5001, 100), T + 0.0001],
      ['o', seg('PA', 1200, 5001, 100), T + 0.0002],
    ]);
    expect(counters(conn.orig)).toEqual({ retransmissions: 0, fast: 0, spurious: 0, outOfOrder: 0 });
  });
  it('but is still a spurious retransmission when already acknowledged (tshark frame 4)', () => {
    const { conn } = run([
      ['o', seg('PA', 1001, 5001, 100), T],
      ['o', seg('PA', 1101, 5001, 100), T + 0.0001],
      ['r', seg('A', 5001, 1300), T + 0.3], // acknowledges a segment that was not captured
      ['o', seg('PA', 1200, 5001, 100), T + 0.5],
    ]);
    expect(counters(conn.orig)).toEqual({ retransmissions: 1, fast: 0, spurious: 1, outOfOrder: 0 });
  });
  it('one byte there is still a keep-alive', () => {
    const { conn } = run([
      ['o', seg('PA', 1001, 5001, 100), T],
      ['o', seg('A', 1100, 5001, 1), T + 10],
    ]);
    expect(conn.orig.keepAlives).toBe(1);
    expect(conn.orig.retransmissions).toBe(0);
  });
});

describe('out-of-order threshold when the SYN+ACK was not captured', () => {
  // SYN, then the originator's ACK 0.1 s later (no SYN+ACK): Wireshark's initial RTT is 0.1 s.
  const { conn } = run([
    ['o', seg('S', C0), T],
    ['o', seg('A', c1, s1), T + 0.1],
    ['o', seg('PA', c1, s1, 100), T + 0.2],
    ['o', seg('PA', c1 + 100, s1, 100), T + 0.2001],
    ['o', seg('PA', c1, s1, 100), T + 0.25], // frame 5: 50 ms after the highest segment, within 0.1 s
  ]);
  it('uses the SYN -> ACK time: frame 5 is out-of-order (tshark)', () => {
    expect(counters(conn.orig)).toEqual({ retransmissions: 0, fast: 0, spurious: 0, outOfOrder: 1 });
  });
  it('reports no handshake RTTs (there was no SYN+ACK)', () => {
    expect(conn.rttSynSec).toBeNull();
    expect(conn.rttAckSec).toBeNull();
  });
});
