import { describe, expect, it } from 'vitest';
import { filterBarText } from '../../../src/tui/components/FilterBar.js';
import { keyHints, keysText } from '../../../src/tui/components/StatusBar.js';
import { displayWidth } from '../../../src/tui/model.js';

describe('status line', () => {
  it.each(['flows', 'services', 'detail'] as const)('%s: help and quit survive every width; hints are never cut', (view) => {
    for (const replay of [false, true]) {
      for (let width = 14; width <= 160; width++) {
        const text = keysText(view, replay, width);
        expect(displayWidth(text), `${view} at ${width}`).toBeLessThanOrEqual(width);
        expect(text.startsWith('? help  q quit'), `${view} at ${width}: ${text}`).toBe(true);
        expect(text).not.toContain('…');
        // Whole hints, the most important first.
        const hints = keyHints(view, replay);
        expect(hints.slice(0, text.split('  ').length).join('  ')).toBe(text);
      }
    }
  });

  it('shows every hint when there is room, and the most used ones at 80 columns', () => {
    expect(keysText('flows', true, 200)).toBe(keyHints('flows', true).join('  '));
    const at80 = keysText('flows', true, 80);
    for (const h of ['? help', 'q quit', 'Enter detail', '/ filter', 'Tab services']) expect(at80).toContain(h);
    expect(keysText('flows', true, 10)).toBe('? help');
  });
});

describe('filter bar', () => {
  const base = { view: 'flows', editing: false, shown: 0, total: 21, sortLabel: 'Bytes o/r ↓' } as const;
  const wide = `日本語🙂${'x'.repeat(100)}`;

  it.each([20, 40, 80, 120])('is exactly %d cells with a wide filter, and keeps the counts', (width) => {
    const shown = filterBarText({ ...base, filter: wide, width });
    expect(displayWidth(shown)).toBe(width);
    if (width >= 40) expect(shown.trimEnd().endsWith('0/21')).toBe(true);
    const typing = filterBarText({ ...base, filter: wide, editing: true, width });
    expect(displayWidth(typing)).toBe(width);
    expect(typing.trimEnd().endsWith('x█')).toBe(true); // the end being typed stays in view
  });

  it('shows a short filter whole, with the sort', () => {
    const line = '[Flows] Services   sort: Bytes o/r ↓  filter: résumé 日本  0/21';
    expect(filterBarText({ ...base, filter: 'résumé 日本', width: 80 })).toBe(line + ' '.repeat(80 - displayWidth(line)));
    expect(displayWidth(line)).toBe(line.length + 2);
  });
});
