/**
 * `updateEstablished` (the short path for segments of established connections) is a copy of the steps `updateAny`
 * takes for them: every corpus capture, read with it and without it, gives the same records, field for field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useFastPath } from '../../src/tcp/connection.js';
import { recordJson } from '../../src/sink/fields.js';
import { corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

async function lines(capture: string, verifyChecksums: boolean): Promise<string[]> {
  const r = await runCapture(capture, {}, { verifyChecksums });
  return r.records.map((rec) => recordJson(rec));
}

describe.skipIf(!HAVE_CORPUS)('the short path for established connections', () => {
  afterEach(() => useFastPath(true));

  it('writes the records of the general path on every corpus capture', async () => {
    let tcpRecords = 0;
    for (const c of corpusCaptures()) {
      for (const verify of [false, true]) {
        useFastPath(true);
        const fast = await lines(c, verify);
        useFastPath(false);
        const general = await lines(c, verify);
        expect.soft(fast, c).toEqual(general);
        tcpRecords += fast.filter((l) => l.includes('"proto":"tcp"')).length;
      }
    }
    expect(tcpRecords).toBeGreaterThan(1000);
  }, 120_000);
});
