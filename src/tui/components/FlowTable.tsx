import { Box, Text } from 'ink';
import type { FlowRecord } from '../../flow/record.js';
import {
  cellText, fit, hasPorts, SECOND_LINE_INDENT, serviceLabel, socketCell, toneOf, type CellContext, type PlacedColumn, type SortOrder,
  type Tone,
} from '../model.js';

export type Props = {
  /** All rows, sorted and filtered (an array, or SortedFlows); only `height` of them from `top` are rendered. */
  readonly rows: { readonly length: number; slice(from: number, to: number): readonly FlowRecord[] };
  readonly columns: readonly PlacedColumn[];
  readonly sort: SortOrder;
  /** Index of the first visible row. */
  readonly top: number;
  /** Visible flows (excluding the title row); each takes two lines with the two-line layout. */
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
 * A piece of a row's line: text, dimmed or not. A port-only service guess is dimmed and in italics (in an ended flow's
 * row, already dimmed as a whole, the italics tell it apart).
 */
export interface Segment {
  readonly text: string;
  readonly dim: boolean;
}

/** One column's cell as segments, fitted to its width. */
function cellSegments(r: FlowRecord, c: PlacedColumn, ctx: CellContext): Segment[] {
  const id = c.spec.id;
  if (id === 'name') return [{ text: fit(cellText(r, id, ctx), c.width, 'left', 'start'), dim: false }];
  if (id !== 'orig' && id !== 'resp') return [{ text: fit(cellText(r, id, ctx), c.width, c.spec.align), dim: false }];
  const text = cellText(r, id, ctx);
  if (text.length > c.width) return [{ text: fit(socketCell(r, id, c.width), c.width), dim: false }];
  const label = id === 'resp' ? serviceLabel(r) : null;
  if (label === null || !label.guess || label.text === '' || !hasPorts(r)) return [{ text: fit(text, c.width), dim: false }];
  // The responder's port name is a guess (no service confirmed from the payload): dimmed.
  const sock = text.slice(0, text.length - label.text.length);
  return [{ text: sock, dim: false }, { text: label.text, dim: true }, { text: ' '.repeat(c.width - text.length), dim: false }];
}

/**
 * The lines of one flow: each placed column's cell, fitted to its width, one space apart; one line, or two when the
 * columns are laid out on two (the second indented). A responder whose service label does not fit is shown without
 * it rather than cut; a socket wider than its column is shortened in the middle of its address, the port kept (what
 * tells two flows of one host apart); a name wider than its column keeps its end (`…media.org`).
 */
export function rowLines(r: FlowRecord, columns: readonly PlacedColumn[], ctx: CellContext): Segment[][] {
  const line = (cols: readonly PlacedColumn[], indent: string): Segment[] => {
    const out: Segment[] = indent ? [{ text: indent, dim: false }] : [];
    cols.forEach((c, i) => {
      if (i > 0) out.push({ text: ' ', dim: false });
      out.push(...cellSegments(r, c, ctx));
    });
    return out;
  };
  const first = columns.filter((c) => c.line !== 2);
  const second = columns.filter((c) => c.line === 2);
  return second.length === 0 ? [line(first, '')] : [line(first, ''), line(second, ' '.repeat(SECOND_LINE_INDENT))];
}

/** The text of one flow's first (or only) line; see {@link rowLines}. */
export function rowText(r: FlowRecord, columns: readonly PlacedColumn[], ctx: CellContext): string {
  return rowLines(r, columns, ctx).map((l) => l.map((x) => x.text).join('')).join('\n');
}

/** The title row (two with the two-line layout), with an arrow on the sort column pointing the way values run. */
export function titleText(columns: readonly PlacedColumn[], sort: SortOrder): string {
  const line = (cols: readonly PlacedColumn[]) =>
    cols
      .map((c) => {
        if (c.spec.id !== sort.column) return fit(c.spec.title, c.width, c.spec.align);
        const down = c.spec.descending !== sort.reversed;
        return fit(`${c.spec.title}${down ? '↓' : '↑'}`, c.width, c.spec.align);
      })
      .join(' ');
  const second = columns.filter((c) => c.line === 2);
  const first = line(columns.filter((c) => c.line !== 2));
  return second.length === 0 ? first : `${first}\n${' '.repeat(SECOND_LINE_INDENT)}${line(second)}`;
}

/** Whether `columns` are laid out on two lines per flow. */
export const twoLineColumns = (columns: readonly PlacedColumn[]): boolean => columns.some((c) => c.line === 2);

/**
 * The flows view's table. Renders only the visible window, so thousands of flows cost as much as one screenful.
 * Rows are coloured by state; ended flows are dimmed; the selected row is shown in reverse video; a port-only service
 * guess beside the responder is dimmed and in italics. `height` counts
 * flows, not lines: with the two-line layout each flow takes two.
 */
export default function FlowTable({ rows, columns, sort, top, height, selected, ctx }: Props) {
  const visible = rows.slice(top, top + height);
  const titles = titleText(columns, sort).split('\n');
  return (
    <Box flexDirection="column" flexShrink={0}>
      {titles.map((t, i) => <Text key={`title${i}`} bold underline wrap="truncate-end">{t}</Text>)}
      {visible.flatMap((r, i) => {
        const sel = top + i === selected;
        const ended = r.endReason !== 'active' && !sel;
        return rowLines(r, columns, ctx).map((segments, n) => (
          <Text key={`${r.uid}:${n}`} color={TONE_COLOR[toneOf(r)]} dimColor={ended} inverse={sel} wrap="truncate-end">
            {segments.map((x, j) => (x.dim ? <Text key={j} dimColor italic>{x.text}</Text> : x.text))}
          </Text>
        ));
      })}
      {rows.length === 0 ? <Text color="gray" wrap="truncate-end">no flows{height > 1 ? ' (yet, or none match the filter)' : ''}</Text> : null}
    </Box>
  );
}
