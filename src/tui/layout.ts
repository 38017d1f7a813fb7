/**
 * The flows table's layout: its columns, which of them fit a terminal's width and how wide each is (one line per
 * flow, or two), and text fitted to a width in terminal cells. Pure functions, tested without a terminal.
 */
import type { FlowRecord } from '../flow/record.js';
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';
import { flowName, origText, respSocketText, respText } from './cells.js';

// ── Columns ────────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Flow table columns, in screen order; also the sort keys (`s` cycles through them in this order). `name` is there
 * only with payload inspection (`watch --names`): without it no flow has a name.
 */
export const COLUMN_IDS = [
  'proto', 'orig', 'resp', 'name', 'origState', 'respState', 'conn', 'pkts', 'bytes', 'rate', 'age', 'rtt', 'retx',
] as const;
export type ColumnId = (typeof COLUMN_IDS)[number];

/** How one column is laid out. */
export interface ColumnSpec {
  readonly id: ColumnId;
  readonly title: string;
  /** Minimum width in terminal cells. */
  readonly min: number;
  /** Width the column grows to when space is left (equal to `min` for fixed columns). */
  readonly max: number;
  /**
   * 0 = always shown; the others are shown in rising order of priority as the terminal widens (columns of equal
   * priority together), and dropped in the reverse order as it narrows.
   */
  readonly priority: number;
  readonly align: 'left' | 'right';
  /** Natural sort direction: numbers biggest first, text A to Z. */
  readonly descending: boolean;
}

/**
 * Column specs. Widths: an IPv4 socket is at most 21 cells ("255.255.255.255:65535"); an IPv6 one up to 47, so the
 * socket columns grow with the terminal, and a socket wider than its column is shortened in the middle of the address
 * with the port kept (socketCell). Every fixed column is at least one cell wider than its title, so the sort
 * arrow always fits. Optional columns give way strictly by priority (see {@link layoutColumns}): 80 columns keep
 * protocol, both sockets, both end states, conn_state, rate and retransmissions whatever the addresses (IPv6 sockets
 * shortened); with sockets that fit the minimum widths, bytes return at 92 columns, packets at 104, age at 111 and
 * RTT at 119 (all twelve).
 *
 * The name column (`--names`: server name, HTTP host or passive-DNS name, see flowName) gives way after the counters
 * (RTT, age, packets, bytes) and before the sockets: as the terminal narrows it goes just before the responder's
 * service label and the whole sockets do (then the sockets are shortened), and well before the end states, conn_state,
 * rate and retransmissions, which stay at 80 columns. With IPv4 sockets that fit the minimum widths it shows from 93
 * columns (bytes then from 105). Long names are cut at their start, `…media.org`: the end of a name says most.
 */
export const COLUMNS: Readonly<Record<ColumnId, ColumnSpec>> = {
  proto: { id: 'proto', title: 'Proto', min: 6, max: 6, priority: 0, align: 'left', descending: false },
  orig: { id: 'orig', title: 'Originator', min: 15, max: 47, priority: 0, align: 'left', descending: false },
  resp: { id: 'resp', title: 'Responder', min: 16, max: 58, priority: 0, align: 'left', descending: false },
  name: { id: 'name', title: 'Name', min: 12, max: 40, priority: 4, align: 'left', descending: false },
  origState: { id: 'origState', title: 'Orig st', min: 9, max: 9, priority: 1, align: 'left', descending: false },
  respState: { id: 'respState', title: 'Resp st', min: 9, max: 9, priority: 1, align: 'left', descending: false },
  conn: { id: 'conn', title: 'Conn', min: 6, max: 6, priority: 0, align: 'left', descending: false },
  pkts: { id: 'pkts', title: 'Pkts o/r', min: 11, max: 11, priority: 6, align: 'right', descending: true },
  bytes: { id: 'bytes', title: 'Bytes o/r', min: 11, max: 11, priority: 5, align: 'right', descending: true },
  rate: { id: 'rate', title: 'Rate', min: 7, max: 7, priority: 2, align: 'right', descending: true },
  age: { id: 'age', title: 'Dur', min: 6, max: 6, priority: 7, align: 'right', descending: true },
  rtt: { id: 'rtt', title: 'RTT', min: 7, max: 7, priority: 8, align: 'right', descending: true },
  retx: { id: 'retx', title: 'Retx', min: 5, max: 5, priority: 3, align: 'right', descending: true },
};

/** A column placed on screen. */
export interface PlacedColumn {
  readonly spec: ColumnSpec;
  readonly width: number;
  /** The line of a flow it is on in the two-line layout (see {@link layoutTwoLines}); absent: the first. */
  readonly line?: 2;
}

/** Widths the socket columns' text needs (the longest text among the rows on screen). */
export interface NaturalWidths {
  /** Originator sockets. */
  readonly orig?: number;
  /** Responder sockets with their service names. */
  readonly resp?: number;
  /** Responder sockets alone (what must not be cut; the service name may give way). Defaults to `resp`. */
  readonly respSocket?: number;
  /** Names (the name column, with --names). */
  readonly name?: number;
}

/**
 * Sockets are shown whole (the socket columns as wide as their text) after the optional columns of this priority or
 * lower (both end states, rate, retransmissions), then the responder's service names, then the others (bytes,
 * packets, age, RTT). Until then a socket wider than its column is shortened in the middle of its address, the port
 * kept, and a responder whose service name does not fit is shown without it.
 */
export const SERVICE_NAMES_AFTER = 3;

/** Priorities of the optional columns, lowest (first shown, last dropped) first. */
const OPTIONAL_PRIORITIES = [...new Set(COLUMN_IDS.map((id) => COLUMNS[id].priority).filter((p) => p > 0))].sort((a, b) => a - b);

/**
 * Which columns fit in `width` terminal cells (one space between columns), and how wide each is.
 *
 * The always-shown columns come first, the socket columns at their minimum widths. Then the optional columns are
 * added strictly in priority order, a whole priority at a time, with two more steps after {@link SERVICE_NAMES_AFTER}:
 * both sockets whole (`natural`, within their min and max, the responder without its service name), then the
 * responder's service names; the first step that does not fit ends the list, so a column never shows while one that
 * gives way after it is missing. What is left widens the sockets towards whole, then the responder (service names),
 * then both socket columns up to their max. When even the always-shown columns do not fit, the socket columns shrink
 * towards their minimum (the row is then cut at the terminal's edge).
 */
export function layoutColumns(width: number, natural: NaturalWidths = {}, names = false): PlacedColumn[] {
  const clamp = (id: 'orig' | 'resp', n: number | undefined) =>
    n === undefined ? COLUMNS[id].min : Math.max(COLUMNS[id].min, Math.min(COLUMNS[id].max, n));
  const whole = { orig: clamp('orig', natural.orig), resp: clamp('resp', natural.respSocket ?? natural.resp) };
  const widths = new Map<ColumnId, number>();
  let used = -1; // n columns need n - 1 gaps
  let wholeShown = false;
  for (const id of COLUMN_IDS) {
    if (COLUMNS[id].priority !== 0) continue;
    widths.set(id, COLUMNS[id].min);
    used += COLUMNS[id].min + 1;
  }
  /** Widens a socket column to `to` cells (never narrows it); returns the cells it took. */
  const widen = (id: 'orig' | 'resp', to: number): number => {
    const extra = Math.max(0, to - widths.get(id)!); // essentials set above
    widths.set(id, widths.get(id)! + extra);
    return extra;
  };
  for (const p of OPTIONAL_PRIORITIES) {
    if (p > SERVICE_NAMES_AFTER && !wholeShown) {
      // Whole sockets, then the responder's service names, come before the columns that give way first.
      const socketsExtra = Math.max(0, whole.orig - widths.get('orig')!) + Math.max(0, whole.resp - widths.get('resp')!);
      if (used + socketsExtra > width) break;
      used += widen('orig', whole.orig) + widen('resp', whole.resp);
      const full = clamp('resp', natural.resp);
      const extra = Math.max(0, full - widths.get('resp')!);
      if (used + extra > width) break;
      used += widen('resp', full);
      wholeShown = true;
    }
    const ids = COLUMN_IDS.filter((id) => COLUMNS[id].priority === p && (names || id !== 'name'));
    if (ids.length === 0) continue;
    const need = ids.reduce((n, id) => n + COLUMNS[id].min + 1, 0);
    if (used + need > width) break;
    for (const id of ids) widths.set(id, COLUMNS[id].min);
    used += need;
  }
  const growable = ['orig', 'resp'] as const;
  // Too wide even with the essentials only: give cells back from the socket columns, one at a time, alternately.
  let over = used - width;
  while (over > 0) {
    let shrank = false;
    for (const id of growable) {
      const w = widths.get(id)!; // set above
      if (over > 0 && w > COLUMNS[id].min) {
        widths.set(id, w - 1);
        over--;
        shrank = true;
      }
    }
    if (!shrank) break;
  }
  // Room to spare: first the sockets towards whole, then the responder's service names, then both socket columns grow.
  let spare = Math.max(0, width - used);
  const growTo = (id: 'orig' | 'resp' | 'name', to: number) => {
    const w = widths.get(id)!; // set above
    const n = Math.min(spare, Math.max(0, to - w));
    widths.set(id, w + n);
    spare -= n;
  };
  growTo('orig', whole.orig);
  growTo('resp', whole.resp);
  growTo('resp', clamp('resp', natural.resp));
  if (widths.has('name')) growTo('name', Math.max(COLUMNS.name.min, Math.min(COLUMNS.name.max, natural.name ?? 0)));
  while (spare > 0) {
    let grew = false;
    for (const id of growable) {
      const w = widths.get(id)!; // set above
      if (spare > 0 && w < COLUMNS[id].max) {
        widths.set(id, w + 1);
        spare--;
        grew = true;
      }
    }
    if (!grew) break;
  }
  return COLUMN_IDS.filter((id) => widths.has(id)).map((id) => ({ spec: COLUMNS[id], width: widths.get(id)! }));
}

// ── Two lines per flow ─────────────────────────────────────────────────────────────────────────────────────────────

/** How the flows view lays out a flow: the `L` key steps through these. */
export const ROW_LAYOUTS = ['auto', 'two-line', 'one-line'] as const;
export type RowLayout = (typeof ROW_LAYOUTS)[number];

/** The second line of a flow in the two-line layout starts this many cells in (as `flows`' table does). */
export const SECOND_LINE_INDENT = 2;

/**
 * Two lines per flow, for terminals too narrow for whole sockets beside the states and counters (IPv6 at 80
 * columns): the first line has the protocol and both sockets, as wide as their text (the responder with its service
 * label when it fits), then the name (`--names`) in what is left; the second line, indented, the end states,
 * conn_state and the counters, which give way by priority as in {@link layoutColumns}. A name with no room on the
 * first line (at least its minimum width) goes at the end of the second, with its priority there: after the end
 * states, rate and retransmissions, before the counters. Sockets are shortened in the middle of the address only when
 * both whole are wider than the line.
 */
export function layoutTwoLines(width: number, natural: NaturalWidths = {}, names = false): PlacedColumn[] {
  const clamp = (id: 'orig' | 'resp', n: number | undefined) =>
    n === undefined ? COLUMNS[id].min : Math.max(COLUMNS[id].min, Math.min(COLUMNS[id].max, n));
  // First line: protocol and the two sockets.
  let orig = clamp('orig', natural.orig);
  let resp = clamp('resp', natural.respSocket ?? natural.resp);
  const room1 = width - COLUMNS.proto.min - 2;
  let over = orig + resp - room1;
  // Too wide: cells come off the wider socket first, so the two end as even as they can.
  while (over > 0 && (orig > COLUMNS.orig.min || resp > COLUMNS.resp.min)) {
    if ((orig >= resp || resp <= COLUMNS.resp.min) && orig > COLUMNS.orig.min) orig--;
    else resp--;
    over--;
  }
  resp += Math.max(0, Math.min(room1 - orig - resp, clamp('resp', natural.resp) - resp)); // the service label
  const first: PlacedColumn[] = [
    { spec: COLUMNS.proto, width: COLUMNS.proto.min },
    { spec: COLUMNS.orig, width: orig },
    { spec: COLUMNS.resp, width: resp },
  ];
  const left1 = room1 - orig - resp - 1;
  const nameWidth = (room: number) => Math.min(room, Math.max(COLUMNS.name.min, Math.min(COLUMNS.name.max, natural.name ?? 0)));
  let nameOnFirst = false;
  if (names && left1 >= COLUMNS.name.min) {
    first.push({ spec: COLUMNS.name, width: nameWidth(left1) });
    nameOnFirst = true;
  }
  // Second line: what gives way in the one-line layout, in priority order; the name, when the first line has no room
  // for it, among them (after the end states, rate and retransmissions, before the counters), at the line's end.
  const room2 = width - SECOND_LINE_INDENT;
  const second = new Set<ColumnId>(['conn']);
  let used = COLUMNS.conn.min;
  const nameOnSecond = names && !nameOnFirst;
  const rest = COLUMN_IDS.filter((id) => !['proto', 'orig', 'resp', 'conn'].includes(id) && (id !== 'name' || nameOnSecond));
  // The name asks for its whole width (up to its maximum) before the counters that give way after it.
  const wants = (id: ColumnId) => (id === 'name' ? nameWidth(COLUMNS.name.max) : COLUMNS[id].min);
  for (const p of OPTIONAL_PRIORITIES) {
    const ids = rest.filter((id) => COLUMNS[id].priority === p);
    if (ids.length === 0) continue;
    const need = ids.reduce((n, id) => n + wants(id) + 1, 0);
    if (used + need > room2) {
      // Not whole: the name still takes what is left, at least its minimum; nothing after it.
      if (ids.includes('name') && room2 - used - 1 >= COLUMNS.name.min) {
        second.add('name');
        used = room2;
      }
      break;
    }
    for (const id of ids) second.add(id);
    used += need;
  }
  const line2: PlacedColumn[] = COLUMN_IDS.filter((id) => second.has(id) && id !== 'name').map((id) => ({ spec: COLUMNS[id], width: COLUMNS[id].min, line: 2 }));
  if (second.has('name')) {
    const others = line2.reduce((n, c) => n + c.width + 1, -1);
    line2.push({ spec: COLUMNS.name, width: nameWidth(room2 - others - 1), line: 2 });
  }
  return [...first, ...line2];
}

/**
 * Whether the flows view takes two lines per flow in `layout`: always or never when chosen; `auto` when the
 * one-line layout `oneLine` would shorten the socket of an IPv6 flow among `rows` (those on screen): at 80 columns
 * an IPv6 address pushes the sockets past their share, and a person would rather see it whole on a line of its own;
 * and, with names (`--names`), when one line has no room for the name column while a flow on screen has a name.
 */
export function twoLinesFor(layout: RowLayout, oneLine: readonly PlacedColumn[], rows: readonly FlowRecord[], names = false): boolean {
  if (layout !== 'auto') return layout === 'two-line';
  const o = oneLine.find((c) => c.spec.id === 'orig')?.width ?? 0;
  const p = oneLine.find((c) => c.spec.id === 'resp')?.width ?? 0;
  if (rows.some((r) => r.ipVersion === 6 && (origText(r).length > o || respSocketText(r).length > p))) return true;
  return names && !oneLine.some((c) => c.spec.id === 'name') && rows.some((r) => flowName(r) !== '');
}

/** The widths the socket (and name) columns need to show `rows` whole. */
export function naturalWidths(rows: readonly FlowRecord[]): NaturalWidths {
  let orig = 0;
  let resp = 0;
  let respSocket = 0;
  let name = 0;
  for (const r of rows) {
    orig = Math.max(orig, origText(r).length);
    resp = Math.max(resp, respText(r).length);
    respSocket = Math.max(respSocket, respSocketText(r).length);
    name = Math.max(name, displayWidth(flowName(r)));
  }
  return { orig, resp, respSocket, name };
}

/** Printable ASCII only: one cell per UTF-16 unit, the common case, measured without string-width. */
const NARROW = /^[\x20-\x7e]*$/;

/** Terminal cells `text` takes (East Asian wide characters and emoji take two, combining marks none). */
export function displayWidth(text: string): number {
  return NARROW.test(text) ? text.length : stringWidth(text);
}

/**
 * `text` cut or padded to exactly `width` terminal cells (cut text ends in `…`; `position: 'start'` keeps the end
 * instead). Measures display width, so wide characters and emoji never push a line past its width.
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left', position: 'start' | 'end' = 'end'): string {
  if (width <= 0) return '';
  if (NARROW.test(text)) {
    if (text.length > width) {
      if (width === 1) return '…';
      return position === 'end' ? text.slice(0, width - 1) + '…' : '…' + text.slice(text.length - width + 1);
    }
    return align === 'left' ? text.padEnd(width) : text.padStart(width);
  }
  let t = text;
  let w = stringWidth(t);
  if (w > width) {
    t = cliTruncate(t, width, { position });
    w = stringWidth(t);
  }
  // A wide character at the cut can leave the text a cell short (or, in theory, over): pad, or cut once more.
  while (w > width) {
    t = position === 'end' ? cliTruncate(t.slice(0, -1), width) : cliTruncate(t.slice(1), width, { position });
    w = stringWidth(t);
  }
  const pad = ' '.repeat(width - w);
  return align === 'left' ? t + pad : pad + t;
}
