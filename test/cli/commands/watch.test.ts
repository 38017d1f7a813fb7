import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { MAX_SPEED, MIN_SPEED, NOT_A_TERMINAL, parseSpeed } from '../../../src/cli/commands/watch.js';
import { SPEEDS, stepSpeed } from '../../../src/tui/model.js';
import type { Env } from '../../../src/cli/env.js';

function fakeEnv(isTTY: boolean): Env & { err: () => string; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return { stdout, stderr, stdin: new PassThrough(), now: Date.now, isTTY, errIsTTY: false, columns: 80, err: () => err, out: () => out };
}

describe('sockscope watch (command line)', () => {
  it('without a terminal on stdout: says so, names the record commands, exits 2, writes nothing on stdout', async () => {
    const env = fakeEnv(false);
    expect(await main(['watch', 'fixtures/demo.pcap'], env)).toBe(2);
    expect(env.err()).toContain(NOT_A_TERMINAL);
    expect(env.err()).toContain('sockscope flows CAPTURE --format ndjson');
    expect(env.out()).toBe('');
  });

  it('without a capture or an interface: a usage error', async () => {
    const env = fakeEnv(true);
    expect(await main(['watch'], env)).toBe(2);
    expect(env.err()).toContain('watch needs a capture file');
  });

  it('parses --speed as a multiple of real time or max', async () => {
    expect([parseSpeed('1'), parseSpeed('0.5'), parseSpeed('16'), parseSpeed('max')]).toEqual([1, 0.5, 16, 0]);
    expect(() => parseSpeed('fast')).toThrow(/multiple of real time/);
    const env = fakeEnv(false);
    expect(await main(['watch', '--speed', 'fast', 'fixtures/demo.pcap'], env)).toBe(2);
  });

  it('--speed takes the range the + and - keys move in, and refuses 0, negatives and absurd values', async () => {
    // The ends of the key ladder (SPEEDS; 0 there is max): 0.25x and 128x.
    const finite = SPEEDS.filter((s) => s > 0);
    expect([MIN_SPEED, MAX_SPEED]).toEqual([Math.min(...finite), Math.max(...finite)]);
    expect([MIN_SPEED, MAX_SPEED]).toEqual([0.25, 128]);
    expect(stepSpeed(MIN_SPEED, -1)).toBe(MIN_SPEED);
    expect(stepSpeed(MAX_SPEED, 1)).toBe(0);
    expect([parseSpeed(String(MIN_SPEED)), parseSpeed(String(MAX_SPEED)), parseSpeed('3')]).toEqual([MIN_SPEED, MAX_SPEED, 3]);
    for (const bad of ['0', '-1', '-0', '1e-9', '0.2', '129', '1e9', 'NaN', 'Infinity', '', ' ']) {
      expect(() => parseSpeed(bad), bad).toThrow(`expected a multiple of real time from ${MIN_SPEED} to ${MAX_SPEED}`);
    }
    for (const bad of ['0', '1e-9', '1000']) {
      const env = fakeEnv(true);
      expect(await main(['watch', '--speed', bad, '--exit-at-end', 'fixtures/demo.pcap'], env), bad).toBe(2);
      expect(env.err()).toContain(`option '--speed <x>' argument '${bad}' is invalid. expected a multiple of real time from 0.25 to 128`);
      expect(env.out()).toBe('');
    }
  });

  it('standard input named twice: a usage error before anything is read', async () => {
    const env = fakeEnv(true);
    const stdin = env.stdin as PassThrough;
    stdin.write(Buffer.alloc(100));
    expect(await main(['watch', '-', 'fixtures/demo.pcap', '-'], env)).toBe(2);
    expect(env.err()).toBe(
      'sockscope: error: standard input (-) can be named only once: it can be read only once; name - once, or save the ' +
        'capture to a file to read it again\n',
    );
    expect(stdin.readableLength).toBe(100);
  });
});
