/**
 * Many capture files read in turn hold one file open at a time (openCaptures / LazyCapture), and give the frames and
 * errors reading them one by one gives.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LazyCapture, openCaptures } from '../../src/source/lazy.js';
import { openCapture } from '../../src/source/open.js';
import { CaptureError } from '../../src/source/types.js';
import { drain } from './read-all.js';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const dir = mkdtempSync(join(tmpdir(), 'sockscope-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Descriptors of this process open on files inside `dir`. */
function openInDir(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('openCaptures', () => {
  const paths = Array.from({ length: 40 }, (_, i) => join(dir, `rot-${String(i).padStart(3, '0')}.pcap`));
  for (const p of paths) copyFileSync(DEMO, p);

  it('checks every file, then holds none open until it is read, and one at a time while reading', async () => {
    const sources = await openCaptures(paths);
    expect(sources.every((s) => s instanceof LazyCapture)).toBe(true);
    expect(openInDir()).toBe(0);
    const one = await drain(await openCapture(DEMO));
    let most = 0;
    let frames = 0;
    for (const s of sources) {
      expect(s.stats().totalBytes).toBe(statSync(DEMO).size); // known before the file is opened again (progress)
      while (await s.pump(() => void frames++)) most = Math.max(most, openInDir());
      await s.close();
      expect(s.stats().packets).toBe(one.frames.length); // kept after closing
    }
    expect(most).toBe(1);
    expect(openInDir()).toBe(0);
    expect(frames).toBe(paths.length * one.frames.length);
  });

  it('a name that is no capture fails the call, naming it, before anything is read', async () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'not a capture at all');
    await expect(openCaptures([paths[0]!, bad])).rejects.toThrow(/notes\.txt.*unknown capture format/);
    expect(openInDir()).toBe(0);
  });

  it('a file removed after the check is a CaptureError naming it when its turn comes', async () => {
    const gone = join(dir, 'gone.pcap');
    copyFileSync(DEMO, gone);
    const [src] = await openCaptures([gone]);
    rmSync(gone);
    await expect(src!.pump(() => {})).rejects.toSatisfy(
      (e) => e instanceof CaptureError && e.file === gone && /cannot open: .*ENOENT/.test(e.message),
    );
  });

  it('standard input stays open from the check on (it cannot be read twice)', async () => {
    const [src] = await openCaptures(['-'], { stdin: Readable.from([readFileSync(DEMO)]) });
    expect(src).not.toBeInstanceOf(LazyCapture);
    const piped = await drain(src!);
    expect(piped.frames.length).toBe((await drain(await openCapture(DEMO))).frames.length);
  });
});

describe('sockscope flows over more files than it may open at once', () => {
  it('reads 300 files under a limit of 64 descriptors, with the records of reading them all', () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    const names: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = join(many, `cap-${String(i).padStart(3, '0')}.pcap`);
      symlinkSync(DEMO, p);
      names.push(p);
    }
    const cmd = `ulimit -n 64 && exec "${process.execPath}" "${BIN}" flows -f ndjson -q -j 1 "$@"`;
    const r = spawnSync('sh', ['-c', cmd, 'sh', ...names], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The records count every packet of every file (how the copies' packets split into flows does not matter here).
    const packets = (ndjson: string): number =>
      ndjson.trim().split('\n').map((l) => JSON.parse(l) as { orig_pkts: number; resp_pkts: number })
        .reduce((a, x) => a + x.orig_pkts + x.resp_pkts, 0);
    const single = spawnSync(process.execPath, [BIN, 'flows', '-f', 'ndjson', '-q', DEMO], { encoding: 'utf8', timeout: 60_000 });
    const singlePkts = packets(single.stdout);
    expect(singlePkts).toBeGreaterThan(0);
    const pkts = packets(r.stdout);
    expect(pkts).toBe(300 * singlePkts);
  });
});
