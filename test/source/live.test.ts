/**
 * LiveSource against a fake `cap` module that behaves like cap's binding (binding.cc): `open` copies nothing yet and
 * returns the link type name, each packet is copied into the ONE buffer given to `open` and announced synchronously
 * as 'packet'(nbytes, truncated). The real cap is exercised in live-cap.test.ts and test/e2e/live-netns.test.ts.
 */
import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {
  type CapDevice,
  type CapModule,
  INSTALL_HINT,
  LiveCaptureError,
  SETCAP_HINT,
  linkTypeFromCap,
  loadCapModule,
  openLive,
} from '../../src/source/live.js';
import {type Frame, LinkType} from '../../src/source/types.js';

const DEVICES: CapDevice[] = [
  {name: 'eth0', addresses: [{addr: '192.0.2.2', netmask: '255.255.255.0'}, {addr: 'fd00::2'}]},
  {name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: []},
  {name: 'lo', addresses: [{addr: '127.0.0.1'}], flags: 'PCAP_IF_LOOPBACK'},
];

class FakeCap extends EventEmitter {
  static instances: FakeCap[] = [];
  static linkName = 'ETHERNET';
  static failWith: ((device: string, filter: string) => string | undefined) | undefined;
  static deviceList = () => DEVICES;
  buffer: Buffer | undefined;
  args: [string, string, number] | undefined;
  closed = 0;
  constructor() {
    super();
    FakeCap.instances.push(this);
  }
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string {
    const failure = FakeCap.failWith?.(device, filter);
    if (failure) throw new Error(failure);
    this.args = [device, filter, bufSize];
    this.buffer = buffer;
    return FakeCap.linkName;
  }
  close(): void {
    this.closed++;
  }
  /** What libpcap + cap do for one packet: copy into the shared buffer (cut to its size), emit synchronously. */
  inject(bytes: number[]): void {
    const b = this.buffer!;
    const n = Math.min(bytes.length, b.length);
    b.set(bytes.slice(0, n));
    this.emit('packet', n, n < bytes.length);
  }
}

function fakeModule(): () => Promise<CapModule> {
  FakeCap.instances = [];
  FakeCap.linkName = 'ETHERNET';
  FakeCap.failWith = undefined;
  return async () => ({Cap: FakeCap as unknown as CapModule['Cap']});
}

interface Seen {
  hex: string;
  caplen: number;
  wireLen: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  number: number;
}
const copy = (f: Frame): Seen => ({
  hex: Buffer.from(f.bytes.subarray(f.offset, f.offset + f.caplen)).toString('hex'),
  caplen: f.caplen,
  wireLen: f.wireLen,
  tsSec: f.tsSec,
  tsNsec: f.tsNsec,
  linkType: f.linkType,
  number: f.number,
});

async function rejection(p: Promise<unknown>): Promise<LiveCaptureError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LiveCaptureError);
    return e as LiveCaptureError;
  }
  throw new Error('expected a rejection');
}

// ── Frames ──────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('frames', () => {
  it('fills the reused frame from the shared buffer: clock timestamp, wireLen = caplen, link type', async () => {
    const loadCap = fakeModule();
    let now = 1_700_000_000_123.5; // ms, exactly representable: .5 ms = 500000 ns
    const src = await openLive('eth0', 'tcp', {loadCap, clock: () => now, pumpIntervalMs: 5});
    const cap = FakeCap.instances[0]!;
    expect(cap.args).toEqual(['eth0', 'tcp', 16 * 1024 * 1024]);
    expect(cap.buffer!.length).toBe(65535);
    const seen: Seen[] = [];
    const frames = new Set<Frame>();
    const pending = src.pump(f => {
      frames.add(f);
      seen.push(copy(f));
    });
    cap.inject([0xde, 0xad, 0xbe, 0xef]);
    now = 1_700_000_001_000.25;
    cap.inject([1, 2]);
    expect(await pending).toBe(true);
    expect(seen).toEqual([
      {hex: 'deadbeef', caplen: 4, wireLen: 4, tsSec: 1_700_000_000, tsNsec: 123_500_000, linkType: 1, number: 1},
      {hex: '0102', caplen: 2, wireLen: 2, tsSec: 1_700_000_001, tsNsec: 250_000, linkType: 1, number: 2},
    ]);
    expect(frames.size).toBe(1); // one Frame object, reused
    expect(src.stats()).toMatchObject({packets: 2, bytesRead: 6, truncatedBySnaplen: 0, dropped: undefined});
    await src.close();
  });

  it('counts packets cut by the snap length (cap: truncated = true, nbytes = buffer size)', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, snaplen: 3, clock: () => 0, pumpIntervalMs: 1});
    const seen: Seen[] = [];
    const p = src.pump(f => void seen.push(copy(f)));
    FakeCap.instances[0]!.inject([9, 8, 7, 6, 5]);
    await p;
    expect(seen.map(s => [s.hex, s.caplen, s.wireLen])).toEqual([['090807', 3, 3]]);
    expect(src.snaplen).toBe(3);
    expect(src.stats().truncatedBySnaplen).toBe(1);
    await src.close();
  });

  it("counts a frame that fills cap's 65535-byte snap length as cut: libpcap's own cut is not reported", async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, pumpIntervalMs: 1});
    const sizes: number[] = [];
    const p = src.pump(f => void sizes.push(f.caplen));
    const cap = FakeCap.instances[0]!;
    cap.inject(new Array<number>(65534).fill(1));
    cap.inject(new Array<number>(65535).fill(2)); // an offload frame of 116,510 bytes, as libpcap hands it over
    await p;
    expect(sizes).toEqual([65534, 65535]);
    expect(src.stats().truncatedBySnaplen).toBe(1);
    await src.close();
  });

  it.each([
    ['ETHERNET', LinkType.ETHERNET],
    ['LINKTYPE_LINUX_SLL', LinkType.LINUX_SLL],
    ['NULL', LinkType.NULL],
    ['RAW', LinkType.RAW],
  ])('maps cap link type %s to LINKTYPE %d', async (name, linkType) => {
    const loadCap = fakeModule();
    FakeCap.linkName = name;
    const src = await openLive('any', '', {loadCap});
    expect(src.linkType).toBe(linkType);
    expect(linkTypeFromCap(name)).toBe(linkType);
    await src.close();
  });

  it('refuses a link type it cannot decode, and closes the handle', async () => {
    const loadCap = fakeModule();
    FakeCap.linkName = 'IEEE802_11_RADIO';
    const e = await rejection(openLive('eth0', '', {loadCap}));
    expect(e.problem).toBe('unsupported-link');
    expect(e.message).toBe(
      'eth0: link type IEEE802_11_RADIO is not one sockscope decodes (Ethernet, Linux SLL, raw IP, BSD loopback)',
    );
    expect(FakeCap.instances[0]!.closed).toBe(1);
  });
});

// ── Delivery across pumps ───────────────────────────────────────────────────────────────────────────────────────────

describe('delivery', () => {
  it('queues copies of packets that arrive before the first pump and delivers them first, in order', async () => {
    const loadCap = fakeModule();
    let now = 1000;
    const src = await openLive('eth0', '', {loadCap, clock: () => now, pumpIntervalMs: 1});
    const cap = FakeCap.instances[0]!;
    cap.inject([1]);
    now = 2000;
    cap.inject([2, 2]); // overwrites the shared buffer: the queue must hold copies
    const seen: Seen[] = [];
    const p = src.pump(f => void seen.push(copy(f)));
    cap.inject([3, 3, 3]);
    await p;
    expect(seen.map(s => [s.hex, s.tsSec, s.number])).toEqual([
      ['01', 1, 1],
      ['0202', 2, 2],
      ['030303', 2, 3],
    ]);
    await src.close();
  });

  it('keeps delivering between pumps to the latest handler (no packet waits or is lost)', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, pumpIntervalMs: 1});
    const cap = FakeCap.instances[0]!;
    const a: string[] = [];
    const b: string[] = [];
    expect(await src.pump(f => void a.push(copy(f).hex))).toBe(true);
    cap.inject([0xaa]); // no pump pending: goes straight to the last handler
    const p = src.pump(f => void b.push(copy(f).hex));
    cap.inject([0xbb]);
    await p;
    expect([a, b]).toEqual([['aa'], ['bb']]);
    await src.close();
  });

  it('ignores onFrame returning false (a live capture cannot be paused)', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, pumpIntervalMs: 1});
    const cap = FakeCap.instances[0]!;
    let n = 0;
    const p = src.pump(() => {
      n++;
      return false;
    });
    cap.inject([1]);
    cap.inject([2]);
    await p;
    expect(n).toBe(2);
    await src.close();
  });
});

// ── Handler errors ──────────────────────────────────────────────────────────────────────────────────────────────────

describe('handler errors', () => {
  it('an exception in onFrame ends the capture and rejects the pending pump, not the process', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, pumpIntervalMs: 60_000});
    const cap = FakeCap.instances[0]!;
    const boom = new TypeError('decoder bug');
    const p = src.pump(() => {
      throw boom;
    });
    expect(() => cap.inject([1])).not.toThrow(); // nothing escapes into cap's emit
    await expect(p).rejects.toBe(boom);
    await expect(src.pump(() => {})).rejects.toBe(boom);
    expect(cap.closed).toBe(1);
  });

  it('an exception while delivering queued early packets rejects that first pump', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0});
    FakeCap.instances[0]!.inject([1]);
    const boom = new Error('early');
    await expect(
      src.pump(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(FakeCap.instances[0]!.closed).toBe(1);
  });
});

// ── End of input ────────────────────────────────────────────────────────────────────────────────────────────────────

describe('end of input', () => {
  it('close() resolves the pending pump with false, closes cap once, and later pumps resolve false', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, pumpIntervalMs: 60_000});
    const p = src.pump(() => {});
    await src.close();
    await src.close();
    expect(await p).toBe(false);
    expect(await src.pump(() => {})).toBe(false);
    expect(FakeCap.instances[0]!.closed).toBe(1);
  });

  it('maxPackets (-c) ends after exactly that many packets, from inside the packet event', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, maxPackets: 2, pumpIntervalMs: 60_000});
    const cap = FakeCap.instances[0]!;
    const seen: string[] = [];
    const p = src.pump(f => void seen.push(copy(f).hex));
    cap.inject([1]);
    cap.inject([2]);
    cap.inject([3]); // cap would not emit it after close (closing flag); the source ignores it too
    expect(await p).toBe(false);
    expect(seen).toEqual(['01', '02']);
    expect(cap.closed).toBe(1);
  });

  it('maxPackets counts queued early packets too', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, clock: () => 0, maxPackets: 1});
    FakeCap.instances[0]!.inject([1]);
    FakeCap.instances[0]!.inject([2]);
    const seen: string[] = [];
    expect(await src.pump(f => void seen.push(copy(f).hex))).toBe(false);
    expect(seen).toEqual(['01']);
  });

  it('durationMs ends the capture: the pending pump resolves false', async () => {
    const loadCap = fakeModule();
    const src = await openLive('eth0', '', {loadCap, durationMs: 30, pumpIntervalMs: 60_000});
    const t0 = Date.now();
    expect(await src.pump(() => {})).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(FakeCap.instances[0]!.closed).toBe(1);
  });

  it('an AbortSignal (SIGINT) ends the capture', async () => {
    const loadCap = fakeModule();
    const ac = new AbortController();
    const src = await openLive('eth0', '', {loadCap, signal: ac.signal, pumpIntervalMs: 60_000});
    const p = src.pump(() => {});
    ac.abort();
    expect(await p).toBe(false);
    expect(FakeCap.instances[0]!.closed).toBe(1);
  });
});

// ── Errors that say what to do ──────────────────────────────────────────────────────────────────────────────────────

describe('errors', () => {
  it('cap missing: names the install commands and the allowScripts entry', async () => {
    const e = await rejection(
      loadCapModule(() => Promise.reject(new Error("Cannot find package 'cap' imported from /x/live.js"))),
    );
    expect(e.problem).toBe('missing-cap');
    expect(e.message).toContain("(Cannot find package 'cap' imported from /x/live.js)");
    expect(e.message).toContain('apt-get install -y libpcap-dev && npm install cap');
    expect(e.message).toContain('"allowScripts": {"cap": true}');
    expect(INSTALL_HINT).toContain('apt-get install -y libpcap-dev && npm install cap');
  });

  it('cap present but its native part failed to load (libpcap missing) is the same error', async () => {
    const e = await rejection(loadCapModule(() => Promise.reject(new Error('libpcap.so.0.8: cannot open shared object'))));
    expect(e.problem).toBe('missing-cap');
    expect(e.message).toContain('libpcap.so.0.8: cannot open shared object');
  });

  it('loads a CommonJS namespace through its default export', async () => {
    const mod = await loadCapModule(async () => ({default: {Cap: FakeCap}}));
    expect(mod.Cap).toBe(FakeCap);
  });

  it('unknown interface: lists the interfaces that exist, with their addresses', async () => {
    const loadCap = fakeModule();
    const e = await rejection(openLive('eth9', '', {loadCap}));
    expect(e.problem).toBe('no-such-device');
    expect(e.message).toBe(
      'no capture device named "eth9". Devices that exist:\n  eth0 (192.0.2.2, fd00::2)\n  any\n  lo (127.0.0.1)',
    );
    expect(FakeCap.instances).toHaveLength(0); // never tried to open it
  });

  it('BPF that does not compile: says so with the expression and libpcap\'s reason', async () => {
    const loadCap = fakeModule();
    FakeCap.failWith = (_d, filter) => (filter === '' ? undefined : "can't parse filter expression: syntax error");
    const e = await rejection(openLive('eth0', 'tcp and (', {loadCap}));
    expect(e.problem).toBe('bad-filter');
    expect(e.message).toBe(
      'BPF filter expression "tcp and (" does not compile: can\'t parse filter expression: syntax error',
    );
    expect(FakeCap.instances[1]!.closed).toBe(1); // the probe without filter was closed again
  });

  it('missing privilege: root or CAP_NET_RAW, with the setcap line', async () => {
    const loadCap = fakeModule();
    FakeCap.failWith = () => 'socket: Operation not permitted';
    const e = await rejection(openLive('eth0', 'tcp', {loadCap}));
    expect(e.problem).toBe('permission');
    expect(e.message).toBe(
      'cannot capture on eth0: socket: Operation not permitted. Capturing needs root or the CAP_NET_RAW capability. ' +
        `Run as root, or give node the capabilities once:\n  ${SETCAP_HINT}`,
    );
    expect(SETCAP_HINT).toBe('sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))');
  });

  it('device vanishing between listing and open: libpcap "No such device exists" lists the devices', async () => {
    const loadCap = fakeModule();
    FakeCap.failWith = () => 'No such device exists';
    const e = await rejection(openLive('lo', '', {loadCap}));
    expect(e.problem).toBe('no-such-device');
    expect(e.message).toContain('Devices that exist:\n  eth0');
  });

  it('promisc: false is refused (cap always opens promiscuously) and points to tcpdump -p', async () => {
    const e = await rejection(openLive('eth0', '', {loadCap: fakeModule(), promisc: false}));
    expect(e.message).toContain('tcpdump -p -i eth0 -w - | sockscope flows -');
  });
});
