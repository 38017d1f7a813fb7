/**
 * Netstat states, transitions, handshake RTTs and SYN options on real captures (misc/chrissanders-packets), with the
 * expected values read from the packets by tshark (frame times, flags, options) and annotated here.
 */
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

async function onlyTcp(capture: string): Promise<FlowRecord> {
  const tcp = (await runCapture(capture)).records.filter((r) => r.proto === 'tcp');
  expect(tcp).toHaveLength(1);
  return tcp[0]!;
}

const states = (r: FlowRecord, end: 'orig' | 'resp') => r[end].transitions.map((t) => t.state);

describe.skipIf(!HAVE_CORPUS)('netstat states on real captures', () => {
  it('tcp_handshake: SYN 114.341715, SYN+ACK 114.474342, ACK 114.474483', async () => {
    const r = await onlyTcp('misc/chrissanders-packets/tcp_handshake.pcapng');
    expect([r.orig.state, r.resp.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(states(r, 'orig')).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(states(r, 'resp')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
    expect(r.resp.transitions[0]!.tsSec).toBeCloseTo(1262893114.341715, 6); // the implied listener, at the SYN
    expect(r.rttSynSec).toBeCloseTo(0.132627, 6);
    expect(r.rttAckSec).toBeCloseTo(0.000141, 6);
    // tshark's tcp.analysis.initial_rtt (SYN -> ACK) is 0.132768 s.
    expect(r.rttSynSec! + r.rttAckSec!).toBeCloseTo(0.132768, 6);
    expect(r.orig.options).toEqual({ mss: 1460, wscale: 2, sackPermitted: true, timestamps: false });
    expect(r.resp.options?.mss).toBe(1406);
    expect(r.resp.options?.wscale).toBe(7);
    expect([r.connState, r.history]).toEqual(['S1', 'ShA']);
  });

  it('tcp_teardown: picked up at the server FIN (80 -> 3363), both FINs acknowledged', async () => {
    const r = await onlyTcp('misc/chrissanders-packets/tcp_teardown.pcapng');
    // The first packet comes from port 80, a likely server port: Zeek takes the other side as originator (^).
    expect([r.origPort, r.respPort]).toEqual([3363, 80]);
    expect(states(r, 'resp')).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(states(r, 'orig')).toEqual(['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(r.resp.stateInferred).toBe(false);
    expect([r.connState, r.history]).toEqual(['SF', '^fAFa']);
    expect(r.rttSynSec).toBeNull();
    expect(r.orig.options).toBeNull();
  });

  it('ssh-basic: five simultaneous closes end in TIME_WAIT on both sides (RFC 9293 Figure 13)', async () => {
    // tshark stream 3 (client port 57191), frames 195-198: the client's FIN, then the server's FIN acknowledging
    // 1935469164 (not the client's FIN, which ends at 1935469165: it was sent before that FIN arrived), the client's
    // FIN+ACK covering the server's FIN, and the server's ACK of the client's FIN. The same in streams 6, 8, 10, 12.
    const { records } = await runCapture('zeek/ssh-basic.pcap');
    const ports = [57191, 56821, 56845, 56878, 57831];
    const closes = records.filter((r) => r.proto === 'tcp' && ports.includes(r.origPort));
    expect(closes).toHaveLength(5);
    for (const r of closes) {
      expect([r.orig.state, r.resp.state]).toEqual(['TIME_WAIT', 'TIME_WAIT']);
      expect(states(r, 'resp').slice(-3)).toEqual(['CLOSE_WAIT', 'CLOSING', 'TIME_WAIT']);
      expect(states(r, 'orig').slice(-3)).toEqual(['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    }
  });

  it('tcp_refuseconnection: SYN answered by RST+ACK', async () => {
    const r = await onlyTcp('misc/chrissanders-packets/tcp_refuseconnection.pcapng');
    expect(states(r, 'orig')).toEqual(['SYN_SENT', 'CLOSED']);
    expect(states(r, 'resp')).toEqual(['LISTEN', 'CLOSED']);
    expect([r.connState, r.history]).toEqual(['REJ', 'Sr']);
  });
});
