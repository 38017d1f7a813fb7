import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { NOT_A_TERMINAL, parseSpeed } from '../../../src/cli/commands/watch.js';
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
});
