import { describe, expect, it } from 'vitest';
import { recordJson } from '../../src/sink/fields.js';
import { encodeRecordJson } from '../../src/sink/json-bytes.js';
import { ChunkedOut } from '../../src/sink/writers.js';
import { corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';
import { record } from '../helpers/records.js';

function encodeAll(records: Parameters<typeof recordJson>[0][]): string {
  const chunks: Buffer[] = [];
  const out = new ChunkedOut({ write: (b: Uint8Array) => chunks.push(Buffer.from(b)) });
  for (const r of records) encodeRecordJson(out, r);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('encodeRecordJson', () => {
  it('writes exactly recordJson + newline, escapes included', () => {
    const odd = [
      record(),
      record({ durationSec: 0, history: '', rttSynSec: null }),
      record({ origAddr: 'quote " back \\ tab \t é ☃', uid: 'x'.repeat(6000), startSec: 1e-7, lastSec: 12345678901.5 }),
    ];
    expect(encodeAll(odd)).toBe(odd.map((r) => `${recordJson(r)}\n`).join(''));
  });

  it.skipIf(!HAVE_CORPUS)('agrees with recordJson on every flow of the corpus and the demo capture', async () => {
    const all = [];
    for (const c of [...corpusCaptures(), new URL('../../fixtures/demo.pcap', import.meta.url).pathname]) {
      all.push(...(await runCapture(c)).records);
    }
    expect(all.length).toBeGreaterThan(1000);
    expect(encodeAll(all)).toBe(all.map((r) => `${recordJson(r)}\n`).join(''));
  });
});
