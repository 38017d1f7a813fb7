import { renderToString } from 'ink';
import { describe, expect, it } from 'vitest';
import FlowTable, { rowText, titleText } from '../../../src/tui/components/FlowTable.js';
import {
  COLUMN_IDS, COLUMNS, filterFlows, layoutColumns, naturalWidths, origText, sortFlows, type CellContext, type ColumnId,
} from '../../../src/tui/model.js';
import { corpus, finalSnapshot, fixture, readConnLog, sock } from '../corpus.js';

// ── Real rows: Zeek's ftp-ipv4 trace against its own conn.log ────────────────────────────────────────────────────

describe('FlowTable on zeek/ftp-ipv4.pcap', async () => {
  const snap = await finalSnapshot(corpus('zeek/ftp-ipv4.pcap'));
  const zeek = readConnLog(corpus('zeek/ftp-ipv4.conn.log'));
  const ctx: CellContext = { clockSec: snap.stats.clockSec, rates: new Map() };
  const rows = sortFlows(snap.flows, { column: 'age', reversed: false }, ctx);
  const lines = renderToString(
    <FlowTable rows={rows} columns={layoutColumns(160)} sort={{ column: 'age', reversed: false }} top={0} height={20} selected={0} ctx={ctx} />,
    { columns: 160 },
  ).split('\n');

  it('has a title row and one row per flow', () => {
    expect(lines[0]).toMatch(/^Proto\s+Originator\s+Responder\s+Orig st\s+Resp st\s+Conn\s+Pkts o\/r/);
    expect(lines.length - 1).toBe(snap.flows.length);
    expect(snap.flows.length).toBe(zeek.length);
  });

  it.each(zeek.map((z) => [sock(z['id.orig_h']!, z['id.orig_p']!), sock(z['id.resp_h']!, z['id.resp_p']!), z] as const))(
    'shows %s -> %s with Zeek\'s packet counts and conn_state',
    (orig, resp, z) => {
      const line = lines.find((l) => l.includes(` ${orig} `) && l.includes(` ${resp}`));
      expect(line, `no row for ${orig} -> ${resp}`).toBeDefined();
      expect(line).toMatch(/^tcp /);
      expect(line).toContain(` ${z['orig_pkts']}/${z['resp_pkts']} `);
      expect(line).toContain(` ${z['conn_state']} `);
    },
  );

  it('names the FTP control port and shows both end states', () => {
    const control = lines.find((l) => l.includes(':21 ftp'));
    expect(control).toBeDefined();
    expect(control).toMatch(/(CLOSED|TIME_WT|FIN_WT\d|LAST_ACK|CLOSE_WT|CLOSING|ESTAB)~?\s+(CLOSED|TIME_WT|FIN_WT\d|LAST_ACK|CLOSE_WT|CLOSING|ESTAB)~?/);
  });

  it('renders only the visible window: 2 rows from the third', () => {
    const out = renderToString(
      <FlowTable rows={rows} columns={layoutColumns(160)} sort={{ column: 'age', reversed: false }} top={2} height={2} selected={2} ctx={ctx} />,
      { columns: 160 },
    ).split('\n');
    expect(out).toHaveLength(3);
    expect(out[1]).toContain(sock(rows[2]!.origAddr, rows[2]!.origPort));
    expect(out[2]).toContain(sock(rows[3]!.origAddr, rows[3]!.origPort));
  });

  it('cuts the title row and every row at a tiny terminal\'s edge instead of wrapping them', () => {
    const out = renderToString(
      <FlowTable rows={rows} columns={layoutColumns(20)} sort={{ column: 'age', reversed: false }} top={0} height={20} selected={0} ctx={ctx} />,
      { columns: 20 },
    ).split('\n');
    expect(out).toHaveLength(rows.length + 1);
    expect(out[0]).toMatch(/^Proto  Originator/);
    for (const l of out) expect(l.length).toBeLessThanOrEqual(20);
  });

  it('fits 80 columns without wrapping', () => {
    const out = renderToString(
      <FlowTable rows={rows} columns={layoutColumns(80)} sort={{ column: 'age', reversed: false }} top={0} height={20} selected={0} ctx={ctx} />,
      { columns: 80 },
    ).split('\n');
    expect(out).toHaveLength(rows.length + 1);
    for (const l of out) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('FlowTable on the demo capture (IPv4 and IPv6, TCP, UDP, ICMP)', async () => {
  const snap = await finalSnapshot(fixture('demo.pcap'));
  const ctx: CellContext = { clockSec: snap.stats.clockSec, rates: new Map() };

  it('writes IPv6 sockets in brackets and names services', () => {
    const rows = filterFlows(snap.flows, 'fd00:99::2');
    const out = renderToString(
      <FlowTable rows={rows} columns={layoutColumns(160)} sort={{ column: 'bytes', reversed: false }} top={0} height={20} selected={-1} ctx={ctx} />,
      { columns: 160 },
    );
    expect(out).toContain('[fd00:99::2]:80 http');
    expect(out).toContain('[fd00:99::2]:53 domain');
    expect(out).toMatch(/\[fd00:99::2\]:8443 https-alt\s+.*REJ/);
  });
});

describe('FlowTable columns by terminal width on the demo capture', async () => {
  const snap = await finalSnapshot(fixture('demo.pcap'));
  const ctx: CellContext = { clockSec: snap.stats.clockSec, rates: new Map() };
  const sort = { column: 'bytes', reversed: false } as const;
  /** The columns the title row shows when `rows` are on screen in a terminal `width` cells wide, and the lines. */
  const render = (rows: typeof snap.flows, width: number) => {
    const columns = layoutColumns(width, naturalWidths(rows));
    const lines = renderToString(
      <FlowTable rows={rows} columns={columns} sort={sort} top={0} height={rows.length} selected={-1} ctx={ctx} />,
      { columns: width },
    ).split('\n');
    const title = lines[0]!;
    return { titles: COLUMN_IDS.filter((id) => title.includes(COLUMNS[id].title)), lines };
  };
  const v4 = snap.flows.filter((r) => r.ipVersion === 4);
  const v6 = snap.flows.filter((r) => r.ipVersion === 6);
  const essentials: ColumnId[] = ['proto', 'orig', 'resp', 'conn'];
  const upTo = (...extra: ColumnId[]) => COLUMN_IDS.filter((id) => essentials.includes(id) || extra.includes(id));

  it.each([
    ['IPv4', 80, upTo('origState', 'respState', 'rate', 'retx')],
    ['IPv4', 100, upTo('origState', 'respState', 'rate', 'retx', 'bytes')],
    ['IPv4', 120, upTo('origState', 'respState', 'rate', 'retx', 'bytes', 'pkts', 'age')],
    ['IPv6', 80, upTo('origState', 'respState', 'rate', 'retx')],
    ['IPv6', 100, upTo('origState', 'respState', 'rate', 'retx')],
    ['IPv6', 120, upTo('origState', 'respState', 'rate', 'retx', 'bytes')],
  ] as const)('%s rows at %d columns: %j', (family, width, expected) => {
    const rows = family === 'IPv4' ? v4 : v6;
    const { titles, lines } = render(rows, width);
    expect(titles).toEqual(expected);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
    // Every row shows its ports; the sockets are whole where the columns allow, else shortened in the address.
    const columns = layoutColumns(width, naturalWidths(rows));
    for (const r of rows) {
      const line = lines.find((l) => l.includes(` ${rowText(r, columns, ctx).split(/\s+/)[1]} `));
      expect(line, r.uid).toBeDefined();
      if (r.proto === 'tcp' || r.proto === 'udp') expect(line).toMatch(new RegExp(`:${r.origPort} .*:${r.respPort}\\b`));
      const wide = columns.find((c) => c.spec.id === 'orig')!.width >= origText(r).length;
      if (wide) expect(line).not.toMatch(/…\S*\]?:\d+ /);
    }
  });

  it('drops the service name, not part of it, when the responder column is too narrow for it', () => {
    const { lines } = render(v4, 80);
    expect(lines.join('\n')).toMatch(/ 10\.99\.0\.2:8443 +CLOSED/);
    expect(lines.join('\n')).not.toContain('https-');
  });
});

describe('sort arrow', () => {
  it('fits every column\'s title with its arrow, whichever column is sorted, at every width', () => {
    for (const width of [40, 80, 100, 120, 200]) {
      const columns = layoutColumns(width);
      for (const c of columns) {
        for (const reversed of [false, true]) {
          const title = titleText(columns, { column: c.spec.id, reversed });
          const arrow = c.spec.descending !== reversed ? '↓' : '↑';
          expect(title, `${c.spec.id} at ${width}`).toContain(`${c.spec.title}${arrow}`);
        }
      }
    }
    for (const id of COLUMN_IDS) expect(COLUMNS[id].min, id).toBeGreaterThan(COLUMNS[id].title.length);
  });
});
