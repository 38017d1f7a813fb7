/**
 * uids: the same on every run over one input (file, standard input, any thread count), different between inputs
 * (two captures' first flows used to share `CVWnwv4ulbPUGD5vgQ`), and unique within a run. The identity is the first
 * frame (its time, lengths and first bytes): demo-loss.pcap, which begins as demo.pcap does, shares its uids.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const FIXTURES = resolve(import.meta.dirname, '../../fixtures');

function uids(args: string[], input?: Buffer): string[] {
  const r = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ndjson', ...args], { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) });
  return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { uid: string }).uid);
}

describe('uids', () => {
  it('are the same for one input however it is read, and differ between inputs', () => {
    const demo = `${FIXTURES}/demo.pcap`;
    const a = uids([demo]);
    expect(new Set(a).size).toBe(a.length);
    expect(uids([demo])).toEqual(a);
    expect(uids(['-'], readFileSync(demo))).toEqual(a);
    expect(uids(['-j', '2', demo])).toEqual(a);
    const others = [...uids([`${FIXTURES}/demo-vlan.pcap`]), ...uids([`${FIXTURES}/demo-qinq.pcap`])];
    expect(others.filter((u) => a.includes(u))).toEqual([]);
    expect(new Set(others).size).toBe(others.length);
  });
});
