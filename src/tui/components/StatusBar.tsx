import { Text } from 'ink';
import { fit } from '../model.js';

/** Which screen is showing. */
export type View = 'flows' | 'services' | 'detail';

export type Props = {
  readonly view: View;
  readonly width: number;
  /** True when replay controls apply (a file replay). */
  readonly replay: boolean;
};

/** The keys that work in each view, most used first (cut at the terminal's width). */
export function keysText(view: View, replay: boolean): string {
  const play = replay ? '  space pause  +/- speed  n step' : '';
  switch (view) {
    case 'flows':
      return `↑↓/jk move  PgUp/PgDn  Enter detail  Tab services  s/S sort  / filter${play}  ? help  q quit`;
    case 'services':
      return `↑↓/jk move  PgUp/PgDn  Enter show flows  Tab flows  / filter${play}  ? help  q quit`;
    case 'detail':
      return `Esc back  ↑↓ prev/next flow${play}  ? help  q quit`;
  }
}

/** The bottom line: the keys of the current view. */
export default function StatusBar({ view, width, replay }: Props) {
  return <Text inverse>{fit(keysText(view, replay), width)}</Text>;
}
