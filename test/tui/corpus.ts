/**
 * Real inputs for the component tests: the pipeline run over a corpus capture, and Zeek's conn.log for the same
 * trace (the independent answer the rendered rows are checked against).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pipeline } from '../../src/pipeline.js';
import type { Snapshot } from '../../src/pipeline-types.js';
import { openCapture } from '../../src/source/open.js';

/** Absolute path of a file under ../shared/corpus. */
export const corpus = (rel: string): string => fileURLToPath(new URL(`../../../shared/corpus/${rel}`, import.meta.url));

/** Absolute path of a file under fixtures/. */
export const fixture = (rel: string): string => fileURLToPath(new URL(`../../fixtures/${rel}`, import.meta.url));

/** Runs the real pipeline over `path` to the end and returns the final snapshot (every flow, ended at eof). */
export async function finalSnapshot(path: string): Promise<Snapshot> {
  const pipeline = new Pipeline({ sources: [await openCapture(path)], keepEnded: 100_000 });
  await pipeline.run();
  return pipeline.feed.current();
}

/** One conn.log row, by Zeek field name. */
export type ConnRow = Readonly<Record<string, string>>;

/** Rows of a full Zeek conn.log (btest comment line and `#` headers skipped; fields from `#fields`). */
export function readConnLog(path: string): ConnRow[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  return lines
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}

/** `addr:port`, IPv6 in brackets, as the TUI writes sockets. */
export const sock = (addr: string, port: string | number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
