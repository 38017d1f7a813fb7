/**
 * The one key map of the TUI: which key does what in which view. App's key handler asks {@link actionOf}; the status
 * line ({@link keyHints}), the help overlay ({@link helpRows}) and `watch --help` ({@link keysSummary}) are written
 * from the same table, so a key is described wherever it works and nowhere else.
 */
import type { Key } from 'ink';

/** Which screen is showing. */
export type View = 'flows' | 'services' | 'detail' | 'totals';

/** What a key asks for. */
export type Action =
  | 'quit' | 'help' | 'pause' | 'faster' | 'slower' | 'step' | 'switchView' | 'up' | 'down' | 'pageUp' | 'pageDown'
  | 'first' | 'last' | 'open' | 'back' | 'nextSort' | 'reverseSort' | 'sortColumn' | 'filter' | 'units' | 'export'
  | 'exportShown' | 'totals' | 'skipGap' | 'layout';

/** A key's binding. */
export interface Binding {
  readonly action: Action;
  /** The keys as the help shows them. */
  readonly keys: string;
  /** Whether a key press is this binding's. */
  readonly match: (input: string, key: Key) => boolean;
  /** Views where it works. */
  readonly views: readonly View[];
  /** Replay only (a file, not live). */
  readonly replay?: boolean;
  /** What it does, for the help overlay; absent when the row of the binding before it covers it too. */
  readonly help?: string;
  /** Short text for the status line, by view (absent: not on the status line in that view). */
  readonly hint?: Partial<Readonly<Record<View, string>>>;
  /** Place on the status line: lower first (the line keeps as many hints as fit). */
  readonly rank?: number;
}

const ALL: readonly View[] = ['flows', 'services', 'detail', 'totals'];
const MOVING: readonly View[] = ['flows', 'services', 'detail'];
const TABLES: readonly View[] = ['flows', 'services'];

/** Every binding, in the order the help lists them. */
export const KEY_MAP: readonly Binding[] = [
  { action: 'up', keys: '↑ ↓  k j', match: (i, k) => k.upArrow || i === 'k', views: MOVING, help: 'move the selection (detail: previous / next flow)',
    hint: { flows: '↑↓/jk move', services: '↑↓/jk move', detail: '↑↓ prev/next flow' }, rank: 3 },
  { action: 'down', keys: '↓  j', match: (i, k) => k.downArrow || i === 'j', views: MOVING },
  { action: 'pageUp', keys: 'PgUp PgDn', match: (_, k) => k.pageUp, views: TABLES, help: 'page up / down', hint: { flows: 'PgUp/PgDn', services: 'PgUp/PgDn' }, rank: 20 },
  { action: 'pageDown', keys: 'PgDn', match: (_, k) => k.pageDown, views: TABLES },
  { action: 'first', keys: 'g G  Home End', match: (i, k) => i === 'g' || k.home, views: TABLES, help: 'first / last row' },
  { action: 'last', keys: 'G  End', match: (i, k) => i === 'G' || k.end, views: TABLES },
  { action: 'open', keys: 'Enter', match: (_, k) => k.return, views: TABLES, help: "detail of the flow (services: that socket's flows)",
    hint: { flows: 'Enter detail', services: 'Enter show flows' }, rank: 4 },
  { action: 'back', keys: 'Esc  ←', match: (_, k) => k.escape || k.leftArrow, views: ALL, help: 'back to the table; in a table: clear the filter',
    hint: { detail: 'Esc back', totals: 'Esc back' }, rank: 2 },
  { action: 'switchView', keys: 'Tab', match: (_, k) => k.tab, views: ALL, help: 'flows / services view',
    hint: { flows: 'Tab services', services: 'Tab flows' }, rank: 6 },
  { action: 'nextSort', keys: 's  S', match: (i) => i === 's', views: TABLES, help: 'next sort column / reverse the order', hint: { flows: 's/S sort', services: 's/S sort' }, rank: 7 },
  { action: 'reverseSort', keys: 'S', match: (i) => i === 'S', views: TABLES },
  { action: 'sortColumn', keys: '1 .. 9  0', match: (i) => i.length === 1 && i >= '0' && i <= '9', views: TABLES,
    help: 'sort by the Nth column shown (0: the tenth); again: reverse', hint: { flows: '1-9 sort by', services: '1-6 sort by' }, rank: 8 },
  { action: 'filter', keys: '/', match: (i) => i === '/', views: TABLES, help: 'filter: port:443, host:, net:CIDR, proto:, state:, name:, service:, bytes>1M, words; ! and or ( )',
    hint: { flows: '/ filter', services: '/ filter' }, rank: 5 },
  { action: 'totals', keys: 't', match: (i) => i === 't', views: ALL, help: 'totals: throughput of the last minute (2 s, 10 s, 40 s) and top talkers',
    hint: { flows: 't totals', services: 't totals', totals: 't back' }, rank: 9 },
  { action: 'export', keys: 'w  W', match: (i) => i === 'w', views: ALL, help: 'write the packets of the selected flow / of every flow shown to a pcap file',
    hint: { flows: 'w/W write pcap', detail: 'w write pcap' }, rank: 14 },
  { action: 'exportShown', keys: 'W', match: (i) => i === 'W', views: TABLES },
  { action: 'layout', keys: 'L', match: (i) => i === 'L', views: ['flows'], help: 'one or two lines per flow: auto (two when an IPv6 socket would be cut or names hidden) / two / one',
    hint: { flows: 'L lines' }, rank: 16 },
  { action: 'units', keys: 'b', match: (i) => i === 'b', views: ALL, help: 'rates in bits or bytes per second', hint: { flows: 'b bits/bytes', totals: 'b bits/bytes' }, rank: 15 },
  { action: 'pause', keys: 'space', match: (i) => i === ' ', views: ALL, replay: true, help: 'pause / resume the replay', hint: { flows: 'space pause', services: 'space pause', detail: 'space pause', totals: 'space pause' }, rank: 10 },
  { action: 'faster', keys: '+  -', match: (i) => i === '+' || i === '=', views: ALL, replay: true, help: 'speed: 0.25x .. 1x (real time) .. 128x, max',
    hint: { flows: '+/- speed', services: '+/- speed', detail: '+/- speed', totals: '+/- speed' }, rank: 11 },
  { action: 'slower', keys: '-', match: (i) => i === '-' || i === '_', views: ALL, replay: true },
  { action: 'skipGap', keys: '>', match: (i) => i === '>', views: ALL, replay: true, help: 'skip the idle gap to the next packet (watch --max-gap skips long ones by itself)',
    hint: { flows: '> skip gap' }, rank: 13 },
  { action: 'step', keys: 'n  .', match: (i) => i === 'n' || i === '.', views: ALL, replay: true, help: 'step one packet while paused',
    hint: { flows: 'n step', services: 'n step', detail: 'n step' }, rank: 12 },
  { action: 'help', keys: '?', match: (i) => i === '?', views: ALL, help: 'this help', hint: { flows: '? help', services: '? help', detail: '? help', totals: '? help' }, rank: 0 },
  { action: 'quit', keys: 'q  Ctrl+C', match: (i) => i === 'q', views: ALL, help: 'quit', hint: { flows: 'q quit', services: 'q quit', detail: 'q quit', totals: 'q quit' }, rank: 1 },
];

/** The binding `input`/`key` selects in `view` (replay keys only with a replay), or null. */
export function actionOf(input: string, key: Key, view: View, replay: boolean): Binding | null {
  for (const b of KEY_MAP) {
    if (!b.views.includes(view) || (b.replay === true && !replay)) continue;
    if (b.match(input, key)) return b;
  }
  return null;
}

/** The status line's hints for `view`, most important first. */
export function keyHints(view: View, replay: boolean): string[] {
  return KEY_MAP
    .filter((b) => b.hint?.[view] !== undefined && b.views.includes(view) && (replay || b.replay !== true))
    .sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99))
    .map((b) => b.hint![view]!); // filtered above
}

/** The help overlay's rows: keys and what they do (replay keys only with a replay). */
export function helpRows(replay: boolean): ReadonlyArray<readonly [string, string]> {
  return KEY_MAP.filter((b) => b.help !== undefined && (replay || b.replay !== true)).map((b) => [b.keys, b.help!] as const); // filtered
}

/** One paragraph for `watch --help`: every key, comma-separated. */
export function keysSummary(): string {
  const rows = KEY_MAP.filter((b) => b.help !== undefined);
  return `Keys: ${rows.map((b) => `${b.keys.replace(/ {2}/g, '/')} ${b.help!.split(/[:;(]/)[0]!.trim()}`).join(', ')}.`; // filtered
}
