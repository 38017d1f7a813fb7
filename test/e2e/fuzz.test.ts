/**
 * Mutation fuzzing of the whole `flows` command (fast-check): small real captures (the fixtures, a few corpus files
 * of each container: pcap both resolutions, pcapng, gzip) with bytes flipped, set, zeroed, duplicated, inserted,
 * 32-bit fields set to absurd lengths, and cuts. Whatever the input: no uncaught exception, no hang, exit code
 * 0/1/2, every error names the file, the packet and the byte, and every output line is a whole record.
 * In process (main() with an injected environment), bounded to well under a minute.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/env.js';
import { main } from '../../src/cli/main.js';
import { CORPUS } from '../helpers/corpus.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-fuzz-'));

/** The seeds: small enough that a run takes milliseconds, varied enough to reach every reader. */
const SEEDS: { name: string; bytes: Uint8Array }[] = (() => {
  const seeds = ['demo.pcap', 'demo-vlan.pcap', 'demo-qinq.pcap'].map((f) => ({ name: f, bytes: readFileSync(join(FIXTURES, f)) }));
  seeds.push({ name: 'demo.pcap.gz', bytes: gzipSync(readFileSync(join(FIXTURES, 'demo.pcap'))) });
  const corpus = [
    'tcpdump/tcp-handshake-nano.pcap', 'tcpdump/ip6_frag_asan.pcap', 'tcpdump/time_2107.pcapng',
    'zeek/pcapng-multi-interface.pcapng', 'misc/chrissanders-packets/ip_frag_source.pcapng',
    'community-id/pcaps/icmp6.pcap', 'tcpdump/802.1ad_QinQ.pcap',
  ];
  for (const rel of corpus) {
    const p = join(CORPUS, rel);
    if (existsSync(p)) seeds.push({ name: rel.replace(/\//g, '_'), bytes: readFileSync(p) });
  }
  return seeds;
})();

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number; little: boolean }
  | { kind: 'zero'; at: number; len: number }
  | { kind: 'dup'; at: number; len: number; to: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'cut'; at: number };

/** Positions are fractions of the length, so one mutation fits any seed. */
// Without bias: fast-check favours edge values, which would put most mutations into the file header.
const frac = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Weighted towards changes that keep the records' framing, so that most inputs are read to their end and the
  // decoders, reassembly and flow table see the damage, not only the readers.
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), at: frac, value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({
    kind: fc.constant('u32' as const), at: frac, little: fc.boolean(),
    value: fc.constantFrom(0, 1, 0xff, 0xffff, 0x10000, 0x40000, 0x10000000, 0x7fffffff, 0xffffffff, 0xfffffff0),
  }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('zero' as const), at: frac, len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), at: frac, len: fc.integer({ min: 1, max: 4096 }), to: frac }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: frac, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: frac }) },
) as fc.Arbitrary<Mutation>;

function apply(seed: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(seed);
  for (const m of ms) {
    const at = Math.floor(m.at * b.length);
    switch (m.kind) {
      case 'set':
        if (at < b.length) b[at] = m.value;
        break;
      case 'u32':
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, m.value, m.little);
        break;
      case 'zero':
        b.fill(0, at, Math.min(b.length, at + m.len));
        break;
      case 'dup': {
        const piece = b.slice(at, Math.min(b.length, at + m.len));
        const to = Math.floor(m.to * b.length);
        b = Uint8Array.from([...b.subarray(0, to), ...piece, ...b.subarray(to)]);
        break;
      }
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
        break;
      case 'cut':
        b = b.slice(0, at);
        break;
    }
  }
  return b;
}

let runs = 0;
/** Runs `sockscope flows -f FORMAT file` in process; rejects on an uncaught exception or after 15 s. */
async function flows(bytes: Uint8Array, format: string) {
  const file = join(tmp, `m${runs++}.cap`);
  writeFileSync(file, bytes);
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  stdout.on('data', (d) => (out += String(d)));
  const env: Env = {
    stdout, stderr: new PassThrough().on('data', (d) => (err += String(d))), stdin: new PassThrough(),
    now: () => 0, isTTY: false, errIsTTY: false, columns: 80,
  };
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang on ${file}`)), 15_000)));
  try {
    const code = await Promise.race([main(['flows', '-f', format, file], env), hang]);
    await new Promise((r) => setImmediate(r));
    return { file, code, out, err };
  } finally {
    clearTimeout(timer);
  }
}

/** The checks every run must pass. */
function check(r: Awaited<ReturnType<typeof flows>>, format: string): void {
  expect([0, 1, 2]).toContain(r.code);
  // Errors: `sockscope: error: ...` after a run, or the one line of a file rejected before anything is read.
  const errors = r.err.split('\n').filter((l) => l.startsWith('sockscope: error:') || l.includes(r.file));
  if (r.code === 1) expect(errors.length, r.err).toBeGreaterThan(0);
  for (const e of errors) expect(e, r.err).toMatch(new RegExp(`${r.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: packet \\d+ at byte \\d+: \\S`));
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  if (format === 'ndjson') {
    for (const line of r.out.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    if (r.out !== '') expect(r.out.endsWith('\n')).toBe(true);
  } else if (format === 'json') {
    if (r.out !== '') expect(Array.isArray(JSON.parse(r.out))).toBe(true);
  } else if (format === 'csv') {
    const lines = r.out.split('\n').filter(Boolean);
    if (lines.length > 0) expect(lines[0]).toMatch(/^ts,uid,/);
  }
}

describe('mutated captures', () => {
  it('every seed reads cleanly as it is', async () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(4);
    for (const s of SEEDS) check(await flows(s.bytes, 'ndjson'), 'ndjson');
  });

  it('no crash, no hang, exit 0/1/2, located errors, whole records', async () => {
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: SEEDS.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('ndjson', 'ndjson', 'json', 'csv', 'zeek', 'table'),
        async (seed, ms, format) => {
          const r = await flows(apply(SEEDS[seed]!.bytes, ms), format);
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          check(r, format);
        },
      ),
      { numRuns: 2000, interruptAfterTimeLimit: 30_000 },
    );
    // The mutations reach both sides: inputs read whole and inputs rejected with an error.
    expect(Math.min(codes.get(0) ?? 0, codes.get(1) ?? 0), JSON.stringify([...codes])).toBeGreaterThan(100);
  }, 60_000);
});
