/**
 * ChunkedOut reuses a chunk once its sink has written it, and only a sink that writes to a file descriptor gets its
 * chunks back: a stream in the process (a PassThrough) hands the very chunk to its reader, who may read it later.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkedOut } from '../../src/sink/writers.js';

/** 20,000 lines of 60 bytes: some 18 chunks of 64 KiB. */
function lines(): string[] {
  return Array.from({ length: 20_000 }, (_, i) => `{"line":${String(i).padStart(8, '0')},"pad":"${'x'.repeat(28)}"}\n`);
}

describe('ChunkedOut chunk reuse', () => {
  it('a PassThrough read only at the end gets every byte as written (its chunks are not reused)', async () => {
    const sink = new PassThrough({ highWaterMark: 1 << 30 });
    const out = new ChunkedOut(sink, 60_000);
    const want = lines();
    for (const l of want) out.write(l);
    out.flush();
    sink.end();
    const got: Buffer[] = [];
    for await (const c of sink) got.push(c as Buffer);
    expect(Buffer.concat(got).toString()).toBe(want.join(''));
  });

  it('a file written at once gets every byte, through reused chunks', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sockscope-chunks-')), 'out.ndjson');
    const fd = openSync(path, 'w');
    let allocations = 0;
    const seen = new Set<ArrayBufferLike>();
    const sink = Object.assign(
      new Writable({
        write(chunk: Buffer, _e, done) {
          if (!seen.has(chunk.buffer)) allocations++;
          seen.add(chunk.buffer);
          writeSync(fd, chunk);
          done();
        },
      }),
      { fd },
    );
    const out = new ChunkedOut(sink, 60_000);
    const want = lines();
    for (const l of want) out.write(l);
    out.flush();
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe(want.join(''));
    expect(allocations).toBeLessThanOrEqual(2); // 18 chunks written from the same one or two buffers
  });
});
