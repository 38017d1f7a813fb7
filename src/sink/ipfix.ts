/**
 * IPFIX output: {@link IpfixExporter} sends flow records to collectors (`--ipfix`), and {@link IpfixFileWriter}
 * writes an IPFIX file (RFC 5655: the messages one after another, templates first) for `-f ipfix`.
 */
import type { FlowRecord } from '../flow/record.js';
import { HEADER_BYTES, IpfixEncoder, MAX_MESSAGE_BYTES, writeHeader } from './ipfix-encoder.js';
import { type IpfixSession, type IpfixTarget, type SessionOptions, TcpSession, UdpSession } from './ipfix-transport.js';
import type { ChunkedOut, RecordWriter, TextOut } from './writers.js';

export { parseTarget } from './ipfix-transport.js';
export type { IpfixTarget } from './ipfix-transport.js';

/** A consumer of flow records beside the output format (run-flows passes every record to each). */
export interface FlowSink {
  /** Takes one record; must not keep it (it may be valid only during the call). */
  write(r: FlowRecord): void;
  /** Sends what is pending and closes; resolves to lines for the end-of-run summary. */
  close(): Promise<string[]>;
}

export interface IpfixExportOptions {
  targets: readonly IpfixTarget[];
  /** Two one-way records per flow instead of one RFC 5103 biflow. @default false */
  uniflow?: boolean;
  /** Private Enterprise Number of sockscope's own elements. @default 32473 */
  pen?: number;
  /** Observation domain ID in every message. @default 1 */
  domain?: number;
  /** Path MTU toward UDP collectors: a message is at most this less 48 bytes (IPv6 and UDP headers). @default 1500 */
  mtu?: number;
  /** Wall clock in milliseconds (export times). @default Date.now */
  now?: () => number;
  /** A record waits at most this long for its message to fill. @default 1000 */
  flushMs?: number;
  /** UDP: how often the templates are sent again. @default 60 000 */
  templateRefreshMs?: number;
  /** Bytes of messages each collector may have waiting before records are dropped. @default 4 MiB */
  maxQueuedBytes?: number;
  /** TCP: first wait before reconnecting. @default 1000 */
  reconnectMs?: number;
  /** How long close() waits for collectors to take what is pending. @default 5000 */
  closeTimeoutMs?: number;
}

/** IPv6 (40) and UDP (8) headers: a message this much below the MTU fits one unfragmented datagram either way. */
const UDP_OVERHEAD = 48;

/** Sends flow records as IPFIX to one or more collectors (each gets every record). */
export class IpfixExporter implements FlowSink {
  readonly sessions: readonly IpfixSession[];
  private readonly encoder: IpfixEncoder;
  private readonly flushMs: number;
  private readonly closeTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;

  private constructor(sessions: IpfixSession[], encoder: IpfixEncoder, opts: IpfixExportOptions) {
    this.sessions = sessions;
    this.encoder = encoder;
    this.flushMs = opts.flushMs ?? 1000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
  }

  /** Resolves the collectors' names, opens UDP sockets and starts TCP connections (data queues until they are up). */
  static async open(opts: IpfixExportOptions): Promise<IpfixExporter> {
    if (opts.targets.length === 0) throw new RangeError('IPFIX export needs at least one collector');
    const udp = opts.targets.some((t) => t.transport === 'udp');
    const maxMessageBytes = udp ? (opts.mtu ?? 1500) - UDP_OVERHEAD : MAX_MESSAGE_BYTES;
    const sessions: IpfixSession[] = [];
    const encoder = new IpfixEncoder({
      uniflow: opts.uniflow === true,
      ...(opts.pen !== undefined ? { pen: opts.pen } : {}),
      maxMessageBytes,
      onSets: (sets, records) => {
        for (const s of sessions) s.send(sets, records);
      },
    });
    const sessionOpts: SessionOptions = { domain: opts.domain ?? 1, templates: encoder.templates, now: opts.now ?? Date.now };
    if (opts.maxQueuedBytes !== undefined) sessionOpts.maxQueuedBytes = opts.maxQueuedBytes;
    if (opts.templateRefreshMs !== undefined) sessionOpts.templateRefreshMs = opts.templateRefreshMs;
    if (opts.reconnectMs !== undefined) sessionOpts.reconnectMs = opts.reconnectMs;
    for (const t of opts.targets) {
      if (t.transport === 'udp') {
        const s = new UdpSession(t, sessionOpts);
        await s.open().catch((e: unknown) => {
          throw new RangeError(`IPFIX collector ${t.text}: ${e instanceof Error ? e.message : String(e)}`);
        });
        sessions.push(s);
      } else {
        const s = new TcpSession(t, sessionOpts);
        s.open();
        sessions.push(s);
      }
    }
    return new IpfixExporter(sessions, encoder, opts);
  }

  write(r: FlowRecord): void {
    this.encoder.write(r);
    if (this.encoder.pending > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.encoder.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  async close(): Promise<string[]> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.encoder.flush();
    await Promise.all(this.sessions.map((s) => s.close(this.closeTimeoutMs)));
    const lines: string[] = [];
    for (const s of this.sessions) {
      const st = s.stats;
      let line = `sockscope: IPFIX to ${s.target.text}: ${st.recordsSent} records sent in ${st.messages} messages`;
      if (st.reconnects > 0) line += `, reconnected ${st.reconnects} times`;
      lines.push(line);
      if (st.recordsLost > 0) {
        lines.push(
          `sockscope: warning: IPFIX to ${s.target.text}: ${st.recordsLost} records not sent (collector unreachable or too slow` +
            `${st.lastError === undefined ? '' : `; last error: ${st.lastError}`})`,
        );
      }
    }
    if (this.encoder.namesOmitted > 0) {
      lines.push(`sockscope: warning: ${this.encoder.namesOmitted} IPFIX records went without their names (too long together for one message)`);
    }
    if (this.encoder.recordsTooLarge > 0) {
      lines.push(`sockscope: warning: ${this.encoder.recordsTooLarge} IPFIX records were larger than a message and not sent`);
    }
    return lines;
  }
}

export interface IpfixFileOptions {
  uniflow?: boolean;
  pen?: number;
  domain?: number;
  /** Wall clock in milliseconds (export times). @default Date.now */
  now?: () => number;
}

/**
 * `-f ipfix`: an IPFIX file (RFC 5655 §6: a plain sequence of messages), the templates in the first message, data
 * in messages of up to 64 KiB. Streaming: each record is encoded as it arrives.
 */
export class IpfixFileWriter implements RecordWriter {
  readonly streaming = true;
  private readonly out: ChunkedOut;
  private readonly encoder: IpfixEncoder;
  private readonly now: () => number;
  private readonly domain: number;
  private sequence = 0;

  constructor(out: TextOut, opts: IpfixFileOptions = {}) {
    // A type-only import of ChunkedOut keeps writers.ts (which makes this writer) free of an import cycle.
    if (typeof (out as Partial<ChunkedOut>).reserve !== 'function') throw new TypeError('the IPFIX writer writes bytes: it needs a ChunkedOut');
    this.out = out as ChunkedOut;
    this.now = opts.now ?? Date.now;
    this.domain = opts.domain ?? 1;
    this.encoder = new IpfixEncoder({
      uniflow: opts.uniflow === true,
      ...(opts.pen !== undefined ? { pen: opts.pen } : {}),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      onSets: (sets, records) => this.message(sets, records),
    });
  }

  begin(): void {
    this.message(this.encoder.templates, 0);
  }

  write(r: FlowRecord): void {
    this.encoder.write(r);
  }

  end(): void {
    this.encoder.flush();
  }

  private message(sets: Uint8Array, records: number): void {
    const len = HEADER_BYTES + sets.length;
    const out = this.out;
    out.reserve(len);
    writeHeader(out.buf.subarray(out.len, out.len + HEADER_BYTES), len, Math.floor(this.now() / 1000), this.sequence, this.domain);
    out.buf.set(sets, out.len + HEADER_BYTES);
    out.len += len;
    out.written();
    this.sequence = (this.sequence + records) % 4294967296;
  }
}
