import { Box, Text } from 'ink';
import { helpRows } from '../keys.js';

export type Props = {
  /** True for a file replay (replay keys apply). */
  readonly replay: boolean;
};

/** The key reference (from the one key map, keys.ts), shown over the current view until any key is pressed. */
export default function HelpOverlay({ replay }: Props) {
  return (
    <Box flexDirection="column" paddingX={1} flexShrink={0}>
      <Text bold wrap="truncate-end">sockscope watch: keys</Text>
      {helpRows(replay).map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text color="cyan">{k.padEnd(16)}</Text>
          {what}
        </Text>
      ))}
      <Text wrap="truncate-end">
        <Text color="green">established</Text> <Text color="yellow">closing</Text> <Text color="red">reset</Text>{' '}
        <Text color="gray">unanswered</Text> <Text color="cyan">UDP/ICMP</Text>, dim: ended, ~: state inferred
      </Text>
      <Text color="gray" wrap="truncate-end">Press any key to close.</Text>
    </Box>
  );
}
