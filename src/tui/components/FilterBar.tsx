import { Text } from 'ink';
import { fit } from '../model.js';
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
};

/** The line above the table: view tabs, filter (with a cursor while typing), sort and row counts. */
export default function FilterBar({ view, filter, editing, shown, total, sortLabel, width }: Props) {
  const tabs = view === 'services' ? ' Flows [Services]' : '[Flows] Services ';
  const counts = `${shown}/${total}`;
  if (editing) {
    return (
      <Text>
        <Text bold color="yellow">{'filter: '}</Text>
        <Text>{fit(`${filter}█`, Math.max(1, width - 8))}</Text>
      </Text>
    );
  }
  const filterPart = filter ? `  filter: ${filter}` : '';
  const sortPart = view === 'flows' ? `  sort: ${sortLabel}` : '';
  return <Text bold>{fit(`${tabs}${sortPart}${filterPart}  ${counts}`, width)}</Text>;
}
