import { Box, Text } from 'ink';

export type Props = {
  /** True for a file replay (replay keys apply). */
  readonly replay: boolean;
};

const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['↑ ↓  j k', 'move the selection'],
  ['PgUp PgDn  g G', 'page up / down, first / last row'],
  ['Enter', 'flows: detail of the selected flow; services: its connections'],
  ['Esc', 'back (detail -> table; clears a filter)'],
  ['Tab', 'switch between the flows and services views'],
  ['s  S', 'cycle the sort column / reverse the order'],
  ['/', 'filter: type words that must all appear (address, port, service, state, proto); Enter keeps, Esc clears'],
  ['space', 'pause / resume the replay'],
  ['+  -', 'replay speed: 0.25x ... 1x (real time) ... 128x, max'],
  ['n  .', 'step one packet while paused'],
  ['?', 'this help'],
  ['q  Ctrl+C', 'quit'],
];

/** The key reference, shown over the current view until any key is pressed. */
export default function HelpOverlay({ replay }: Props) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>sockscope watch: keys</Text>
      {KEYS.filter(([k]) => replay || !['space', '+  -', 'n  .'].includes(k)).map(([k, what]) => (
        <Text key={k}>
          <Text color="cyan">{k.padEnd(16)}</Text>
          {what}
        </Text>
      ))}
      <Text>
        Colours: <Text color="green">established</Text> <Text color="yellow">closing</Text>{' '}
        <Text color="red">reset/rejected</Text> <Text color="gray">unanswered</Text>{' '}
        <Text color="cyan">UDP/ICMP answered</Text>; dim = ended. A ~ after a state: inferred, not seen.
      </Text>
      <Text color="gray">Press any key to close.</Text>
    </Box>
  );
}
