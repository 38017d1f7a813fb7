/** Hand-made FlowRecords for writer and UI tests (real-capture records come from helpers/corpus.ts). */
import type { DirectionRecord, FlowRecord } from '../../src/flow/record.js';

export function direction(over: Partial<DirectionRecord> = {}): DirectionRecord {
  return {
    pkts: 0, ipBytes: 0, wireBytes: 0, payloadBytes: 0, seqBytes: 0, firstSec: null, lastSec: null,
    syn: 0, fin: 0, rst: 0, ack: 0, psh: 0, urg: 0,
    retransmissions: 0, outOfOrder: 0, dupAcks: 0, zeroWindows: 0, keepAlives: 0,
    state: null, stateInferred: false, transitions: [], options: null,
    ...over,
  };
}

export function record(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    uid: 'CTest0000000000001', proto: 'tcp', ipProto: 6, ipVersion: 4,
    origAddr: '10.0.0.1', origPort: 51000, respAddr: '10.0.0.2', respPort: 80,
    startSec: 1300475167.096535, lastSec: 1300475167.5, durationSec: 0.403465,
    orig: direction({ pkts: 5, ipBytes: 400, wireBytes: 470, seqBytes: 100, state: 'TIME_WAIT', options: { mss: 1460, wscale: 7, sackPermitted: true, timestamps: false } }),
    resp: direction({ pkts: 4, ipBytes: 1500, wireBytes: 1556, seqBytes: 1200, state: 'CLOSED' }),
    connState: 'SF', history: 'ShADadFf', missedBytes: 0, directionGuessed: false,
    rttSynSec: 0.0123, rttAckSec: 0.0001, endReason: 'closed',
    ...over,
  };
}
