/** The end-of-run summary on stderr: what it says about packets cut by the snap length, for files and live capture. */
import { describe, expect, it } from 'vitest';
import { summaryText } from '../../src/cli/run-flows.js';
import type { CaptureStats } from '../../src/pipeline-types.js';

const base: CaptureStats = {
  packetsRead: 10, packetsAssigned: 10, unassigned: {}, packetsUnassigned: 0, wireBytes: 1000, truncatedBySnaplen: 0,
  activeFlows: 0, totalFlows: 2, evictedFlows: 0, unsupportedLinkTypes: {}, tunnelledPackets: 0, badChecksums: 0,
  clockSec: 0, firstSec: 0,
};

describe('summaryText', () => {
  it('a file: cut packets are counted with their wire length', () => {
    const t = summaryText({ ...base, truncatedBySnaplen: 3 });
    expect(t).toContain('3 packets were cut by the snap length (counted with their wire length)');
    expect(t).not.toContain('live');
  });

  it('live capture through cap: counted with their captured length, and what keeps them whole', () => {
    const t = summaryText({ ...base, truncatedBySnaplen: 4, cutWithoutWireLength: 4 });
    expect(t).not.toContain('counted with their wire length');
    expect(t).toContain('4 live packets were cut by the snap length');
    expect(t).toContain('counted with their captured length');
    expect(t).toContain('tcpdump -s 0 -w - | sockscope flows -');
  });
});
