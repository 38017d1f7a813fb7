/**
 * Hand-made FlowRecords for model tests: every field set explicitly, overridable per test. Component tests use
 * records from the real pipeline on real captures instead (see components.test.tsx).
 */
import type { FlowRecord } from '../../src/flow/record.js';
import { direction } from '../helpers/records.js';

export { direction };

export function record(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    uid: 'C1', proto: 'tcp', ipProto: 6, ipVersion: 4,
    origAddr: '10.0.0.1', origPort: 40000, respAddr: '10.0.0.2', respPort: 80,
    startSec: 1000, lastSec: 1001, durationSec: 1,
    orig: direction({ pkts: 1, ipBytes: 60, state: 'ESTABLISHED' }),
    resp: direction({ pkts: 1, ipBytes: 60, state: 'ESTABLISHED' }),
    connState: 'S1', history: 'ShAD', missedBytes: 0, directionGuessed: false,
    rttSynSec: null, rttAckSec: null, endReason: 'active',
    ...over,
  };
}
