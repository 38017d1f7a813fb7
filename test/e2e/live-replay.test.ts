/**
 * The `capture` command in-process, over a fake cap (no root needed): the frames of fixtures/demo.pcap are fed to
 * it as cap would deliver them (one shared buffer, synchronous 'packet' events), stamped by an injected clock with
 * their recorded times. Then SIGINT arrives. The records must equal what `flows` reads from the same file, and the
 * `-w` file must hold the same packet records byte for byte.
 */
import {EventEmitter} from 'node:events';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {Command} from 'commander';
import {afterAll, describe, expect, it} from 'vitest';
import {register as registerCapture} from '../../src/cli/commands/capture.js';
import {register as registerFlows} from '../../src/cli/commands/flows.js';
import type {Env} from '../../src/cli/env.js';
import {type CapModule, openLive} from '../../src/source/live.js';
import {openCapture} from '../../src/source/open.js';
import { FakeCap } from '../helpers/fake-cap.js';

const DEMO = new URL('../../fixtures/demo.pcap', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-live-replay-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));


function testEnv(): Env & {out: () => string; err: () => string} {
  let out = '';
  let err = '';
  return {
    stdout: {write: (s: string) => ((out += s), true)} as unknown as NodeJS.WritableStream,
    stderr: {write: (s: string) => ((err += s), true)} as unknown as NodeJS.WritableStream,
    stdin: new PassThrough(),
    now: Date.now,
    isTTY: false,
    errIsTTY: false,
    columns: 80,
    out: () => out,
    err: () => err,
  };
}

const records = (text: string) =>
  text
    .trim()
    .split('\n')
    .map(l => JSON.parse(l) as Record<string, unknown>)
    .map(({uid: _uid, end_reason: _end, ...rest}) => rest); // uid is random; end_reason depends on the wall clock

describe('capture over a fake cap fed with demo.pcap', () => {
  it('writes the same flows as `flows demo.pcap`, and a -w file with the same packet records', async () => {
    const file = join(dir, 'capture.pcap');
    const env = testEnv();
    const signals = new EventEmitter();
    let clockMs = 0;
    let code = -1;
    const program = new Command('sockscope').exitOverride();
    registerCapture(program, env, c => (code = c), {
      openLive: (device, filter, opts) =>
        openLive(device, filter, {...opts, clock: () => clockMs, loadCap: async () => ({Cap: FakeCap}) as unknown as CapModule}),
      signals: signals as unknown as NodeJS.Process,
    });
    FakeCap.last = undefined;
    const running = program.parseAsync(['capture', '-i', 'veth0', '-w', file, '--format', 'ndjson'], {from: 'user'});
    for (let i = 0; i < 200 && FakeCap.last === undefined; i++) await new Promise(r => setTimeout(r, 5));
    const cap = FakeCap.last!;
    expect(cap).toBeDefined();

    // Deliver the demo's frames as cap would, a few per event-loop turn (cap emits from its poll callback).
    const demo = await openCapture(DEMO);
    let fed = 0;
    for (let more = true, guard = 0; more && guard < 10_000; guard++) {
      more = await demo.pump(f => {
        cap.buffer.set(f.bytes.subarray(f.offset, f.offset + f.caplen));
        clockMs = f.tsSec * 1000 + f.tsNsec / 1e6;
        cap.emit('packet', f.caplen, false);
        fed++;
      });
      await new Promise(r => setImmediate(r));
    }
    await demo.close();
    signals.emit('SIGINT', 'SIGINT');
    await running;

    expect(code).toBe(0);
    expect(env.err()).toContain('sockscope: SIGINT: stopping, writing the open flows');
    expect(env.err()).toContain(`sockscope: ${fed} packets written to ${file}`);
    expect(fed).toBe(126);

    // The same flows as reading the file (sorted alike: by start time, then uid-free content).
    const flowsEnv = testEnv();
    const flowsProgram = new Command('sockscope').exitOverride();
    registerFlows(flowsProgram, flowsEnv, () => {});
    await flowsProgram.parseAsync(['flows', DEMO, '--format', 'ndjson', '--quiet'], {from: 'user'});
    const order = (rs: Record<string, unknown>[]) => rs.map(r => JSON.stringify(r)).sort();
    // Live records also say what this host knows of each end (local_orig, pids, kernel states: src/local); here no
    // end is this host's, so those are local_orig/local_resp false and nothing else. A file has no host behind it.
    const HOST = new Set(['local_orig', 'local_resp']);
    const live = records(env.out()).map(r => {
      for (const k of HOST) expect(r[k]).toBe(false);
      return Object.fromEntries(Object.entries(r).filter(([k]) => !HOST.has(k)));
    });
    expect(live.length).toBeGreaterThan(10);
    expect(order(live)).toEqual(order(records(flowsEnv.out())));

    // -w: the packet records are the demo's, byte for byte (the header's snap length is cap's 65535).
    const written = readFileSync(file);
    const original = readFileSync(DEMO);
    expect(written.readUInt32LE(16)).toBe(65535);
    expect(written.subarray(24).equals(original.subarray(24))).toBe(true);
  });
});
