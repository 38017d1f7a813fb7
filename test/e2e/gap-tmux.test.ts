/**
 * Replay over a quiet stretch, as a person sees it in a real terminal (tmux): the header says how long the replay
 * waits for its next packet, `>` skips the gap at once, and `watch --max-gap` skips it by itself. The capture has
 * three one-packet flows at t, t+1 s and t+3 years. Every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { udpFlowsPcap } from '../helpers/hostile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOCKET = `sockscope-gap-${process.pid}`;
const sessions: string[] = [];
let counter = 0;
const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const haveTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function alive(s: string): boolean {
  try {
    tmux('has-session', '-t', s);
    return true;
  } catch {
    return false;
  }
}

function start(cmd: string): string {
  const s = `sockscope-gap-${process.pid}-${++counter}`;
  sessions.push(s);
  tmux('new-session', '-d', '-s', s, '-x', '120', '-y', '30', `env -u CI TERM=xterm-256color ${cmd}; echo DONE=$?; sleep 30`);
  return s;
}

const screen = (s: string): string => (alive(s) ? tmux('capture-pane', '-p', '-t', s) : '');

async function waitFor(s: string, test: (x: string) => boolean, ms = 15_000): Promise<string> {
  const until = Date.now() + ms;
  let x = '';
  while (Date.now() < until) {
    x = screen(s);
    if (test(x)) return x;
    await new Promise((r) => setTimeout(r, 100));
  }
  return x;
}

/** Three one-packet UDP flows at t, t+1 s and t plus three years. */
function gapCapture(): string {
  const b = udpFlowsPcap(3, 1);
  b.writeUInt32LE(1_700_000_000 + 3 * 365 * 86400, 24 + 2 * (16 + 20 + 8 + 8));
  const path = join(mkdtempSync(join(tmpdir(), 'sockscope-gap-')), 'gap.pcap');
  writeFileSync(path, b);
  return path;
}

afterEach(() => {
  while (sessions.length) {
    const s = sessions.pop()!;
    if (alive(s)) tmux('kill-session', '-t', s);
  }
});
afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
});

describe.skipIf(!haveTmux)('watch over a three-year gap', () => {
  const pcap = gapCapture();

  it('says how long it waits for the next packet, and > skips the gap', async () => {
    const s = start(`node bin/sockscope watch --exit-at-end ${pcap}`);
    const waiting = await waitFor(s, (x) => /next packet in \S+ \(> skips\)/.test(x));
    expect(waiting).toMatch(/next packet in (\d+y|\d+d)/);
    tmux('send-keys', '-t', s, '>');
    const done = await waitFor(s, (x) => x.includes('DONE='));
    expect(done).toContain('DONE=0');
  }, 30_000);

  it('skips it by itself with --max-gap', async () => {
    const s = start(`node bin/sockscope watch --exit-at-end --max-gap 5 ${pcap}`);
    const done = await waitFor(s, (x) => x.includes('DONE='));
    expect(done).toContain('DONE=0');
  }, 30_000);
});
