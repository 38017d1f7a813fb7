import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, recordJson, recordObject } from '../../src/sink/fields.js';
import { makeWriter, renderTable } from '../../src/sink/writers.js';
import { record } from '../helpers/records.js';

function collect(format: Parameters<typeof makeWriter>[0], recs = [record()]): string {
  let s = '';
  const w = makeWriter(format, { write: (t: string) => (s += t) }, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  w.begin();
  for (const r of recs) w.write(r);
  w.end();
  return s;
}

describe('record fields', () => {
  it('uses Zeek conn.log names and values', () => {
    const o = recordObject(record());
    expect(o).toMatchObject({
      ts: 1300475167.096535, uid: 'CTest0000000000001', 'id.orig_h': '10.0.0.1', 'id.orig_p': 51000,
      'id.resp_h': '10.0.0.2', 'id.resp_p': 80, proto: 'tcp', duration: 0.403465, orig_bytes: 100, resp_bytes: 1200,
      conn_state: 'SF', missed_bytes: 0, history: 'ShADadFf', orig_pkts: 5, orig_ip_bytes: 400, resp_pkts: 4,
      resp_ip_bytes: 1500, orig_state: 'TIME_WAIT', resp_state: 'CLOSED', orig_mss: 1460, rtt_syn: 0.0123,
    });
  });

  it('leaves duration and byte counts unset for flows that lasted 0 s, as Zeek does', () => {
    const o = recordObject(record({ durationSec: 0, proto: 'udp', ipProto: 17 }));
    expect(o).not.toHaveProperty('duration');
    expect(o).not.toHaveProperty('orig_bytes');
    expect(o).not.toHaveProperty('orig_state');
    expect(o.orig_pkts).toBe(5);
  });
});

describe('recordJson', () => {
  it('writes the same text as JSON.stringify of the record object', () => {
    for (const r of [record(), record({ durationSec: 0, history: '', rttSynSec: null, origAddr: 'a"b\\c' })]) {
      expect(recordJson(r)).toBe(JSON.stringify(recordObject(r)));
    }
  });
});

describe('writers', () => {
  it('ndjson: one parseable object per line', () => {
    const lines = collect('ndjson', [record(), record({ uid: 'C2' })]).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { uid: string }).uid)).toEqual(['CTest0000000000001', 'C2']);
  });

  it('json: one array sorted by start time', () => {
    const arr = JSON.parse(collect('json', [record({ uid: 'late', startSec: 2 }), record({ uid: 'early', startSec: 1 })])) as { uid: string }[];
    expect(arr.map((r) => r.uid)).toEqual(['early', 'late']);
    expect(JSON.parse(collect('json', []))).toEqual([]);
  });

  it('csv: header row and one row per flow with empty unset cells', () => {
    const [head, row] = collect('csv', [record({ durationSec: 0 })]).trimEnd().split('\n');
    const names = head!.split(',');
    expect(names.slice(0, 3)).toEqual(['ts', 'uid', 'id.orig_h']);
    const cells = row!.split(',');
    expect(cells[names.indexOf('duration')]).toBe('');
    expect(cells[names.indexOf('conn_state')]).toBe('SF');
    expect(cells.length).toBe(ALL_FIELDS.length);
  });

  it('zeek: conn.log TSV headers that zeek-cut understands', () => {
    const lines = collect('zeek').trimEnd().split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    expect(lines[4]).toBe('#path\tconn');
    expect(lines[5]).toBe('#open\t2026-01-02-03-04-05');
    const fields = lines[6]!.split('\t');
    const types = lines[7]!.split('\t');
    expect(fields.slice(0, 8)).toEqual(['#fields', 'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto']);
    expect(types.slice(0, 8)).toEqual(['#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'enum']);
    const row = lines[8]!.split('\t');
    expect(row[0]).toBe('1300475167.096535');
    expect(row[fields.indexOf('history') - 1]).toBe('ShADadFf');
    expect(row[fields.indexOf('direction_guessed') - 1]).toBe('F');
    expect(lines[9]).toMatch(/^#close\t/);
  });

  it('table: aligned, human units, IPv6 sockets in brackets', () => {
    const t = renderTable([record({ origAddr: '2001:db8::1', respAddr: '2001:db8::2', ipVersion: 6 })]);
    const [head, row] = t.split('\n');
    expect(head).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER\s+SERVICE\s+STATE/);
    expect(row).toContain('[2001:db8::1]:51000');
    expect(row).toContain('[2001:db8::2]:80');
    expect(row).toContain('http');
    expect(row).toContain('TIME_WAIT/CLOSED');
    expect(row).toContain('400 B/1.5 KB');
    expect(row!.indexOf('SF')).toBe(head!.indexOf('STATE'));
  });
});
