/**
 * IP reassembly against crafted fragments: thousands of duplicates of one datagram (reassembly was quadratic in
 * them) and fragments of one datagram past the 32 MiB budget (the budget never gave up the datagram it had just
 * added to). Captures are generated; the memory check runs the built CLI in a process of its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/decode/index.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Defragmenter, MAX_PENDING_BYTES } from '../../src/flow/defrag.js';
import { LinkType } from '../../src/source/types.js';
import { PEAK_RSS_AT_EXIT, pcapHeader, peakRssMb, recordHeader } from '../helpers/hostile.js';

/** An IPv4 fragment 10.0.0.1 -> 10.0.0.2 (UDP, id 7) of `data` at byte `offset` (a multiple of 8). */
function fragment(offset: number, data: Uint8Array, more: boolean): Uint8Array {
  const f = new Uint8Array(20 + data.length);
  const v = new DataView(f.buffer);
  f[0] = 0x45;
  v.setUint16(2, f.length);
  v.setUint16(4, 7);
  v.setUint16(6, (offset / 8) | (more ? 0x2000 : 0));
  f[8] = 64;
  f[9] = 17;
  v.setUint32(12, 0x0a000001);
  v.setUint32(16, 0x0a000002);
  f.set(data, 20);
  return f;
}

/** The data of an 8,016-byte UDP datagram 5000 -> 53 (UDP header, then bytes i & 0xff). */
const DATA = (() => {
  const d = new Uint8Array(8016);
  const v = new DataView(d.buffer);
  v.setUint16(0, 5000);
  v.setUint16(2, 53);
  v.setUint16(4, d.length);
  for (let i = 8; i < d.length; i++) d[i] = i & 0xff;
  return d;
})();
const FIRST = fragment(0, DATA.subarray(0, 16), true);
const LAST = fragment(8008, DATA.subarray(8008), false); // leaves a hole at 16..8008
const DUP = fragment(8, DATA.subarray(8, 16), true); // 8 bytes the first fragment already brought
const HOLE = fragment(16, DATA.subarray(16, 8008), true);

function feed(d: Defragmenter, frame: Uint8Array, p = new DecodedPacket()) {
  decodeFrame(p, frame, new DataView(frame.buffer), 0, frame.length, LinkType.RAW);
  return d.add(p, 1, frame.length);
}

describe('fragments of one datagram', () => {
  it('100,000 duplicates cost a search each, not a sort of all before them (20,000 took 17 s)', () => {
    // Bounded by the test's timeout, 100 times what this takes; the quadratic reassembly needed over ten minutes.
    const d = new Defragmenter();
    const p = new DecodedPacket();
    expect(feed(d, FIRST, p)).toBeNull();
    expect(feed(d, LAST, p)).toBeNull();
    for (let i = 0; i < 100_000; i++) expect(feed(d, DUP, p)).toBeNull();
    const whole = feed(d, HOLE, p)!;
    expect(whole.frames).toBe(100_003);
    expect(whole.bytes.subarray(20)).toEqual(DATA);
    expect(d.bytesHeld).toBe(0);
  }, 20_000);

  it('holds to the budget however many fragments one datagram has: past it, that datagram is given up too', () => {
    const d = new Defragmenter();
    const p = new DecodedPacket();
    feed(d, FIRST, p);
    feed(d, LAST, p);
    let most = 0;
    for (let i = 0; i < 700_000; i++) {
      feed(d, DUP, p);
      if (d.bytesHeld > most) most = d.bytesHeld;
    }
    expect(most).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    expect(d.incompleteFrames).toBeGreaterThan(0); // given up once, then begun again from its next fragment
    d.flush();
    expect(d.incompleteFrames).toBe(700_002);
  }, 30_000);

  it('500,000 fragments of one datagram read in bounded memory (were 769 MB), every frame counted', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sockscope-frags-'));
    const file = join(tmp, 'dups.pcap');
    const n = 500_000;
    const parts: Uint8Array[] = [pcapHeader()];
    const add = (f: Uint8Array, i: number) => parts.push(recordHeader(f.length, 1_700_000_000, i % 1_000_000), f);
    add(FIRST, 0);
    add(LAST, 1);
    for (let i = 0; i < n; i++) add(DUP, 2 + i);
    writeFileSync(file, Buffer.concat(parts));
    const dist = resolve(import.meta.dirname, '../../dist/cli/main.js');
    const script =
      `const { main } = await import(${JSON.stringify(dist)});` +
      `const code = await main(['flows', '-f', 'ndjson', ${JSON.stringify(file)}]);` +
      `process.exitCode = code;`;
    const r = spawnSync(process.execPath, ['--import', PEAK_RSS_AT_EXIT, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${n + 2} packets read, 0 assigned to 0 flows, ${n + 2} not assigned (fragment_incomplete ${n + 2})`);
    expect(peakRssMb(r.stderr)).toBeLessThan(200); // Node and sockscope (~80 MB) + the 32 MiB budget, with room
  }, 60_000);
});
