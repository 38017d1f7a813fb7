// Live capture rate: the packet rate `sockscope capture` (through cap) takes without loss, with tcpdump as the
// yardstick in the same run. Two network namespaces joined by a veth pair; a UDP sender in one sends small datagrams
// at a fixed rate for a few seconds while the capturing program listens on the receiving veth in the other; then the
// same with the other program. For each rate: datagrams sent, packets the receiving interface counted (rx_packets),
// and packets each tool captured (sockscope's summary "N packets read", tcpdump's "N packets captured" and its own
// "dropped by kernel"). A rate is sustained when a tool captured every datagram sent (the interface's count also
// holds the namespaces' own ARP and neighbour packets, which the udp filter leaves out).
//
// Needs root (ip netns), tcpdump and the built cap addon. Bounded: each step lasts --seconds (default 2) plus about
// 2 s of start and stop, the ladder stops at the first rate the sender itself cannot reach, and every child process is
// killed after 20 s at the latest; each buffer size is a ladder of its own. Usage:
//   sudo node bench/live-rate.mjs [--seconds 2] [--rates 10000,25000,...] [--buffer 16384,131072]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sockscope = join(root, 'bin', 'sockscope');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const seconds = Number(opt('seconds', '2'));
const rates = opt('rates', '2000,5000,10000,25000,50000,100000,200000').split(',').map(Number);
// Both capture through libpcap with the same ring: immediate mode (cap always sets it; libpcap then uses TPACKET_V2,
// one slot of the snap length per packet), snap length 65535 (cap's fixed one) and the same kernel buffer.
// sockscope's default buffer (16 MiB: 256 slots), then 128 MiB (2048 slots).
const buffers = opt('buffer', '16384,131072').split(',').map(Number);

const skip = (why) => {
  console.log(`live rate: skipped: ${why}`);
  process.exit(0);
};
if (process.getuid?.() !== 0) skip('needs root (ip netns): sudo node bench/live-rate.mjs');
if (spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0) skip('tcpdump not found (apt-get install -y tcpdump)');
try {
  readFileSync(join(root, 'node_modules/cap/build/Release/cap.node'));
} catch {
  skip('cap is not built (apt-get install -y libpcap-dev && npm rebuild cap)');
}

const tag = `lr${process.pid % 100000}`;
const nsA = `${tag}-a`, nsB = `${tag}-b`, vethA = `${tag}a`, vethB = `${tag}b`;
const ip = (...a) => {
  const r = spawnSync('ip', a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
};
const cleanup = () => {
  spawnSync('ip', ['netns', 'del', nsA]);
  spawnSync('ip', ['netns', 'del', nsB]);
};
process.on('exit', cleanup);
ip('netns', 'add', nsA);
ip('netns', 'add', nsB);
ip('link', 'add', vethA, 'netns', nsA, 'type', 'veth', 'peer', 'name', vethB, 'netns', nsB);
for (const [ns, dev, addr] of [[nsA, vethA, '10.98.0.1/24'], [nsB, vethB, '10.98.0.2/24']]) {
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
  ip('-n', ns, 'link', 'set', dev, 'up');
}

const dir = mkdtempSync(join(tmpdir(), 'sockscope-live-rate-'));
// Sends `rate` datagrams of 18 bytes a second for `seconds`, paced per millisecond; prints how many were sent.
writeFileSync(join(dir, 'send.mjs'), `
import dgram from 'node:dgram';
const [rate, seconds] = [Number(process.argv[2]), Number(process.argv[3])];
const s = dgram.createSocket('udp4');
const buf = Buffer.alloc(18, 0x61);
let sent = 0, queued = 0;
const total = Math.round(rate * seconds);
const t0 = performance.now();
await new Promise((done) => {
  const tick = () => {
    const due = Math.min(total, Math.round(((performance.now() - t0) / 1000) * rate));
    // Never more than 2,000 sends queued in libuv: a sender that falls behind sends less, and says so.
    while (queued < due && queued - sent < 2000) { queued++; s.send(buf, 9, '10.98.0.2', () => { sent++; if (sent === total) done(); }); }
    if (performance.now() - t0 > seconds * 1000 + 3000) return done();
    setImmediate(tick);
  };
  tick();
});
const took = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ sent, seconds: took }));
s.close();
`);

const rxPackets = () => Number(spawnSync('ip', ['netns', 'exec', nsB, 'cat', `/sys/class/net/${vethB}/statistics/rx_packets`], { encoding: 'utf8' }).stdout.trim());

function start(cmd, argv) {
  const p = spawn('ip', ['netns', 'exec', nsB, cmd, ...argv], { stdio: ['ignore', openSync('/dev/null', 'w'), 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
  const exited = new Promise((r) => p.on('exit', () => { clearTimeout(killer); r(); }));
  return { p, err: () => err, exited };
}

async function until(read, re, ms) {
  const end = Date.now() + ms;
  while (!re.test(read())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}: ${read()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One step: `tool` captures on vethB while the sender sends at `rate`. */
async function step(tool, rate, bufferKiB) {
  const cap = tool === 'sockscope'
    ? start(process.execPath, [sockscope, 'capture', '-i', vethB, '-B', String(bufferKiB), '--format', 'ndjson', '--duration', '30', 'udp'])
    : start('tcpdump', ['-i', vethB, '--immediate-mode', '-s', '65535', '-B', String(bufferKiB), '-nn', '-w', '/dev/null', 'udp']);
  await until(cap.err, /listening on/, 10_000);
  const rx0 = rxPackets();
  const send = spawnSync('ip', ['netns', 'exec', nsA, process.execPath, join(dir, 'send.mjs'), String(rate), String(seconds)], { encoding: 'utf8', timeout: 20_000 });
  const s = JSON.parse(send.stdout);
  await new Promise((r) => setTimeout(r, 500)); // let the capture drain
  const received = rxPackets() - rx0;
  cap.p.kill('SIGINT');
  await cap.exited;
  const text = cap.err();
  const captured = tool === 'sockscope'
    ? Number(/sockscope: (\d+) packets? read/.exec(text)?.[1] ?? NaN)
    : Number(/(\d+) packets? captured/.exec(text)?.[1] ?? NaN);
  const kernelDropped = tool === 'tcpdump' ? Number(/(\d+) packets? dropped by kernel/.exec(text)?.[1] ?? NaN) : undefined;
  return { tool, rate, sent: s.sent, achieved: Math.round(s.sent / s.seconds), received, captured, kernelDropped };
}

const rows = [];
const best = new Map(); // `${tool} ${buffer}` -> highest rate without loss
try {
  for (const bufferKiB of buffers) {
    for (const rate of rates) {
      const pair = [await step('sockscope', rate, bufferKiB), await step('tcpdump', rate, bufferKiB)];
      for (const r of pair) {
        r.buffer = bufferKiB;
        const k = `${r.tool} ${bufferKiB}`;
        if (!best.has(k)) best.set(k, 0);
        if (r.captured === r.sent && r.sent > 0) best.set(k, Math.max(best.get(k), r.achieved));
      }
      rows.push(...pair);
      if (pair.every((r) => r.achieved < rate * 0.9)) break; // the sender itself cannot go faster
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  cleanup();
}

console.log(`\nlive capture on a veth between two namespaces (UDP, 60-byte frames, ${seconds} s a step; sender: node dgram; both: immediate mode, snap length 65535, the same -B):`);
console.log('| tool | -B KiB | target pkt/s | sent pkt/s | sent | interface received (all packets) | captured (udp) | lost | tcpdump: dropped by kernel |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.tool} | ${r.buffer} | ${r.rate} | ${r.achieved} | ${r.sent} | ${r.received} | ${r.captured} | ${r.sent - r.captured} | ${r.kernelDropped ?? '-'} |`);
}
for (const b of buffers) {
  console.log(`sustained without loss with -B ${b}: sockscope ${best.get(`sockscope ${b}`)} pkt/s, tcpdump ${best.get(`tcpdump ${b}`)} pkt/s (highest rate at which every datagram sent was captured)`);
}
