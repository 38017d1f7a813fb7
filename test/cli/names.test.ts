/**
 * Names from outside reach the terminal only through the TUI's sanitizer: a capture file named with ESC, BEL and a
 * newline can neither retitle the terminal nor forge a line of sockscope's own, in errors and summaries of `flows`
 * and `watch`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sanitizeLines } from '../../src/tui/sanitize.js';
import { BIN } from '../helpers/hostile.js';

const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-names-'));
/** Sets the terminal title (OSC 0 ... BEL), then starts a line that looks like sockscope's. */
const EVIL = 'x\u001b]0;pwned\u0007\nsockscope: 0 packets read, all fine\u001b[2K.pcap';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** No escape, no bell, and every line begins as sockscope's own lines do. */
function expectClean(err: string): void {
  expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  for (const line of err.trimEnd().split('\n')) expect(line).toMatch(/^sockscope: /);
}

describe('names in messages', () => {
  it('a file that is no capture', () => {
    const f = join(tmp, EVIL);
    writeFileSync(f, 'not a capture at all');
    const r = run(['flows', f]);
    expect(r.code).toBe(1);
    expectClean(r.err);
    expect(r.err).toContain('/xsockscope: 0 packets read, all fine.pcap: packet 0 at byte 0: unknown capture format');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a file that does not exist', () => {
    const r = run(['flows', join(tmp, `missing-${EVIL}`)]);
    expect(r.code).toBe(1);
    expectClean(r.err);
    expect(r.err).toContain('cannot open');
  });

  it('a damaged file read in turn: the summary and its error', () => {
    const f = join(tmp, `cut-${EVIL}`);
    writeFileSync(f, readFileSync(DEMO).subarray(0, 5000));
    const r = run(['flows', '-f', 'ndjson', f]);
    expect(r.code).toBe(1);
    expectClean(r.err);
    expect(r.err).toMatch(/^sockscope: error: .*cut-xsockscope: 0 packets read, all fine\.pcap: packet \d+ at byte \d+: file ends inside/m);
  });

  it('watch: the error printed after the screen closes', () => {
    const f = join(tmp, `watch-${EVIL}`);
    writeFileSync(f, readFileSync(DEMO).subarray(0, 5000));
    const r = run(['watch', '--headless', '-q', f]);
    expect(r.code).toBe(1);
    expectClean(r.err);
    expect(r.err).toContain('file ends inside');
  });

  it('an unknown option echoed by the command line parser', () => {
    const r = run(['flows', `--\u001b]0;pwned\u0007x`, DEMO]);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/[\u001b\u0007]/);
  });

  it('sanitizeLines keeps the line ends and cleans each line', () => {
    expect(sanitizeLines('a\u001b[31mb\nc\u0007d\n')).toBe('ab\ncd\n');
    expect(sanitizeLines('plain\n')).toBe('plain\n');
  });
});
