import { Text } from 'ink';
import { sparkline } from '../model.js';

export type Props = {
  /** Values, oldest first; scaled so the largest is a full block. */
  readonly values: readonly number[];
  /** Cells to fill; the newest values are kept when there are more. */
  readonly width: number;
  readonly color?: string;
};

/** A one-line bar chart of recent values, newest on the right. */
export default function Sparkline({ values, width, color = 'cyan' }: Props) {
  return <Text color={color}>{sparkline(values, width)}</Text>;
}
