import { useCallback, useSyncExternalStore } from 'react';
import type { Snapshot, SnapshotFeed } from '../../pipeline-types.js';

/**
 * The feed's current snapshot; the component re-renders when the pipeline publishes a new one (a few times a second,
 * never per packet). The snapshot and its flow array are never mutated, so they can key memoized work.
 */
export function useFlowSnapshots(feed: SnapshotFeed): Snapshot {
  const subscribe = useCallback((listener: () => void) => feed.subscribe(listener), [feed]);
  const current = useCallback(() => feed.current(), [feed]);
  return useSyncExternalStore(subscribe, current);
}
