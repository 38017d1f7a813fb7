/**
 * The TUI's key handler on its own (src/tui/key-handler.ts): what Ink hands over in one read is split into key
 * presses, each read in the mode the previous one left, and tables move from the selection the previous key left.
 * App's own tests (keys.test.tsx, App.test.tsx) drive the same handler through the rendered screen.
 */
import type { Key } from 'ink';
import type { SetStateAction } from 'react';
import { describe, expect, it } from 'vitest';
import { handleInput, type KeyTarget, type Modes, type TableKeys } from '../../src/tui/key-handler.js';
import type { View } from '../../src/tui/keys.js';

const noKey: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
} as Key;

/** A target that records what keys did: a table of `rows` rows, paged by `page`. */
function target(rows = 100, page = 10) {
  const modes: Modes = { view: 'flows', help: false, editing: false };
  const log: string[] = [];
  let filter = '';
  let message = '';
  const table = (name: string): TableKeys & { at: number } => {
    const t = {
      at: 0,
      page,
      length: rows,
      select: (i: number) => {
        t.at = Math.max(0, Math.min(rows - 1, i));
      },
      selected: () => t.at,
      open: () => log.push(`${name} open ${t.at}`),
      nextSort: () => log.push(`${name} nextSort`),
      reverseSort: () => log.push(`${name} reverseSort`),
      sortColumn: (n: number) => log.push(`${name} sort ${n}`),
    };
    return t;
  };
  const apply = (v: SetStateAction<string>, old: string) => (typeof v === 'function' ? v(old) : v);
  const t: KeyTarget & { flowsTable: ReturnType<typeof table> } = {
    modes,
    setView: (v: View) => {
      modes.view = v;
      log.push(`view ${v}`);
    },
    setHelp: (h) => {
      modes.help = h;
    },
    setEditing: (e) => {
      modes.editing = e;
    },
    setFilter: (v) => {
      filter = apply(v, filter);
    },
    setMessage: (v) => {
      message = apply(v, message);
    },
    replay: undefined,
    redraw: () => log.push('redraw'),
    exit: () => log.push('exit'),
    toggleBits: () => log.push('bits'),
    layout: { current: 'auto' },
    setLayout: (l) => log.push(`layout ${l}`),
    flowsTable: table('flows'),
    get flows() {
      return this.flowsTable;
    },
    services: table('services'),
    detailStep: (d) => log.push(`detail ${d}`),
    exportable: () => [],
    exportPackets: undefined,
  };
  return { t, log, modes, filter: () => filter, message: () => message };
}

describe('the key handler', () => {
  it('takes a run of letters as one key press each, and moves from where the last key left the selection', () => {
    const { t } = target();
    handleInput('jjj', noKey, t);
    expect(t.flowsTable.at).toBe(3);
    handleInput('', { ...noKey, pageDown: true }, t);
    handleInput('', { ...noKey, pageDown: true }, t);
    expect(t.flowsTable.at).toBe(23);
    handleInput('G', noKey, t);
    expect(t.flowsTable.at).toBe(99);
    handleInput(' ', noKey, t); // live: space pages (clamped at the last row)
    expect(t.flowsTable.at).toBe(99);
    handleInput('g', noKey, t);
    expect(t.flowsTable.at).toBe(0);
  });

  it('reads a filter typed with its Enter in one read, then the keys after it', () => {
    const { t, filter, log } = target();
    handleInput('/', noKey, t);
    expect(t.modes.editing).toBe(true);
    handleInput('port:443\rj3', noKey, t);
    expect(filter()).toBe('port:443');
    expect(t.modes.editing).toBe(false);
    expect(t.flowsTable.at).toBe(1);
    expect(log).toContain('flows sort 2');
    handleInput('', { ...noKey, escape: true }, t); // Esc in a table clears the filter
    expect(filter()).toBe('');
  });

  it('edits a filter as readline does, and drops control characters pasted into it', () => {
    const { t, filter } = target();
    handleInput('/', noKey, t);
    handleInput('host:\x1b[31m10.0.0.1x', noKey, t);
    expect(filter()).not.toContain('\x1b');
    handleInput('', { ...noKey, backspace: true }, t);
    expect(filter().endsWith('10.0.0.1')).toBe(true);
    handleInput('u', { ...noKey, ctrl: true }, t);
    expect(filter()).toBe('');
    handleInput('abc', noKey, t);
    handleInput('', { ...noKey, escape: true }, t);
    expect(filter()).toBe('');
    expect(t.modes.editing).toBe(false);
  });

  it('splits Esc pressed just before Tab or a letter into two key presses', () => {
    const { t, log, modes } = target();
    handleInput('\r', { ...noKey, return: true }, t); // Enter: open the selected flow
    expect(log).toContain('flows open 0');
    modes.view = 'detail';
    handleInput('\t', noKey, t); // Esc Tab: back to flows, then Tab to services
    expect(log.slice(-2)).toEqual(['view flows', 'view services']);
    handleInput('j', { ...noKey, meta: true }, t); // Esc j in services: clears the filter, then moves down
    expect(t.services.selected()).toBe(1);
  });

  it('closes the help with any key, which then does nothing else', () => {
    const { t, log } = target();
    handleInput('?', noKey, t);
    expect(t.modes.help).toBe(true);
    handleInput('q', noKey, t);
    expect(t.modes.help).toBe(false);
    expect(log).not.toContain('exit');
    handleInput('q', noKey, t);
    expect(log).toContain('exit');
  });

  it('steps the row layout and says so, and tells why w cannot write packets here', () => {
    const { t, log, message } = target();
    handleInput('L', noKey, t);
    expect(log).toContain('layout two-line');
    expect(message()).toBe('rows: two-line');
    t.exportable = () => [{ uid: 'C1' } as never];
    handleInput('w', noKey, t);
    expect(message()).toMatch(/cannot be read again/);
  });
});
