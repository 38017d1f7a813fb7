/**
 * Vitest's global setup: one temporary directory for the whole run, made the TMPDIR of every test worker and of every
 * process they start (sockscope, tshark, tcpdump, editcap), and removed when the run ends, failed or not. Tests make
 * their own directories with mkdtempSync(join(tmpdir(), ...)); some write captures of tens of MB, and a test that
 * fails before its own clean-up would otherwise leave them in /tmp run after run.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sockscope-test-'));
  // As /tmp itself lets other users in (a test runs a helper as `nobody`): the directories tests make are their own.
  chmodSync(root, 0o755);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  };
}
