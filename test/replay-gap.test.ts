/**
 * Replay over idle gaps (watch --max-gap, the > key): a gap longer than maxGapSec is skipped, the capture clock moves
 * on to the next packet (flows idle over the gap time out as they would have), and the header says how long the
 * replay would otherwise wait.
 */
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../src/flow/record.js';
import { Pipeline, ReplayControl } from '../src/pipeline.js';
import type { Snapshot } from '../src/pipeline-types.js';
import { openCapture } from '../src/source/open.js';
import { gapText } from '../src/tui/components/Header.js';
import { gapPcap } from './helpers/hostile.js';

async function replay(control: ReplayControl, onWait?: () => void): Promise<{ records: FlowRecord[]; ms: number }> {
  const records: FlowRecord[] = [];
  const started = Date.now();
  const timer = onWait === undefined ? undefined : setInterval(onWait, 50);
  try {
    await new Pipeline({ sources: [await openCapture(gapPcap(200))], replay: control, onFlowEnd: (r) => records.push(r) }).run();
  } finally {
    clearInterval(timer);
  }
  return { records, ms: Date.now() - started };
}

describe('replay over idle gaps', () => {
  it('skips a gap longer than maxGapSec at once, and the flows idle over it end as they would have', async () => {
    const control = new ReplayControl(1);
    control.maxGapSec = 5;
    const { records, ms } = await replay(control);
    expect(ms).toBeLessThan(8000); // 1 s between the first two packets; the 199 s gap is skipped
    expect(records.map((r) => r.endReason)).toEqual(['idle', 'idle', 'eof']);
  }, 15_000);

  it('skips one gap when asked (the > key), with nothing set', async () => {
    const control = new ReplayControl(1);
    let seen = Number.NaN;
    const { records, ms } = await replay(control, () => {
      if (control.nextPacketSec === 1_700_000_200) {
        seen = control.nextPacketSec;
        control.skipGap();
      }
    });
    expect(seen).toBe(1_700_000_200);
    expect(ms).toBeLessThan(8000);
    expect(records.map((r) => r.endReason)).toEqual(['idle', 'idle', 'eof']);
  }, 15_000);

  it('says in the header how long the replay waits for its next packet', () => {
    const snap = { stats: { clockSec: 100 }, done: false, paused: false, speed: 2, nextPacketSec: 100 + 3 * 86400 } as unknown as Snapshot;
    expect(gapText(snap, false)).toMatch(/^ {2}next packet in 1d.*\(> skips\)$/);
    expect(gapText({ ...snap, nextPacketSec: 101 }, false)).toBe('');
    expect(gapText({ ...snap, paused: true }, false)).toBe('');
    expect(gapText(snap, true)).toBe('');
  });
});
