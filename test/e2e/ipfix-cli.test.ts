/**
 * The IPFIX options of `flows` and `capture`, run in process as main() runs them: records reach a collector on
 * loopback from a live capture (a stand-in for cap), -f ipfix goes to -o FILE and never to a terminal, and a
 * collector that cannot be named is a usage error before anything is read.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { type CaptureDeps, register as registerCapture } from '../../src/cli/commands/capture.js';
import { register as registerFlows } from '../../src/cli/commands/flows.js';
import type { Env } from '../../src/cli/env.js';
import { Exit, UsageError } from '../../src/cli/errors.js';
import type { LiveSource } from '../../src/source/live.js';
import { Frame, type FrameHandler, type SourceStats } from '../../src/source/types.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';
import { addressText, decodeMessages } from '../sink/ipfix-decode.js';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-ipfix-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Ethernet, IPv4 UDP 10.0.0.1:1000 -> 10.0.0.2:53, no payload (28 IP bytes).
const FRAME = Buffer.from('0200000000020200000000010800' + '4500001c00000000401100000a0000010a00000203e8003500080000', 'hex');

/** Delivers `packets` copies of FRAME on its first pump, then ends. */
class FakeLive {
  readonly name = 'fake0';
  readonly live = true;
  readonly linkType = 1;
  readonly snaplen = 65535;
  private readonly frame = new Frame();
  private delivered = 0;
  private readonly packets: number;
  constructor(packets: number) {
    this.packets = packets;
  }
  pump(onFrame: FrameHandler): Promise<boolean> {
    while (this.delivered < this.packets) {
      const f = this.frame;
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
    return Promise.resolve();
  }
}

/** Runs `sockscope ARGS` in process; usage errors as main() reports them (one line, exit 2). */
async function run(args: string[], isTTY = false): Promise<{ code: number; out: string; bytes: Buffer; err: string }> {
  const chunks: Buffer[] = [];
  let err = '';
  const stdout = new PassThrough().on('data', (d: Buffer) => chunks.push(d));
  const stderr = new PassThrough().on('data', (d) => (err += String(d)));
  const env: Env = { stdout, stderr, stdin: new PassThrough(), now: Date.now, isTTY, errIsTTY: false, columns: 80 };
  const deps: CaptureDeps = {
    openLive: () => Promise.resolve(new FakeLive(3) as unknown as LiveSource),
    signals: { on: () => process, off: () => process },
  };
  let code: number = Exit.OK;
  const program = new Command('sockscope').exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  registerFlows(program, env, (c) => (code = c));
  registerCapture(program, env, (c) => (code = c), deps);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`sockscope: error: ${e.message}\n`); // as main() writes a usage error
      code = Exit.USAGE;
    } else if (e instanceof CommanderError) code = Exit.USAGE;
    else throw e;
  }
  await new Promise((r) => setImmediate(r));
  const bytes = Buffer.concat(chunks);
  return { code, out: bytes.toString(), bytes, err };
}

describe('capture --ipfix', () => {
  it('sends the live flows to the collector and -f ipfix -o FILE holds the same flow', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const port = sock.address().port;
    try {
      const file = join(dir, 'live.ipfix');
      const r = await run(['capture', '-i', 'fake0', '-f', 'ipfix', '-o', file, '--ipfix', `127.0.0.1:${port}`, '--ipfix-domain', '42']);
      expect(r.code, r.err).toBe(Exit.OK);
      expect(r.out).toBe('');
      expect(r.err).toContain(`sockscope: IPFIX to udp://127.0.0.1:${port}: 1 records sent in 2 messages`);
      const end = Date.now() + 5000;
      while (got.length < 2 && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
      // The templates, then the data: in two datagrams, as in the file.
      for (const bytes of [Buffer.concat(got), readFileSync(file)]) {
        const msgs = decodeMessages(bytes);
        expect(msgs.every((m) => m.domain === 42)).toBe(true);
        const [rec] = msgs.flatMap((m) => m.records);
        expect(addressText(rec!.values.get('0/8') as Uint8Array)).toBe('10.0.0.1');
        expect([rec!.values.get('0/7'), rec!.values.get('0/11'), rec!.values.get('0/2'), rec!.values.get('0/1')]).toEqual([1000, 53, 3, 84]);
      }
    } finally {
      sock.close();
    }
  });
});

describe.skipIf(!HAVE_CORPUS)('flows: IPFIX options', () => {
  const capture = join(CORPUS, 'zeek/wikipedia.pcap');

  it('-f ipfix is not written to a terminal', async () => {
    const r = await run(['flows', capture, '-f', 'ipfix'], true);
    expect(r.code).toBe(Exit.USAGE);
    expect(r.err).toBe('sockscope: error: -f ipfix writes binary IPFIX: redirect standard output to a file, or name one with -o FILE\n');
    expect(r.out).toBe('');
  });

  it('-f ipfix to standard output when it is not a terminal: the messages, templates first', async () => {
    const r = await run(['flows', capture, '-f', 'ipfix', '--ipfix-uniflow', '--ipfix-pen', '9999']);
    expect(r.code, r.err).toBe(Exit.OK);
    const msgs = decodeMessages(r.bytes);
    expect(msgs[0]!.templateIds).toEqual([258, 259]);
    expect(msgs.flatMap((m) => m.records)[0]!.values.get('9999/1')).toMatch(/^C/);
  });

  it.each([
    ['nonsense:99999', 'port must be 1 to 65535'],
    ['sctp://10.0.0.1:4739', 'expected HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT'],
  ])('--ipfix %s is a usage error', async (arg, message) => {
    const r = await run(['flows', capture, '--ipfix', arg]);
    expect(r.code).toBe(Exit.USAGE);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('a collector name that does not resolve stops the run before anything is read', async () => {
    const r = await run(['flows', capture, '--ipfix', 'no-such-collector.invalid:4739']);
    expect(r.code).toBe(Exit.USAGE);
    expect(r.err).toMatch(/^sockscope: error: IPFIX collector udp:\/\/no-such-collector\.invalid:4739: .*ENOTFOUND/);
    expect(r.out).toBe('');
  });
});
