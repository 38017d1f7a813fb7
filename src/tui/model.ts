/**
 * The TUI's model: pure functions from snapshots (FlowRecord[]) to what the views show. Cell text, filtering, grouping
 * by service, per-flow rates and the visible window live here, apart from Ink, so they are tested without a terminal;
 * the table's layout is in layout.ts, the order in sort.ts (both re-exported here).
 */
import type { FlowRecord } from '../flow/record.js';
import type { Snapshot } from '../pipeline-types.js';
import { formatIsoTime, formatRtt, portClass, serviceName, type PortClass } from '../sink/format.js';
import { sanitize } from './sanitize.js';
import { FilterError, type FlowFilter, parseFilter } from '../filter/filter.js';
import { Throughput } from './totals.js';
import { SortedFlows } from './sort.js';
import { flowName, hasPorts, origText, protoText, respText, socketText, stateText } from './cells.js';
import { COLUMN_IDS, type ColumnId } from './layout.js';

export {
  COLUMN_IDS, COLUMNS, displayWidth, fit, layoutColumns, layoutTwoLines, naturalWidths, ROW_LAYOUTS, SECOND_LINE_INDENT,
  SERVICE_NAMES_AFTER, twoLinesFor, type ColumnId, type ColumnSpec, type NaturalWidths, type PlacedColumn, type RowLayout,
} from './layout.js';
// ── Cell text ──────────────────────────────────────────────────────────────────────────────────────────────────────

export { flowName, hasPorts, origText, protoText, respSocketText, respText, serviceLabel, socketCell, socketText, stateText } from './cells.js';

/** Compact count: 999, 12.3k, 4.5M, 1.2G. */
export function compactCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1e6) return (n / 1e3).toFixed(n < 1e5 ? 1 : 0) + 'k';
  if (n < 1e9) return (n / 1e6).toFixed(n < 1e7 ? 1 : 0) + 'M';
  return (n / 1e9).toFixed(1) + 'G';
}

/**
 * Compact byte count with one-letter units in SI (1000) steps, as humanBytes counts them for the `flows` table and the
 * TUI's header: 512, 1.5K, 23M, 4.0G (at most 5 cells).
 */
export function compactBytes(n: number): string {
  if (n < 1000) return String(Math.round(n));
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return (v < 10 ? v.toFixed(1) : Math.round(v).toString()) + units[i];
}

/**
 * A rate with its unit, at most 7 cells: bytes per second (`512B/s`, `1.5KB/s`, `23MB/s`) or, with `bits`, bits per
 * second (`4.1kb/s`, `184Mb/s`), the one convention of the table, the header and the detail view; `0` when idle.
 */
export function compactRate(bytesPerSec: number, bits = false): string {
  if (!(bytesPerSec > 0)) return '0';
  // Less than one unit a second is not 0 (a sparkline's bars beside a "0" peak read as a contradiction).
  if (bytesPerSec * (bits ? 8 : 1) < 1) return bits ? '<1b/s' : '<1B/s';
  if (!bits) return `${compactBytes(bytesPerSec)}B/s`;
  return `${compactBytes(bytesPerSec * 8).replace(/K$/, 'k')}b/s`;
}

/** Seconds as a short age: 850ms, 12s, 3m05s, 2h10m, 3d04h. */
export function compactDuration(sec: number): string {
  if (!(sec >= 0)) return '-';
  if (sec < 1) return `${Math.round(sec * 1000)}ms`;
  if (sec < 60) return `${Math.floor(sec)}s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m${String(Math.floor(sec % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/**
 * Handshake RTT as seen from the capture point: SYN -> SYN+ACK plus SYN+ACK -> ACK (the full round trip wherever
 * the capture was taken); one leg alone when only one was seen; null without a handshake.
 */
export function handshakeRtt(r: FlowRecord): number | null {
  if (r.rttSynSec === null && r.rttAckSec === null) return null;
  return (r.rttSynSec ?? 0) + (r.rttAckSec ?? 0);
}

/** Packets and bytes of both directions. */
export const totalPkts = (r: FlowRecord): number => r.orig.pkts + r.resp.pkts;
export const totalBytes = (r: FlowRecord): number => r.orig.ipBytes + r.resp.ipBytes;
export const totalRetx = (r: FlowRecord): number => r.orig.retransmissions + r.resp.retransmissions;

/** What the views need besides the record: the capture clock and the current rates. */
export interface CellContext {
  /** Capture clock, seconds since the epoch. */
  readonly clockSec: number;
  /** Rates in bits per second rather than bytes (the `b` key). @default false */
  readonly bits?: boolean;
  /** Current IP-byte rate per flow uid, bytes per second. */
  readonly rates: RateLookup;
}

/**
 * A flow's duration, one meaning whether it is open or ended: from its first to its last packet so far (Zeek's
 * `duration`, the `flows` table's DURATION). An open flow's grows as packets come, not with the clock. `clockSec` is
 * not used (kept for the callers' signature).
 */
export function ageSec(r: FlowRecord, _clockSec?: number): number {
  return r.endReason === 'active' ? Math.max(0, r.lastSec - r.startSec) : r.durationSec;
}

/** The text of one cell. */
export function cellText(r: FlowRecord, id: ColumnId, ctx: CellContext): string {
  switch (id) {
    case 'proto': return protoText(r);
    case 'orig': return origText(r);
    case 'resp': return respText(r);
    case 'name': return flowName(r);
    case 'origState': return stateText(r.orig.state, r.orig.stateInferred);
    case 'respState': return stateText(r.resp.state, r.resp.stateInferred);
    case 'conn': return sanitize(r.connState);
    case 'pkts': return `${compactCount(r.orig.pkts)}/${compactCount(r.resp.pkts)}`;
    case 'bytes': return `${compactBytes(r.orig.ipBytes)}/${compactBytes(r.resp.ipBytes)}`;
    case 'rate': return compactRate(ctx.rates.get(r.uid) ?? 0, ctx.bits === true);
    case 'age': return compactDuration(ageSec(r, ctx.clockSec));
    case 'rtt': return formatRtt(handshakeRtt(r));
    case 'retx': return String(totalRetx(r));
  }
}

// ── Colour by state ────────────────────────────────────────────────────────────────────────────────────────────────

/** Colour class of a row; the view maps it to a terminal colour. */
export type Tone = 'open' | 'closing' | 'reset' | 'unanswered' | 'closed' | 'datagram';

const CLOSING_STATES = new Set(['FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT']);
const RESET_CONN = new Set(['REJ', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH']);

/**
 * How a flow is doing, for its colour: `reset` for rejected or reset connections (REJ, RST*), `unanswered` when the
 * responder never answered (S0 and the like), `closing` while either end is in a closing state, `open` when both
 * ends are ESTABLISHED, `closed` for a finished TCP connection, `datagram` for answered UDP/ICMP.
 */
export function toneOf(r: FlowRecord): Tone {
  if (RESET_CONN.has(r.connState)) return 'reset';
  if (r.resp.pkts === 0 || r.connState === 'S0' || r.connState === 'SH' || r.connState === 'SHR') return 'unanswered';
  if (r.proto !== 'tcp') return 'datagram';
  const o = r.orig.state ?? '';
  const p = r.resp.state ?? '';
  if (CLOSING_STATES.has(o) || CLOSING_STATES.has(p)) return 'closing';
  if (o === 'ESTABLISHED' && p === 'ESTABLISHED') return 'open';
  if (o === 'CLOSED' && p === 'CLOSED') return 'closed';
  return 'open';
}

// ── Sorting and filtering ──────────────────────────────────────────────────────────────────────────────────────────

/** Sort order: a column and whether it runs against the column's natural direction. */
export interface SortOrder {
  readonly column: ColumnId;
  readonly reversed: boolean;
}

/** The next sort column after `column` (for `s`), wrapping around; the name column only with `names`. */
export function nextSortColumn(column: ColumnId, names = false): ColumnId {
  const ids: readonly ColumnId[] = names ? COLUMN_IDS : COLUMN_IDS.filter((id) => id !== 'name');
  const i = ids.indexOf(column);
  return ids[(i + 1) % ids.length]!; // modulo keeps the index in range
}

/** Sort key of an address: IPv4 sorts numerically before IPv6; IPv6 by its expanded groups. */
export function addressKey(addr: string): string {
  if (addr.includes(':')) {
    const [head = '', tail = ''] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = addr.includes('::') && tail ? tail.split(':') : [];
    const groups = addr.includes('::') ? [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
    return '6' + groups.map((g) => g.padStart(4, '0')).join('');
  }
  return '4' + addr.split('.').map((o) => o.padStart(3, '0')).join('');
}

export { SortedFlows, sortFlows } from './sort.js';

export { flowText as haystack, matchesResp, parseRespTerm, type RespTerm } from '../filter/words.js';

let lastFilter: FlowFilter | FilterError = parseFilter('');

/** `filter` compiled (the last one is kept: the same text comes back on every snapshot), or what is wrong with it. */
export function compileFilter(filter: string): FlowFilter | FilterError {
  if (lastFilter.source !== filter) {
    try {
      lastFilter = parseFilter(filter);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      lastFilter = e;
    }
  }
  return lastFilter;
}

/** What is wrong with `filter` (a message naming the column), or null when it parses. */
export function filterError(filter: string): string | null {
  const f = compileFilter(filter);
  return f instanceof FilterError ? f.message : null;
}

/**
 * Flows matching `filter`, an expression of the filter language (src/filter/filter.ts): `port:443 and !state:SF`,
 * `net:10.0.0.0/8 or host:fd00::1`, `bytes>1M`, plain words matched against the row's text (`:443`, `https`, `estab`;
 * words side by side must all match), a flow's whole uid, and the services view's `resp=[PROTO/]ADDR[:PORT]`.
 * Empty filter: all flows; a filter that does not parse: none (the filter bar says why).
 */
export function filterFlows(flows: readonly FlowRecord[], filter: string): readonly FlowRecord[] {
  if (filter.trim() === '') return flows;
  const f = compileFilter(filter);
  if (f instanceof FilterError) return [];
  return flows.filter((r) => f.test(r));
}

// ── Services (the listener picture) ────────────────────────────────────────────────────────────────────────────────

/** Connections grouped under one responder socket (address, port, protocol). */
export interface ServiceGroup {
  /** `proto addr:port` (the protocol as the table shows it), unique per group. */
  readonly key: string;
  /** Protocol as the flows table shows it: `tcp`, `udp`, `icmp`, `icmp6`, or the IP protocol number. */
  readonly proto: string;
  readonly ipProto: number;
  readonly ipVersion: number;
  readonly addr: string;
  readonly port: number;
  readonly service: string;
  readonly portClass: PortClass;
  /** Flows (connections) in this group. */
  readonly connections: number;
  /** Distinct originator addresses. */
  readonly clients: number;
  /** IP bytes, both directions, all connections. */
  readonly bytes: number;
  /** Open (endReason 'active') connections. */
  readonly active: number;
  /** conn_state -> number of connections, most frequent first. */
  readonly states: ReadonlyArray<readonly [string, number]>;
  /**
   * Services confirmed from the payload of its connections (`--names`), comma-separated, most connections first
   * (`ssl`, `http`); absent or empty when none was (`service` is then only the port's name, a guess).
   */
  readonly services?: string;
  /** Names its connections went to (flowName: server name, HTTP host, passive DNS), most connections first. */
  readonly names?: readonly string[];
}

/**
 * Group flows by responder socket, biggest groups (most connections, then most bytes) first. One port, many sockets:
 * the same port on two addresses is two groups; many clients on one socket is one group with many clients.
 */
export function groupServices(flows: readonly FlowRecord[]): ServiceGroup[] {
  interface Acc {
    r: FlowRecord; n: number; clients: Set<string>; bytes: number; active: number; states: Map<string, number>;
    services: Map<string, number>; names: Map<string, number>;
  }
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const byCount = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const groups = new Map<string, Acc>();
  for (const r of flows) {
    const key = `${protoText(r)} ${socketText(r.respAddr, r.respPort, r.ipVersion)}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { r, n: 0, clients: new Set(), bytes: 0, active: 0, states: new Map(), services: new Map(), names: new Map() };
      groups.set(key, g);
    }
    g.n++;
    g.clients.add(r.origAddr);
    g.bytes += totalBytes(r);
    if (r.endReason === 'active') g.active++;
    g.states.set(r.connState, (g.states.get(r.connState) ?? 0) + 1);
    const confirmed = r.names?.service;
    if (confirmed) for (const one of confirmed.split(',')) count(g.services, sanitize(one));
    const name = flowName(r);
    if (name) count(g.names, name);
  }
  const out: ServiceGroup[] = [];
  for (const [key, g] of groups) {
    const r = g.r;
    out.push({
      key, proto: protoText(r), ipProto: r.ipProto, ipVersion: r.ipVersion, addr: r.respAddr, port: r.respPort,
      service: hasPorts(r) ? serviceName(r.respPort, r.ipProto) : '',
      portClass: portClass(r.respPort),
      connections: g.n, clients: g.clients.size, bytes: g.bytes, active: g.active,
      states: [...g.states].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
      services: byCount(g.services).join(','),
      names: byCount(g.names),
    });
  }
  out.sort((a, b) => b.connections - a.connections || b.bytes - a.bytes || (a.key < b.key ? -1 : 1));
  return out;
}

/** The services view's sort columns, in screen order (the digit keys choose them by position). */
export const SERVICE_SORT_COLUMNS = ['proto', 'socket', 'connections', 'clients', 'active', 'bytes'] as const;
export type ServiceSortColumn = (typeof SERVICE_SORT_COLUMNS)[number];

/** The services view's order: a column, and whether it runs against its natural direction (numbers biggest first). */
export interface ServiceSort {
  readonly column: ServiceSortColumn;
  readonly reversed: boolean;
}

/** `groups` in `order` (a new array); ties keep groupServices' order (most connections, then most bytes). */
export function sortServices(groups: readonly ServiceGroup[], order: ServiceSort): ServiceGroup[] {
  const c = order.column;
  const text = c === 'proto' || c === 'socket';
  const dir = (text ? 1 : -1) * (order.reversed ? -1 : 1);
  const key = (g: ServiceGroup): number | string =>
    c === 'proto' ? g.proto : c === 'socket' ? addressKey(g.addr) + String(g.port).padStart(5, '0') : g[c];
  return groups
    .map((g, i) => ({ g, i, k: key(g) }))
    .sort((a, b) => (a.k === b.k ? a.i - b.i : (a.k < b.k ? -1 : 1) * dir))
    .map((x) => x.g);
}

/**
 * The filter that shows exactly one group's connections in the flows view: a `resp=` term naming its protocol and
 * responder socket, `resp=udp/10.0.0.2:53`, `resp=icmp6/[ff02::16]:c0` (ICMP: the code, as the rows show it).
 */
export function serviceFilter(g: ServiceGroup): string {
  const addr = g.ipVersion === 6 ? `[${g.addr}]` : g.addr;
  const port = g.proto === 'tcp' || g.proto === 'udp' ? String(g.port) : g.proto === 'icmp' || g.proto === 'icmp6' ? `c${g.port}` : null;
  return `resp=${g.proto}/${addr}${port === null ? '' : `:${port}`}`;
}

// ── Rates from successive snapshots ────────────────────────────────────────────────────────────────────────────────

/** Shortest interval rates are measured over, seconds (of the clock the rates are measured on). */
export const MIN_RATE_INTERVAL_SEC = 0.1;

/** Points kept per flow for the detail view's sparkline. */
export const HISTORY_POINTS = 48;

/** What the tracker keeps per flow: one object, updated in place on every snapshot. */
interface RateEntry {
  /** IP bytes (both directions) at the last measurement. */
  bytes: number;
  /** Bytes per second over the last measured interval. */
  rate: number;
  /** Ring of recent rates: `count` values ending just before `next` (a plain array: cheaper to create than a typed one). */
  readonly ring: number[];
  next: number;
  count: number;
  /** Measurement number the flow was last seen in (older entries are dropped). */
  seen: number;
}

/** Read-only view of the current rates: bytes per second by flow uid. */
export interface RateLookup {
  get(uid: string): number | undefined;
}

/**
 * Current rates, from the difference between successive snapshots. Rates are per second of the clock passed to
 * {@link RateTracker.update} (the capture clock for replays, so a 4x replay shows the traffic's own rates; wall time
 * for live capture, so an idle link falls to zero). Keeps a short per-flow history for sparklines. Cost per
 * snapshot: one map lookup per flow and no allocation except for flows seen for the first time (50,000 flows are
 * tracked in a few milliseconds).
 */
export class RateTracker {
  /** IP bytes per second, by flow uid. */
  readonly rates: RateLookup = { get: (uid) => this.entries.get(uid)?.rate };
  /** Packets and wire bytes per second over all traffic read. */
  packetRate = 0;
  byteRate = 0;
  private readonly entries = new Map<string, RateEntry>();
  private generation = 0;
  private prevSec = Number.NaN;
  private prevPackets = 0;
  private prevWireBytes = 0;
  private last: Snapshot | null = null;

  /** Recent byte rates of flow `uid`, oldest first, at most {@link HISTORY_POINTS} (a new array). */
  history(uid: string): number[] {
    const e = this.entries.get(uid);
    if (e === undefined) return [];
    const out: number[] = [];
    for (let i = e.count; i > 0; i--) out.push(e.ring[(e.next - i + HISTORY_POINTS) % HISTORY_POINTS]!); // index wrapped into the ring
    return out;
  }

  /**
   * Take in a snapshot taken at `nowSec`. A snapshot already seen changes nothing; so does one less than
   * {@link MIN_RATE_INTERVAL_SEC} after the last measurement (a paused replay stepped packet by packet), which is
   * measured against later instead, so that microseconds between two packets do not read as gigabits per second.
   */
  update(s: Snapshot, nowSec: number): void {
    if (s === this.last) return;
    const first = Number.isNaN(this.prevSec);
    const dt = nowSec - this.prevSec;
    if (!first && !(dt >= MIN_RATE_INTERVAL_SEC)) return;
    this.last = s;
    const gen = ++this.generation;
    const flows = s.flows;
    for (let i = 0; i < flows.length; i++) {
      const r = flows[i]!; // i < flows.length
      const bytes = r.orig.ipBytes + r.resp.ipBytes;
      let e = this.entries.get(r.uid);
      if (e === undefined) {
        // A flow that appeared since the last snapshot: everything it carried arrived within this interval.
        e = { bytes: first ? bytes : 0, rate: 0, ring: [], next: 0, count: 0, seen: gen };
        this.entries.set(r.uid, e);
      }
      e.seen = gen;
      if (first) continue;
      const rate = r.endReason === 'active' ? Math.max(0, (bytes - e.bytes) / dt) : 0;
      e.bytes = bytes;
      e.rate = rate;
      if (e.ring.length < HISTORY_POINTS) e.ring.push(rate);
      else e.ring[e.next] = rate;
      e.next = (e.next + 1) % HISTORY_POINTS;
      if (e.count < HISTORY_POINTS) e.count++;
    }
    for (const [uid, e] of this.entries) if (e.seen !== gen) this.entries.delete(uid);
    if (!first) {
      this.packetRate = Math.max(0, (s.stats.packetsRead - this.prevPackets) / dt);
      this.byteRate = Math.max(0, (s.stats.wireBytes - this.prevWireBytes) / dt);
    }
    this.prevSec = nowSec;
    this.prevPackets = s.stats.packetsRead;
    this.prevWireBytes = s.stats.wireBytes;
  }
}

/**
 * The flows view's derived data for one snapshot: rates, and the rows for the current filter and sort order, kept
 * until the next snapshot or a change of filter or order. {@link FlowView.ingest} is meant to run inside the feed's
 * publish (see useFlowView), so that the pipeline's adaptive snapshot interval, which measures how long a publish
 * takes, accounts for the UI's share of the work too.
 */
export class FlowView {
  readonly rates = new RateTracker();
  /** Wire bytes over the last minute, for the totals view. */
  readonly totals = new Throughput();
  private cache: { snap: Snapshot; filter: string; column: ColumnId; reversed: boolean; rows: SortedFlows } | null = null;

  /** Rates from `s` (measured at `nowSec`), then its rows for `filter` and `order`. */
  ingest(s: Snapshot, nowSec: number, filter: string, order: SortOrder, clockSec: number): void {
    this.rates.update(s, nowSec);
    this.totals.add(nowSec, s.stats.wireBytes);
    this.rows(s, filter, order, clockSec);
  }

  /**
   * Rows of `s` matching `filter` in `order` (their keys computed once per snapshot, filter and order; the rows on
   * screen are sorted as they are asked for: see SortedFlows).
   */
  rows(s: Snapshot, filter: string, order: SortOrder, clockSec: number): SortedFlows {
    const c = this.cache;
    if (c !== null && c.snap === s && c.filter === filter && c.column === order.column && c.reversed === order.reversed) {
      return c.rows;
    }
    const rows = new SortedFlows(filterFlows(s.flows, filter), order, { clockSec, rates: this.rates.rates });
    this.cache = { snap: s, filter, column: order.column, reversed: order.reversed, rows };
    return rows;
  }
}

// ── Scrolling ──────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * First row to show so that `selected` stays visible in a window of `height` rows, moving the window as little as
 * possible from `top`; clamped so the window never runs past the end of `count` rows.
 */
export function scrollTop(top: number, selected: number, height: number, count: number): number {
  if (height <= 0 || count <= height) return 0;
  let t = top;
  if (selected < t) t = selected;
  if (selected >= t + height) t = selected - height + 1;
  return Math.max(0, Math.min(t, count - height));
}

/**
 * Index of the row to select after the list changed: the row with uid `uid` when it is still there (selection
 * follows the flow, not the position), else the old index clamped to the list.
 */
export function reselect(rows: readonly { readonly uid: string }[] | SortedFlows, uid: string | null, oldIndex: number): number {
  if (rows.length === 0) return 0;
  if (uid !== null) {
    const i = rows instanceof SortedFlows ? rows.indexOf(uid) : rows.findIndex((r) => r.uid === uid);
    if (i >= 0) return i;
  }
  return Math.max(0, Math.min(oldIndex, rows.length - 1));
}

// ── Header text ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Capture clock as UTC `YYYY-MM-DD HH:MM:SS.mmm`; `-` before the first packet (clock 0). */
export function clockText(sec: number): string {
  if (!(sec > 0)) return '-';
  return formatIsoTime(sec).replace('T', ' ').replace('Z', '');
}

/** An integer with thousands separators: 1,234,567. */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Unassigned packets by reason, largest first: `not_ip 12, truncated_tcp 3`. */
export function unassignedText(unassigned: Readonly<Record<string, number>>): string {
  return Object.entries(unassigned)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} ${groupDigits(n)}`)
    .join(', ');
}

/** Replay speed as shown: `1x`, `4x`, `0.5x`, `max`. */
export function speedText(speed: number): string {
  return speed === 0 ? 'max' : `${speed}x`;
}

/** Replay speeds `+` and `-` step through: slower than real time, real time, faster multiples, as fast as possible. */
export const SPEEDS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 0];

/** The speed one step faster (`+`, direction 1) or slower (`-`, direction -1) than `speed`. */
export function stepSpeed(speed: number, direction: 1 | -1): number {
  // 0 (max) sits at the fast end of the ladder.
  const rank = (s: number) => (s === 0 ? Infinity : s);
  let i = SPEEDS.findIndex((s) => rank(s) >= rank(speed));
  if (i < 0) i = SPEEDS.length - 1;
  if (rank(SPEEDS[i]!) !== rank(speed) && direction === 1) i--; // between two steps: the next one up is SPEEDS[i]
  return SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + direction))]!; // index clamped to the ladder
}

const BARS = '▁▂▃▄▅▆▇█';

/** The newest `width` values as block characters, scaled to the largest; zeros are the lowest bar. */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.slice(Math.max(0, values.length - width));
  const max = Math.max(0, ...v);
  return v.map((x) => (max > 0 ? BARS[Math.min(7, Math.floor((x / max) * 7.999))]! : BARS[0]!)).join(''); // index in 0..7
}
