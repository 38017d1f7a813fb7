import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, type Key } from 'ink';
import type { FlowRecord } from '../flow/record.js';
import type { Snapshot, SnapshotFeed } from '../pipeline-types.js';
import type { ServiceGroup, ServiceSort, ServiceSortColumn } from './model.js';
import FilterBar from './components/FilterBar.js';
import FlowDetail from './components/FlowDetail.js';
import FlowTable from './components/FlowTable.js';
import Header from './components/Header.js';
import HelpOverlay from './components/HelpOverlay.js';
import ServicesView from './components/ServicesView.js';
import StatusBar, { type View } from './components/StatusBar.js';
import { useFlowSnapshots } from './hooks/use-flow-snapshots.js';
import { useFlowView } from './hooks/use-flow-view.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { FilterError } from '../filter/filter.js';
import {
  compileFilter, COLUMNS, filterFlows, fit, groupServices, layoutColumns, layoutTwoLines, naturalWidths, nextSortColumn, reselect,
  ROW_LAYOUTS, scrollTop, serviceFilter, SERVICE_SORT_COLUMNS, sortServices, stepSpeed, twoLinesFor, type CellContext,
  type RowLayout, type SortOrder,
} from './model.js';
import { sanitize } from './sanitize.js';
import { actionOf } from './keys.js';
import TotalsView from './components/TotalsView.js';
import { topTalkers } from './totals.js';

/** IP bytes of `flows`, both directions. */
const totalBytesOf = (flows: readonly FlowRecord[]): number => flows.reduce((n, r) => n + r.orig.ipBytes + r.resp.ipBytes, 0);

/** The services view's sort columns as the filter bar names them. */
const SERVICE_SORT_TITLES: Readonly<Record<ServiceSortColumn, string>> = {
  proto: 'Proto', socket: 'Listener', connections: 'Conns', clients: 'Clients', active: 'Open', bytes: 'Bytes',
};

/** Index of a digit key's column: 1 is the first, 0 the tenth. */
const digitIndex = (input: string): number => (input === '0' ? 9 : Number(input) - 1);

/** The entry after `x` in `list`, wrapping around. */
function nextOf<T>(list: readonly T[], x: T): T {
  return list[(list.indexOf(x) + 1) % list.length]!; // modulo keeps the index in range
}

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

export type Props = {
  /** Snapshots from the pipeline. */
  readonly feed: SnapshotFeed;
  /** Replay pacing for a file; absent for live capture. */
  readonly replay?: ReplayControls | undefined;
  /** True for a live capture. @default false */
  readonly live?: boolean;
  /** Terminal size override (tests); by default the output terminal's size, following resizes. */
  readonly columns?: number;
  readonly rows?: number;
  /** Wall clock in ms (live rates). @default Date.now */
  readonly now?: () => number;
  /** Quit by itself once the input is exhausted (benchmarks, scripted runs). @default false */
  readonly exitAtEnd?: boolean;
  /** Filter to start with (filter language, src/filter/filter.ts). @default none */
  readonly initialFilter?: string;
  /** Sort order to start with. @default bytes, biggest first; live: current rate, fastest first */
  readonly initialSort?: SortOrder;
  /** Read keys (off for headless runs, which have no keyboard). @default true */
  readonly keyboard?: boolean;
  /**
   * Writes the packets of `flows` to a pcap file (watch: the capture read again); resolves to a line for the user.
   * Absent: the `w` key says that this input cannot be read again.
   */
  readonly exportPackets?: ((flows: readonly FlowRecord[], name: string) => Promise<string>) | undefined;
  /** A message for the user, shown above the status line (e.g. the capture was cut short). */
  readonly notice?: string | undefined;
  /** Live: the capture's health line for the header (interface counters, missed bytes), from each snapshot. */
  readonly health?: ((snapshot: Snapshot) => string) | undefined;
  /** Live: joins the host's listening sockets into the services view (local/services.ts). */
  readonly listeners?: ((groups: readonly ServiceGroup[]) => readonly ServiceGroup[]) | undefined;
  /** Payload inspection is on (`watch --names`): the flows view has a name column. @default false */
  readonly names?: boolean;
  /** How flows are laid out to start with (the `L` key steps through the layouts). @default auto */
  readonly initialLayout?: RowLayout;
};

/** Lines around the table body besides the header: the filter bar, the table's title row, the status line. */
const BAR_LINES = 3;
/** Header lines on a terminal tall enough; short terminals drop them (last first) to keep at least one row. */
const HEADER_LINES = 3;

/**
 * sockscope's terminal UI: header, flows / services / detail views, filter bar and status line. A pure function of
 * the feed's snapshots plus UI state; it re-renders when a snapshot is published, never per packet.
 */
export default function App({
  feed, replay, live = false, columns, rows, now = Date.now, exitAtEnd = false,
  initialSort, initialFilter = '', notice, keyboard = true, health, listeners, exportPackets, names = false,
  initialLayout = 'auto',
}: Props) {
  const { exit } = useApp();
  const size = useTerminalSize();
  // Exactly the terminal's size, however small: every line is cut to the width, never wrapped.
  const width = Math.max(1, columns ?? size.columns);
  // One line less than the terminal: a frame as tall as the screen makes Ink clear the whole screen on every update.
  const height = Math.max(1, (rows ?? size.rows) - 1);
  const [message, setMessage] = useState('');
  const [filter, setFilter] = useState(initialFilter);
  // name: and service: read what --names finds: without it they match nothing, and the user is told so.
  const compiled = compileFilter(filter);
  const namesOff = !names && !(compiled instanceof FilterError) && compiled.usesNames ? 'name: and service: match nothing without payload inspection: watch --names' : '';
  const shownNotice = notice ?? (message || namesOff || undefined);
  const fixedLines = BAR_LINES + (shownNotice ? 1 : 0);
  const headerLines = Math.max(0, Math.min(HEADER_LINES, height - fixedLines - 1));
  const bodyRows = Math.max(0, height - fixedLines - headerLines);

  const snapshot = useFlowSnapshots(feed);

  // Modes live in refs as well as state: keys can arrive faster than frames (typing, pasting, a held key), and each
  // key must see the mode the previous key left, not the one the last frame was drawn in.
  const [view, setViewState] = useState<View>('flows');
  const [help, setHelpState] = useState(false);
  const [editing, setEditingState] = useState(false);
  const modes = useRef({ view, help, editing });
  const setView = (v: View) => {
    modes.current.view = v;
    setViewState(v);
  };
  const setHelp = (h: boolean) => {
    modes.current.help = h;
    setHelpState(h);
  };
  const setEditing = (e: boolean) => {
    modes.current.editing = e;
    setEditingState(e);
  };
  const [sort, setSort] = useState<SortOrder>(initialSort ?? { column: live ? 'rate' : 'bytes', reversed: false });
  const [svcSort, setSvcSort] = useState<ServiceSort>({ column: 'connections', reversed: false });
  const [bits, setBits] = useState(false);
  const [rowLayout, setRowLayout] = useState<RowLayout>(initialLayout);
  const layoutRef = useRef(rowLayout);
  const inputs = useRef({ filter, sort });
  inputs.current = { filter, sort };
  const flowView = useFlowView(feed, snapshot, live, now, inputs);
  const rates = flowView.rates;
  const [selUid, setSelUid] = useState<string | null>(null);
  const [svcKey, setSvcKey] = useState<string | null>(null);
  const [detailUid, setDetailUid] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const selIdx = useRef(0);
  const svcIdx = useRef(0);
  const flowTop = useRef(0);
  const svcTop = useRef(0);
  const lastDetail = useRef<FlowRecord | null>(null);

  // Ages run on the capture clock for replays; live, on the wall clock, so they keep growing on a quiet link.
  const ctx: CellContext = { clockSec: live ? now() / 1000 : snapshot.stats.clockSec, rates: rates.rates, bits };
  const sorted = flowView.rows(snapshot, filter, sort, ctx.clockSec);
  const groups = useMemo(
    () => {
      if (view !== 'services') return [];
      const g = groupServices(filterFlows(snapshot.flows, filter));
      return sortServices(listeners === undefined || filter !== '' ? g : listeners(g), svcSort);
    },
    [snapshot, filter, view, listeners, svcSort],
  );

  const sel = reselect(sorted, selUid, selIdx.current);
  selIdx.current = sel;
  // One line per flow, or two (auto: when an IPv6 socket on screen would be cut, or names would be hidden), decided
  // on the flows two lines per flow would show: the same whichever layout the last frame had, so it does not flip.
  const oneTop = scrollTop(flowTop.current, sel, bodyRows, sorted.length);
  const oneNatural = naturalWidths(sorted.slice(oneTop, oneTop + bodyRows));
  const onePlaced = useMemo(() => layoutColumns(width, oneNatural, names), [width, oneNatural.orig, oneNatural.resp, oneNatural.respSocket, oneNatural.name, names]); // eslint-disable-line react-hooks/exhaustive-deps
  // Two lines: one more title line, and two lines per flow.
  const twoRows = Math.max(1, Math.floor((bodyRows - 1) / 2));
  const twoTop = scrollTop(flowTop.current, sel, twoRows, sorted.length);
  // Two lines need a title line more and two lines a flow: not below 3 body lines (auto: not below 5, two flows).
  const twoLines = bodyRows >= (rowLayout === 'auto' ? 5 : 3) && twoLinesFor(rowLayout, onePlaced, sorted.slice(twoTop, twoTop + twoRows), names);
  const flowRows = twoLines ? twoRows : bodyRows;
  flowTop.current = twoLines ? twoTop : oneTop;
  const svcSel = reselect(groups.map((g) => ({ uid: g.key })), svcKey, svcIdx.current);
  svcIdx.current = svcSel;
  svcTop.current = scrollTop(svcTop.current, svcSel, bodyRows, groups.length);

  // Column widths follow the rows on screen, so addresses are shown whole whenever the terminal has room.
  const twoNatural = twoLines ? naturalWidths(sorted.slice(flowTop.current, flowTop.current + flowRows)) : oneNatural;
  const placed = useMemo(
    () => (twoLines ? layoutTwoLines(width, twoNatural, names) : onePlaced),
    [twoLines, onePlaced, width, twoNatural.orig, twoNatural.resp, twoNatural.respSocket, twoNatural.name, names], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const selected = sorted.at(sel);
  // The detail view follows its flow by uid, even when it leaves the filtered list or ends and expires.
  const liveDetail = useMemo(
    () => (view === 'detail' && detailUid !== null ? snapshot.flows.find((r) => r.uid === detailUid) : undefined),
    [view, detailUid, snapshot],
  );
  if (liveDetail !== undefined) lastDetail.current = liveDetail;
  const detail = view === 'detail' ? (liveDetail ?? lastDetail.current) : null;

  useEffect(() => {
    if (exitAtEnd && snapshot.done) exit();
  }, [exitAtEnd, snapshot.done, exit]);

  const moveFlow = (to: number) => {
    const i = Math.max(0, Math.min(sorted.length - 1, to));
    selIdx.current = i;
    const r = sorted.at(i);
    setSelUid(r?.uid ?? null);
    if (view === 'detail' && r) setDetailUid(r.uid);
  };
  const moveService = (to: number) => {
    const i = Math.max(0, Math.min(groups.length - 1, to));
    svcIdx.current = i;
    setSvcKey(groups[i]?.key ?? null);
  };

  const onKey = (input: string, key: Key) => {
    const { help, editing, view } = modes.current;
    if (help) {
      setHelp(false);
      return;
    }
    if (editing) {
      if (key.return) setEditing(false);
      else if (key.escape) {
        setFilter('');
        setEditing(false);
      } else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
      else if (key.ctrl && input === 'u') setFilter(''); // as readline: the whole line
      else if (input && !key.ctrl && !key.meta) setFilter((f) => f + sanitize(input));
      return;
    }
    // Every other key through the one key map (keys.ts), which the status line and the help are written from.
    const binding = actionOf(input, key, view, replay !== undefined);
    const page = Math.max(1, (view === 'services' ? bodyRows : flowRows) - 1);
    let action = binding?.action;
    if (action === undefined && input === ' ' && !replay && view !== 'detail') action = 'pageDown'; // live: space pages
    switch (action) {
      case undefined:
        return;
      case 'quit':
        exit();
        return;
      case 'help':
        setHelp(true);
        return;
      case 'pause':
        replay?.togglePause();
        setTick((t) => t + 1);
        return;
      case 'faster':
      case 'slower':
        replay?.setSpeed(stepSpeed(replay.speed, action === 'faster' ? 1 : -1));
        setTick((t) => t + 1);
        return;
      case 'step':
        if (replay?.paused) replay.step();
        setTick((t) => t + 1);
        return;
      case 'skipGap':
        replay?.skipGap?.();
        setTick((t) => t + 1);
        return;
      case 'switchView':
        setView(view === 'services' ? 'flows' : 'services');
        return;
      case 'totals':
        setView(view === 'totals' ? 'flows' : 'totals');
        return;
      case 'units':
        setBits((b) => !b);
        return;
      case 'layout': {
        const next = ROW_LAYOUTS[(ROW_LAYOUTS.indexOf(layoutRef.current) + 1) % ROW_LAYOUTS.length]!; // modulo keeps it in range
        layoutRef.current = next;
        setRowLayout(next);
        // Said for a moment: auto and the layout it chose look alike.
        setMessage(`rows: ${next}${next === 'auto' ? ' (two lines when an IPv6 socket would be cut or names hidden)' : ''}`);
        setTimeout(() => setMessage((m) => (m.startsWith('rows: ') ? '' : m)), 2000);
        return;
      }
      case 'filter':
        setEditing(true);
        return;
      case 'export':
      case 'exportShown': {
        // w: the selected flow (in the detail view, the one shown); W: every flow the table shows (the filter's).
        const flows = action === 'exportShown' ? sorted.all() : view === 'detail' && detail ? [detail] : selected ? [selected] : [];
        if (flows.length === 0) return;
        if (exportPackets === undefined) {
          setMessage('w: this input cannot be read again (live or standard input): use the -w file of capture');
          return;
        }
        const name = flows.length === 1 ? `sockscope-${flows[0]!.uid}.pcap` : `sockscope-${flows.length}-flows-${Date.now()}.pcap`;
        setMessage(`writing the packets of ${flows.length} flow${flows.length === 1 ? '' : 's'} to ${name} ...`);
        exportPackets(flows, name).then(setMessage, (e: unknown) => setMessage(`w: ${e instanceof Error ? e.message : String(e)}`));
        return;
      }
    }
    const delta = action === 'up' ? -1 : action === 'down' ? 1 : action === 'pageUp' ? -page : action === 'pageDown' ? page : 0;
    if (view === 'totals') {
      if (action === 'back') setView('flows');
      return;
    }
    if (view === 'detail') {
      if (action === 'back') setView('flows');
      else if (delta !== 0) moveFlow(selIdx.current + Math.sign(delta));
      return;
    }
    if (view === 'services') {
      if (delta !== 0) moveService(svcIdx.current + delta);
      else if (action === 'first') moveService(0);
      else if (action === 'last') moveService(groups.length - 1);
      else if (action === 'open' && groups[svcSel]) {
        setFilter(serviceFilter(groups[svcSel]));
        setView('flows');
      } else if (action === 'back') setFilter('');
      else if (action === 'nextSort') setSvcSort((o) => ({ column: nextOf(SERVICE_SORT_COLUMNS, o.column), reversed: false }));
      else if (action === 'reverseSort') setSvcSort((o) => ({ column: o.column, reversed: !o.reversed }));
      else if (action === 'sortColumn') {
        const column = SERVICE_SORT_COLUMNS[digitIndex(input)];
        if (column !== undefined) setSvcSort((o) => ({ column, reversed: o.column === column ? !o.reversed : false }));
      }
      return;
    }
    // From the ref, not the rendered index: keys can arrive faster than frames (a held PgDn).
    if (delta !== 0) moveFlow(selIdx.current + delta);
    else if (action === 'first') moveFlow(0);
    else if (action === 'last') moveFlow(sorted.length - 1);
    else if (action === 'open' && selected) {
      setSelUid(selected.uid);
      setDetailUid(selected.uid);
      lastDetail.current = selected;
      setView('detail');
    } else if (action === 'nextSort') setSort((o) => ({ column: nextSortColumn(o.column, names), reversed: false }));
    else if (action === 'reverseSort') setSort((o) => ({ column: o.column, reversed: !o.reversed }));
    else if (action === 'sortColumn') {
      // The Nth column on screen, as the title row shows them.
      const column = placed[digitIndex(input)]?.spec.id;
      if (column !== undefined) setSort((o) => ({ column, reversed: o.column === column ? !o.reversed : false }));
    } else if (action === 'back') setFilter('');
  };

  const handleInput = (input: string, key: Key): void => {
    // Esc pressed just before another key reaches Ink as one sequence: Esc Tab as a bare "\t" (no tab flag), Esc
    // and a letter as that letter with meta. Both are two key presses.
    if (!modes.current.editing && ((input === '\t' && !key.tab) || (key.meta && !key.escape && /^[\x20-\x7e]$/.test(input)))) {
      onKey('', { ...key, meta: false, escape: true });
      onKey(input === '\t' ? '' : input, { ...key, meta: false, tab: input === '\t' });
      return;
    }
    // A filter typed (or pasted) with its Enter in one read: the text, then Enter, then what follows as keys.
    if (modes.current.editing && input.length > 1 && /[\r\n]/.test(input)) {
      for (const part of input.split(/([\r\n])/)) {
        if (part === '\r' || part === '\n') onKey('', { ...key, return: true });
        else if (part !== '') handleInput(part, key);
      }
      return;
    }
    // Ink hands over a run of printable characters as one input ("nnn" when keys come faster than it reads, or
    // a paste): each one is a key press of its own, except while typing a filter.
    if (input.length > 1 && !modes.current.editing && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) {
      for (const ch of input) onKey(ch, key);
    } else onKey(input, key);
  };
  useInput(handleInput, { isActive: keyboard });

  const down = COLUMNS[sort.column].descending !== sort.reversed;
  const sortLabel =
    view === 'services'
      ? `${SERVICE_SORT_TITLES[svcSort.column]} ${svcSort.reversed ? '↑' : '↓'}`
      : `${COLUMNS[sort.column].title} ${down ? '↓' : '↑'}`;
  // Live, the header's clock is the wall clock: an idle link brings no packets to move the capture clock on.
  const shownSnapshot = replay
    ? { ...snapshot, paused: replay.paused, speed: replay.speed, nextPacketSec: replay.nextPacketSec }
    : live ? { ...snapshot, stats: { ...snapshot.stats, clockSec: Math.max(snapshot.stats.clockSec, now() / 1000) } } : snapshot;

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Header
        snapshot={shownSnapshot}
        packetRate={rates.packetRate}
        byteRate={rates.byteRate}
        live={live}
        width={width}
        lines={headerLines}
        health={health?.(snapshot)}
        bits={bits}
      />
      <FilterBar
        view={view === 'services' ? 'services' : 'flows'}
        filter={filter}
        editing={editing}
        shown={view === 'services' ? groups.length : sorted.length}
        total={view === 'services' ? groups.length : snapshot.flows.length}
        sortLabel={sortLabel}
        width={width}
      />
      <Box flexDirection="column" height={bodyRows + 1} overflow="hidden">
        {help ? (
          <HelpOverlay replay={replay !== undefined} />
        ) : view === 'detail' && detail ? (
          <FlowDetail
            record={detail}
            history={rates.history(detail.uid)}
            gone={liveDetail === undefined}
            width={width}
            flowByUid={(uid) => snapshot.flows.find((r) => r.uid === uid)}
            height={bodyRows + 1}
          />
        ) : view === 'totals' ? (
          <TotalsView
            throughput={flowView.totals}
            talkers={topTalkers(filterFlows(snapshot.flows, filter), Math.max(1, bodyRows))}
            totalBytes={totalBytesOf(filterFlows(snapshot.flows, filter))}
            width={width}
            height={bodyRows + 1}
            bits={bits}
          />
        ) : view === 'services' ? (
          <ServicesView groups={groups} top={svcTop.current} height={bodyRows} selected={svcSel} width={width} names={names} />
        ) : (
          <FlowTable
            rows={sorted}
            columns={placed}
            sort={sort}
            top={flowTop.current}
            height={flowRows}
            selected={sorted.length ? sel : -1}
            ctx={ctx}
          />
        )}
      </Box>
      {shownNotice ? (
        <Text color={notice ? 'red' : 'yellow'} wrap="truncate-end">{fit(sanitize(shownNotice), width)}</Text>
      ) : null}
      <StatusBar view={view} width={width} replay={replay !== undefined} />
    </Box>
  );
}
