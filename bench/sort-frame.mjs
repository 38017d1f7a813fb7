#!/usr/bin/env node
/**
 * How long a sort key takes to reach the screen in the TUI itself, without a replay running beside it: the App over a
 * snapshot of 60,000 flows (a fifth of them IPv6) at 200x50, the digit keys 1, 2 and 3 (protocol, originator,
 * responder) pressed in turn, and the time from each key to the frame Ink draws for it. Prints each time and the
 * median. Run with the production React build, as watch does:
 *
 *   NODE_ENV=production node bench/sort-frame.mjs [FLOWS]
 *
 * Needs the built CLI (npm run -s build) and the dev dependencies (ink-testing-library). Not a test: the figures
 * depend on the machine.
 */
import React from 'react';
import { render } from 'ink-testing-library';
import App from '../dist/tui/App.js';

const n = Number(process.argv[2] ?? 60_000);
const dir = (bytes) => ({
  pkts: 10, ipBytes: bytes, wireBytes: bytes, payloadBytes: 0, seqBytes: 0, firstSec: null, lastSec: null, syn: 0, fin: 0,
  rst: 0, ack: 0, psh: 0, urg: 0, retransmissions: 0, outOfOrder: 0, dupAcks: 0, zeroWindows: 0, keepAlives: 0,
  state: 'ESTABLISHED', stateInferred: false, transitions: [], options: null,
});
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const flows = Array.from({ length: n }, (_, i) => {
  const v6 = i % 5 === 0;
  return {
    uid: `C${i}`, proto: i % 3 ? 'tcp' : 'udp', ipProto: i % 3 ? 6 : 17, ipVersion: v6 ? 6 : 4,
    origAddr: v6 ? `2001:db8::${((i * 7919) % 65536).toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    origPort: 1024 + ((i * 31) % 60000), respAddr: `192.0.2.${i % 200}`, respPort: 443, startSec: 1000 + random(),
    lastSec: 1001, durationSec: 1, orig: dir(Math.floor(random() * 1e6)), resp: dir(Math.floor(random() * 1e6)),
    connState: 'S1', history: 'ShAD', missedBytes: 0, directionGuessed: false, rttSynSec: null, rttAckSec: null, endReason: 'active',
  };
});
const snapshot = {
  flows, source: 'bench.pcap', done: false, paused: false, speed: 1,
  stats: {
    packetsRead: 1, packetsAssigned: 1, unassigned: {}, packetsUnassigned: 0, wireBytes: 1, truncatedBySnaplen: 0,
    activeFlows: n, totalFlows: n, evictedFlows: 0, clockSec: 1001, firstSec: 1000, unsupportedLinkTypes: {}, tunnelledPackets: 0,
  },
};
const feed = { subscribe: () => () => {}, current: () => snapshot };
const ui = render(React.createElement(App, { feed, columns: 200, rows: 50 }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(300);
const times = [];
for (const key of ['1', '2', '3', '1', '2', '3', '1', '2', '3', '1', '2', '3']) {
  const frames = ui.frames.length;
  const t0 = performance.now();
  ui.stdin.write(key);
  // Bounded: 5 s per key.
  while (ui.frames.length === frames && performance.now() - t0 < 5000) await new Promise((r) => setImmediate(r));
  times.push(performance.now() - t0);
  await sleep(150);
}
ui.unmount();
const sorted = [...times].sort((a, b) => a - b);
console.log(`key -> frame, ${n} flows, 200x50 (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(`median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms`);
process.exit(0);
