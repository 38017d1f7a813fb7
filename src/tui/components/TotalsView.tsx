import { Box, Text } from 'ink';
import { compactBytes, compactRate, fit, groupDigits, sparkline } from '../model.js';
import type { Talker, Throughput } from '../totals.js';

export type Props = {
  readonly throughput: Throughput;
  readonly talkers: readonly Talker[];
  /** Bytes of every flow (for the talkers' shares). */
  readonly totalBytes: number;
  readonly width: number;
  readonly height: number;
  /** Rates in bits per second. */
  readonly bits: boolean;
};

/** The averages line: iftop's 2 s, 10 s and 40 s, and the peak second of the minute. */
export function averagesText(t: Throughput, bits: boolean): string {
  const peak = Math.max(0, ...t.perSecond(60));
  return `2s ${compactRate(t.average(2), bits)}   10s ${compactRate(t.average(10), bits)}   40s ${compactRate(t.average(40), bits)}   peak ${compactRate(peak, bits)}`;
}

/**
 * Totals: the throughput of the last minute as a graph of one bar per second (the newest at the right) with iftop's
 * 2 s / 10 s / 40 s averages, then the top talkers, hosts by the bytes of the flows they are in.
 */
export default function TotalsView({ throughput, talkers, totalBytes, width, height, bits }: Props) {
  const graphWidth = Math.max(1, Math.min(60, width - 2));
  const rows = Math.max(0, height - 5);
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold wrap="truncate-end">{fit(`Throughput, last ${graphWidth} s (wire bytes)`, width)}</Text>
      <Text color="cyan" wrap="truncate-end">{sparkline(throughput.perSecond(graphWidth), graphWidth)}</Text>
      <Text wrap="truncate-end">{fit(averagesText(throughput, bits), width)}</Text>
      <Text bold underline wrap="truncate-end">{fit(`${fit('Top talkers', 41)} ${fit('Bytes', 7, 'right')} ${fit('Share', 6, 'right')} ${fit('Flows', 7, 'right')}`, width)}</Text>
      {talkers.slice(0, rows).map((t) => (
        <Text key={t.addr} wrap="truncate-end">
          {fit(`${fit(t.addr, 41)} ${fit(compactBytes(t.bytes), 7, 'right')} ${fit(totalBytes > 0 ? `${Math.round((100 * t.bytes) / totalBytes)}%` : '-', 6, 'right')} ${fit(groupDigits(t.flows), 7, 'right')}`, width)}
        </Text>
      ))}
      {talkers.length === 0 ? <Text color="gray">no flows yet</Text> : null}
    </Box>
  );
}
