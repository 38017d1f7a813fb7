/**
 * A tmux server of a test file's own (`-L NAME`: another file's server exiting as its last session ends cannot take
 * it), to run the CLI in a real terminal of a given size and read what a person sees. Every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Whether tmux is installed. */
export function haveTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class TmuxServer {
  private readonly socket: string;
  private readonly sessions: string[] = [];
  private counter = 0;

  /** `name` tells this file's server (and sessions) from others'. */
  constructor(name: string) {
    this.socket = `sockscope-${name}-${process.pid}`;
  }

  /** Runs a tmux command on this server; returns its output. */
  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  alive(session: string): boolean {
    try {
      this.run('has-session', '-t', session);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs `cmd` (from the repository's root) in a detached session of `columns` x `rows`; the shell prints
   * DONE=<exit code> after it and keeps the pane 30 s. Returns the session's name.
   */
  start(cmd: string, columns: number, rows: number): string {
    // A session of its own lives until close(): tmux ends a server with its last session, and a session started just
    // as the previous test's last one was killed would find the server going away ("server exited unexpectedly").
    if (this.counter === 0) this.run('new-session', '-d', '-s', `${this.socket}-keep`, 'sleep 3600');
    const session = `${this.socket}-${++this.counter}`;
    this.sessions.push(session);
    this.run('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows),
      `env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color ${cmd}; echo DONE=$?; sleep 30`);
    return session;
  }

  /** Sends tmux keys one at a time (a key that arrives with others is read as pasted text). */
  async send(session: string, ...keys: string[][]): Promise<void> {
    for (const k of keys) {
      this.run('send-keys', '-t', session, ...k);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The visible pane. */
  screen(session: string): string {
    return this.run('capture-pane', '-p', '-t', session);
  }

  /** The whole pane with its history, wrapped lines joined (a line longer than the terminal shows as one long line). */
  history(session: string): string {
    return this.run('capture-pane', '-p', '-J', '-S', '-5000', '-t', session);
  }

  /** Reads the pane (`read`) until `test` holds or `ms` pass; returns the last read. */
  async waitFor(session: string, test: (x: string) => boolean, read = (s: string) => this.screen(s), ms = 10_000): Promise<string> {
    const until = Date.now() + ms;
    let x = '';
    while (Date.now() < until) {
      if (this.alive(session)) x = read(session);
      if (test(x)) return x;
      await new Promise((r) => setTimeout(r, 100));
    }
    return x;
  }

  /** Ends every session started (afterEach). */
  killSessions(): void {
    while (this.sessions.length) {
      const s = this.sessions.pop()!; // length > 0
      if (this.alive(s)) this.run('kill-session', '-t', s);
    }
  }

  /** Ends the server (afterAll). */
  close(): void {
    try {
      this.run('kill-server');
    } catch {
      // no server left: every session ended
    }
  }
}
