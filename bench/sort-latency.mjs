#!/usr/bin/env node
/**
 * How long a sort key takes to show in `sockscope watch` under load: a full-speed replay of a big capture in tmux,
 * the digit keys 1 (protocol), 2 (originator) and the bytes column pressed in turn, and the pane read every 10 ms
 * until the title row's sort arrow (and the rows) show the new order. Prints each reaction time and the median.
 *
 *   node bench/sort-latency.mjs [CAPTURE] [--presses N] [--size 200x50] [--min-flows N] [--bin PATH] [--speed X] [--gap-ms MS]
 *
 * Needs tmux and the built CLI (npm run -s build). Every wait is bounded (10 s per key, 60 s for the replay to fill
 * the table). Not a test: the figures depend on the machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const presses = Number(opt('--presses', '9'));
const minFlows = Number(opt('--min-flows', '20000'));
const gapMs = Number(opt('--gap-ms', '300'));
const speed = opt('--speed', 'max');
const [cols, rows] = opt('--size', '200x50').split('x').map(Number);
const bin = opt('--bin', `${ROOT}bin/sockscope`);
const capture = args[0] ?? `${ROOT}bench/out/bench-2M-50000.pcap`;
if (!existsSync(capture)) {
  console.error(`no capture ${capture} (npm run bench makes bench/out/bench-2M-50000.pcap)`);
  process.exit(2);
}

const socket = `sockscope-sortlat-${process.pid}`;
const tmux = (...a) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const session = 'lat';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The title row's sort column: the title that carries ↓ or ↑. */
const sortTitle = (screen) => {
  const title = screen.split('\n').find((l) => /^Proto[↑↓ ]/.test(l));
  const m = title === undefined ? null : /(\S+(?: \S+)?)[↓↑]/.exec(title);
  return m === null ? null : m[1];
};

tmux('new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows),
  `env -u CI TERM=xterm-256color node ${bin} watch --speed ${speed} ${capture}; sleep 30`);
try {
  // Wait until the table is full of rows and the replay is under way.
  const until = Date.now() + 60_000;
  for (;;) {
    const s = tmux('capture-pane', '-p', '-t', session);
    const flows = /\d+\/(\d+)/.exec(s.split('\n').find((l) => l.includes('sort:')) ?? '');
    if (flows !== null && Number(flows[1]) > minFlows) break;
    if (Date.now() > until) throw new Error('the replay did not fill the table within 60 s');
    await sleep(200);
  }
  // Digits choose the Nth column shown: protocol (1) and originator (2) in turn, each press a new column.
  const plan = [['1', 'Proto'], ['2', 'Originator']];
  const times = [];
  for (let i = 0; i < presses; i++) {
    const [key, want] = plan[i % plan.length];
    const before = sortTitle(tmux('capture-pane', '-p', '-t', session));
    const t0 = performance.now();
    tmux('send-keys', '-t', session, key);
    let seen = null;
    while (performance.now() - t0 < 10_000) {
      seen = sortTitle(tmux('capture-pane', '-p', '-t', session));
      if (seen !== before && seen?.startsWith(want)) break;
      await sleep(10);
    }
    const ms = performance.now() - t0;
    times.push(ms);
    const header = tmux('capture-pane', '-p', '-t', session).split('\n').find((l) => l.includes('flows ')) ?? '';
    const flows = /flows ([\d,]+ active)/.exec(header)?.[1] ?? '?';
    console.log(`key ${key}: ${before} -> ${seen} in ${ms.toFixed(0)} ms (${flows})`);
    await sleep(gapMs);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms over ${times.length} presses (${cols}x${rows})`);
} finally {
  tmux('kill-server');
}
