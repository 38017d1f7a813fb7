import { Box, Text } from 'ink';

export type Props = {
  /** True for a file replay (replay keys apply). */
  readonly replay: boolean;
};

const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['↑ ↓  j k', 'move the selection'],
  ['PgUp PgDn  g G', 'page up / down, first / last row'],
  ['Enter', 'detail of the flow (services: that socket\'s flows)'],
  ['Esc', 'back to the table; in the table: clear the filter'],
  ['Tab', 'flows / services view'],
  ['s  S', 'next sort column / reverse the order'],
  ['/', 'filter: words to match (address, port, service, state, a whole uid; resp=ADDR:PORT)'],
  ['space', 'pause / resume the replay'],
  ['+  -', 'speed: 0.25x .. 1x (real time) .. 128x, max'],
  ['n  .', 'step one packet while paused'],
  ['?', 'this help'],
  ['q  Ctrl+C', 'quit'],
];

/** The key reference, shown over the current view until any key is pressed. */
export default function HelpOverlay({ replay }: Props) {
  return (
    <Box flexDirection="column" paddingX={1} flexShrink={0}>
      <Text bold wrap="truncate-end">sockscope watch: keys</Text>
      {KEYS.filter(([k]) => replay || !['space', '+  -', 'n  .'].includes(k)).map(([k, what]) => (
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
