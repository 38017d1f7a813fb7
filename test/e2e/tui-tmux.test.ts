/**
 * The terminal UI in a real terminal: tmux runs `sockscope watch` on the demo capture, the test types keys with
 * `tmux send-keys` and reads the screen with `tmux capture-pane -p`, asserting what a person would see. Needs the
 * built CLI (`npm test` builds first) and tmux (installed by .ci/run). Every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sessions: string[] = [];
let counter = 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(session: string): boolean {
  try {
    tmux('has-session', '-t', session);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `sockscope watch ARGS` in a new detached tmux session of the given size; the shell prints EXIT=<code> and
 * keeps the pane 4 s (long enough for a poll to read it on a busy machine).
 */
function startWatch(args: string, columns = 120, rows = 40, after = ''): string {
  const session = `sockscope-tui-${process.pid}-${++counter}`;
  sessions.push(session);
  // CI must not leak into the UI (Ink draws only the last frame in CI); TERM as a real terminal emulator sets it.
  const cmd = `env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color node bin/sockscope watch ${args}; echo EXIT=$?; ${after} sleep 4`;
  tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), cmd);
  return session;
}

const screen = (session: string): string => tmux('capture-pane', '-p', '-t', session);

/** Polls the screen until `test` holds (at most `ms`: a machine busy with other tests is slow); returns the last screen either way. */
async function waitFor(session: string, test: (s: string) => boolean, ms = 15_000): Promise<string> {
  const until = Date.now() + ms;
  let s = '';
  while (Date.now() < until) {
    s = alive(session) ? screen(session) : s;
    if (test(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  return s;
}

async function keys(session: string, ...k: string[]): Promise<void> {
  for (const key of k) {
    tmux('send-keys', '-t', session, key);
    await new Promise((r) => setTimeout(r, 60));
  }
}

/** The table's data rows: the lines between the title row and the status line. */
function tableRows(s: string): string[] {
  const lines = s.split('\n');
  const title = lines.findIndex((l) => /^Proto\s+Originator/.test(l));
  return lines.slice(title + 1).filter((l) => /^(tcp|udp|icmp|icmp6)\s/.test(l));
}

afterEach(() => {
  while (sessions.length) {
    const s = sessions.pop()!;
    if (alive(s)) tmux('kill-session', '-t', s);
  }
});
afterAll(() => {
  for (const s of sessions) if (alive(s)) tmux('kill-session', '-t', s);
});

describe.skipIf(!existsSync(`${ROOT}/dist/cli/main.js`))('sockscope watch in tmux', () => {
  it('replays the demo capture: rows, sort, filter, detail, services, quit', async () => {
    const s = startWatch('fixtures/demo.pcap');
    // The 2.5 s capture replays in real time; the header says when it is over.
    let scr = await waitFor(s, (x) => x.includes('end of capture'));
    expect(scr).toContain('fixtures/demo.pcap');
    expect(scr).toContain('packets 126 '); // capinfos: 126 packets
    const rows = tableRows(scr);
    expect(rows.length).toBeGreaterThanOrEqual(9); // tshark: 6 TCP + 3 UDP conversations, plus ICMP
    expect(scr).toContain('[fd00:99::2]:80 http');
    expect(scr).toMatch(/10\.99\.0\.2:8443 https-alt\s+.*REJ/);
    expect(scr).toMatch(/10\.99\.0\.2:22 ssh\s+.*ESTAB/);
    // Bytes, biggest first: the 40 kB IPv6 download on top.
    expect(rows[0]).toContain('[fd00:99::2]:80 http');

    // S reverses the sort: the biggest flow goes to the bottom.
    await keys(s, 'S');
    scr = await waitFor(s, (x) => x.includes('Bytes o/r↑'));
    const reversed = tableRows(scr);
    expect(reversed).toHaveLength(rows.length);
    expect(reversed[reversed.length - 1]).toContain('[fd00:99::2]:80 http');
    expect(reversed[0]).not.toContain('[fd00:99::2]:80 http');
    // s moves on to the next column.
    await keys(s, 's');
    scr = await waitFor(s, (x) => x.includes('sort: Rate'));
    expect(scr).toContain('sort: Rate ↓');

    // / filters: only the two refused connections to port 8443 remain.
    await keys(s, '/', '8443', 'Enter');
    scr = await waitFor(s, (x) => x.includes('filter: 8443'));
    const filtered = tableRows(scr);
    expect(filtered).toHaveLength(2);
    for (const r of filtered) expect(r).toMatch(/:8443 https-alt\s+.*REJ/);
    expect(scr).toContain(`2/${rows.length}`);

    // Enter shows the selected flow's detail; Esc goes back.
    await keys(s, 'Enter');
    scr = await waitFor(s, (x) => x.includes('conn_state REJ'));
    expect(scr).toMatch(/TCP\s+(10\.99\.0\.1:\d+ → 10\.99\.0\.2|\[fd00:99::1\]:\d+ → \[fd00:99::2\]):8443/);
    expect(scr).toMatch(/state\s+\S+\s+CLOSED/);
    expect(scr).toContain('handshake RTT');
    await keys(s, 'Escape');
    scr = await waitFor(s, (x) => !x.includes('conn_state REJ') && x.includes('filter: 8443'));
    expect(tableRows(scr)).toHaveLength(2);

    // Tab: the services view, one row per responder socket.
    await keys(s, 'Escape', 'Tab');
    scr = await waitFor(s, (x) => x.includes('[Services]'));
    expect(scr).toMatch(/tcp\s+10\.99\.0\.2:80 http\s+2\s+1\s/); // two connections from one client
    expect(scr).toContain('well-known');

    // q quits: the terminal is given back (alternate screen left) and the summary is printed.
    await keys(s, 'q');
    scr = await waitFor(s, (x) => x.includes('EXIT='));
    expect(scr).toContain('EXIT=0');
    expect(scr).toMatch(/126 packets read/);
    expect(scr).not.toContain('Originator');
    const ended = Date.now() + 10_000;
    while (alive(s) && Date.now() < ended) await new Promise((r) => setTimeout(r, 100));
    expect(alive(s)).toBe(false);
  });

  it('fits an 80x24 terminal, follows a resize, and pauses/steps the replay', async () => {
    const s = startWatch('--paused fixtures/demo.pcap', 80, 24);
    let scr = await waitFor(s, (x) => x.includes('PAUSED'));
    const lines = scr.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(scr).toContain('packets 0 ');
    // Step one packet (the first key also shows the keyboard is live), then four more.
    await keys(s, 'n');
    scr = await waitFor(s, (x) => x.includes('packets 1 '));
    expect(scr).toContain('packets 1 ');
    await keys(s, 'n', 'n', 'n', 'n');
    scr = await waitFor(s, (x) => x.includes('packets 5 '));
    expect(scr).toContain('packets 5 ');
    // Resize to 120x40: the wider layout brings back the byte and packet columns.
    expect(scr).not.toContain('Pkts o/r');
    tmux('resize-window', '-t', s, '-x', '120', '-y', '40');
    scr = await waitFor(s, (x) => x.includes('Pkts o/r'));
    expect(scr).toContain('Pkts o/r');
    // + to max speed and resume: the replay runs to the end.
    await keys(s, '+', '+', '+', '+', '+', '+', '+', '+', '+', ' ');
    scr = await waitFor(s, (x) => x.includes('end of capture'));
    expect(scr).toContain('packets 126 ');
    await keys(s, 'q');
    scr = await waitFor(s, (x) => x.includes('EXIT='));
    expect(scr).toContain('EXIT=0');
  });

  it('gives the terminal back when killed (SIGTERM) mid-replay', async () => {
    const s = startWatch('fixtures/demo.pcap', 100, 25);
    let scr = await waitFor(s, (x) => x.includes('[playing 1x]'));
    expect(scr).toContain('Originator');
    const shell = tmux('display-message', '-p', '-t', s, '#{pane_pid}').trim();
    // The shell's child is sockscope (Linux lists a task's children in /proc).
    const node = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/)[0];
    process.kill(Number(node), 'SIGTERM');
    scr = await waitFor(s, (x) => x.includes('EXIT='));
    expect(scr).toContain('EXIT=0');
    expect(scr).toMatch(/packets read/);
    expect(scr).not.toContain('Originator');
  });

  it('quits with --exit-at-end on a capture cut short: error printed, exit 1, terminal no longer raw', async () => {
    const cut = join(mkdtempSync(join(tmpdir(), 'sockscope-tui-')), 'cut.pcap');
    writeFileSync(cut, readFileSync(`${ROOT}/fixtures/demo.pcap`).subarray(0, 5000));
    // The pane's shell reports the terminal's line discipline once sockscope is gone.
    const session = startWatch(`--exit-at-end --speed max ${cut}`, 200, 25, "stty -a | grep -o -- '-*icanon';");
    const scr = await waitFor(session, (x) => /^-?icanon$/m.test(x), 10_000);
    expect(scr).toMatch(/file ends inside packet data/);
    expect(scr).toMatch(/EXIT=1/);
    expect(scr).not.toContain('Originator');
    expect(scr).toMatch(/^icanon$/m); // canonical mode again, not raw
  });

  it('says what to do when stdout is not a terminal, and exits 2', () => {
    let out = '';
    let code = 0;
    try {
      execFileSync('node', ['bin/sockscope', 'watch', 'fixtures/demo.pcap'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { status: number; stderr: string };
      code = err.status;
      out = err.stderr;
    }
    expect(code).toBe(2);
    expect(out).toContain('stdout is not a terminal');
    expect(out).toContain('sockscope flows');
  });
});
