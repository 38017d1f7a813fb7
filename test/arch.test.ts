/** Imports go one way: the core (source, decode, flow, tcp) never reaches the UI, the CLI or the sinks. */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const BANNED = /from ['"](ink|react|commander|(\.\.\/)+(tui|cli|sink)\/|\.\.\/pipeline)/;

async function tsFiles(dir: string): Promise<string[]> {
  const names = await readdir(join(SRC, dir), { recursive: true });
  return names.filter((f) => f.endsWith('.ts')).map((f) => join(SRC, dir, f));
}

describe('architecture', () => {
  it.each(['source', 'decode', 'flow', 'tcp'])('src/%s stays core', async (dir) => {
    const files = await tsFiles(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await readFile(f, 'utf8'), f).not.toMatch(BANNED);
  });

  it('src/shard (worker threads behind flows --threads) knows nothing of the CLI or the TUI', async () => {
    const files = await tsFiles('shard');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(await readFile(f, 'utf8'), f).not.toMatch(/from ['"](ink|react|commander|(\.\.\/)+(tui|cli)\/)/);
  });

  it('tcp/ imports nothing outside tcp/', async () => {
    for (const f of await tsFiles('tcp')) expect(await readFile(f, 'utf8'), f).not.toMatch(/from ['"]\.\.\//);
  });

  it('the per-packet modules do not use Buffer.readUInt*', async () => {
    for (const dir of ['decode', 'flow']) {
      for (const f of await tsFiles(dir)) expect(await readFile(f, 'utf8'), f).not.toMatch(/\.readUInt(8|16|32)/);
    }
  });
});
