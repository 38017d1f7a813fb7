import { Text } from 'ink';
import { displayWidth, filterError, fit } from '../model.js';
import type { View } from './StatusBar.js';

export type Props = {
  readonly view: View;
  readonly filter: string;
  /** True while the user types the filter (after `/`). */
  readonly editing: boolean;
  /** Rows shown and rows in total. */
  readonly shown: number;
  readonly total: number;
  /** Sort description, e.g. `bytes ↓`. */
  readonly sortLabel: string;
  readonly width: number;
  /** What is wrong with the filter (it shows no rows), or null; by default worked out from `filter`. */
  readonly error?: string | null;
};

/** What the line shows of the filter at the least, in cells, before the sort part gives way. */
const MIN_FILTER_CELLS = 12;

/**
 * The line above the table: view tabs, sort, filter and row counts, exactly `width` cells whatever the filter holds
 * (wide characters and emoji are measured as the terminal draws them). A long filter is cut in the middle of the line,
 * so the counts stay; while it is typed, its end (where the cursor is) stays in view.
 */
export function filterBarText({ view, filter, editing, shown, total, sortLabel, width, error = filterError(filter) }: Props): string {
  if (editing) {
    const prefix = 'filter: ';
    // A filter that does not parse (yet) says why after the cursor, as far as the line allows.
    const why = error === null ? '' : `  ✗ ${error}`;
    const room = Math.max(1, width - prefix.length);
    const typed = `${filter}█`;
    if (why && displayWidth(typed) + MIN_FILTER_CELLS < room) {
      return prefix + fit(typed, displayWidth(typed), 'left', 'start') + fit(why, room - displayWidth(typed));
    }
    return prefix + fit(typed, room, 'left', 'start');
  }
  if (error !== null) return fit(`filter: ${filter}  ✗ ${error}`, width);
  const tabs = view === 'services' ? ' Flows [Services]' : '[Flows] Services ';
  const counts = `  ${shown}/${total}`;
  let sortPart = `  sort: ${sortLabel}`;
  if (!filter) return fit(`${tabs}${sortPart}${counts}`, width);
  const label = '  filter: ';
  let room = width - displayWidth(tabs + sortPart + label + counts);
  if (room < MIN_FILTER_CELLS && sortPart) {
    room += displayWidth(sortPart); // the title row's arrow still shows the sort column
    sortPart = '';
  }
  const shownFilter = displayWidth(filter) <= room ? filter : fit(filter, Math.max(1, room));
  return fit(`${tabs}${sortPart}${label}${shownFilter}${counts}`, width);
}

/** The line above the table: view tabs, filter (with a cursor while typing), sort and row counts. */
export default function FilterBar(props: Props) {
  if (!props.editing && filterError(props.filter) !== null) {
    return <Text bold color="red" wrap="truncate-end">{filterBarText(props)}</Text>;
  }
  if (props.editing) {
    const line = filterBarText(props);
    return (
      <Text wrap="truncate-end">
        <Text bold color="yellow">{line.slice(0, 8)}</Text>
        <Text>{line.slice(8)}</Text>
      </Text>
    );
  }
  return <Text bold wrap="truncate-end">{filterBarText(props)}</Text>;
}
