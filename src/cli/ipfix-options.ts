/** The IPFIX options of `flows` and `capture` (--ipfix, -f ipfix and their settings) and -o FILE. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_PEN } from '../sink/ipfix-elements.js';
import { type FlowSink, IpfixExporter, type IpfixTarget, parseTarget } from '../sink/ipfix.js';
import type { IpfixFileOptions } from '../sink/ipfix.js';
import type { Format } from '../sink/writers.js';
import type { Env } from './env.js';
import { UsageError } from './errors.js';

export interface IpfixCliOptions {
  format?: Format;
  ipfix?: IpfixTarget[];
  ipfixUniflow?: boolean;
  ipfixPen?: number;
  ipfixDomain?: number;
  ipfixMtu?: number;
  output?: string;
}

function target(v: string, prev: IpfixTarget[] | undefined): IpfixTarget[] {
  try {
    return [...(prev ?? []), parseTarget(v)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function u32(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  return n;
}

function mtu(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 576 || n > 65535) throw new InvalidArgumentError('expected a whole number of bytes from 576 to 65535');
  return n;
}

/** Adds -o and the IPFIX options to `cmd`. */
export function addIpfixOptions(cmd: Command): Command {
  return cmd
    .option('-o, --output <file>', 'write the records to this file instead of standard output')
    .option(
      '--ipfix <collector>',
      'also send every flow as IPFIX (RFC 7011) to a collector: HOST:PORT over UDP, tcp://HOST:PORT over TCP ' +
        '(port 4739 when left out); repeat for several collectors',
      target,
    )
    .option('--ipfix-uniflow', 'IPFIX (--ipfix and -f ipfix): two one-way records per flow instead of one RFC 5103 biflow')
    .option('--ipfix-pen <n>', `IPFIX: Private Enterprise Number of sockscope's own elements (default ${DEFAULT_PEN})`, u32)
    .option('--ipfix-domain <n>', 'IPFIX: observation domain ID in every message (default 1)', u32)
    .option('--ipfix-mtu <bytes>', 'IPFIX over UDP: path MTU to the collectors; messages stay 48 bytes below it (default 1500)', mtu);
}

/** The -f ipfix file's settings from the options. */
export function ipfixFileOptions(o: IpfixCliOptions): IpfixFileOptions {
  const f: IpfixFileOptions = {};
  if (o.ipfixUniflow === true) f.uniflow = true;
  if (o.ipfixPen !== undefined) f.pen = o.ipfixPen;
  if (o.ipfixDomain !== undefined) f.domain = o.ipfixDomain;
  return f;
}

/** Opens the --ipfix collectors, if any (a name that does not resolve is a usage error). */
export async function openIpfixSinks(o: IpfixCliOptions, env: Env): Promise<FlowSink[]> {
  if (o.ipfix === undefined || o.ipfix.length === 0) return [];
  try {
    const exporter = await IpfixExporter.open({
      targets: o.ipfix,
      now: env.now,
      ...ipfixFileOptions(o),
      ...(o.ipfixMtu !== undefined ? { mtu: o.ipfixMtu } : {}),
    });
    return [exporter];
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The environment the run writes to: `env`, or with -o its stdout replaced by the file (not a terminal). Binary
 * IPFIX is not written to a terminal. `done` ends the file and waits until it is on disk.
 */
export async function outputEnv(o: IpfixCliOptions, env: Env): Promise<{ env: Env; done: () => Promise<void> }> {
  if (o.output === undefined) {
    if (o.format === 'ipfix' && env.isTTY) {
      throw new UsageError('-f ipfix writes binary IPFIX: redirect standard output to a file, or name one with -o FILE');
    }
    return { env, done: async () => undefined };
  }
  if (o.output === '') throw new UsageError('-o needs a file name, e.g. -o flows.ipfix');
  let fd: number;
  try {
    fd = openSync(o.output, 'w');
  } catch (e) {
    throw new UsageError(`cannot write ${o.output}: ${(e as Error).message}`);
  }
  const file = new FileSink(o.output, fd);
  return {
    env: { ...env, stdout: file, isTTY: false },
    done: async () => {
      if (file.closed) return;
      file.end();
      await once(file, 'close').catch(() => undefined);
    },
  };
}

/**
 * A stream that writes each chunk to the file `path` (open as `fd`) before `write` returns, as Node's standard output
 * does for a file: a run writing records as fast as it reads never waits for a thread pool's write to come back (a
 * stream of fs.createWriteStream made a 1M-flow output wait about 3 s in all), and its backlog is always empty. A failed
 * write (a full disk) is the stream's 'error', as with any stream; `path` names the file in that error's message.
 */
class FileSink extends Writable {
  readonly path: string;
  /** The file's descriptor: a sink with one is done with a chunk once it is written (see ChunkedOut). */
  readonly fd: number;
  constructor(path: string, fd: number) {
    super({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, done): void {
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
          done();
        } catch (e) {
          done(e as Error);
        }
      },
      destroy(err, done): void {
        try {
          closeSync(fd);
        } catch {
          // already closed: nothing to release
        }
        done(err);
      },
    });
    this.path = path;
    this.fd = fd;
  }
}
