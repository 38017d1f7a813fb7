/**
 * IPFIX transports (RFC 7011 §10): UDP datagrams and a TCP stream to one collector each. A session numbers its data
 * records, stamps export times and sends templates, in a message of their own, when its transport needs them: UDP
 * first and then every `templateRefreshMs` (§8.4), TCP at the start of each connection (§8.1, so again after a
 * reconnect). A collector
 * that is down or slow never holds up the capture: messages wait in a bounded queue, and what does not fit is
 * dropped and counted.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, connect, type Socket as TcpSocket } from 'node:net';
import { HEADER_BYTES, writeHeader } from './ipfix-encoder.js';

/** A collector named on the command line: `HOST:PORT`, `udp://HOST:PORT` or `tcp://HOST:PORT` (IPv6 as `[ADDR]:PORT`). */
export interface IpfixTarget {
  readonly transport: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
  /** As the user wrote it, with the transport made explicit: `udp://127.0.0.1:4739`. */
  readonly text: string;
}

/** IANA's port for IPFIX (RFC 7011 §10.3.3), used when none is given. */
export const IPFIX_PORT = 4739;

/** Parses a `--ipfix` argument; throws a RangeError saying what is wrong. */
export function parseTarget(arg: string): IpfixTarget {
  const m = /^(?:(udp|tcp):\/\/)?(\[[^\]]+\]|[^:[\]/]+)(?::(\d+))?\/?$/i.exec(arg.trim());
  if (m === null) throw new RangeError(`${arg}: expected HOST:PORT, udp://HOST:PORT or tcp://HOST:PORT (IPv6 as [ADDR]:PORT)`);
  const transport = (m[1]?.toLowerCase() ?? 'udp') as 'udp' | 'tcp';
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!; // group 2 always matches
  if (m[2]!.startsWith('[') && isIP(host) !== 6) throw new RangeError(`${arg}: ${host} is not an IPv6 address`);
  const port = m[3] === undefined ? IPFIX_PORT : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${arg}: port must be 1 to 65535`);
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return { transport, host, port, text: `${transport}://${shown}:${port}` };
}

/** What every session is told. */
export interface SessionOptions {
  /** Observation domain ID written in every message header (RFC 7011 §3.1). */
  domain: number;
  /** The template set to send before data. */
  templates: Uint8Array;
  /** Wall clock in milliseconds, for export times. */
  now: () => number;
  /** Most bytes of messages waiting for a slow or absent collector. @default 4 MiB */
  maxQueuedBytes?: number;
  /** UDP: how often templates are sent again. @default 60 000 */
  templateRefreshMs?: number;
  /** TCP: first wait before reconnecting; doubles up to 30 s. @default 1000 */
  reconnectMs?: number;
}

/** Counters of one session, for the summary. */
export interface SessionStats {
  messages: number;
  recordsSent: number;
  recordsLost: number;
  /** TCP: connections made again after one was lost. */
  reconnects: number;
  /** The last socket error, as text. */
  lastError: string | undefined;
}

const DEFAULT_QUEUE_BYTES = 4 << 20;
const MAX_RECONNECT_MS = 30_000;

/** One exporting session to one collector. */
export abstract class IpfixSession {
  readonly target: IpfixTarget;
  readonly stats: SessionStats = { messages: 0, recordsSent: 0, recordsLost: 0, reconnects: 0, lastError: undefined };
  protected readonly opts: SessionOptions;
  protected readonly maxQueuedBytes: number;
  /** Data records numbered so far (RFC 7011 §3.1: the next message's sequence number), modulo 2^32. */
  protected sequence = 0;

  constructor(target: IpfixTarget, opts: SessionOptions) {
    this.target = target;
    this.opts = opts;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? DEFAULT_QUEUE_BYTES;
  }

  /** Sends one message of `records` data records in `sets` (borrowed: copied before this returns). */
  abstract send(sets: Uint8Array, records: number): void;
  /** Sends what is queued, waiting at most `timeoutMs`; what is still unsent then is counted lost. */
  abstract close(timeoutMs: number): Promise<void>;

  /**
   * A message in a buffer of its own (sockets keep it until sent): the header, then `sets` (data sets holding
   * `records` data records, or the template set). The sequence number counts every data record numbered, sent or
   * not, so a collector sees the gap of a message that was dropped here.
   */
  protected message(sets: Uint8Array, records: number): Buffer {
    const len = HEADER_BYTES + sets.length;
    const msg = Buffer.allocUnsafe(len);
    writeHeader(msg, len, Math.floor(this.opts.now() / 1000), this.sequence, this.opts.domain);
    msg.set(sets, HEADER_BYTES);
    this.sequence = (this.sequence + records) % 4294967296;
    return msg;
  }

  protected failed(e: unknown): void {
    this.stats.lastError = e instanceof Error ? e.message : String(e);
  }
}

/** Datagrams to one collector, each within the path MTU (the encoder sizes the messages). */
export class UdpSession extends IpfixSession {
  private socket: UdpSocket | undefined;
  private address = '';
  private inFlightBytes = 0;
  private lastTemplatesMs = -Infinity;
  private settled: (() => void) | undefined;

  /** Resolves the collector's name once and opens the socket. */
  async open(): Promise<void> {
    const { address, family } = await lookup(this.target.host);
    this.address = address;
    this.socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket.on('error', (e) => this.failed(e));
    this.socket.unref();
  }

  send(sets: Uint8Array, records: number): void {
    const now = this.opts.now();
    if (now - this.lastTemplatesMs >= (this.opts.templateRefreshMs ?? 60_000)) {
      // In a message of their own, so that data messages keep no room for them.
      this.lastTemplatesMs = now;
      this.datagram(this.message(this.opts.templates, 0), 0, true);
    }
    this.datagram(this.message(sets, records), records, false);
  }

  private datagram(msg: Buffer, records: number, templates: boolean): void {
    // The datagrams libuv holds because the kernel would not take them (getSendQueueSize) are the backlog: the
    // callbacks of datagrams the kernel did take run only when the event loop turns, which a long synchronous
    // batch of records (the end of a file) postpones, so counting those would drop records nothing held back.
    if (this.socket === undefined || this.socket.getSendQueueSize() + msg.length > this.maxQueuedBytes) {
      this.stats.recordsLost += records;
      if (templates) this.lastTemplatesMs = -Infinity; // with the next message, then
      return;
    }
    this.inFlightBytes += msg.length;
    this.stats.messages++;
    this.socket.send(msg, this.target.port, this.address, (err) => {
      this.inFlightBytes -= msg.length;
      if (err !== null) {
        this.failed(err);
        this.stats.recordsLost += records;
        // The templates may not have arrived: send them with the next message.
        if (templates) this.lastTemplatesMs = -Infinity;
      } else this.stats.recordsSent += records;
      if (this.inFlightBytes === 0) this.settled?.();
    });
  }

  async close(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return;
    if (this.inFlightBytes > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.settled = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.socket = undefined;
    socket.close();
  }
}

/** A TCP stream to one collector: reconnects after a failure, with the templates first on each connection. */
export class TcpSession extends IpfixSession {
  private socket: TcpSocket | undefined;
  private connected = false;
  private connectedOnce = false;
  private closing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  /** Messages waiting for a connection, and their records. */
  private queue: { sets: Buffer; records: number }[] = [];
  private queuedBytes = 0;
  /** Records written to the socket whose write callback has not run yet. */
  private unconfirmed = 0;
  private finished = false;
  private stateChanged: (() => void) | undefined;

  constructor(target: IpfixTarget, opts: SessionOptions) {
    super(target, opts);
    this.retryMs = opts.reconnectMs ?? 1000;
  }

  /** Starts connecting; data queues until the connection is up. */
  open(): void {
    this.connect();
  }

  private connect(): void {
    this.retryTimer = undefined;
    const s = connect({ host: this.target.host, port: this.target.port });
    this.socket = s;
    s.setNoDelay(true);
    s.unref();
    s.on('connect', () => {
      if (this.connectedOnce) this.stats.reconnects++;
      this.connectedOnce = true;
      this.connected = true;
      this.retryMs = this.opts.reconnectMs ?? 1000;
      // RFC 7011 §8.1: templates are sent at the start of every TCP session, before any data that uses them.
      s.write(this.message(this.opts.templates, 0));
      const queued = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      for (const q of queued) this.write(this.message(q.sets, q.records), q.records);
      this.stateChanged?.();
    });
    s.on('error', (e) => this.failed(e));
    s.on('close', () => {
      this.connected = false;
      this.socket = undefined;
      if (!this.closing) {
        this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
        this.retryTimer.unref();
        this.retryMs = Math.min(this.retryMs * 2, MAX_RECONNECT_MS);
      }
      this.stateChanged?.();
    });
  }

  send(sets: Uint8Array, records: number): void {
    if (this.connected) {
      // A collector that reads too slowly: what its socket already holds is the queue.
      if (this.socket!.writableLength + sets.length > this.maxQueuedBytes) this.drop(records);
      else this.write(this.message(sets, records), records);
    } else if (this.queuedBytes + sets.length > this.maxQueuedBytes) {
      this.drop(records);
    } else {
      // The header is written when the message goes out: after the templates of the connection, in sequence.
      this.queue.push({ sets: Buffer.from(sets), records });
      this.queuedBytes += sets.length;
    }
  }

  /** Counts records that are not sent; their sequence numbers are used up, so the collector sees the gap. */
  private drop(records: number): void {
    this.stats.recordsLost += records;
    this.sequence = (this.sequence + records) % 4294967296;
  }

  private write(msg: Buffer, records: number): void {
    this.stats.messages++;
    this.unconfirmed += records;
    // The callback runs when the bytes reach the kernel, or with the error that destroyed the socket.
    this.socket!.write(msg, (err) => {
      if (this.finished) return; // counted by close()
      this.unconfirmed -= records;
      if (err === undefined || err === null) this.stats.recordsSent += records;
      else this.stats.recordsLost += records;
    });
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    const waitForChange = (): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.stateChanged = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    if (this.queue.length > 0 && !this.connected) {
      // One more try for what is queued, now rather than after the back-off.
      if (this.retryTimer !== undefined) {
        clearTimeout(this.retryTimer);
        this.connect();
      }
      while (this.socket !== undefined && !this.connected && Date.now() < deadline) await waitForChange();
    }
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const q of this.queue) this.stats.recordsLost += q.records;
    this.queue = [];
    const s = this.socket;
    if (s !== undefined) {
      s.end();
      while (this.socket !== undefined && Date.now() < deadline) await waitForChange();
      // Still open at the deadline: the write callbacks count what was not flushed as lost.
      if (this.socket !== undefined) s.destroy(new Error(`collector did not take the data within ${timeoutMs} ms`));
    }
    // Written but never confirmed by a write callback (the socket was destroyed): not sent.
    this.finished = true;
    this.stats.recordsLost += this.unconfirmed;
    this.unconfirmed = 0;
    this.stateChanged = undefined;
  }
}
