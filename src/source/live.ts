/**
 * Live capture through the optional `cap` package (mscdex/cap, a libpcap binding).
 *
 * How cap delivers packets: `Cap#open(device, filter, bufSize, buffer)` activates a libpcap handle in promiscuous,
 * immediate, non-blocking mode with a snap length of 65535 bytes, and returns the link type as a string. For every
 * packet libpcap hands over, cap copies the bytes into the ONE `buffer` given to `open` and emits
 * `'packet'(nbytes, truncated)` synchronously from its libuv poll callback. The bytes are therefore valid only
 * during that event; {@link LiveSource} hands them on as a borrowed {@link Frame} without copying.
 *
 * What cap does not give JavaScript, and what this source does about it:
 * - **No kernel timestamps.** `pcap_pkthdr.ts` is not exposed, so each packet is stamped with the injected clock
 *   when its event reaches JS, to the microsecond. Packets of one libpcap batch arrive microseconds apart, and
 *   event-loop stalls show up as gaps: durations and RTTs are only as good as the loop's latency.
 * - **No wire length.** Only the number of captured bytes is exposed, so `wireLen` = `caplen`. When cap reports
 *   `truncated` (the packet did not fit the buffer), the true length is unknown; it is counted in
 *   `truncatedBySnaplen`.
 * - **No drop counts.** `pcap_stats` is not exposed: packets the kernel or libpcap dropped are invisible.
 *   `stats().dropped` only counts packets this source itself had to drop (none in normal operation).
 * - **Always promiscuous**, snap length fixed at 65535 by cap (a smaller `snaplen` here truncates through the
 *   buffer size; a larger one cannot be honoured).
 *
 * Where all three matter, let tcpdump capture and pipe the pcap stream in: `tcpdump -i IFACE -w - | sockscope
 * flows -` has kernel timestamps, wire lengths and drop counts.
 *
 * Frames larger than the MTU (segmentation offload) and frames with unfilled checksums (checksum offload) are
 * delivered as they are, never filtered here.
 */

import {type FrameHandler, type PacketSource, type SourceStats, Frame, LinkType} from './types.js';

/** One address of a device as cap's `deviceList()` reports it (IPv4 and IPv6 only), in text form. */
export interface CapAddress {
  addr: string;
  netmask?: string;
  broadaddr?: string;
  dstaddr?: string;
}

/** One capture device as cap's `deviceList()` reports it (libpcap's `pcap_findalldevs`). */
export interface CapDevice {
  name: string;
  description?: string;
  addresses: CapAddress[];
  /** `'PCAP_IF_LOOPBACK'` for loopback devices, otherwise absent (cap reports no other flag). */
  flags?: string;
}

/** The part of a cap handle this source uses. */
export interface CapHandle {
  /** Activates the capture; returns the link type name ('ETHERNET', 'LINKTYPE_LINUX_SLL', 'NULL', 'RAW', ...). */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
}

/** The part of the `cap` module this source uses (injectable for tests, rule 10 of STYLE.md). */
export interface CapModule {
  Cap: {new (): CapHandle; deviceList(): CapDevice[]};
}

/** The exact commands that make live capture available. */
export const INSTALL_HINT =
  'apt-get install -y libpcap-dev && npm install cap   ' +
  '(npm 11 runs its build script only when package.json allows it: "allowScripts": {"cap": true}, which ' +
  "sockscope's package.json has)";

/** The command that lets a non-root user capture with node. */
export const SETCAP_HINT = 'sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))';

/** Why a live capture could not start. */
export type LiveCaptureProblem =
  | 'missing-cap'
  | 'no-such-device'
  | 'bad-filter'
  | 'permission'
  | 'unsupported-link'
  | 'open-failed';

/**
 * A live capture that cannot start: the message says what is wrong and what to do. The CLI prints the message
 * without a stack and exits with code 2.
 */
export class LiveCaptureError extends Error {
  readonly problem: LiveCaptureProblem;
  constructor(problem: LiveCaptureProblem, message: string, options?: {cause?: unknown}) {
    super(message, options);
    this.name = 'LiveCaptureError';
    this.problem = problem;
  }
}

/** cap's link type names → LINKTYPE_* numbers. cap names DLT_LINUX_SLL 'LINKTYPE_LINUX_SLL' (binding.cc). */
const LINK_TYPE_BY_CAP_NAME: Readonly<Record<string, LinkType>> = {
  NULL: LinkType.NULL,
  ETHERNET: LinkType.ETHERNET,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  LINUX_SLL: LinkType.LINUX_SLL,
  RAW: LinkType.RAW,
};

/** Maps cap's link type string to a LINKTYPE_* number, or undefined for one sockscope cannot decode. */
export function linkTypeFromCap(name: string): LinkType | undefined {
  return LINK_TYPE_BY_CAP_NAME[name];
}

/** Options of {@link openLive}. */
export interface LiveOptions {
  /** Largest number of bytes kept per packet (cap's buffer size). @default 65535 (cap's own snap length) */
  snaplen?: number;
  /** libpcap's kernel ring buffer, bytes. @default 16 MiB */
  bufferSize?: number;
  /** Wall clock in ms since the epoch, read at each packet's arrival and kept to the µs. @default performance clock */
  clock?: () => number;
  /** cap always captures in promiscuous mode; `false` is refused with an error that says so. @default true */
  promisc?: boolean;
  /** End of input after this many packets (tcpdump's `-c`). @default unlimited */
  maxPackets?: number;
  /** End of input after this many milliseconds from the open. @default unlimited */
  durationMs?: number;
  /** End of input when aborted (SIGINT): pending pump resolves false, the handle is closed. */
  signal?: AbortSignal;
  /** How long one `pump` call lasts before it resolves true, ms. @default 100 */
  pumpIntervalMs?: number;
  /** Loads the cap module. @default `import('cap')` */
  loadCap?: () => Promise<CapModule>;
}

/** Default clock: wall time with the monotonic clock's sub-millisecond resolution. */
const defaultClock = (): number => performance.timeOrigin + performance.now();

/** cap's own snap length (binding.cc: `pcap_set_snaplen(handle, 65535)`). */
const CAP_SNAPLEN = 65535;
/** Packets kept (as copies) when they arrive before the first `pump` call. */
const EARLY_QUEUE_MAX_PACKETS = 4096;

/**
 * Failed cap handles are kept alive on purpose: cap's native destructor calls `uv_poll_stop` on a poll handle that
 * `open` never initialised when `open` threw, so letting the garbage collector reach one could crash the process.
 * Only failed opens land here (once or twice per process, before it exits with the error).
 */
const failedHandles: CapHandle[] = [];

/** `import('cap')`; the specifier is a variable so that TypeScript does not ask for the types cap does not ship. */
function importCap(): Promise<unknown> {
  const specifier = 'cap';
  return import(specifier);
}

/**
 * Loads `cap` lazily (it is CommonJS: the namespace's `default` is `module.exports`). A missing package or a
 * missing libpcap turns into a {@link LiveCaptureError} that names the install commands.
 */
export async function loadCapModule(importer: () => Promise<unknown> = importCap): Promise<CapModule> {
  try {
    const ns = (await importer()) as {default?: CapModule} & Partial<CapModule>;
    const mod = (ns.default ?? ns) as Partial<CapModule>;
    if (typeof mod.Cap !== 'function') throw new Error('module "cap" has no Cap class');
    return mod as CapModule;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new LiveCaptureError(
      'missing-cap',
      `live capture needs libpcap and the optional "cap" package, which could not be loaded (${detail}).\n` +
        `Install them: ${INSTALL_HINT}\n` +
        'Reading capture files works without them.',
      {cause: error},
    );
  }
}

/** Lists the capture devices through cap (`sockscope interfaces`). */
export async function listDevices(loadCap: () => Promise<CapModule> = () => loadCapModule()): Promise<CapDevice[]> {
  const cap = await loadCap();
  return cap.Cap.deviceList();
}

/** One line per device for error messages: `eth0 (192.0.2.2, fd00::2)`. */
function describeDevices(devices: readonly CapDevice[]): string {
  return devices
    .map(d => `  ${d.name}${d.addresses.length > 0 ? ` (${d.addresses.map(a => a.addr).join(', ')})` : ''}`)
    .join('\n');
}

const PERMISSION_RE = /operation not permitted|permission denied|don't have permission|not permitted/i;
const NO_DEVICE_RE = /no such device|doesn't exist|does not exist/i;

/**
 * Opens `device` with the BPF `filter` (pcap-filter(7) syntax, '' for everything) and returns a live
 * {@link PacketSource}. Rejects with a {@link LiveCaptureError} saying what to do when cap is missing, the
 * device does not exist (listing those that do), the filter does not compile (naming the expression), the process
 * lacks the privilege (root or CAP_NET_RAW, with the setcap line) or the link type cannot be decoded.
 */
export async function openLive(device: string, filter: string, opts: LiveOptions = {}): Promise<LiveSource> {
  if (opts.promisc === false) {
    throw new LiveCaptureError(
      'open-failed',
      'cap always opens the interface in promiscuous mode; non-promiscuous capture needs tcpdump: ' +
        `tcpdump -p -i ${device} -w - | sockscope flows -`,
    );
  }
  const cap = await (opts.loadCap ?? (() => loadCapModule()))();
  let devices: CapDevice[] | undefined;
  try {
    devices = cap.Cap.deviceList();
  } catch {
    devices = undefined; // listing needs no privilege on Linux; if it fails, let open() report the real problem
  }
  const noSuchDevice = () =>
    new LiveCaptureError(
      'no-such-device',
      `no capture device named "${device}". ` +
        (devices && devices.length > 0
          ? `Devices that exist:\n${describeDevices(devices)}`
          : 'libpcap lists no devices (try as root: sockscope interfaces).'),
    );
  if (devices && devices.length > 0 && !devices.some(d => d.name === device)) throw noSuchDevice();

  const snaplen = Math.max(1, Math.min(opts.snaplen ?? CAP_SNAPLEN, CAP_SNAPLEN));
  const buffer = Buffer.alloc(snaplen);
  const handle = new cap.Cap();
  let linkName: string;
  try {
    linkName = handle.open(device, filter, opts.bufferSize ?? 16 * 1024 * 1024, buffer);
  } catch (error) {
    failedHandles.push(handle);
    throw classifyOpenError(cap, device, filter, error, noSuchDevice);
  }
  const linkType = linkTypeFromCap(linkName);
  if (linkType === undefined) {
    handle.close();
    throw new LiveCaptureError(
      'unsupported-link',
      `${device}: link type ${linkName} is not one sockscope decodes (Ethernet, Linux SLL, raw IP, BSD loopback)`,
    );
  }
  return new LiveSource(device, handle, buffer, linkType, opts);
}

function classifyOpenError(
  cap: CapModule,
  device: string,
  filter: string,
  error: unknown,
  noSuchDevice: () => LiveCaptureError,
): LiveCaptureError {
  const message = error instanceof Error ? error.message : String(error);
  if (PERMISSION_RE.test(message)) {
    return new LiveCaptureError(
      'permission',
      `cannot capture on ${device}: ${message}. Capturing needs root or the CAP_NET_RAW capability. ` +
        `Run as root, or give node the capabilities once:\n  ${SETCAP_HINT}`,
      {cause: error},
    );
  }
  if (NO_DEVICE_RE.test(message)) return noSuchDevice();
  if (filter.trim() !== '') {
    // libpcap compiles the filter after activating the device. If the same device opens without the filter, the
    // filter was the problem.
    const probe = new cap.Cap();
    try {
      probe.open(device, '', 65536, Buffer.alloc(64));
      probe.close();
      return new LiveCaptureError('bad-filter', `BPF filter expression "${filter}" does not compile: ${message}`, {
        cause: error,
      });
    } catch {
      failedHandles.push(probe);
    }
  }
  return new LiveCaptureError('open-failed', `cannot capture on ${device}: ${message}`, {cause: error});
}

/**
 * A running live capture. Created by {@link openLive}.
 *
 * Delivery: from the first `pump` call on, the 'packet' listener fills the one reused {@link Frame} and calls the
 * most recent `onFrame` synchronously, also between pumps, so that no packet waits in a queue; `pump` itself
 * resolves true every `pumpIntervalMs` (so the pipeline can publish snapshots and see an abort) and false once the
 * capture ended (close, abort, packet count or duration reached). Packets that arrive before the first `pump` are
 * copied into a bounded queue and delivered at its start. Live packets cannot be held back: the return value of
 * `onFrame` (replay pacing) is ignored. An exception thrown by `onFrame` ends the capture and rejects the pending
 * (or next) `pump` with it, instead of escaping from cap's native callback and killing the process.
 */
export class LiveSource implements PacketSource {
  readonly name: string;
  readonly live = true;
  /** LINKTYPE_* of every frame of this capture. */
  readonly linkType: LinkType;
  /** Snap length in bytes: the size of cap's buffer. */
  readonly snaplen: number;

  private readonly handle: CapHandle;
  private readonly buffer: Buffer;
  private readonly clock: () => number;
  private readonly maxPackets: number;
  private readonly pumpIntervalMs: number;
  private readonly frame = new Frame();
  private readonly counters: SourceStats = {packets: 0, bytesRead: 0, truncatedBySnaplen: 0, badTimestamps: 0};
  private handler: FrameHandler | undefined;
  private early: {bytes: Uint8Array; ms: number; truncated: boolean}[] | undefined = [];
  private selfDropped = 0;
  private closed = false;
  private pending: Promise<boolean> | undefined;
  private resolvePump: ((more: boolean) => void) | undefined;
  private rejectPump: ((error: unknown) => void) | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  /** What a handler threw: the capture ended with it, every later pump rejects with it. */
  private failure: {error: unknown} | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => void this.close();

  constructor(device: string, handle: CapHandle, buffer: Buffer, linkType: LinkType, opts: LiveOptions) {
    this.name = device;
    this.handle = handle;
    this.buffer = buffer;
    this.linkType = linkType;
    this.snaplen = buffer.length;
    this.clock = opts.clock ?? defaultClock;
    this.maxPackets = opts.maxPackets ?? Infinity;
    this.pumpIntervalMs = opts.pumpIntervalMs ?? 100;
    this.frame.bytes = buffer;
    this.frame.linkType = linkType;
    handle.on('packet', this.onPacket);
    if (opts.durationMs !== undefined) {
      this.durationTimer = setTimeout(() => void this.close(), opts.durationMs);
    }
    this.signal = opts.signal;
    if (this.signal) {
      if (this.signal.aborted) void this.close();
      else this.signal.addEventListener('abort', this.onAbort, {once: true});
    }
  }

  /** cap's 'packet' listener: runs synchronously inside cap's poll callback, `buffer` holds this packet. */
  private readonly onPacket = (nbytes: number, truncated: boolean): void => {
    if (this.closed) return;
    const ms = this.clock();
    const handler = this.handler;
    if (handler === undefined) {
      this.keepEarly(nbytes, truncated, ms);
      return;
    }
    try {
      this.deliver(handler, this.buffer, nbytes, truncated, ms);
    } catch (error) {
      // Thrown out of cap's native poll callback, this would be an uncaught exception that kills the process;
      // end the capture and hand the error to the pump instead, as a file source's pump would reject.
      this.fail(error);
    }
  };

  private fail(error: unknown): void {
    this.failure ??= {error};
    const reject = this.rejectPump;
    this.clearPending(); // so that close() does not resolve the pending pump with false first
    void this.close();
    reject?.(error);
  }

  private keepEarly(nbytes: number, truncated: boolean, ms: number): void {
    const early = this.early!; // defined until the first pump installs a handler
    if (early.length >= EARLY_QUEUE_MAX_PACKETS) {
      this.selfDropped++;
      return;
    }
    early.push({bytes: Uint8Array.prototype.slice.call(this.buffer, 0, nbytes), ms, truncated});
  }

  private deliver(handler: FrameHandler, bytes: Uint8Array, nbytes: number, truncated: boolean, ms: number): void {
    const f = this.frame;
    const c = this.counters;
    // Whole microseconds: an epoch time in ms as a double resolves only ~0.24 µs, so finer digits would be noise,
    // and a microsecond pcap written from these frames keeps them exactly. µs since the epoch stay below 2^53.
    const usTotal = Math.round(ms * 1000);
    const sec = Math.floor(usTotal / 1e6);
    f.bytes = bytes;
    f.offset = 0;
    f.caplen = nbytes;
    f.wireLen = nbytes; // cap exposes no wire length (pcap_pkthdr.len)
    f.tsSec = sec;
    f.tsNsec = (usTotal - sec * 1e6) * 1000;
    f.number = ++c.packets;
    c.bytesRead += nbytes;
    // cap's flag only says the packet did not fit the buffer; libpcap's own cut at cap's 65535-byte snap length is
    // not reported, so a frame that fills it (an offload frame larger than 64 KiB, say) counts as cut too.
    if (truncated || nbytes >= CAP_SNAPLEN) c.truncatedBySnaplen++;
    handler(f);
    if (c.packets >= this.maxPackets) void this.close();
  }

  /**
   * Installs `onFrame` as the packet handler and resolves true after `pumpIntervalMs`, false once the capture has
   * ended. Rejects with what `onFrame` threw (the capture is closed then).
   */
  pump(onFrame: FrameHandler): Promise<boolean> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.closed) return Promise.resolve(false);
    this.handler = onFrame;
    const early = this.early;
    if (early !== undefined) {
      this.early = undefined;
      try {
        for (const p of early) {
          if (this.closed) break;
          this.deliver(onFrame, p.bytes, p.bytes.length, p.truncated, p.ms);
        }
      } catch (error) {
        this.fail(error);
        return Promise.reject(error);
      } finally {
        this.frame.bytes = this.buffer;
      }
      if (this.closed) return Promise.resolve(false);
    }
    if (this.pending) return this.pending; // a pump is already pending: share it
    this.pending = new Promise<boolean>((resolve, reject) => {
      this.resolvePump = resolve;
      this.rejectPump = reject;
      this.pumpTimer = setTimeout(this.endPump, this.pumpIntervalMs);
    });
    return this.pending;
  }

  private readonly endPump = (): void => {
    const resolve = this.resolvePump;
    this.clearPending();
    resolve?.(!this.closed);
  };

  private clearPending(): void {
    this.pending = undefined;
    this.resolvePump = undefined;
    this.rejectPump = undefined;
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
  }

  stats(): SourceStats {
    return {...this.counters, dropped: this.selfDropped > 0 ? this.selfDropped : undefined};
  }

  /** Stops capturing; a pending `pump` resolves false. Safe to call more than once and from inside `onFrame`. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.handler = undefined;
    this.early = undefined;
    clearTimeout(this.durationTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.handle.close(); // cap defers the pcap_close while it is inside its dispatch loop
    const resolve = this.resolvePump;
    this.clearPending();
    resolve?.(false);
    return Promise.resolve();
  }
}
