#!/usr/bin/env node
// Where the time of `sockscope flows` goes: the compiled pipeline's stages timed separately on one capture, each
// in a fresh process (best of --runs), so that `npm run bench` can set them beside softflowd's time.
//   read     the capture reader alone (records walked, frames handed over)
//   decode   + header decoding into the reused DecodedPacket
//   demux    + the demultiplexer (flow table, counters, TCP tracking), ended flows recycled without records
//   flows    + records, ndjson-encoded into memory straight from each ended flow (what `flows --format ndjson`
//            does, without the write to stdout)
//   encode   the ndjson encoder alone: the capture's ended flows (up to 100,000) kept, then each encoded 5 times
//            (seconds per pass over them, and `records`: how many)
// Usage: node bench/stages.mjs FILE [--runs N]   (prints one JSON line: seconds per stage, and the records written)
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const STAGES = ['read', 'decode', 'demux', 'flows', 'encode'];

/** One stage, timed in this process: seconds from the first read to the last record. */
async function runStage(stage, file) {
  const { openCapture } = await import(dist('source/open.js'));
  const { decodeFrame } = await import(dist('decode/index.js'));
  const { DecodedPacket } = await import(dist('decode/packet.js'));
  const { Demux } = await import(dist('flow/demux.js'));
  const { encodeFlowJson } = await import(dist('sink/flow-json.js'));
  const { ChunkedOut } = await import(dist('sink/writers.js'));
  // A sink that takes each chunk at once (as standard output to a file does), so that chunks are reused.
  const out = new ChunkedOut({ write() {}, writableLength: 0, fd: -1 }, 60_000);
  const p = new DecodedPacket();
  const records = stage === 'flows';
  let written = 0;
  const kept = [];
  const keep = stage === 'encode';
  const demux = new Demux({}, (f) => {
    if (records) {
      encodeFlowJson(out, f, f.endReason);
      written++;
    }
    if (keep && kept.length < 100_000) kept.push(f);
    else demux.recycle(f);
  });
  const decode = stage !== 'read';
  const flows = stage === 'demux' || stage === 'flows' || keep;
  const t0 = performance.now();
  const src = await openCapture(file);
  let bytes = null;
  let view = null;
  let n = 0;
  while (
    await src.pump((f) => {
      n++;
      if (!decode) return;
      if (f.bytes !== bytes) {
        bytes = f.bytes;
        view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      decodeFrame(p, f.bytes, view, f.offset, f.caplen, f.linkType);
      // Capture time to the microsecond, as the pipeline takes it (captureSec).
      if (flows) demux.packet(p, f.tsSec + Math.floor(f.tsNsec / 1000) * 1e-6, f.wireLen);
    })
  );
  if (flows) demux.flush();
  await src.close();
  if (keep) {
    // The encoder alone, over flows kept from this capture (their lone-SYN trackers and names as they were).
    const passes = 5;
    const t1 = performance.now();
    for (let k = 0; k < passes; k++) {
      for (const f of kept) {
        encodeFlowJson(out, f, f.endReason);
        if (out.len > 1 << 20) out.len = 0; // nothing to write to: start the chunk over
      }
    }
    return { seconds: (performance.now() - t1) / 1000 / passes, packets: n, records: kept.length };
  }
  return { seconds: (performance.now() - t0) / 1000, packets: n, records: written };
}

const args = process.argv.slice(2);
if (args[0] === '--stage') {
  const r = await runStage(args[1], args[2]);
  console.log(JSON.stringify(r));
} else {
  const file = args[0];
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Number(args[i + 1]) : 1;
  const result = {};
  for (const stage of STAGES) {
    let best = Infinity;
    for (let k = 0; k < runs; k++) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--stage', stage, file], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`stage ${stage}: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      best = Math.min(best, out.seconds);
      if (stage === 'flows') result.records = out.records;
      if (stage === 'encode') result.encoded = out.records;
    }
    result[stage] = best;
  }
  console.log(JSON.stringify(result));
}
