import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
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
import { useFlowLayout, type FlowLayout } from './hooks/use-flow-layout.js';
import { useServiceView, type ServiceView } from './hooks/use-service-view.js';
import { useFlowView } from './hooks/use-flow-view.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { FilterError } from '../filter/filter.js';
import {
  compileFilter, COLUMNS, filterFlows, fit, nextSortColumn, serviceFilter, type CellContext, type FlowView, type RowLayout, type SortedFlows,
  type SortOrder,
} from './model.js';
import { sanitize } from './sanitize.js';
import { handleInput, type KeyTarget, type Modes, type ReplayControls, type TableKeys } from './key-handler.js';
import TotalsView from './components/TotalsView.js';
import { topTalkers } from './totals.js';

/** IP bytes of `flows`, both directions. */
const totalBytesOf = (flows: readonly FlowRecord[]): number => flows.reduce((n, r) => n + r.orig.ipBytes + r.resp.ipBytes, 0);

/** The services view's sort columns as the filter bar names them. */
const SERVICE_SORT_TITLES: Readonly<Record<ServiceSortColumn, string>> = {
  proto: 'Proto', socket: 'Listener', connections: 'Conns', clients: 'Clients', active: 'Open', bytes: 'Bytes',
};

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

/** The sort order as the filter bar shows it, the services view's in that view. */
function sortLabelOf(view: View, sort: SortOrder, svcSort: ServiceSort): string {
  if (view === 'services') return `${SERVICE_SORT_TITLES[svcSort.column]} ${svcSort.reversed ? '↑' : '↓'}`;
  const down = COLUMNS[sort.column].descending !== sort.reversed;
  return `${COLUMNS[sort.column].title} ${down ? '↓' : '↑'}`;
}

/**
 * The snapshot as the header shows it: a replay's pacing; live, the wall clock (an idle link brings no packets to move
 * the capture clock on).
 */
function headerSnapshot(snapshot: Snapshot, replay: ReplayControls | undefined, live: boolean, now: () => number): Snapshot {
  if (replay) return { ...snapshot, paused: replay.paused, speed: replay.speed, nextPacketSec: replay.nextPacketSec };
  return live ? { ...snapshot, stats: { ...snapshot.stats, clockSec: Math.max(snapshot.stats.clockSec, now() / 1000) } } : snapshot;
}

/**
 * The view modes, in a ref as well as in state: keys can arrive faster than frames (typing, pasting, a held key), and
 * each key must see the mode the previous key left (`current`), not the one the last frame was drawn in (`shown`).
 */
function useModes(): { shown: Modes; current: Modes; setView(v: View): void; setHelp(h: boolean): void; setEditing(e: boolean): void } {
  const [view, setView] = useState<View>('flows');
  const [help, setHelp] = useState(false);
  const [editing, setEditing] = useState(false);
  const current = useRef<Modes>({ view, help, editing }).current;
  return {
    shown: { view, help, editing },
    current,
    setView: (v) => {
      current.view = v;
      setView(v);
    },
    setHelp: (h) => {
      current.help = h;
      setHelp(h);
    },
    setEditing: (e) => {
      current.editing = e;
      setEditing(e);
    },
  };
}

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
  const modes = useModes();
  const { view, help, editing } = modes.shown;
  const [sort, setSort] = useState<SortOrder>(initialSort ?? { column: live ? 'rate' : 'bytes', reversed: false });
  const [bits, setBits] = useState(false);
  const [rowLayout, setRowLayout] = useState<RowLayout>(initialLayout);
  const layoutRef = useRef(rowLayout);
  const inputs = useRef({ filter, sort });
  inputs.current = { filter, sort };
  const flowView = useFlowView(feed, snapshot, live, now, inputs);
  const rates = flowView.rates;
  const [selUid, setSelUid] = useState<string | null>(null);
  const [detailUid, setDetailUid] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const lastDetail = useRef<FlowRecord | null>(null);

  // Ages run on the capture clock for replays; live, on the wall clock, so they keep growing on a quiet link.
  const ctx: CellContext = { clockSec: live ? now() / 1000 : snapshot.stats.clockSec, rates: rates.rates, bits };
  const sorted = flowView.rows(snapshot, filter, sort, ctx.clockSec);
  const services = useServiceView(snapshot, filter, view, bodyRows, listeners, (g) => {
    setFilter(serviceFilter(g));
    modes.setView('flows');
  });
  const flowLayout = useFlowLayout(sorted, selUid, bodyRows, width, names, rowLayout);
  const sel = flowLayout.selected;

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

  const selectFlow = (to: number) => {
    const i = Math.max(0, Math.min(sorted.length - 1, to));
    flowLayout.selectedRef.current = i;
    const r = sorted.at(i);
    setSelUid(r?.uid ?? null);
    if (modes.current.view === 'detail' && r) setDetailUid(r.uid);
  };
  const flowKeys: TableKeys = {
    page: Math.max(1, flowLayout.rows - 1),
    length: sorted.length,
    select: selectFlow,
    selected: () => flowLayout.selectedRef.current,
    open: () => {
      if (!selected) return;
      setSelUid(selected.uid);
      setDetailUid(selected.uid);
      lastDetail.current = selected;
      modes.setView('detail');
    },
    nextSort: () => setSort((o) => ({ column: nextSortColumn(o.column, names), reversed: false })),
    reverseSort: () => setSort((o) => ({ column: o.column, reversed: !o.reversed })),
    // The Nth column on screen, as the title row shows them.
    sortColumn: (n) => {
      const column = flowLayout.placed[n]?.spec.id;
      if (column !== undefined) setSort((o) => ({ column, reversed: o.column === column ? !o.reversed : false }));
    },
  };
  const keys: KeyTarget = {
    modes: modes.current, setView: modes.setView, setHelp: modes.setHelp, setEditing: modes.setEditing, setFilter, setMessage,
    replay, exit, exportPackets,
    redraw: () => setTick((t) => t + 1),
    toggleBits: () => setBits((b) => !b),
    layout: layoutRef,
    setLayout: setRowLayout,
    flows: flowKeys,
    services: services.keys,
    detailStep: (delta) => selectFlow(flowLayout.selectedRef.current + Math.sign(delta)),
    // w: the selected flow (in the detail view, the one shown); W: every flow the table shows (the filter's).
    exportable: (shown) => (shown ? sorted.all() : view === 'detail' && detail ? [detail] : selected ? [selected] : []),
  };
  useInput((input, key) => handleInput(input, key, keys), { isActive: keyboard });

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Header
        snapshot={headerSnapshot(snapshot, replay, live, now)}
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
        shown={view === 'services' ? services.groups.length : sorted.length}
        total={view === 'services' ? services.groups.length : snapshot.flows.length}
        sortLabel={sortLabelOf(view, sort, services.sort)}
        width={width}
      />
      <Box flexDirection="column" height={bodyRows + 1} overflow="hidden">
        {help ? <HelpOverlay replay={replay !== undefined} /> : (
          <ViewBody
            view={view} detail={detail} gone={liveDetail === undefined} snapshot={snapshot} filter={filter} flowView={flowView}
            services={services} rows={sorted} layout={flowLayout} sort={sort} ctx={ctx} width={width} bodyRows={bodyRows} names={names}
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

/** What ViewBody shows: the view and, for each, what it draws from. */
interface ViewBodyProps {
  readonly view: View;
  /** The detail view's flow, and whether it has left the table (ended and expired). */
  readonly detail: FlowRecord | null;
  readonly gone: boolean;
  readonly snapshot: Snapshot;
  readonly filter: string;
  readonly flowView: FlowView;
  readonly services: ServiceView;
  readonly rows: SortedFlows;
  readonly layout: FlowLayout;
  readonly sort: SortOrder;
  readonly ctx: CellContext;
  readonly width: number;
  readonly bodyRows: number;
  readonly names: boolean;
}

/** The body of the screen below the filter bar: the detail, totals, services or flows view. */
function ViewBody({ view, detail, gone, snapshot, filter, flowView, services, rows, layout, sort, ctx, width, bodyRows, names }: ViewBodyProps) {
  if (view === 'detail' && detail) {
    return (
      <FlowDetail
        record={detail}
        history={flowView.rates.history(detail.uid)}
        gone={gone}
        width={width}
        flowByUid={(uid) => snapshot.flows.find((r) => r.uid === uid)}
        height={bodyRows + 1}
      />
    );
  }
  if (view === 'totals') {
    const shown = filterFlows(snapshot.flows, filter);
    return (
      <TotalsView
        throughput={flowView.totals}
        talkers={topTalkers(shown, Math.max(1, bodyRows))}
        totalBytes={totalBytesOf(shown)}
        width={width}
        height={bodyRows + 1}
        bits={ctx.bits === true}
      />
    );
  }
  if (view === 'services') {
    return <ServicesView groups={services.groups} top={services.top} height={bodyRows} selected={services.selected} width={width} names={names} />;
  }
  return (
    <FlowTable
      rows={rows}
      columns={layout.placed}
      sort={sort}
      top={layout.top}
      height={layout.rows}
      selected={rows.length ? layout.selected : -1}
      ctx={ctx}
    />
  );
}
