/**
 * Manual micro-benchmark, skipped unless SOCKSCOPE_READ_BENCH names a capture:
 *
 *   node ../shared/bench/make-pcap.mjs --packets 2M --flows 50000 --seed 1 --out /tmp/bench.pcap --quiet
 *   SOCKSCOPE_READ_BENCH=/tmp/bench.pcap npx vitest run test/source/read-speed
 *
 * With SOCKSCOPE_READ_BENCH_STREAM=1 the file is read as `-` from a stream (as `cat FILE | sockscope flows -`).
 *
 * It only counts packets (and sums caplen so the loop has a data dependency), and prints packets per second.
 * Not a timed assertion: machines differ.
 *
 * Measured on the 2-core dev machine (Node 20.20, page cache warm, 2M packets / 1.4 GB, plain `node` on the compiled
 * reader): pcap 7.9-9.3 Mpkt/s, the same file as pcapng (editcap) 6.4-6.8 Mpkt/s, RSS 51 MiB; from a pipe
 * (`cat | ... -`) 1.2-1.4 Mpkt/s, bound by Node's 64 KiB pipe reads (a bare `for await` over stdin moves 1.2 GB/s);
 * gzip 0.4 Mpkt/s, bound by inflate (faster than `gzip -dc`). Under vitest the figures swing more (3-14 Mpkt/s).
 */
import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/source/open.js';

const file = process.env['SOCKSCOPE_READ_BENCH'];

describe.skipIf(file === undefined)('read speed (manual)', () => {
  it('counts packets', async () => {
    for (let round = 0; round < 3; round++) {
      const src = process.env['SOCKSCOPE_READ_BENCH_STREAM'] === '1'
        ? await openCapture('-', { stdin: createReadStream(file!) })
        : await openCapture(file!);
      let packets = 0;
      let bytes = 0;
      const t0 = process.hrtime.bigint();
      while (
        await src.pump((f) => {
          packets++;
          bytes += f.caplen;
        })
      );
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      await src.close();
      const st = src.stats();
      console.log(
        `round ${round}: ${packets} packets, ${(st.bytesRead / 2 ** 20).toFixed(0)} MiB in ${sec.toFixed(3)} s: ` +
          `${(packets / sec / 1e6).toFixed(2)} Mpkt/s, ${(st.bytesRead / sec / 2 ** 30).toFixed(2)} GiB/s`,
      );
      expect(packets).toBe(st.packets);
      expect(bytes).toBeGreaterThan(0);
    }
  });
});
