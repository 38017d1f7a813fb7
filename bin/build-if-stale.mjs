#!/usr/bin/env node
/**
 * `npm start` and `npm run demo` build only when something changed: the TypeScript sources (src/), tsconfig.json or
 * package.json newer than dist/cli/main.js. A run with nothing changed starts at once instead of spending about
 * 10 s in tsc.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time under `dir`, milliseconds. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let built = 0;
try {
  built = statSync(join(root, 'dist/cli/main.js')).mtimeMs;
} catch {
  built = 0;
}
const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs, statSync(join(root, 'package.json')).mtimeMs);
if (sources > built) {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
