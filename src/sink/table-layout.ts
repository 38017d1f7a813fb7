/**
 * The `flows` table for people: the cells of one record, and a layout that fits the columns to a terminal's width.
 * Columns give way by priority (the states and counters stay), sockets are shortened in the middle of the address
 * with the port kept, and a flow may take two lines (sockets on the first, states and counters on the second).
 */
import type { FlowRecord } from '../flow/record.js';
import { fitSocket, formatDuration, formatIsoTime, formatSocket, humanBytes, humanCount, serviceName, shortStateName } from './format.js';

/** One line per flow, two lines per flow, or two lines only when one would hide a column or cut a socket. */
export const TABLE_LAYOUTS = ['auto', 'one-line', 'two-line'] as const;
export type TableLayout = (typeof TABLE_LAYOUTS)[number];

/** A column of the table. */
interface TableColumn {
  readonly head: string;
  /** Numbers, aligned right. */
  readonly right: boolean;
  /** 0: always shown; the others in rising order as the width allows (dropped in the reverse order). */
  readonly priority: number;
  /** A socket: shortened in the middle of its address rather than dropped. */
  readonly socket: boolean;
  /** The line it is on in the two-line layout. */
  readonly line: 1 | 2;
}

const col = (head: string, priority: number, line: 1 | 2, right = false, socket = false): TableColumn => ({
  head, priority, line, right, socket,
});

/** Index of each column in {@link TABLE_COLUMNS} and in a row's cells. */
const START = 0;
const ORIG_RESP_STATE = 6;
/** A row's cells after the columns': the end states' short form (`ESTAB/FIN_WT2`). */
const SHORT_STATES = 10;

/**
 * The columns in screen order. Priorities: protocol, both sockets, conn_state, packets and bytes are always shown;
 * then both end states, duration, start and service, in that order.
 */
export const TABLE_COLUMNS: readonly TableColumn[] = [
  col('START', 3, 1),
  col('PROTO', 0, 1),
  col('ORIGINATOR', 0, 1, false, true),
  col('RESPONDER', 0, 1, false, true),
  col('SERVICE', 4, 1),
  col('STATE', 0, 2),
  col('ORIG/RESP STATE', 1, 2),
  col('PKTS →/←', 0, 2, true),
  col('BYTES →/←', 0, 2, true),
  col('DURATION', 2, 2, true),
];

/** Cells between columns. */
const GAP = 2;
/** A socket column is shortened below its text's width to this many cells before an optional column gives way. */
const SOCKET_MIN = 21;
/** ... and, when even the always-shown columns do not fit, to this many. */
const SOCKET_FLOOR = 12;
/** The second line of a flow in the two-line layout starts this many cells in. */
const INDENT = 2;

/** Times in UTC (the default, marked Z) or in the local time zone (TZ, as tcpdump prints them; marked +HH:MM). */
export const TIME_ZONES = ['utc', 'local'] as const;
export type TimeZone = (typeof TIME_ZONES)[number];

/** `sec` as `YYYY-MM-DDTHH:MM:SS.mmm` and its zone (`Z`, `+01:00`) in local time; `-` when not a time. */
function localIsoTime(sec: number): string {
  const d = new Date(sec * 1000);
  if (Number.isNaN(d.getTime())) return '-';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${zone}`;
}

/**
 * A record's cells: one per column, then the end states' short form. START is the date and time of day in UTC, marked
 * Z as ISO 8601 does (`2011-03-18 19:06:07.096Z`), or in local time with its offset (`2011-03-18 20:06:07.096+01:00`);
 * the layout drops the date when every flow starts on one day.
 */
export function tableCells(r: FlowRecord, zone: TimeZone = 'utc'): string[] {
  const iso = zone === 'local' ? localIsoTime(r.startSec) : formatIsoTime(r.startSec);
  const states = r.orig.state === null ? '-' : `${r.orig.state}/${r.resp.state ?? '-'}`;
  const short = r.orig.state === null ? '-' : `${shortStateName(r.orig.state)}/${r.resp.state === null ? '-' : shortStateName(r.resp.state)}`;
  return [
    iso === '-' ? iso : `${iso.slice(0, 10)} ${iso.slice(11, 23)}${iso.slice(23) === 'Z' || iso.slice(23) === '' ? 'Z' : iso.slice(23)}`,
    r.proto === 'unknown_transport' ? `ip/${r.ipProto}` : r.proto,
    formatSocket(r.origAddr, r.origPort, r.proto),
    formatSocket(r.respAddr, r.respPort, r.proto),
    r.proto === 'icmp' ? `type ${r.origPort}` : serviceName(r.respPort, r.ipProto) || '-',
    r.connState,
    states,
    `${humanCount(r.orig.pkts)}/${humanCount(r.resp.pkts)}`,
    `${humanBytes(r.orig.ipBytes)}/${humanBytes(r.resp.ipBytes)}`,
    r.durationSec > 0 ? formatDuration(r.durationSec) : '-',
    short,
  ];
}

/** What the rows need, gathered as they come: each column's widest cell, and the days flows start on. */
export class TableMeasure {
  /** Widest cell per column (and of the short end states), header included. */
  readonly widths: number[] = [...TABLE_COLUMNS.map((c) => c.head.length), 'ORIG/RESP STATE'.length];
  private firstDay = '';
  /** Flows start on more than one (UTC) day. */
  manyDays = false;

  add(cells: readonly string[]): void {
    const w = this.widths;
    for (let i = 0; i < cells.length; i++) if (cells[i]!.length > w[i]!) w[i] = cells[i]!.length; // i < 11
    const day = cells[START]!.slice(0, 10); // a cell for each column
    if (this.firstDay === '') this.firstDay = day;
    else if (day !== this.firstDay) this.manyDays = true;
  }
}

/** Where each column goes: its width (0 when hidden), for one line of the table. */
interface LinePlan {
  readonly columns: readonly number[];
  readonly widths: readonly number[];
  readonly shortStates: boolean;
  /** Some column is hidden or some socket shortened. */
  readonly squeezed: boolean;
  readonly indent: number;
  readonly width: number;
}

/** The table's plan: one line per flow, or two. */
export interface TablePlan {
  readonly lines: readonly LinePlan[];
  /** START without the date: every flow starts on one day. */
  readonly timeOnly: boolean;
}

/**
 * Fits `columns` into `width` cells: the always-shown ones first (sockets at {@link SOCKET_MIN} at most), then the
 * others a whole priority at a time while they fit; the first that does not ends the list. What is left widens the
 * sockets towards whole, then the end states to their long names. When the always-shown columns do not fit, the
 * sockets shrink to {@link SOCKET_FLOOR} (the line is then cut at the edge).
 */
function planLine(natural: readonly number[], columns: readonly number[], width: number, indent: number): LinePlan {
  const widths = TABLE_COLUMNS.map(() => 0);
  const shortW = natural[SHORT_STATES]!; // measured with the columns
  const start = (i: number) => (i === ORIG_RESP_STATE ? shortW : TABLE_COLUMNS[i]!.socket ? Math.min(natural[i]!, SOCKET_MIN) : natural[i]!);
  let used = indent - GAP;
  for (const i of columns) {
    if (TABLE_COLUMNS[i]!.priority !== 0) continue;
    widths[i] = start(i);
    used += widths[i]! + GAP;
  }
  const priorities = [...new Set(columns.map((i) => TABLE_COLUMNS[i]!.priority).filter((p) => p > 0))].sort((a, b) => a - b);
  let hidden = false;
  for (const p of priorities) {
    const ids = columns.filter((i) => TABLE_COLUMNS[i]!.priority === p);
    const need = ids.reduce((n, i) => n + start(i) + GAP, 0);
    if (used + need > width) {
      hidden = true;
      break;
    }
    for (const i of ids) widths[i] = start(i);
    used += need;
  }
  const sockets = columns.filter((i) => TABLE_COLUMNS[i]!.socket);
  // Shrink (too wide) or grow (room to spare) the sockets one cell at a time, alternately.
  const step = (dir: 1 | -1, limit: (i: number) => number) => {
    for (let moved = true; moved && (dir < 0 ? used > width : used < width); ) {
      moved = false;
      for (const i of sockets) {
        if ((dir < 0 ? used > width : used < width) && (dir < 0 ? widths[i]! > limit(i) : widths[i]! < limit(i))) {
          widths[i]! += dir;
          used += dir;
          moved = true;
        }
      }
    }
  };
  step(-1, (i) => Math.min(natural[i]!, SOCKET_FLOOR));
  step(1, (i) => natural[i]!);
  let shortStates = widths[ORIG_RESP_STATE]! > 0;
  const longer = natural[ORIG_RESP_STATE]! - shortW;
  if (shortStates && used + longer <= width) {
    widths[ORIG_RESP_STATE] = natural[ORIG_RESP_STATE]!;
    used += longer;
    shortStates = false;
  }
  const cut = sockets.some((i) => widths[i]! < natural[i]!);
  return { columns, widths, shortStates, squeezed: hidden || cut, indent, width };
}

/**
 * The plan for a table whose cells measured `m`, in `width` cells (Infinity: no limit), laid out as `layout` says.
 * `auto` takes two lines per flow when one line would hide a column or shorten a socket.
 */
export function planTable(m: TableMeasure, width: number, layout: TableLayout = 'auto'): TablePlan {
  const natural = [...m.widths];
  const timeOnly = !m.manyDays;
  if (timeOnly) natural[START] = Math.max(TABLE_COLUMNS[START]!.head.length, natural[START]! - 11);
  const all = TABLE_COLUMNS.map((_, i) => i);
  if (layout !== 'two-line') {
    const one = planLine(natural, all, width, 0);
    if (layout === 'one-line' || !one.squeezed) return { lines: [one], timeOnly };
  }
  return {
    lines: [
      planLine(natural, all.filter((i) => TABLE_COLUMNS[i]!.line === 1), width, 0),
      planLine(natural, all.filter((i) => TABLE_COLUMNS[i]!.line === 2), width, INDENT),
    ],
    timeOnly,
  };
}

/** A socket cell (`10.0.0.1:80`, `[2001:db8::1]:443`, a bare address) in at most `width` cells, port kept. */
function fitSocketCell(text: string, width: number): string {
  if (text.length <= width) return text;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    return fitSocket(text.slice(1, close), text.slice(close + 1), true, width);
  }
  const colon = text.lastIndexOf(':');
  return colon < 0 ? fitSocket(text, '', false, width) : fitSocket(text.slice(0, colon), text.slice(colon), false, width);
}

/** The text of a row (or of the header, `cells` = the column heads) in `plan`: one line per line plan. */
export function tableLines(cells: readonly string[], plan: TablePlan, header = false): string[] {
  return plan.lines.map((line) => {
    let s = ' '.repeat(line.indent);
    let first = true;
    for (const i of line.columns) {
      const w = line.widths[i]!; // one per column
      if (w === 0) continue;
      const c = TABLE_COLUMNS[i]!;
      let text = cells[i]!;
      if (!header) {
        if (i === ORIG_RESP_STATE && line.shortStates) text = cells[SHORT_STATES]!;
        else if (i === START && plan.timeOnly && text.length > 11) text = text.slice(11);
        else if (c.socket) text = fitSocketCell(text, w);
      }
      s += (first ? '' : ' '.repeat(GAP)) + (c.right ? text.padStart(w) : text.padEnd(w));
      first = false;
    }
    s = s.trimEnd();
    return s.length > line.width ? `${s.slice(0, line.width - 1)}…` : s;
  });
}

/** The column heads, as {@link tableLines} takes them. */
export const TABLE_HEAD: readonly string[] = TABLE_COLUMNS.map((c) => c.head);
