/**
 * What a key press does to the TUI's state: App builds a {@link KeyTarget} each frame (the rows on screen, the state
 * setters) and hands every key to {@link handleInput}. The key map itself is keys.ts; this module only carries out the
 * action a key is bound to, in the view the previous key left.
 */
import type { Key } from 'ink';
import type { Dispatch, SetStateAction } from 'react';
import type { FlowRecord } from '../flow/record.js';
import { actionOf, type Action, type View } from './keys.js';
import { ROW_LAYOUTS, stepSpeed, type RowLayout } from './model.js';
import { sanitize } from './sanitize.js';

/** The replay pacing the TUI drives (the pipeline's `ReplayControl`). */
export interface ReplayControls {
  readonly speed: number;
  readonly paused: boolean;
  setSpeed(speed: number): void;
  togglePause(): void;
  step(): void;
  /** Skips the idle gap before the next packet (optional: test doubles may leave it out). */
  skipGap?(): void;
  /** Capture time of the packet the replay waits for, NaN when none waits. */
  readonly nextPacketSec?: number;
}

/** The modes a key is read in: which view shows, the help overlay, typing a filter. */
export interface Modes {
  view: View;
  help: boolean;
  editing: boolean;
}

/** A table's keys (the flows and the services views): moves are by rows, from the selection the last key left. */
export interface TableKeys {
  /** Rows a page moves. */
  readonly page: number;
  /** Selects row `i` (clamped to the rows). */
  select(i: number): void;
  /** The selected row's index, as the last key left it (keys can arrive faster than frames). */
  selected(): number;
  /** Rows in the table. */
  readonly length: number;
  /** Enter: open the selected row. */
  open(): void;
  nextSort(): void;
  reverseSort(): void;
  /** Sort by the Nth column shown (0-based); again: reverse. */
  sortColumn(n: number): void;
}

/** Everything a key may read or change, as of the frame on screen. */
export interface KeyTarget {
  /** The modes as the previous key left them (a ref: see App). */
  readonly modes: Modes;
  setView(v: View): void;
  setHelp(h: boolean): void;
  setEditing(e: boolean): void;
  setFilter: Dispatch<SetStateAction<string>>;
  setMessage: Dispatch<SetStateAction<string>>;
  /** Replay pacing for a file; undefined live. */
  readonly replay: ReplayControls | undefined;
  /** Draws a frame again (the replay's pacing changed, which no state holds). */
  redraw(): void;
  exit(): void;
  toggleBits(): void;
  /** The row layout in use, and the setter of the next one. */
  readonly layout: { current: RowLayout };
  setLayout(l: RowLayout): void;
  readonly flows: TableKeys;
  readonly services: TableKeys;
  /** Moves the detail view to the previous or next flow of the table. */
  detailStep(delta: number): void;
  /** The flows `w` writes (the one selected or shown in the detail view), and `W` (every flow the table shows). */
  exportable(shown: boolean): readonly FlowRecord[];
  /** Writes the packets of flows to a pcap file; undefined when the input cannot be read again. */
  readonly exportPackets: ((flows: readonly FlowRecord[], name: string) => Promise<string>) | undefined;
}

/** Index of a digit key's column: 1 is the first, 0 the tenth. */
const digitIndex = (input: string): number => (input === '0' ? 9 : Number(input) - 1);

/**
 * Splits what Ink hands over at once into key presses and carries each out. Esc pressed just before another key
 * reaches Ink as one sequence (Esc Tab as a bare "\t" without the tab flag, Esc and a letter as that letter with
 * meta): two key presses. A filter typed or pasted with its Enter in one read: the text, then Enter, then what
 * follows as keys. A run of printable characters ("nnn" when keys come faster than Ink reads, or a paste) is a key
 * press each, except while typing a filter.
 */
export function handleInput(input: string, key: Key, t: KeyTarget): void {
  const editing = t.modes.editing;
  if (!editing && ((input === '\t' && !key.tab) || (key.meta && !key.escape && /^[\x20-\x7e]$/.test(input)))) {
    onKey('', { ...key, meta: false, escape: true }, t);
    onKey(input === '\t' ? '' : input, { ...key, meta: false, tab: input === '\t' }, t);
    return;
  }
  if (editing && input.length > 1 && /[\r\n]/.test(input)) {
    for (const part of input.split(/([\r\n])/)) {
      if (part === '\r' || part === '\n') onKey('', { ...key, return: true }, t);
      else if (part !== '') handleInput(part, key, t);
    }
    return;
  }
  if (input.length > 1 && !editing && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) {
    for (const ch of input) onKey(ch, key, t);
  } else onKey(input, key, t);
}

/** One key press. */
export function onKey(input: string, key: Key, t: KeyTarget): void {
  const { help, editing, view } = t.modes;
  if (help) {
    t.setHelp(false);
    return;
  }
  if (editing) {
    editFilter(input, key, t);
    return;
  }
  // Every other key through the one key map (keys.ts), which the status line and the help are written from.
  let action = actionOf(input, key, view, t.replay !== undefined)?.action;
  if (action === undefined && input === ' ' && !t.replay && view !== 'detail') action = 'pageDown'; // live: space pages
  if (action === undefined || anyView(action, view, t)) return;
  if (view === 'totals') {
    if (action === 'back') t.setView('flows');
  } else if (view === 'detail') {
    const delta = moveOf(action, 1);
    if (action === 'back') t.setView('flows');
    else if (delta !== 0) t.detailStep(delta);
  } else {
    tableKey(action, input, view === 'services' ? t.services : t.flows, t);
  }
}

/** A key while typing a filter: Enter ends it, Esc clears it, Backspace and Ctrl-U as readline. */
function editFilter(input: string, key: Key, t: KeyTarget): void {
  if (key.return) t.setEditing(false);
  else if (key.escape) {
    t.setFilter('');
    t.setEditing(false);
  } else if (key.backspace || key.delete) t.setFilter((f) => f.slice(0, -1));
  else if (key.ctrl && input === 'u') t.setFilter(''); // as readline: the whole line
  else if (input && !key.ctrl && !key.meta) t.setFilter((f) => f + sanitize(input));
}

/** Rows an action moves the selection (`page` for a page), 0 for other actions. */
function moveOf(action: Action, page: number): number {
  return action === 'up' ? -1 : action === 'down' ? 1 : action === 'pageUp' ? -page : action === 'pageDown' ? page : 0;
}

/** Carries out the actions that mean the same in every view; returns whether `action` was one. */
function anyView(action: Action, view: View, t: KeyTarget): boolean {
  const replay = t.replay;
  switch (action) {
    case 'quit':
      t.exit();
      return true;
    case 'help':
      t.setHelp(true);
      return true;
    case 'pause':
      replay?.togglePause();
      t.redraw();
      return true;
    case 'faster':
    case 'slower':
      replay?.setSpeed(stepSpeed(replay.speed, action === 'faster' ? 1 : -1));
      t.redraw();
      return true;
    case 'step':
      if (replay?.paused) replay.step();
      t.redraw();
      return true;
    case 'skipGap':
      replay?.skipGap?.();
      t.redraw();
      return true;
    case 'switchView':
      t.setView(view === 'services' ? 'flows' : 'services');
      return true;
    case 'totals':
      t.setView(view === 'totals' ? 'flows' : 'totals');
      return true;
    case 'units':
      t.toggleBits();
      return true;
    case 'layout':
      nextLayout(t);
      return true;
    case 'filter':
      t.setEditing(true);
      return true;
    case 'export':
    case 'exportShown':
      exportFlows(t.exportable(action === 'exportShown'), t);
      return true;
    default:
      return false;
  }
}

/** `L`: the next row layout, said for a moment (auto and the layout it chose look alike). */
function nextLayout(t: KeyTarget): void {
  const next = ROW_LAYOUTS[(ROW_LAYOUTS.indexOf(t.layout.current) + 1) % ROW_LAYOUTS.length]!; // modulo keeps it in range
  t.layout.current = next;
  t.setLayout(next);
  t.setMessage(`rows: ${next}${next === 'auto' ? ' (two lines when an IPv6 socket would be cut or names hidden)' : ''}`);
  setTimeout(() => t.setMessage((m) => (m.startsWith('rows: ') ? '' : m)), 2000);
}

/** `w` / `W`: the packets of `flows` to a pcap file named after them, and what came of it on the message line. */
function exportFlows(flows: readonly FlowRecord[], t: KeyTarget): void {
  if (flows.length === 0) return;
  if (t.exportPackets === undefined) {
    t.setMessage('w: this input cannot be read again (live or standard input): use the -w file of capture');
    return;
  }
  const name = flows.length === 1 ? `sockscope-${flows[0]!.uid}.pcap` : `sockscope-${flows.length}-flows-${Date.now()}.pcap`;
  t.setMessage(`writing the packets of ${flows.length} flow${flows.length === 1 ? '' : 's'} to ${name} ...`);
  t.exportPackets(flows, name).then(t.setMessage, (e: unknown) => t.setMessage(`w: ${e instanceof Error ? e.message : String(e)}`));
}

/** A key in the flows or the services table. */
function tableKey(action: Action, input: string, table: TableKeys, t: KeyTarget): void {
  const delta = moveOf(action, table.page);
  if (delta !== 0) table.select(table.selected() + delta);
  else if (action === 'first') table.select(0);
  else if (action === 'last') table.select(table.length - 1);
  else if (action === 'open') table.open();
  else if (action === 'nextSort') table.nextSort();
  else if (action === 'reverseSort') table.reverseSort();
  else if (action === 'sortColumn') table.sortColumn(digitIndex(input));
  else if (action === 'back') t.setFilter('');
}
