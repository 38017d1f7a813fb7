import { useMemo, useRef, type MutableRefObject } from 'react';
import { layoutColumns, layoutTwoLines, naturalWidths, twoLinesFor, type PlacedColumn } from '../layout.js';
import { reselect, scrollTop, type RowLayout } from '../model.js';
import type { SortedFlows } from '../sort.js';

/** Where the flows table is scrolled to and how its columns are placed, for one frame. */
export interface FlowLayout {
  /** Index of the selected flow. */
  readonly selected: number;
  /** The selection as keys move it (keys can arrive faster than frames: each must see the last one's move). */
  readonly selectedRef: MutableRefObject<number>;
  /** Index of the first flow shown. */
  readonly top: number;
  /** Flows shown (one or two lines each). */
  readonly rows: number;
  /** The columns, one line per flow or two. */
  readonly placed: readonly PlacedColumn[];
}

/**
 * The flows table's selection, scroll and columns: the selected flow follows its uid (`selUid`) through new
 * snapshots, the table scrolls to keep it in view, and the rows take one line per flow or two (auto: when an IPv6
 * socket on screen would be cut, or names would be hidden). The choice is made on the flows two lines per flow would
 * show, the same whichever layout the last frame had, so it does not flip. Column widths follow the rows on screen, so
 * addresses are shown whole whenever the terminal has room.
 */
export function useFlowLayout(
  sorted: SortedFlows, selUid: string | null, bodyRows: number, width: number, names: boolean, rowLayout: RowLayout,
): FlowLayout {
  const selectedRef = useRef(0);
  const topRef = useRef(0);
  const sel = reselect(sorted, selUid, selectedRef.current);
  selectedRef.current = sel;
  const oneTop = scrollTop(topRef.current, sel, bodyRows, sorted.length);
  const oneNatural = naturalWidths(sorted.slice(oneTop, oneTop + bodyRows));
  const onePlaced = useMemo(() => layoutColumns(width, oneNatural, names), [width, oneNatural.orig, oneNatural.resp, oneNatural.respSocket, oneNatural.name, names]); // eslint-disable-line react-hooks/exhaustive-deps
  // Two lines need a title line more and two lines a flow: not below 3 body lines (auto: not below 5, two flows).
  const twoRows = Math.max(1, Math.floor((bodyRows - 1) / 2));
  const twoTop = scrollTop(topRef.current, sel, twoRows, sorted.length);
  const twoLines = bodyRows >= (rowLayout === 'auto' ? 5 : 3) && twoLinesFor(rowLayout, onePlaced, sorted.slice(twoTop, twoTop + twoRows), names);
  const rows = twoLines ? twoRows : bodyRows;
  topRef.current = twoLines ? twoTop : oneTop;
  const twoNatural = twoLines ? naturalWidths(sorted.slice(topRef.current, topRef.current + rows)) : oneNatural;
  const placed = useMemo(
    () => (twoLines ? layoutTwoLines(width, twoNatural, names) : onePlaced),
    [twoLines, onePlaced, width, twoNatural.orig, twoNatural.resp, twoNatural.respSocket, twoNatural.name, names], // eslint-disable-line react-hooks/exhaustive-deps
  );
  return { selected: sel, selectedRef, top: topRef.current, rows, placed };
}
