/**
 * The writers that collect until the end (table, json): any number of flows, records lent only for the call, and
 * output paced in pieces.
 */
import { describe, expect, it } from 'vitest';
import { recordJson } from '../../src/sink/fields.js';
import { makeWriter, renderTable } from '../../src/sink/writers.js';
import { record } from '../helpers/records.js';

/** Runs `format` over `n` records made by `make(i)` from one reused object (as a view over flow state would be). */
function writeMany(format: 'table' | 'json', n: number, make: (r: ReturnType<typeof record>, i: number) => void): string[] {
  const pieces: string[] = [];
  const w = makeWriter(format, { write: (t: string) => pieces.push(t) }, { width: Infinity });
  const r = record();
  w.begin();
  for (let i = 0; i < n; i++) {
    make(r, i);
    w.write(r);
  }
  w.end();
  return pieces;
}

describe('table', () => {
  it('writes 200,000 flows (the spread into Math.max overflowed the stack at about 150,000)', () => {
    const n = 200_000;
    const pieces = writeMany('table', n, (r, i) => {
      r.startSec = 1_700_000_000 + (n - i) / 1000; // written newest first: the table sorts them
      r.uid = `C${String(i).padStart(17, '0')}`;
      r.origPort = 1024 + (i % 60000);
    });
    const lines = pieces.join('').split('\n');
    expect(lines.length).toBe(n + 2); // head, rows, and the empty string after the last \n
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR/);
    expect(lines[1]).toContain(`:${1024 + ((n - 1) % 60000)}`); // the earliest start comes first
    expect(new Set(lines.slice(1, -1).map((l) => l.indexOf('SF'))).size).toBe(1); // one column for every row
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(1 << 17); // passed on in pieces
  });

  it('keeps the row, not the record: a record changed after write() does not change the table', () => {
    const pieces = writeMany('table', 1, () => undefined);
    let s = '';
    const w = makeWriter('table', { write: (t: string) => (s += t) });
    const r = record({ respPort: 22 });
    w.write(r);
    r.respPort = 9999; // the flow state behind a view moves on
    w.end();
    expect(s).toContain('10.0.0.2:22 ');
    expect(pieces.join('')).toBe(renderTable([record()], Infinity));
  });
});

describe('json', () => {
  it('keeps the record text, sorted by start time then uid, the same as one JSON array of the records', () => {
    const recs = [3, 1, 2, 1].map((t, i) => record({ startSec: t, uid: `C${i}` }));
    let s = '';
    const w = makeWriter('json', { write: (t: string) => (s += t) });
    for (const r of recs) w.write(r);
    recs[0]!.respPort = 9999; // changed after the write: not seen
    w.end();
    const want = [recs[1]!, recs[3]!, recs[2]!, { ...recs[0]!, respPort: 80 }].map((r) => recordJson(r));
    expect(s).toBe(`[\n${want.join(',\n')}\n]\n`);
    expect(JSON.parse(s)).toHaveLength(4);
  });

  it('an empty run is an empty array', () => {
    let s = '';
    const w = makeWriter('json', { write: (t: string) => (s += t) });
    w.end();
    expect(s).toBe('[]\n');
  });
});
