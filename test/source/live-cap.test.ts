/**
 * LiveSource on the real cap binding (needs root and a built cap; skips, saying why, otherwise). Traffic stays on
 * the loopback device between two sockets of this process, and a BPF filter on a port chosen here keeps other
 * loopback traffic out.
 */
import dgram from 'node:dgram';
import {existsSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {type LiveSource, LiveCaptureError, listDevices, openLive} from '../../src/source/live.js';
import {type Frame, LinkType} from '../../src/source/types.js';

const CAP_NODE = new URL('../../node_modules/cap/build/Release/cap.node', import.meta.url).pathname;
const SKIP =
  process.getuid?.() !== 0 ? 'needs root (capture privilege); CI runs as root' : !existsSync(CAP_NODE) ? 'cap is not built' : undefined;
if (SKIP !== undefined) console.warn(`[skip] test/source/live-cap.test.ts: ${SKIP}`);

describe.skipIf(SKIP !== undefined)('real cap on the loopback device', () => {
  let receiver: dgram.Socket;
  let port = 0;
  beforeAll(async () => {
    receiver = dgram.createSocket('udp4');
    await new Promise<void>(r => receiver.bind(0, '127.0.0.1', () => r()));
    port = receiver.address().port;
  });
  afterAll(() => receiver.close());

  it('lists lo (loopback, 127.0.0.1) and the any pseudo-device', async () => {
    const devices = await listDevices();
    const lo = devices.find(d => d.name === 'lo');
    expect(lo?.flags).toBe('PCAP_IF_LOOPBACK');
    expect(lo?.addresses.map(a => a.addr)).toContain('127.0.0.1');
    expect(devices.map(d => d.name)).toContain('any');
  });

  it('captures UDP datagrams of known sizes with their exact bytes and clock timestamps', async () => {
    const sizes = [10, 100, 1000];
    const src: LiveSource = await openLive('lo', `udp and dst port ${port}`, {pumpIntervalMs: 20});
    expect(src.linkType).toBe(LinkType.ETHERNET); // Linux loopback is DLT_EN10MB with zero MACs
    const seen: {caplen: number; wireLen: number; ms: number; udpLen: number; firstPayload: number}[] = [];
    const onFrame = (f: Frame) => {
      const v = new DataView(f.bytes.buffer, f.bytes.byteOffset + f.offset, f.caplen);
      // Ethernet (14) + IPv4 without options (20): UDP length at byte 38, first payload byte at 42.
      seen.push({
        caplen: f.caplen,
        wireLen: f.wireLen,
        ms: f.tsSec * 1000 + f.tsNsec / 1e6,
        udpLen: v.getUint16(14 + 20 + 4),
        firstPayload: v.getUint8(42),
      });
    };
    const sender = dgram.createSocket('udp4');
    const t0 = Date.now();
    for (const [i, n] of sizes.entries()) {
      await new Promise<void>(r => sender.send(Buffer.alloc(n, 0x41 + i), port, '127.0.0.1', () => r()));
    }
    for (let i = 0; i < 100 && seen.length < sizes.length; i++) await src.pump(onFrame);
    const t1 = Date.now();
    await src.close();
    sender.close();
    expect(seen.map(s => [s.caplen, s.wireLen, s.udpLen, s.firstPayload])).toEqual(
      sizes.map((n, i) => [14 + 20 + 8 + n, 14 + 20 + 8 + n, 8 + n, 0x41 + i]),
    );
    for (const s of seen) {
      expect(s.ms).toBeGreaterThanOrEqual(t0 - 1);
      expect(s.ms).toBeLessThanOrEqual(t1 + 1);
    }
    expect(src.stats()).toMatchObject({packets: 3, bytesRead: 3 * 42 + 1110, truncatedBySnaplen: 0});
  });

  it('-s: a snap length below the packet size cuts it, and says so in stats', async () => {
    const src = await openLive('lo', `udp and dst port ${port}`, {pumpIntervalMs: 20, snaplen: 60});
    const caplens: number[] = [];
    const sender = dgram.createSocket('udp4');
    await new Promise<void>(r => sender.send(Buffer.alloc(500), port, '127.0.0.1', () => r()));
    for (let i = 0; i < 100 && caplens.length === 0; i++) await src.pump(f => void caplens.push(f.caplen));
    await src.close();
    sender.close();
    expect(caplens).toEqual([60]);
    expect(src.stats().truncatedBySnaplen).toBe(1);
  });

  it('a BPF expression that does not compile is named in the error, with libpcap\'s reason', async () => {
    const e = await openLive('lo', 'tcp and (', {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LiveCaptureError);
    expect((e as LiveCaptureError).message).toBe(
      'BPF filter expression "tcp and (" does not compile: can\'t parse filter expression: syntax error',
    );
  });

  it('an unknown device lists the real ones', async () => {
    const e = (await openLive('nosuchdev0', '', {}).catch((x: unknown) => x)) as LiveCaptureError;
    expect(e.problem).toBe('no-such-device');
    expect(e.message).toMatch(/^no capture device named "nosuchdev0"\. Devices that exist:\n/);
    expect(e.message).toMatch(/\n {2}lo \(127\.0\.0\.1, ::1\)/);
  });
});
