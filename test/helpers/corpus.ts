/** Access to the shared capture corpus (read in place, never copied) and a helper that runs sockscope on a file. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { FlowRecord } from '../../src/flow/record.js';
import { Pipeline, type FlowTableOptions, type RunSummary } from '../../src/pipeline.js';
import { openCapture } from '../../src/source/open.js';

/** `../shared/corpus` beside the checkout (CI clones shared/ there). */
export const CORPUS = resolve(import.meta.dirname, '../../../shared/corpus');
export const HAVE_CORPUS = existsSync(CORPUS);

const NOT_CAPTURES = /\.(json|txt|out|log|tsv|md)$/;

/** Every capture file in the corpus, as paths relative to CORPUS, sorted. */
export function corpusCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!NOT_CAPTURES.test(name) && name !== 'MANIFEST.tsv') out.push(relative(CORPUS, p));
    }
  };
  if (HAVE_CORPUS) walk(CORPUS);
  return out.sort();
}

export interface TsharkEndpoint { addr: string; port: number }
export interface TsharkConversation {
  proto: 'tcp' | 'udp';
  stream: number;
  a: TsharkEndpoint;
  b: TsharkEndpoint;
  frames_a_to_b: number;
  frames_b_to_a: number;
  bytes_a_to_b: number;
  bytes_b_to_a: number;
}
export interface Oracle {
  tshark_exit_status: number;
  capinfos: { packet_count?: number } & Record<string, unknown>;
  counts: { frames: number; frames_with_tcp: number; frames_with_udp: number; frames_without_tcp_or_udp: number };
  conversations: TsharkConversation[];
}

export function loadOracle(capture: string): Oracle {
  return JSON.parse(readFileSync(join(CORPUS, `${capture}.oracle.json`), 'utf8')) as Oracle;
}

export interface RunResult extends RunSummary {
  records: FlowRecord[];
}

/** Runs the whole pipeline on one corpus (or any) capture and collects every flow record. */
export async function runCapture(
  path: string,
  flowTable?: FlowTableOptions,
  more: { verifyChecksums?: boolean } = {},
): Promise<RunResult> {
  const full = path.startsWith('/') ? path : join(CORPUS, path);
  const records: FlowRecord[] = [];
  const opts: ConstructorParameters<typeof Pipeline>[0] = {
    sources: [await openCapture(full)],
    onFlowEnd: (r) => records.push(r),
  };
  if (flowTable !== undefined) opts.flowTable = flowTable;
  if (more.verifyChecksums === true) opts.verifyChecksums = true;
  const summary = await new Pipeline(opts).run();
  return { ...summary, records };
}
