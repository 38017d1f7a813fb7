import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/pipeline-types.js';
import { humanBytes } from '../../src/sink/format.js';
import {
  addressKey, cellText, COLUMN_IDS, COLUMNS, displayWidth, FlowView, compactBytes, compactDuration, filterFlows, fit,
  groupServices, layoutColumns, nextSortColumn, parseRespTerm, RateTracker, reselect, respText, scrollTop,
  serviceFilter, sortFlows, sparkline, stepSpeed, toneOf, type CellContext, type ColumnId,
} from '../../src/tui/model.js';
import { direction, record } from './records.js';

const ctx: CellContext = { clockSec: 1010, rates: new Map() };

// ── Cells ──────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('cell text', () => {
  it('writes IPv6 sockets in brackets and names the responder service', () => {
    const r = record({ ipVersion: 6, origAddr: '2001:db8::1', origPort: 51000, respAddr: '2001:db8::2', respPort: 443 });
    expect(cellText(r, 'orig', ctx)).toBe('[2001:db8::1]:51000');
    expect(cellText(r, 'resp', ctx)).toBe('[2001:db8::2]:443 https');
  });

  it('names UDP services by the UDP table and leaves unknown ports bare', () => {
    expect(respText(record({ proto: 'udp', ipProto: 17, respPort: 53 }))).toBe('10.0.0.2:53 domain');
    expect(respText(record({ respPort: 40123 }))).toBe('10.0.0.2:40123');
  });

  it('shows ICMP type and code instead of ports', () => {
    const r = record({ proto: 'icmp', ipProto: 1, origPort: 8, respPort: 0 });
    expect(cellText(r, 'orig', ctx)).toBe('10.0.0.1 t8');
    expect(cellText(r, 'resp', ctx)).toBe('10.0.0.2 c0');
  });

  it('shortens states, marks inferred ones with ~, and shows - for non-TCP', () => {
    const r = record({
      orig: direction({ state: 'FIN_WAIT_2' }),
      resp: direction({ state: 'ESTABLISHED', stateInferred: true }),
    });
    expect(cellText(r, 'origState', ctx)).toBe('FIN_WT2');
    expect(cellText(r, 'respState', ctx)).toBe('ESTAB~');
    expect(cellText(record({ proto: 'udp', orig: direction(), resp: direction() }), 'origState', ctx)).toBe('-');
  });

  it('strips control characters that came with the record', () => {
    expect(cellText(record({ connState: 'S\u001b[2J1' }), 'conn', ctx)).toBe('S1');
  });

  it('shows both directions of packets and bytes, the duration so far, RTT and retransmissions', () => {
    const r = record({
      startSec: 1000,
      lastSec: 1010,
      orig: direction({ pkts: 12, ipBytes: 1500, retransmissions: 2 }),
      resp: direction({ pkts: 12345, ipBytes: 3_000_000, retransmissions: 1 }),
      rttSynSec: 0.012, rttAckSec: 0.0003,
    });
    expect(cellText(r, 'pkts', ctx)).toBe('12/12.3k');
    expect(cellText(r, 'bytes', ctx)).toBe('1.5K/3.0M');
    // One meaning open or ended: first to last packet (the clock, 1010 here, moving on does not change it).
    expect(cellText(r, 'age', ctx)).toBe('10s');
    expect(cellText(r, 'age', { ...ctx, clockSec: 5000 })).toBe('10s');
    expect(cellText({ ...r, endReason: 'eof', durationSec: 10 }, 'age', ctx)).toBe('10s');
    expect(cellText(r, 'rtt', ctx)).toBe('12.3ms');
    expect(cellText(r, 'retx', ctx)).toBe('3');
  });

  it('formats compact units', () => {
    // SI steps, as the flows table and the TUI header count (humanBytes): 2,048 bytes read 2.0 KB there and 2.0K here.
    expect([compactBytes(999), compactBytes(1000), compactBytes(2048), compactBytes(15e6)]).toEqual(['999', '1.0K', '2.0K', '15M']);
    expect(compactBytes(43_008)).toBe(humanBytes(43_008).replace(' KB', 'K'));
    expect([compactDuration(0.25), compactDuration(59.9), compactDuration(185), compactDuration(7800)]).toEqual([
      '250ms', '59s', '3m05s', '2h10m',
    ]);
    expect(fit('10.0.0.1:51000', 8)).toBe('10.0.0.…');
    expect(fit('12', 5, 'right')).toBe('   12');
    expect(fit('10.0.0.1:51000', 8, 'left', 'start')).toBe('…1:51000');
  });

  it('fits text by display width: wide characters and emoji take two cells', () => {
    expect(displayWidth('日本語🙂x')).toBe(9);
    for (let w = 1; w <= 14; w++) {
      for (const position of ['end', 'start'] as const) {
        const out = fit(`日本語🙂${'x'.repeat(5)}`, w, 'left', position);
        expect(displayWidth(out), `${w} ${position}: ${out}`).toBe(w);
      }
    }
    expect(fit('日本語🙂xxxxx', 7)).toBe('日本語…');
    expect(fit('日本語', 6, 'right')).toBe('日本語');
    expect(fit('日本', 6, 'right')).toBe('  日本');
    expect(fit('xx日本語', 5, 'left', 'start')).toBe('…本語');
  });
});

// ── Layout ─────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('layoutColumns', () => {
  const total = (w: number) => layoutColumns(w).reduce((n, c) => n + c.width, 0) + layoutColumns(w).length - 1;

  it('fits 80 columns with both sockets, both end states and conn_state', () => {
    const ids = layoutColumns(80).map((c) => c.spec.id);
    expect(ids).toEqual(expect.arrayContaining(['proto', 'orig', 'resp', 'origState', 'respState', 'conn', 'rate']));
    expect(total(80)).toBeLessThanOrEqual(80);
  });

  it('gives the socket columns the width their text needs before adding optional columns', () => {
    const cols = layoutColumns(100, { orig: 21, resp: 20 });
    expect(cols.find((c) => c.spec.id === 'orig')!.width).toBeGreaterThanOrEqual(21);
    expect(cols.find((c) => c.spec.id === 'resp')!.width).toBeGreaterThanOrEqual(20);
    expect(cols.reduce((n, c) => n + c.width + 1, -1)).toBeLessThanOrEqual(100);
    // Long IPv6 sockets at 80 columns: the sockets are shortened, the end states, rate and retransmissions stay.
    const narrow = layoutColumns(80, { orig: 47, resp: 58 });
    expect(narrow.map((c) => c.spec.id)).toEqual(['proto', 'orig', 'resp', 'origState', 'respState', 'conn', 'rate', 'retx']);
    expect(narrow.reduce((n, c) => n + c.width + 1, -1)).toBeLessThanOrEqual(80);
  });

  it('drops columns strictly in priority order: RTT, age, packets, bytes, retransmissions, rate, end states', () => {
    // Dropped first to last; a column never shows while one that gives way after it is missing.
    const order: ColumnId[] = ['rtt', 'age', 'pkts', 'bytes', 'retx', 'rate', 'origState'];
    const naturals = [{}, { orig: 15, resp: 24, respSocket: 14 }, { orig: 32, resp: 27, respSocket: 24 }, { orig: 47, resp: 58, respSocket: 49 }];
    for (const natural of naturals) {
      for (let w = 20; w <= 220; w++) {
        const ids = new Set(layoutColumns(w, natural).map((c) => c.spec.id));
        for (let i = 0; i < order.length; i++) {
          // order[i] missing: every column that gives way before it is missing too.
          if (!ids.has(order[i]!)) for (const earlier of order.slice(0, i)) expect(ids.has(earlier), `${earlier} at ${w}`).toBe(false);
        }
        expect(ids.has('origState')).toBe(ids.has('respState'));
        for (const id of ['proto', 'orig', 'resp', 'conn'] as const) expect(ids.has(id)).toBe(true);
        const total = layoutColumns(w, natural).reduce((n, c) => n + c.width + 1, -1);
        if (w >= 46) expect(total, `total at ${w}`).toBeLessThanOrEqual(w);
      }
    }
  });

  it('brings columns back at fixed widths when the sockets fit the minimum widths (the README\'s numbers)', () => {
    const firstWidth = (id: ColumnId) => {
      for (let w = 20; w <= 200; w++) if (layoutColumns(w).some((c) => c.spec.id === id)) return w;
      return -1;
    };
    expect(Object.fromEntries(COLUMN_IDS.map((id) => [id, firstWidth(id)]))).toEqual({
      proto: 20, orig: 20, resp: 20, conn: 20, origState: 66, respState: 66, rate: 74, retx: 80, bytes: 92, pkts: 104,
      age: 111, rtt: 119, name: -1, // the name column only with --names
    });
  });

  it('shortens sockets for the end states, rate and retransmissions only; whole sockets and service names come before bytes, packets, age and RTT', () => {
    // 10.99.0.1:52388 -> 10.99.0.2:8443 https-alt: 15 cells, 14 without the service name, 24 with it.
    const v4 = { orig: 15, resp: 24, respSocket: 14 };
    const ids = (w: number) => layoutColumns(w, v4).map((c) => c.spec.id);
    const resp = (w: number) => layoutColumns(w, v4).find((c) => c.spec.id === 'resp')!.width;
    expect(ids(80)).toEqual(['proto', 'orig', 'resp', 'origState', 'respState', 'conn', 'rate', 'retx']);
    expect(resp(80)).toBe(16);
    expect(resp(87)).toBe(23); // room left over shows the service names that fit
    expect(ids(99)).not.toContain('bytes');
    expect(resp(99)).toBeGreaterThanOrEqual(24);
    expect(ids(100)).toContain('bytes');
    expect(resp(100)).toBe(24);
    // IPv6 sockets wider than the minimum: shortened at 80 columns, whole before bytes come back.
    const v6 = { orig: 32, resp: 27, respSocket: 24 };
    expect(layoutColumns(80, v6).map((c) => c.spec.id)).toEqual(['proto', 'orig', 'resp', 'origState', 'respState', 'conn', 'rate', 'retx']);
    expect(layoutColumns(80, v6).find((c) => c.spec.id === 'orig')!.width).toBe(15);
    const at = (w: number) => layoutColumns(w, v6);
    const firstBytes = [...Array(100).keys()].map((i) => 80 + i).find((w) => at(w).some((c) => c.spec.id === 'bytes'))!;
    expect(at(firstBytes).find((c) => c.spec.id === 'orig')!.width).toBeGreaterThanOrEqual(32);
    expect(at(firstBytes).find((c) => c.spec.id === 'resp')!.width).toBeGreaterThanOrEqual(27);
  });

  it('shows every column at 120 and gives the rest to the socket columns', () => {
    expect(layoutColumns(120).map((c) => c.spec.id)).toHaveLength(12);
    expect(total(120)).toBe(120);
    const orig = layoutColumns(200).find((c) => c.spec.id === 'orig')!;
    expect(orig.width).toBeGreaterThan(21);
  });
});

// ── Colour ─────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('toneOf', () => {
  it.each([
    ['REJ', 'SYN_SENT', 'CLOSED', 1, 'reset'],
    ['S0', 'SYN_SENT', 'LISTEN', 0, 'unanswered'],
    ['S1', 'ESTABLISHED', 'ESTABLISHED', 3, 'open'],
    ['S2', 'FIN_WAIT_1', 'ESTABLISHED', 3, 'closing'],
    ['SF', 'CLOSED', 'CLOSED', 3, 'closed'],
  ] as const)('%s with %s/%s', (connState, o, p, respPkts, tone) => {
    const r = record({ connState, orig: direction({ state: o, pkts: 1 }), resp: direction({ state: p, pkts: respPkts }) });
    expect(toneOf(r)).toBe(tone);
  });

  it('answered UDP is a datagram flow', () => {
    expect(toneOf(record({ proto: 'udp', connState: 'SF', resp: direction({ pkts: 1 }) }))).toBe('datagram');
  });
});

// ── Sort and filter ────────────────────────────────────────────────────────────────────────────────────────────────

const flows = [
  record({ uid: 'A', respAddr: '10.0.0.10', respPort: 443, orig: direction({ pkts: 5, ipBytes: 500, state: 'ESTABLISHED' }), startSec: 1000 }),
  record({ uid: 'B', respAddr: '10.0.0.9', respPort: 22, orig: direction({ pkts: 50, ipBytes: 90000, state: 'SYN_SENT' }), connState: 'S0', startSec: 1001 }),
  record({ uid: 'C', proto: 'udp', ipProto: 17, respAddr: '192.168.1.1', respPort: 53, orig: direction({ pkts: 1, ipBytes: 70 }), connState: 'SF', startSec: 1002 }),
];

describe('sortFlows', () => {
  const uids = (rs: readonly { uid: string }[]) => rs.map((r) => r.uid);

  it('sorts numbers biggest first and reverses on request', () => {
    expect(uids(sortFlows(flows, { column: 'bytes', reversed: false }, ctx))).toEqual(['B', 'A', 'C']);
    expect(uids(sortFlows(flows, { column: 'bytes', reversed: true }, ctx))).toEqual(['C', 'A', 'B']);
  });

  it('sorts addresses numerically, not as text (10.0.0.9 before 10.0.0.10)', () => {
    expect(uids(sortFlows(flows, { column: 'resp', reversed: false }, ctx))).toEqual(['B', 'A', 'C']);
    expect(addressKey('2001:db8::1') < addressKey('2001:db8::1:0')).toBe(true);
    expect(addressKey('10.0.0.9') < addressKey('10.0.0.10')).toBe(true);
  });

  it('sorts by current rate from the tracker', () => {
    const rates = new Map([['A', 10], ['B', 1], ['C', 100]]);
    expect(uids(sortFlows(flows, { column: 'rate', reversed: false }, { clockSec: 0, rates }))).toEqual(['C', 'A', 'B']);
  });

  it('cycles every column with s and comes back', () => {
    let c = nextSortColumn('proto');
    const seen = ['proto'];
    while (c !== 'proto') {
      seen.push(c);
      c = nextSortColumn(c);
    }
    expect(seen).toHaveLength(12);
  });
});

describe('filterFlows', () => {
  const uids = (f: string) => filterFlows(flows, f).map((r) => r.uid);
  it('matches address, port, service, state, conn_state and proto, case-insensitively', () => {
    expect(uids('')).toEqual(['A', 'B', 'C']);
    expect(uids('10.0.0.9')).toEqual(['B']);
    expect(uids(':443')).toEqual(['A']);
    expect(uids('https')).toEqual(['A']);
    expect(uids('SYN_SENT')).toEqual(['B']);
    expect(uids('s0')).toEqual(['B']);
    expect(uids('udp')).toEqual(['C']);
  });
  it('ends a word that ends in a digit where the number ends: :80 is not :8080, 10.0.0.1 is not 10.0.0.10', () => {
    const more = [
      record({ uid: 'D', respPort: 8080 }), record({ uid: 'E', respPort: 80 }),
      record({ uid: 'F', origAddr: '10.0.0.19', respAddr: '10.0.0.10' }),
    ];
    expect(filterFlows(more, ':80').map((r) => r.uid)).toEqual(['E', 'F']);
    expect(filterFlows(more, ':8080').map((r) => r.uid)).toEqual(['D']);
    expect(filterFlows(more, ':8').map((r) => r.uid)).toEqual([]);
    expect(filterFlows(more, '10.0.0.1').map((r) => r.uid)).toEqual(['D', 'E']);
    expect(filterFlows(more, '10.0.0.1:40000').map((r) => r.uid)).toEqual(['D', 'E']);
    expect(filterFlows(more, '10.0.0.10').map((r) => r.uid)).toEqual(['F']);
    expect(filterFlows(more, '10.0.0.').map((r) => r.uid)).toEqual(['D', 'E', 'F']);
  });

  it('needs every word to match', () => {
    expect(uids('udp domain')).toEqual(['C']);
    expect(uids('udp ssh')).toEqual([]);
  });

  it('does not match inside the uid, which is not on screen; a word equal to a whole uid finds its flow', () => {
    const zeekish = [
      record({ uid: 'CbdmSz0jPDQiEFe5Mc', connState: 'SF' }),
      record({ uid: 'Cq1', connState: 'SF', respPort: 22 }),
      record({ uid: 'Cs0sf', connState: 'REJ' }),
    ];
    const f = (w: string) => filterFlows(zeekish, w).map((r) => r.uid);
    expect(f('q')).toEqual([]); // only the uids hold a "q"
    expect(f('s0')).toEqual([]);
    expect(f('s0 sf')).toEqual([]);
    expect(f('CbdmSz0jPDQiEFe5Mc')).toEqual(['CbdmSz0jPDQiEFe5Mc']);
    expect(f('CbdmSz0jPDQiEFe5Mc sf')).toEqual(['CbdmSz0jPDQiEFe5Mc']);
    expect(f('CbdmSz0jPDQiEFe5Mc rej')).toEqual([]);
    expect(f('cbdmsz0jpdqiefe5mc')).toEqual([]); // uids are case-sensitive
    expect(f('CbdmSz0jPDQiEFe5M')).toEqual([]); // the whole uid, not a part
    expect(f('Cq1')).toEqual(['Cq1']);
  });

  it('matches the protocol as the table shows it: icmp6 for ICMP over IPv6', () => {
    const icmp = [
      record({ uid: 'I4', proto: 'icmp', ipProto: 1, origPort: 8, respPort: 0 }),
      record({ uid: 'I6', proto: 'icmp', ipProto: 58, ipVersion: 6, origAddr: 'fe80::1', respAddr: 'ff02::16', origPort: 143, respPort: 0 }),
    ];
    expect(filterFlows(icmp, 'icmp6').map((r) => r.uid)).toEqual(['I6']);
    expect(filterFlows(icmp, 'icmp').map((r) => r.uid)).toEqual(['I4', 'I6']);
  });

  it('resp= matches the responder socket exactly, not the same socket as an originator', () => {
    const dhcp = [
      record({ uid: 'D1', proto: 'udp', ipProto: 17, origAddr: '128.2.6.97', origPort: 68, respAddr: '128.2.6.152', respPort: 67 }),
      record({ uid: 'D2', proto: 'udp', ipProto: 17, origAddr: '128.2.6.189', origPort: 68, respAddr: '128.2.6.152', respPort: 67 }),
      record({ uid: 'D3', proto: 'udp', ipProto: 17, origAddr: '128.2.6.152', origPort: 67, respAddr: '255.255.255.255', respPort: 68 }),
      record({ uid: 'D4', proto: 'tcp', origAddr: '10.0.0.9', respAddr: '128.2.6.152', respPort: 67 }),
      record({ uid: 'D5', proto: 'udp', ipProto: 17, respAddr: '128.2.6.15', respPort: 67 }),
    ];
    const f = (w: string) => filterFlows(dhcp, w).map((r) => r.uid);
    expect(f('128.2.6.152:67')).toEqual(['D1', 'D2', 'D3', 'D4']); // plain text: either end
    expect(f('resp=udp/128.2.6.152:67')).toEqual(['D1', 'D2']);
    expect(f('resp=128.2.6.152:67')).toEqual(['D1', 'D2', 'D4']);
    expect(f('resp=128.2.6.152')).toEqual(['D1', 'D2', 'D4']);
    expect(f('RESP=UDP/128.2.6.152:67 128.2.6.189')).toEqual(['D2']);
    expect(f('resp=udp/128.2.6.152:68')).toEqual([]);
  });

  it('parses resp= terms: protocol, brackets for IPv6 with a port, ICMP codes as c0 or 0', () => {
    expect(parseRespTerm('resp=udp/10.0.0.2:53')).toEqual({ proto: 'udp', addr: '10.0.0.2', port: 53 });
    expect(parseRespTerm('resp=[FD00::2]:443')).toEqual({ proto: null, addr: 'fd00::2', port: 443 });
    expect(parseRespTerm('resp=fd00::2')).toEqual({ proto: null, addr: 'fd00::2', port: null });
    expect(parseRespTerm('resp=icmp6/[ff02::16]:c0')).toEqual({ proto: 'icmp6', addr: 'ff02::16', port: 0 });
    expect(parseRespTerm('resp=icmp/10.0.0.2:0')).toEqual({ proto: 'icmp', addr: '10.0.0.2', port: 0 });
    expect(parseRespTerm('10.0.0.2:53')).toBeNull();
    expect(parseRespTerm('resp=')).toBeNull();
    expect(parseRespTerm('resp=10.0.0.2:x')).toBeNull();
  });
});

// ── Services ───────────────────────────────────────────────────────────────────────────────────────────────────────

describe('groupServices', () => {
  it('groups by responder socket and protocol, counting connections, distinct clients, bytes and states', () => {
    const web = (uid: string, client: string, connState: string, endReason: 'active' | 'closed') =>
      record({ uid, origAddr: client, respAddr: '10.0.0.2', respPort: 443, connState, endReason,
        orig: direction({ ipBytes: 100 }), resp: direction({ ipBytes: 1000 }) });
    const groups = groupServices([
      web('1', '10.0.0.5', 'SF', 'closed'), web('2', '10.0.0.5', 'SF', 'closed'), web('3', '10.0.0.6', 'REJ', 'closed'),
      web('4', '10.0.0.7', 'S1', 'active'),
      record({ uid: '5', respAddr: '10.0.0.3', respPort: 443 }), // same port, another address: another socket
      record({ uid: '6', proto: 'udp', ipProto: 17, respAddr: '10.0.0.2', respPort: 443 }), // same socket, UDP
      record({ uid: '7', respAddr: '10.0.0.2', respPort: 55000 }),
    ]);
    expect(groups.map((g) => g.key)).toEqual(['tcp 10.0.0.2:443', 'tcp 10.0.0.2:55000', 'tcp 10.0.0.3:443', 'udp 10.0.0.2:443']);
    const g = groups[0]!;
    expect([g.connections, g.clients, g.active, g.bytes, g.service, g.portClass]).toEqual([4, 3, 1, 4400, 'https', 'well-known']);
    expect(g.states).toEqual([['SF', 2], ['REJ', 1], ['S1', 1]]);
    expect(groups[1]!.portClass).toBe('dynamic');
    expect(groups[3]!.service).toBe('quic');
  });

  it('labels ICMP over IPv6 icmp6, as the flows view does, and its filter shows exactly its connections', () => {
    const mld = (uid: string, origAddr: string) =>
      record({ uid, proto: 'icmp', ipProto: 58, ipVersion: 6, origAddr, origPort: 143, respAddr: 'ff02::16', respPort: 0 });
    const all = [
      mld('M1', '::'), mld('M2', 'fe80::1'), mld('M3', 'fe80::2'),
      record({ uid: 'E', proto: 'icmp', ipProto: 58, ipVersion: 6, origAddr: 'ff02::16', origPort: 128, respAddr: 'fe80::1', respPort: 129 }),
      record({ uid: 'V4', proto: 'icmp', ipProto: 1, origPort: 8, respPort: 0 }),
    ];
    const groups = groupServices(all);
    const g = groups.find((x) => x.addr === 'ff02::16')!;
    expect([g.proto, g.connections]).toEqual(['icmp6', 3]);
    expect(serviceFilter(g)).toBe('resp=icmp6/[ff02::16]:c0');
    for (const x of groups) {
      const shown = filterFlows(all, serviceFilter(x));
      expect(shown.map((r) => r.uid).sort(), x.key).toHaveLength(x.connections);
      for (const r of shown) expect([r.respAddr, r.respPort]).toEqual([x.addr, x.port]);
    }
    expect(groups.find((x) => x.addr === '10.0.0.2')!.proto).toBe('icmp');
  });
});

// ── Rates ──────────────────────────────────────────────────────────────────────────────────────────────────────────

function snap(clockSec: number, flowsNow: ReturnType<typeof record>[], packetsRead: number, wireBytes: number): Snapshot {
  return {
    flows: flowsNow, source: 't', done: false, paused: false, speed: 1,
    stats: {
      packetsRead, packetsAssigned: packetsRead, unassigned: {}, packetsUnassigned: 0, wireBytes,
      truncatedBySnaplen: 0, activeFlows: flowsNow.length, totalFlows: flowsNow.length, evictedFlows: 0, clockSec,
      firstSec: 0, unsupportedLinkTypes: {}, tunnelledPackets: 0,
    },
  };
}

describe('RateTracker', () => {
  it('computes per-flow and total rates from successive snapshots and keeps a history', () => {
    const t = new RateTracker();
    const f = (b: number) => record({ uid: 'X', orig: direction({ ipBytes: b }), resp: direction({ ipBytes: 0 }) });
    t.update(snap(100, [f(1000)], 10, 2000), 100);
    expect(t.rates.get('X')).toBe(0); // nothing to compare with yet
    t.update(snap(102, [f(5000)], 30, 6000), 102);
    expect(t.rates.get('X')).toBe(2000);
    expect(t.packetRate).toBe(10);
    expect(t.byteRate).toBe(2000);
    t.update(snap(103, [f(5000)], 30, 6000), 103);
    expect(t.rates.get('X')).toBe(0);
    expect(t.history('X')).toEqual([2000, 0]);
  });

  it('measures over at least 0.1 s, so packets stepped microseconds apart do not read as huge rates', () => {
    const t = new RateTracker();
    const f = (b: number) => record({ uid: 'X', orig: direction({ ipBytes: b }), resp: direction() });
    t.update(snap(10, [f(0)], 0, 0), 10);
    t.update(snap(10.00001, [f(1500)], 1, 1500), 10.00001);
    expect(t.rates.get('X') ?? 0).toBe(0);
    t.update(snap(10.2, [f(3000)], 2, 3000), 10.2);
    expect(t.rates.get('X')).toBeCloseTo(15000, 6);
    expect(t.packetRate).toBeCloseTo(10, 6);
  });

  it('holds its rates while the clock stands still (paused replay) and forgets flows that left', () => {
    const t = new RateTracker();
    const f = (uid: string, b: number) => record({ uid, orig: direction({ ipBytes: b }), resp: direction() });
    t.update(snap(10, [f('X', 0), f('Y', 0)], 0, 0), 10);
    t.update(snap(11, [f('X', 100), f('Y', 0)], 1, 100), 11);
    t.update(snap(11, [f('X', 100)], 1, 100), 11);
    expect(t.rates.get('X')).toBe(100);
    t.update(snap(12, [f('X', 100)], 1, 100), 12);
    expect(t.rates.get('Y')).toBeUndefined();
    expect(t.history('Y')).toEqual([]);
  });
});

describe('FlowView', () => {
  it('computes rows once per snapshot, filter and order, and again when one of them changes', () => {
    const v = new FlowView();
    const s1 = snap(10, flows, 3, 300);
    const order = { column: 'bytes', reversed: false } as const;
    v.ingest(s1, 10, '', order, 10);
    const rows = v.rows(s1, '', order, 10);
    expect(rows.all().map((r) => r.uid)).toEqual(['B', 'A', 'C']);
    expect(v.rows(s1, '', order, 10)).toBe(rows); // cached
    expect(v.rows(s1, 'udp', order, 10).all().map((r) => r.uid)).toEqual(['C']);
    expect(v.rows(s1, '', { column: 'bytes', reversed: true }, 10).slice(0, 3).map((r) => r.uid)).toEqual(['C', 'A', 'B']);
    const s2 = snap(11, flows.slice(0, 2), 4, 400);
    v.ingest(s2, 11, '', order, 11);
    expect(v.rows(s2, '', order, 11).all().map((r) => r.uid)).toEqual(['B', 'A']);
  });
});

// ── Scrolling, selection, speed, sparkline ─────────────────────────────────────────────────────────────────────────

describe('scrolling and selection', () => {
  it('moves the window only as far as needed to keep the selection visible', () => {
    expect(scrollTop(0, 5, 10, 1000)).toBe(0);
    expect(scrollTop(0, 10, 10, 1000)).toBe(1);
    expect(scrollTop(50, 20, 10, 1000)).toBe(20);
    expect(scrollTop(995, 999, 10, 1000)).toBe(990);
    expect(scrollTop(7, 3, 10, 5)).toBe(0);
  });
  it('follows the selected flow by uid when rows move, else keeps the position', () => {
    const rows = [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }];
    expect(reselect(rows, 'c', 0)).toBe(2);
    expect(reselect(rows, 'gone', 1)).toBe(1);
    expect(reselect(rows, 'gone', 9)).toBe(2);
    expect(reselect([], 'a', 3)).toBe(0);
  });
});

describe('stepSpeed', () => {
  it('walks the ladder from real time to max and back', () => {
    expect(stepSpeed(1, 1)).toBe(2);
    expect(stepSpeed(128, 1)).toBe(0);
    expect(stepSpeed(0, 1)).toBe(0);
    expect(stepSpeed(0, -1)).toBe(128);
    expect(stepSpeed(1, -1)).toBe(0.5);
    expect(stepSpeed(0.25, -1)).toBe(0.25);
    expect(stepSpeed(3, 1)).toBe(4);
    expect(stepSpeed(3, -1)).toBe(2);
  });
});

describe('sparkline', () => {
  it('scales to the largest value and keeps the newest points', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▁▂▄█');
    expect(sparkline([8, 0, 8], 2)).toBe('▁█');
    expect(sparkline([0, 0], 4)).toBe('▁▁');
  });
});
