/**
 * With worker threads, the run's memory budget pays for the threads first (their heaps, rings and records waiting to
 * be merged), and the shards share what is left: a 2M-packet SYN flood at the default budget peaked at 742 MB with
 * -j 4 when the shards shared all of it, 565 MB with the threads' part taken first (README, floods section).
 */
import { describe, expect, it } from 'vitest';
import { shardMemoryBytes } from '../../src/shard/run-sharded.js';

const MiB = 1024 * 1024;

describe('shardMemoryBytes', () => {
  it('takes the threads own part from the default budget, then shares the rest equally', () => {
    expect(shardMemoryBytes(480 * MiB, 2)).toBe(112 * MiB);
    expect(shardMemoryBytes(480 * MiB, 4)).toBe(56 * MiB);
    // Four shards never hold more flow state in all than two do, nor two more than the whole budget less the threads.
    expect(4 * shardMemoryBytes(480 * MiB, 4)).toBeLessThanOrEqual(2 * shardMemoryBytes(480 * MiB, 2));
  });

  it('leaves every shard a least budget, however small the run budget', () => {
    expect(shardMemoryBytes(64 * MiB, 4)).toBe(16 * MiB);
  });
});
