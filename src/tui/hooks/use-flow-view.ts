import { useEffect, useRef } from 'react';
import type { Snapshot, SnapshotFeed } from '../../pipeline-types.js';
import { FlowView, type SortOrder } from '../model.js';

/** What the view needs to know, read when a snapshot arrives (refs, so the subscription never goes stale). */
export interface FlowViewInputs {
  readonly filter: string;
  readonly sort: SortOrder;
}

/**
 * The flows view's rates and sorted rows (see {@link FlowView}). They are computed as each snapshot is published,
 * inside the pipeline's publish, so its adaptive snapshot interval makes room for the UI's work as the flow count
 * grows; rendering then finds them ready. Replays measure rates on the capture clock, so a 4x replay shows the
 * traffic's own rates; live capture on the wall clock `nowMs`, so rates fall to zero when the link goes quiet.
 */
export function useFlowView(
  feed: SnapshotFeed,
  snapshot: Snapshot,
  live: boolean,
  nowMs: () => number,
  inputs: { readonly current: FlowViewInputs },
): FlowView {
  const view = useRef<FlowView | null>(null);
  if (view.current === null) view.current = new FlowView();
  const v = view.current;
  const clockOf = (s: Snapshot) => (live ? nowMs() / 1000 : s.stats.clockSec);
  useEffect(
    () =>
      feed.subscribe(() => {
        const s = feed.current();
        v.ingest(s, clockOf(s), inputs.current.filter, inputs.current.sort, clockOf(s));
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [feed, v, live],
  );
  v.rates.update(snapshot, clockOf(snapshot));
  return v;
}
