/**
 * A shard worker (worker_threads): runs one pipeline over the whole input holding only its shard's flows, and posts
 * their records, written in the output format, to the main thread in batches (see protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Pipeline } from '../pipeline.js';
import { GrowingOut, makeWriter } from '../sink/writers.js';
import { openCaptures } from '../source/lazy.js';
import type { PacketSource } from '../source/types.js';
import type { AbortMessage, BatchMessage, DoneMessage, FatalMessage, ShardJob } from './protocol.js';

/** Post a batch once this many bytes of records are gathered, or this long after the last post. */
const BATCH_BYTES = 1 << 18;
const BATCH_MS = 50;

async function main(job: ShardJob): Promise<void> {
  const port = parentPort!; // this module only runs as a worker
  const out = new GrowingOut();
  const writer = makeWriter(job.format, out);
  let ends: number[] = [];
  let keys: number[] = [];
  let lastPost = Date.now();
  const abort = new AbortController();
  const onMessage = (m: AbortMessage): void => {
    if (m.t === 'abort') abort.abort();
  };
  port.on('message', onMessage);

  const sources: PacketSource[] = await openCaptures(job.paths);
  const pipeline: Pipeline = new Pipeline({
    sources,
    flowTable: job.flowTable,
    verifyChecksums: job.verifyChecksums,
    shard: { index: job.index, count: job.count },
    signal: abort.signal,
    onFlowEnd: (r, ordinal, tie1, tie2) => {
      writer.write(r);
      ends.push(out.len);
      keys.push(ordinal, tie1, tie2);
      // Mid-packet, records of this ordinal may still follow: the watermark is the one before. At end of input
      // every packet is done (records to come are the rest of the open flows, ordinal Infinity).
      if (out.len >= BATCH_BYTES) post(Number.isFinite(ordinal) ? ordinal - 1 : pipeline.stats().packetsRead);
    },
    afterPump: () => {
      if (out.len >= BATCH_BYTES || Date.now() - lastPost >= BATCH_MS) post(pipeline.stats().packetsRead);
    },
  });

  function post(watermark: number): void {
    const msg: BatchMessage = {
      t: 'batch',
      bytes: out.take(),
      ends: Int32Array.from(ends),
      keys: Float64Array.from(keys),
      watermark,
      stats: pipeline.stats(),
      progress: pipeline.progress(),
    };
    ends = [];
    keys = [];
    lastPost = Date.now();
    port.postMessage(msg, [msg.bytes, msg.ends.buffer, msg.keys.buffer]);
  }

  const summary = await pipeline.run();
  post(Infinity);
  const done: DoneMessage = { t: 'done', stats: summary.stats, errors: summary.errors.map((e) => e.message) };
  port.postMessage(done);
  port.off('message', onMessage); // nothing left to listen for: the thread may end
}

main(workerData as ShardJob).catch((e: unknown) => {
  const msg: FatalMessage = { t: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  parentPort?.postMessage(msg);
});
