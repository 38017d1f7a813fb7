/**
 * `capture -i` on a terminal shows a live packet and flow count on stderr while it runs (issue: nothing showed until
 * Ctrl-C), over a fake cap fed with fixtures/demo.pcap as cap delivers packets; with records streaming to the same
 * terminal it shows none (the line would break them up).
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { register as registerCapture } from '../../src/cli/commands/capture.js';
import type { Env } from '../../src/cli/env.js';
import { type CapModule, openLive } from '../../src/source/live.js';
import { openCapture } from '../../src/source/open.js';
import { FakeCap } from '../helpers/fake-cap.js';

const DEMO = new URL('../../fixtures/demo.pcap', import.meta.url).pathname;


async function captureOnTerminal(format: string[]): Promise<{ err: string; progressWhileRunning: string }> {
  let err = '';
  const env: Env = {
    stdout: { write: () => true } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    stdin: new PassThrough(),
    now: Date.now,
    isTTY: true,
    errIsTTY: true,
    columns: 120,
  };
  const signals = new EventEmitter();
  let clockMs = 0;
  const program = new Command('sockscope').exitOverride();
  registerCapture(program, env, () => undefined, {
    openLive: (device, filter, opts) =>
      openLive(device, filter, { ...opts, clock: () => clockMs, loadCap: async () => ({ Cap: FakeCap }) as unknown as CapModule }),
    signals: signals as unknown as NodeJS.Process,
  });
  FakeCap.last = undefined;
  const running = program.parseAsync(['capture', '-i', 'veth0', ...format], { from: 'user' });
  for (let i = 0; i < 200 && FakeCap.last === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  const cap = FakeCap.last!;
  const demo = await openCapture(DEMO);
  for (let more = true, guard = 0; more && guard < 10_000; guard++) {
    more = await demo.pump((f) => {
      cap.buffer.set(f.bytes.subarray(f.offset, f.offset + f.caplen));
      clockMs = f.tsSec * 1000 + f.tsNsec / 1e6;
      cap.emit('packet', f.caplen, false);
    });
    await new Promise((r) => setImmediate(r));
  }
  await demo.close();
  await new Promise((r) => setTimeout(r, 600)); // the progress line is drawn every 250 ms
  const progressWhileRunning = err;
  signals.emit('SIGINT', 'SIGINT');
  await running;
  return { err, progressWhileRunning };
}

describe('capture -i on a terminal', () => {
  it('counts packets and flows on stderr while it runs (table output, shown at the end)', async () => {
    const { progressWhileRunning } = await captureOnTerminal([]);
    // demo.pcap: 126 packets (capinfos).
    expect(progressWhileRunning).toMatch(/\r126 pkts {2}\S+ pkt\/s {2}\d+ open flows/);
  });

  it('shows no progress line while records stream to the same terminal', async () => {
    const { progressWhileRunning } = await captureOnTerminal(['--format', 'ndjson']);
    expect(progressWhileRunning).not.toContain('pkts');
  });
});
