import { useMemo, useRef, useState } from 'react';
import type { Snapshot } from '../../pipeline-types.js';
import type { TableKeys } from '../key-handler.js';
import type { View } from '../keys.js';
import {
  filterFlows, groupServices, reselect, scrollTop, SERVICE_SORT_COLUMNS, sortServices, type ServiceGroup, type ServiceSort,
} from '../model.js';

/** The entry after `x` in `list`, wrapping around. */
function nextOf<T>(list: readonly T[], x: T): T {
  return list[(list.indexOf(x) + 1) % list.length]!; // modulo keeps the index in range
}

/** The services view for one frame: its listeners in order, the selection, the scroll, and its keys. */
export interface ServiceView {
  readonly groups: readonly ServiceGroup[];
  readonly sort: ServiceSort;
  readonly selected: number;
  readonly top: number;
  readonly keys: TableKeys;
}

/**
 * The services view: the flows the filter keeps, grouped by listening socket (live: with the host's own listeners,
 * `listeners`, when no filter is set), sorted, and a selection that follows its listener by key. `open` is Enter on
 * a listener. Groups are only made while the view shows.
 */
export function useServiceView(
  snapshot: Snapshot, filter: string, view: View, bodyRows: number,
  listeners: ((groups: readonly ServiceGroup[]) => readonly ServiceGroup[]) | undefined,
  open: (g: ServiceGroup) => void,
): ServiceView {
  const [sort, setSort] = useState<ServiceSort>({ column: 'connections', reversed: false });
  const [key, setKey] = useState<string | null>(null);
  const selectedRef = useRef(0);
  const topRef = useRef(0);
  const groups = useMemo(
    () => {
      if (view !== 'services') return [];
      const g = groupServices(filterFlows(snapshot.flows, filter));
      return sortServices(listeners === undefined || filter !== '' ? g : listeners(g), sort);
    },
    [snapshot, filter, view, listeners, sort],
  );
  const selected = reselect(groups.map((g) => ({ uid: g.key })), key, selectedRef.current);
  selectedRef.current = selected;
  topRef.current = scrollTop(topRef.current, selected, bodyRows, groups.length);
  const keys: TableKeys = {
    page: Math.max(1, bodyRows - 1),
    length: groups.length,
    select: (to) => {
      const i = Math.max(0, Math.min(groups.length - 1, to));
      selectedRef.current = i;
      setKey(groups[i]?.key ?? null);
    },
    selected: () => selectedRef.current,
    open: () => {
      const g = groups[selected];
      if (g !== undefined) open(g);
    },
    nextSort: () => setSort((o) => ({ column: nextOf(SERVICE_SORT_COLUMNS, o.column), reversed: false })),
    reverseSort: () => setSort((o) => ({ column: o.column, reversed: !o.reversed })),
    sortColumn: (n) => {
      const column = SERVICE_SORT_COLUMNS[n];
      if (column !== undefined) setSort((o) => ({ column, reversed: o.column === column ? !o.reversed : false }));
    },
  };
  return { groups, sort, selected, top: topRef.current, keys };
}
