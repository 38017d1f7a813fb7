/**
 * `capture -w FILE` in process, with a fake live source in place of cap (no root, no device): the -w file is opened
 * before the first packet is taken, so a path that cannot be written is a usage error at once, not after the capture.
 * The same checks against a real device (root, loopback) are in test/e2e/live-cli.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { type CaptureDeps, describeWriteError, register } from '../../../src/cli/commands/capture.js';
import type { Env } from '../../../src/cli/env.js';
import { Exit, UsageError } from '../../../src/cli/errors.js';
import type { LiveSource } from '../../../src/source/live.js';
import { Frame, type FrameHandler, type SourceStats } from '../../../src/source/types.js';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One Ethernet frame: IPv4 UDP 10.0.0.1:1000 -> 10.0.0.2:53, no payload.
const FRAME = Buffer.from('0200000000020200000000010800' + '4500001c00000000401100000a0000010a00000203e8003500080000', 'hex');

/** A stand-in for cap's live source: delivers `packets` copies of FRAME on its first pump, then ends. */
class FakeLive {
  readonly name = 'fake0';
  readonly live = true;
  readonly linkType = 1;
  readonly snaplen = 65535;
  pumps = 0;
  closed = false;
  private readonly frame = new Frame();
  private delivered = 0;
  private readonly packets: number;

  constructor(packets: number) {
    this.packets = packets;
  }

  pump(onFrame: FrameHandler): Promise<boolean> {
    this.pumps++;
    const f = this.frame;
    while (!this.closed && this.delivered < this.packets) {
      f.bytes = FRAME;
      f.caplen = f.wireLen = FRAME.length;
      f.tsSec = 1_700_000_000 + this.delivered;
      f.number = ++this.delivered;
      onFrame(f);
    }
    return Promise.resolve(false);
  }

  stats(): SourceStats {
    return { packets: this.delivered, bytesRead: this.delivered * FRAME.length, truncatedBySnaplen: 0, badTimestamps: 0 };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Runs `sockscope capture ARGS` as main() does (usage errors: one line on stderr, exit 2) with `live` as the device. */
async function capture(args: string[], live: FakeLive): Promise<{ code: number; out: string; err: string; opened: number }> {
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (d) => (out += String(d)));
  const stderr = new PassThrough().on('data', (d) => (err += String(d)));
  const env: Env = { stdout, stderr, stdin: new PassThrough(), now: Date.now, isTTY: false, errIsTTY: false, columns: 80 };
  let opened = 0;
  const deps: CaptureDeps = {
    openLive: () => {
      opened++;
      return Promise.resolve(live as unknown as LiveSource);
    },
    signals: { on: () => process, off: () => process },
  };
  let code: number = Exit.OK;
  const program = new Command('sockscope').exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  register(program, env, (c) => (code = c), deps);
  try {
    await program.parseAsync(['capture', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`sockscope: error: ${e.message}\n`); // as main() writes a usage error
      code = Exit.USAGE;
    } else if (e instanceof CommanderError) {
      code = Exit.USAGE;
    } else {
      throw e;
    }
  }
  await new Promise((r) => setImmediate(r)); // let the PassThroughs hand over what was written
  return { code, out, err, opened };
}

describe('capture -w: the file is opened before the capture starts', () => {
  it('a directory that does not exist: exit 2 at once naming the path and ENOENT; no packet taken, the device closed', async () => {
    const live = new FakeLive(3);
    const path = join(dir, 'missing', 'x.pcap');
    const r = await capture(['-i', 'fake0', '-f', 'ndjson', '-w', path], live);
    expect(r.code, r.err).toBe(Exit.USAGE);
    expect(r.err).toBe(`sockscope: error: cannot write the pcap file ${path}: directory ${join(dir, 'missing')} does not exist (ENOENT); create it or choose another path; nothing was captured\n`);
    expect(r.out).toBe('');
    expect(live.pumps).toBe(0);
    expect(live.closed).toBe(true);
  });

  it('a directory as the file: exit 2 naming the path and EISDIR, with a file name to use instead', async () => {
    const live = new FakeLive(3);
    const r = await capture(['-i', 'fake0', '-f', 'ndjson', '-w', dir], live);
    expect(r.code, r.err).toBe(Exit.USAGE);
    expect(r.err).toContain(`cannot write the pcap file ${dir}: it is a directory (EISDIR); name a file in it, e.g. -w ${dir}/capture.pcap`);
    expect(r.err).not.toContain('listening on');
    expect(r.out).toBe('');
    expect(live.pumps).toBe(0);
  });

  it('an empty file name is a usage error before any device is opened', async () => {
    const live = new FakeLive(3);
    const r = await capture(['-i', 'fake0', '-w', ''], live);
    expect(r.code).toBe(Exit.USAGE);
    expect(r.err).toContain('-w needs a file name');
    expect(r.opened).toBe(0);
  });

  it('EACCES and other reasons are named too', () => {
    const e = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(describeWriteError('/root/x.pcap', e('EACCES'))).toBe(
      'cannot write the pcap file /root/x.pcap: permission denied (EACCES); choose a path you may write to; nothing was captured',
    );
    expect(describeWriteError('/ro/x.pcap', e('EROFS'))).toContain('read-only file system (EROFS)');
    expect(describeWriteError('/x/y.pcap', e('EMFILE', 'EMFILE: too many open files'))).toBe(
      'cannot write the pcap file /x/y.pcap: EMFILE: too many open files; nothing was captured',
    );
  });

  it('a file that can be written: the capture runs and the file is a complete pcap of every packet', async () => {
    const live = new FakeLive(2);
    const path = join(dir, 'ok.pcap');
    const r = await capture(['-i', 'fake0', '-f', 'ndjson', '-w', path], live);
    expect(r.code, r.err).toBe(Exit.OK);
    expect(r.err).toContain('sockscope: listening on fake0');
    expect(r.err).toContain(`sockscope: 2 packets written to ${path}`);
    expect(r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { 'id.orig_h': '10.0.0.1', 'id.resp_p': 53, orig_pkts: 2 },
    ]);
    const pcap = readFileSync(path);
    expect(pcap.length).toBe(24 + 2 * (16 + FRAME.length));
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(pcap.subarray(24 + 16, 24 + 16 + FRAME.length)).toEqual(FRAME);
  });
});
