import { Box, Text } from 'ink';
import type { FlowRecord } from '../../flow/record.js';
import {
  cellText, fit, socketCell, toneOf, type CellContext, type PlacedColumn, type SortOrder, type Tone,
} from '../model.js';

export type Props = {
  /** All rows, sorted and filtered; only `height` of them from `top` are rendered. */
  readonly rows: readonly FlowRecord[];
  readonly columns: readonly PlacedColumn[];
  readonly sort: SortOrder;
  /** Index of the first visible row. */
  readonly top: number;
  /** Visible rows (excluding the title row). */
  readonly height: number;
  /** Index of the selected row, or -1. */
  readonly selected: number;
  readonly ctx: CellContext;
};

/** Terminal colour for each {@link Tone}. */
export const TONE_COLOR: Readonly<Record<Tone, string>> = {
  open: 'green',
  closing: 'yellow',
  reset: 'red',
  unanswered: 'gray',
  closed: 'white',
  datagram: 'cyan',
};

/**
 * The text of one row: each placed column's cell, fitted to its width, one space apart. A responder whose service
 * name does not fit is shown without it rather than cut; a socket wider than its column is shortened in the middle of
 * its address, the port kept (what tells two flows of one host apart).
 */
export function rowText(r: FlowRecord, columns: readonly PlacedColumn[], ctx: CellContext): string {
  return columns
    .map((c) => {
      let text = cellText(r, c.spec.id, ctx);
      if (c.spec.id === 'resp' && text.length > c.width) text = socketCell(r, 'resp', c.width);
      else if (c.spec.id === 'orig' && text.length > c.width) text = socketCell(r, 'orig', c.width);
      return fit(text, c.width, c.spec.align);
    })
    .join(' ');
}

/** The title row, with an arrow on the sort column pointing the way values run down the table. */
export function titleText(columns: readonly PlacedColumn[], sort: SortOrder): string {
  return columns
    .map((c) => {
      if (c.spec.id !== sort.column) return fit(c.spec.title, c.width, c.spec.align);
      const down = c.spec.descending !== sort.reversed;
      return fit(`${c.spec.title}${down ? '↓' : '↑'}`, c.width, c.spec.align);
    })
    .join(' ');
}

/**
 * The flows view's table. Renders only the visible window, so thousands of flows cost as much as one screenful.
 * Rows are coloured by state; ended flows are dimmed; the selected row is shown in reverse video.
 */
export default function FlowTable({ rows, columns, sort, top, height, selected, ctx }: Props) {
  const visible = rows.slice(top, top + height);
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold underline wrap="truncate-end">{titleText(columns, sort)}</Text>
      {visible.map((r, i) => (
        <Text
          key={r.uid}
          color={TONE_COLOR[toneOf(r)]}
          dimColor={r.endReason !== 'active' && top + i !== selected}
          inverse={top + i === selected}
          wrap="truncate-end"
        >
          {rowText(r, columns, ctx)}
        </Text>
      ))}
      {rows.length === 0 ? <Text color="gray" wrap="truncate-end">no flows{height > 1 ? ' (yet, or none match the filter)' : ''}</Text> : null}
    </Box>
  );
}
