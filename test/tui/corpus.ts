/**
 * Real inputs for the component tests: the pipeline run over a corpus capture, and Zeek's conn.log for the same
 * trace (the independent answer the rendered rows are checked against).
 */
import { execFileSync } from 'node:child_process';
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

/**
 * tshark's first name per connection, by the socket that sent it (`addr:port`, the client's): the HTTP request's
 * Host, the DNS question's name, the TLS/QUIC ClientHello's server name, whichever the connection's first has.
 */
export function tsharkNames(path: string): Map<string, string> {
  const out = execFileSync('tshark', ['-n', '-r', path, '-Y', 'http.request || (dns.flags.response == 0) || tls.handshake.extensions_server_name',
    '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'udp.srcport', '-e', 'tls.handshake.extensions_server_name',
    '-e', 'http.host', '-e', 'dns.qry.name'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const names = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [v4 = '', v6 = '', tport = '', uport = '', sni = '', host = '', query = ''] = line.split('\t');
    const key = sock(v4 || v6, tport || uport);
    if (!names.has(key)) names.set(key, (sni || host || query).split(',')[0]!);
  }
  return names;
}
