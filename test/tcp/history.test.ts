import { describe, expect, it } from 'vitest';
import { History, Scaled, SCALED_COUNTERS_INITIAL, scaledEntry, updateHistory } from '../../src/tcp/history.js';
import type { HistoryEnd } from '../../src/tcp/history.js';
import { flags } from './helpers.js';

function end(isOrig: boolean): HistoryEnd {
  return { isOrig, histLastSyn: 0, histLastFin: 0, histLastRst: 0, ...SCALED_COUNTERS_INITIAL };
}

describe('update_history letters', () => {
  it.each([
    ['S', 0, 'S'],
    ['SA', 0, 'H'],
    ['A', 0, 'A'],
    ['PA', 10, 'D'],
    ['FA', 0, 'F'],
    ['FA', 5, 'F'], // FIN with data: F only, no D
    ['R', 0, 'R'],
    ['RA', 0, 'R'],
    ['SF', 0, 'Q'],
    ['SR', 0, 'Q'],
    ['FR', 0, 'I'],
    ['SFR', 0, 'I'], // FIN and RST wins over multi-flag
    ['P', 0, ''], // no ACK, no data: nothing
  ])('originator %s with %d bytes records "%s"', (f, len, want) => {
    const h = new History();
    updateHistory(h, end(true), flags(f), 1, len);
    expect(h.toString()).toBe(want);
  });
  it('responder letters are lower case', () => {
    const h = new History();
    updateHistory(h, end(false), flags('SA'), 0, 0);
    updateHistory(h, end(false), flags('PA'), 1, 3);
    expect(h.toString()).toBe('hd');
  });
});

describe('once per direction: A D I Q', () => {
  it('repeats nothing within a direction but allows each direction once', () => {
    const h = new History();
    const o = end(true);
    const r = end(false);
    for (let i = 0; i < 3; i++) {
      updateHistory(h, o, flags('A'), 1, 0);
      updateHistory(h, o, flags('PA'), 1 + i, 10);
      updateHistory(h, r, flags('A'), 1, 0);
      updateHistory(h, o, flags('FR'), 5, 0);
      updateHistory(h, o, flags('SF'), 0, 0);
    }
    expect(h.toString()).toBe('ADaIQ');
  });
});

describe('S H F R repeat only with a new sequence number', () => {
  it('same SYN seq twice records one S; a new one records another', () => {
    const h = new History();
    const o = end(true);
    updateHistory(h, o, flags('S'), 0, 0);
    updateHistory(h, o, flags('S'), 0, 0);
    updateHistory(h, o, flags('S'), 77, 0);
    expect(h.toString()).toBe('SS');
  });
  it('FIN position is after its payload', () => {
    const h = new History();
    const o = end(true);
    updateHistory(h, o, flags('FA'), 10, 5); // FIN at 15
    updateHistory(h, o, flags('FA'), 15, 0); // same FIN position, no data
    updateHistory(h, o, flags('FA'), 16, 0); // new position
    expect(h.toString()).toBe('FF');
  });
  it('RSTs with different seqs repeat', () => {
    const h = new History();
    const r = end(false);
    updateHistory(h, r, flags('R'), 1, 0);
    updateHistory(h, r, flags('R'), 1, 0);
    updateHistory(h, r, flags('R'), 2, 0);
    updateHistory(h, r, flags('R'), 3, 0);
    expect(h.toString()).toBe('rrr');
  });
});

describe('scaled letters C G T W', () => {
  it.each([
    [1, 'T'],
    [9, 'T'],
    [10, 'TT'],
    [99, 'TT'],
    [100, 'TTT'],
    [1000, 'TTTT'],
  ])('%d retransmissions give %s', (n, want) => {
    const h = new History();
    const o = end(true);
    for (let i = 0; i < n; i++) scaledEntry(h, o, Scaled.RXMIT);
    expect(h.toString()).toBe(want);
  });
  it('counts each end and kind apart', () => {
    const h = new History();
    const o = end(true);
    const r = end(false);
    scaledEntry(h, o, Scaled.WIN0);
    scaledEntry(h, r, Scaled.WIN0);
    scaledEntry(h, r, Scaled.GAP);
    scaledEntry(h, o, Scaled.CHECKSUM);
    expect(h.toString()).toBe('WwgC');
  });
});

describe('History buffer', () => {
  it('grows past its initial capacity and caches the string', () => {
    const h = new History();
    const r = end(false);
    for (let i = 1; i <= 40; i++) updateHistory(h, r, flags('R'), i, 0);
    const s = h.toString();
    expect(s).toBe('r'.repeat(40));
    expect(h.toString()).toBe(s);
    h.reset();
    expect(h.toString()).toBe('');
  });
});

describe('History letter storage', () => {
  it('keeps letters across the packed fields and the overflow array, also when rewritten for a flip', () => {
    // 20 letters: the first 16 live in the packed fields, the rest in the overflow array; the flip rewrite shifts
    // every letter by one across that boundary.
    const letters = 'ShADadTTtGWwCcFfRrIQ';
    const h = new History();
    for (const ch of letters) h.add(ch.charCodeAt(0));
    expect(h.length).toBe(20);
    expect(h.toString()).toBe(letters);
    h.rewriteFlipped();
    expect(h.toString()).toBe('^sHadADttTgwWcCfFrRiq');
    expect(h.length).toBe(21);
  });
});
