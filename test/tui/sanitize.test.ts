import { describe, expect, it } from 'vitest';
import { sanitize } from '../../src/tui/sanitize.js';

describe('sanitize', () => {
  it('keeps printable text, non-ASCII letters included, and returns the same string', () => {
    const s = 'www.exämple.com 日本 [2001:db8::1]:443';
    expect(sanitize(s)).toBe(s);
  });

  it('removes whole CSI sequences, not just the ESC', () => {
    // ESC [ 2 J clears the screen; ESC [ 31 m turns red; ESC [ 1 ; 1 H moves the cursor home.
    expect(sanitize('evil\u001b[2J\u001b[31mred\u001b[1;1Hhome')).toBe('evilredhome');
  });

  it('removes OSC strings (window title) terminated by BEL or ST', () => {
    expect(sanitize('a\u001b]0;pwned\u0007b')).toBe('ab');
    expect(sanitize('a\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\b')).toBe('alinkb');
  });

  it('removes C0, DEL and C1 controls, newlines and tabs included', () => {
    expect(sanitize('a\u0000b\u0007c\td\ne\rf\u007fg\u0085h\u009b0mi')).toBe('abcdefghi'); // U+009B is the 8-bit CSI: its sequence goes too
  });

  it('removes bidirectional overrides and zero-width characters', () => {
    // U+202E RIGHT-TO-LEFT OVERRIDE would show "moc.live" reversed.
    expect(sanitize('exe.\u202emoc.live\u202c')).toBe('exe.moc.live');
    expect(sanitize('pay\u200bpal\ufeff')).toBe('paypal');
  });

  it('removes a lone ESC and the character it would start a sequence with', () => {
    expect(sanitize('x\u001bcy')).toBe('xy'); // ESC c = full terminal reset (RIS)
    expect(sanitize('end\u001b')).toBe('end');
  });
});
