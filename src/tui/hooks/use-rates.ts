import { useRef } from 'react';
import type { Snapshot } from '../../pipeline-types.js';
import { RateTracker } from '../model.js';

/**
 * Per-flow and total rates from successive snapshots (see {@link RateTracker}). Replays measure on the capture clock,
 * so a 4x replay shows the traffic's own rates; live capture measures on the wall clock `nowMs`, so rates fall to
 * zero when the link goes quiet.
 */
export function useRates(snapshot: Snapshot, live: boolean, nowMs: () => number): RateTracker {
  const tracker = useRef<RateTracker | null>(null);
  if (tracker.current === null) tracker.current = new RateTracker();
  tracker.current.update(snapshot, live ? nowMs() / 1000 : snapshot.stats.clockSec);
  return tracker.current;
}
