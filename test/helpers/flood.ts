/** Captures made by ../shared/bench/make-flood.mjs (SYN floods, port scans, UDP floods) for tests, in a temporary folder. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const MAKE_FLOOD = resolve(import.meta.dirname, '../../../shared/bench/make-flood.mjs');

/** Writes the capture make-flood.mjs makes with `args` (scenario, packets, seed, ...) and returns its path. */
export function makeFlood(args: readonly string[]): string {
  const pcap = join(mkdtempSync(join(tmpdir(), 'sockscope-flood-')), 'flood.pcap');
  const made = spawnSync(process.execPath, [MAKE_FLOOD, ...args, '--out', pcap, '--quiet'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-flood.mjs ${args.join(' ')}: ${made.stderr}`);
  return pcap;
}
