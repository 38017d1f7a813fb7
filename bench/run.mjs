#!/usr/bin/env node
// npm run bench: the deterministic workload from ../shared/bench/make-pcap.mjs, timed in one run for
//   sockscope flows --format ndjson       (this project: two worker threads by default, and -j 1: one thread)
//   tshark -n -q -z conv,tcp -z conv,udp  (Wireshark's conversation tables)
//   softflowd -6 -m 4000000 -d -r FILE    (a C flow exporter that tracks every flow)
//   sockscope watch (TUI replay at full speed, when `watch --headless` exists)
// and prints packets per second, the ratios against the others, and peak memory (GNU time's max RSS); then the time
// per packet of each stage of the pipeline (bench/stages.mjs).
// Usage: node bench/run.mjs [--packets 2M] [--flows 50000] [--runs 1] [--floods none|synflood,...] [--flat 10M|none]
//   [--live none]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const packets = opt('packets', '2M');
const flows = opt('flows', '50000');
const runs = Number(opt('runs', '1'));
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const pcap = join(outDir, `bench-${packets}-${flows}.pcap`);
const maker = resolve(root, '..', 'shared', 'bench', 'make-pcap.mjs');

if (!existsSync(pcap)) {
  console.error(`generating ${pcap} ...`);
  execFileSync(process.execPath, [maker, '--packets', packets, '--flows', flows, '--seed', '1', '--out', pcap, '--quiet'], { stdio: 'inherit' });
}
const truth = JSON.parse(readFileSync(`${pcap}.truth.json`, 'utf8'));
const nPackets = truth.packets ?? truth.total_packets ?? Number(String(packets).replace(/M$/i, '000000').replace(/k$/i, '000'));

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Runs argv under GNU time; returns wall seconds and max RSS in MB (best of `runs`). */
/**
 * Where the tools' output goes: /dev/null opened write-only, as a shell's `> /dev/null` does (sockscope takes a
 * /dev/null open for reading and writing, which is what Node's stdio 'ignore' hands over, for a closed stdout).
 */
const DEV_NULL = openSync('/dev/null', 'w');

function measure(name, argv, { stdout = DEV_NULL } = {}) {
  let best = null;
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
    const line = r.stderr.trim().split('\n').pop() ?? '';
    const [secs, kb] = line.split(' ').map(Number);
    if (r.status !== 0 || !Number.isFinite(secs)) {
      console.error(`${name}: failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
      return null;
    }
    if (best === null || secs < best.secs) best = { name, secs, rssMb: kb / 1024, stderr: r.stderr };
  }
  return best;
}

/**
 * Reads `file` once, untimed, so that the first tool timed on it does not pay for the disk alone: the page cache then
 * serves every tool alike (bench-10M, read in the previous run, evicts the other captures from it).
 */
function warm(file) {
  spawnSync('cat', [file], { stdio: ['ignore', DEV_NULL, 'ignore'] });
}

const results = [];
const sockscope = join(root, 'bin', 'sockscope');
warm(pcap);
results.push(measure('sockscope flows', [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', pcap]));
// One thread (-j 1): the default takes two worker threads for a file this large where there are two cores or more
// (same output); and one per core up to 4 (-j auto) where there are more than two.
results.push(measure('sockscope flows -j 1', [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', '-j', '1', pcap]));
const threads = Math.min(4, availableParallelism());
if (threads > 2) {
  results.push(measure(`sockscope flows -j ${threads}`, [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', '--threads', String(threads), pcap]));
}
if (have('tshark')) results.push(measure('tshark conv', ['tshark', '-n', '-q', '-r', pcap, '-z', 'conv,tcp', '-z', 'conv,udp']));
else console.error('tshark not installed (apt-get install -y tshark): skipped');
if (have('softflowd')) results.push(measure('softflowd', ['softflowd', '-6', '-m', '4000000', '-d', '-r', pcap, '-n', '127.0.0.1:9995']));
else console.error('softflowd not installed (apt-get install -y softflowd): skipped');
const help = spawnSync(process.execPath, [sockscope, 'watch', '--help'], { encoding: 'utf8' });
if (help.status === 0 && help.stdout.includes('--headless')) {
  results.push(measure('sockscope watch (TUI, max speed)', [process.execPath, sockscope, 'watch', '--headless', '--speed', 'max', pcap]));
}

const ok = results.filter(Boolean);
const base = ok.find((r) => r.name === 'sockscope flows');
console.log(`\nworkload: ${pcap} (${nPackets} packets, ${flows} TCP connections)\n`);
console.log('tool'.padEnd(36) + 'seconds'.padStart(9) + 'packets/s'.padStart(14) + 'peak MB'.padStart(10) + '   vs sockscope flows');
for (const r of ok) {
  const pps = nPackets / r.secs;
  const ratio = base ? (r.secs / base.secs).toFixed(2) + 'x time' : '';
  console.log(r.name.padEnd(36) + r.secs.toFixed(2).padStart(9) + Math.round(pps).toLocaleString('en').padStart(14) + r.rssMb.toFixed(0).padStart(10) + '   ' + ratio);
}
const soft = ok.find((r) => r.name === 'softflowd');
if (base && soft) {
  const speedup = soft.secs / base.secs;
  console.log(`\nsockscope flows runs at ${speedup.toFixed(2)}x softflowd's speed (target >= 1.5x); peak memory ${base.rssMb.toFixed(0)} MB (target < 300 MB)`);
  for (const other of ok.filter((r) => r.name.startsWith('sockscope flows -j'))) {
    console.log(`${other.name} runs at ${(soft.secs / other.secs).toFixed(2)}x softflowd's speed; peak memory ${other.rssMb.toFixed(0)} MB`);
  }
}
// The TUI replay runs on one thread: set beside `flows -j 1`, the same work without the screen.
const tui = ok.find((r) => r.name.startsWith('sockscope watch'));
const one = ok.find((r) => r.name === 'sockscope flows -j 1');
if (one && tui) console.log(`TUI replay vs flows -j 1: ${(tui.secs / one.secs).toFixed(2)}x the time (target <= 1.3x)`);

// ── Names (issue 15): `flows --names` against `flows -j 1` on the same capture (--names runs on one thread: passive
// DNS names flows from answers in any of them), in CPU time (user + system: the machine may be shared), best of at
// least 5 runs of each, run in turns. The limit: at most 10% more. The best wall time of the same runs is
// printed beside it (V8 compiles on a thread of its own: CPU time counts that, waiting does not).
{
  const timed = (argv) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', ...argv], { stdio: ['ignore', DEV_NULL, 'pipe'], encoding: 'utf8' });
    const [user, sys, wall] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    return r.status === 0 && Number.isFinite(user) && Number.isFinite(sys) && Number.isFinite(wall) ? [user + sys, wall] : [Number.NaN, Number.NaN];
  };
  const plainArgv = [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', '-j', '1', pcap];
  let plain = Infinity, named = Infinity, plainWall = Infinity, namedWall = Infinity;
  for (let i = 0; i < Math.max(5, runs); i++) {
    const [p, pw] = timed(plainArgv);
    const [n, nw] = timed([...plainArgv.slice(0, -1), '--names', pcap]);
    plain = Math.min(plain, p);
    plainWall = Math.min(plainWall, pw);
    named = Math.min(named, n);
    namedWall = Math.min(namedWall, nw);
  }
  if (Number.isFinite(plain) && Number.isFinite(named)) {
    const more = (a, b) => (((a / b) - 1) * 100).toFixed(1);
    console.log(`flows --names: ${named.toFixed(2)} s CPU against ${plain.toFixed(2)} s without: ${more(named, plain)}% more (limit 10%);` +
      ` wall ${namedWall.toFixed(2)} s against ${plainWall.toFixed(2)} s: ${more(namedWall, plainWall)}% more`);
  } else console.error('flows --names: failed');
}

// Memory flat in the input's size (issue 12): the same traffic five times longer peaks as the 2M capture does.
// `--flat none` skips it; the capture (about 9 GB) is generated once into bench/out.
const flat = opt('flat', '10M');
if (flat !== 'none' && base) {
  const big = join(outDir, `bench-${flat}-${flows}.pcap`);
  if (!existsSync(big)) {
    console.error(`generating ${big} ...`);
    execFileSync(process.execPath, [maker, '--packets', flat, '--flows', flows, '--seed', '1', '--out', big, '--quiet'], { stdio: 'inherit' });
  }
  warm(big);
  const m = measure(`sockscope flows bench-${flat}`, [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', big]);
  if (m) {
    console.log(`\nmemory flat in input size: bench-${flat} ${m.secs.toFixed(2)} s, peak ${m.rssMb.toFixed(0)} MB; bench-${packets} peak ${base.rssMb.toFixed(0)} MB` +
      ` (${(m.rssMb / base.rssMb).toFixed(2)}x)`);
  }
}

// Where the time goes: the pipeline's stages, each timed alone in the same run (bench/stages.mjs).
warm(pcap);
const st = spawnSync(process.execPath, [join(root, 'bench', 'stages.mjs'), pcap, '--runs', String(runs)], { encoding: 'utf8' });
if (st.status === 0) {
  const s = JSON.parse(st.stdout);
  const us = (secs) => ((secs * 1e6) / nPackets).toFixed(2).padStart(6);
  console.log('\nstages of sockscope flows (one thread, in-process, no output written), µs per packet:');
  console.log(`  read ${us(s.read)}   + decode ${us(s.decode - s.read)}   + flows and TCP ${us(s.demux - s.decode)}   + records ${us(s.flows - s.demux)}   = ${us(s.flows)}`);
  if (s.encoded > 0) console.log(`  the ndjson encoder alone: ${Math.round(s.encoded / s.encode).toLocaleString('en')} records a second (${s.encoded} of this capture's flows, each encoded 5 times; target >= 1,000,000)`);
  if (soft) console.log(`  softflowd, whole run: ${us(soft.secs)}; 3x softflowd would be ${us(soft.secs / 3)}`);
} else console.error(`stages: failed: ${st.stderr.slice(-500)}`);

// ── Floods, scans and short flows (issue 12): ../shared/bench/make-flood.mjs workloads, sockscope against softflowd in
// the same run. `--floods none` skips them; `--floods synflood,udpflood` picks some.
const FLOODS = {
  synflood: { args: ['--scenario', 'synflood', '--packets', '2M'], target: 2, mb: 600 },
  portscan: { args: ['--scenario', 'portscan', '--hosts', '50'], target: 2, mb: 600 },
  mixed: { args: ['--scenario', 'mixed', '--packets', '2M'], target: 2, mb: 600 },
  udpflood: { args: ['--scenario', 'udpflood', '--packets', '1M'], target: 1, mb: 600 },
};
const floodMaker = resolve(root, '..', 'shared', 'bench', 'make-flood.mjs');
const pick = opt('floods', Object.keys(FLOODS).join(','));
const chosen = pick === 'none' ? [] : pick.split(',').filter((n) => n in FLOODS);
if (chosen.length > 0 && existsSync(floodMaker)) {
  const rows = [];
  for (const name of chosen) {
    const w = FLOODS[name];
    const file = join(outDir, `flood-${name}.pcap`);
    if (!existsSync(file)) {
      console.error(`generating ${file} ...`);
      execFileSync(process.execPath, [floodMaker, ...w.args, '--seed', '1', '--out', file, '--quiet'], { stdio: 'inherit' });
    }
    const t = JSON.parse(readFileSync(`${file}.truth.json`, 'utf8'));
    const pkts = t.totals?.packets ?? t.packets;
    warm(file);
    // Not --quiet: the summary (flows, evictions) is read from the run's own stderr.
    const ss = measure(`sockscope flows ${name}`, [process.execPath, sockscope, 'flows', '--format', 'ndjson', file]);
    const one = measure(`sockscope flows -j 1 ${name}`, [process.execPath, sockscope, 'flows', '--format', 'ndjson', '--quiet', '-j', '1', file]);
    // softflowd's -m must hold every flow (it evicts otherwise); the flow count is ours, taken from the run above.
    const sf = have('softflowd') ? measure(`softflowd ${name}`, ['softflowd', '-6', '-m', '8000000', '-d', '-r', file, '-n', '127.0.0.1:9995']) : null;
    const nFlows = ss?.stderr.match(/assigned to (\d+) flows/)?.[1];
    const evicted = ss?.stderr.match(/(\d+) flows were written early/)?.[1];
    if (evicted !== undefined) console.error(`${name}: ${evicted} flows written early to keep within --memory (end_reason evicted)`);
    rows.push({ name, pkts, flows: Number(nFlows ?? NaN), ss, one, sf, w });
  }
  console.log('\nfloods, scans and short flows (make-flood.mjs, seed 1); sockscope with default options (--memory 480; two worker threads on two cores or more), and -j 1:');
  console.log('workload'.padEnd(10) + 'packets'.padStart(10) + 'flows'.padStart(10) + '  tool'.padEnd(12) + 'seconds'.padStart(9) + 'packets/s'.padStart(12) + 'flows/s'.padStart(11) + 'peak MB'.padStart(9) + '   speed vs softflowd (target)');
  for (const r of rows) {
    for (const [tool, m] of [['sockscope', r.ss], ['-j 1', r.one], ['softflowd', r.sf]]) {
      if (m === null) continue;
      const ratio = tool === 'sockscope' && r.sf ? `${(r.sf.secs / m.secs).toFixed(2)}x (>= ${r.w.target}x, peak < ${r.w.mb} MB)`
        : tool === '-j 1' && r.sf ? `${(r.sf.secs / m.secs).toFixed(2)}x (one thread)` : '';
      console.log(r.name.padEnd(10) + String(r.pkts).padStart(10) + String(r.flows).padStart(10) + `  ${tool}`.padEnd(12) + m.secs.toFixed(2).padStart(9) +
        Math.round(r.pkts / m.secs).toLocaleString('en').padStart(12) + Math.round(r.flows / m.secs).toLocaleString('en').padStart(11) + m.rssMb.toFixed(0).padStart(9) + '   ' + ratio);
    }
  }
}

// ── Live capture rate (issue 17): bench/live-rate.mjs, sockscope capture and tcpdump on a veth between two namespaces
// in the same run (root only; `--live none` skips it).
if (opt('live', 'yes') !== 'none') {
  const lr = spawnSync(process.execPath, [join(root, 'bench', 'live-rate.mjs')], { encoding: 'utf8', timeout: 300_000 });
  process.stdout.write(lr.stdout);
  if (lr.status !== 0) console.error(`live rate: failed: ${(lr.stderr ?? '').slice(-500)}`);
}
