import { Text } from 'ink';
import { displayWidth, fit } from '../model.js';

/** Which screen is showing. */
export type View = 'flows' | 'services' | 'detail';

export type Props = {
  readonly view: View;
  readonly width: number;
  /** True when replay controls apply (a file replay). */
  readonly replay: boolean;
};

/** The key hints of each view, most important first: help and quit, then the view's own keys. */
export function keyHints(view: View, replay: boolean): string[] {
  const play = replay ? ['space pause', '+/- speed', 'n step'] : [];
  switch (view) {
    case 'flows':
      return ['? help', 'q quit', '↑↓/jk move', 'Enter detail', '/ filter', 'Tab services', 's/S sort', ...play, 'PgUp/PgDn'];
    case 'services':
      return ['? help', 'q quit', '↑↓/jk move', 'Enter show flows', '/ filter', 'Tab flows', ...play, 'PgUp/PgDn'];
    case 'detail':
      return ['? help', 'q quit', 'Esc back', '↑↓ prev/next flow', ...play];
  }
}

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

/** The bottom line: the keys of the current view. */
export default function StatusBar({ view, width, replay }: Props) {
  return <Text inverse wrap="truncate-end">{fit(keysText(view, replay, width), width)}</Text>;
}
