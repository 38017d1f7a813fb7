import { Text } from 'ink';
import { displayWidth, fit } from '../model.js';
import { keyHints, type View } from '../keys.js';

export type { View } from '../keys.js';
export { keyHints } from '../keys.js';

export type Props = {
  readonly view: View;
  readonly width: number;
  /** True when replay controls apply (a file replay). */
  readonly replay: boolean;
};

/**
 * The keys of `view` as one line of at most `width` cells: hints in order of importance, each whole, as many as fit
 * (the first ones, help and quit, are cut only when nothing else fits).
 */
export function keysText(view: View, replay: boolean, width = Infinity): string {
  let line = '';
  for (const hint of keyHints(view, replay)) {
    const next = line ? `${line}  ${hint}` : hint;
    if (displayWidth(next) > width) break;
    line = next;
  }
  return line || fit(keyHints(view, replay).slice(0, 2).join('  '), width);
}

/** The bottom line: the keys of the current view (from the one key map, keys.ts). */
export default function StatusBar({ view, width, replay }: Props) {
  return <Text inverse wrap="truncate-end">{fit(keysText(view, replay, width), width)}</Text>;
}
