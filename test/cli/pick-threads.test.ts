/**
 * How many threads `flows` takes (pickThreads): two worker threads by default for capture files of 64 MiB or more on
 * two cores or more, one per core up to 4 with -j auto, one thread for small files, standard input, live capture and
 * formats written whole, and a number asked for as it is. Imports the compiled module: threads need the compiled
 * worker (see test/shard/run-sharded.test.ts).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PacketSource } from '../../src/source/types.js';

const DIST = resolve(import.meta.dirname, '../../dist');
type Module = typeof import('../../src/cli/run-flows.js');

/** A source as pickThreads sees it: live or not, and its size (undefined: unknown, as standard input's). */
function source(totalBytes: number | undefined, live = false): PacketSource {
  return { live, stats: () => ({ totalBytes }) } as unknown as PacketSource;
}

const MiB = 1 << 20;

describe('pickThreads', () => {
  it('takes two worker threads by default for 64 MiB of capture files or more where there are two cores', async () => {
    const { pickThreads } = (await import(`${DIST}/cli/run-flows.js`)) as Module;
    const cores = availableParallelism();
    const big = [source(40 * MiB), source(30 * MiB)];
    expect(pickThreads(big, 'ndjson', undefined)).toBe(cores >= 2 ? 2 : 1);
    expect(pickThreads(big, 'zeek', 'auto')).toBe(cores >= 2 ? Math.min(4, cores) : 1);
    // One thread: asked for, a small input, an input of unknown size, live capture, a format written whole.
    expect(pickThreads(big, 'ndjson', 1)).toBe(1);
    expect(pickThreads([source(63 * MiB)], 'ndjson', undefined)).toBe(1);
    expect(pickThreads([source(undefined)], 'ndjson', undefined)).toBe(1);
    expect(pickThreads([source(undefined, true)], 'ndjson', 3)).toBe(1);
    expect(pickThreads(big, 'json', undefined)).toBe(1);
    expect(pickThreads(big, 'table', 'auto')).toBe(1);
    // A number is taken as it is, whatever the input's size.
    expect(pickThreads([source(MiB)], 'csv', 3)).toBe(3);
  });
});
