/**
 * `flows FILE --filter EXPR --write-packets out.pcap`: the written file holds exactly the packets of the flows the
 * expression selects. Checked two ways: tcpdump reads back as many packets as tcpdump itself selects from the input
 * with the same condition written in pcap-filter(7), and sockscope reads back the same flows (the same records apart
 * from uids) under the same filter, tunnels and IP fragments included.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { corpus } from '../tui/corpus.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const haveTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sockscope(...args: string[]): { out: string; err: string; code: number } {
  const r = spawnSync('node', ['bin/sockscope', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

/**
 * Records without uids, and without end_reason: a flow that closed in the input may end at the end of the exported
 * file instead (its close delay is not over when the file ends).
 */
const records = (ndjson: string): string[] =>
  ndjson.trim().split('\n').filter(Boolean)
    .map((l) => l.replace(/"uid":"[^"]*",/, '').replace(/,"tunnel_parents":\[[^\]]*\]/, '').replace(/,"end_reason":"[a-z_]+"/, ''))
    .sort();

const tcpdumpCount = (file: string, expr: string[]): number =>
  spawnSync('tcpdump', ['-r', file, ...expr], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;

const CASES: readonly { capture: string; filter: string; bpf?: string }[] = [
  { capture: 'zeek/wikipedia.pcap', filter: 'port:80 and host:208.80.152.2', bpf: 'tcp port 80 and host 208.80.152.2' },
  { capture: 'zeek/wikipedia.pcap', filter: 'proto:udp and port:53', bpf: 'udp port 53' },
  { capture: 'zeek/wikipedia.pcap', filter: 'ip:6', bpf: 'ip6' },
  { capture: 'misc/chrissanders-packets/http_ip4and6.pcapng', filter: 'net:2001::/16 and port:80', bpf: 'ip6 and tcp port 80' },
  { capture: 'misc/chrissanders-packets/icmp_traceroute.pcapng', filter: 'proto:icmp and bytes>500' },
  { capture: 'zeek/tunnel-gre.pcap', filter: 'proto:icmp' },
  { capture: 'misc/chrissanders-packets/ip_frag_source.pcapng', filter: 'proto:icmp' },
  { capture: 'zeek/ftp-ipv4.pcap', filter: 'state:SF and !port:21' },
];

describe.skipIf(!haveTcpdump || !existsSync(`${ROOT}/dist/cli/main.js`))('flows --write-packets', () => {
  it.each(CASES.map((c) => [c.capture, c.filter, c] as const))('%s --filter %s', (capture, filter, c) => {
    const file = corpus(capture);
    const out = join(dir, `${capture.replace(/\W/g, '_')}-${filter.replace(/\W/g, '_')}.pcap`);
    const run = sockscope('flows', '-f', 'ndjson', '--filter', filter, '--write-packets', out, file);
    expect(run.code, run.err).toBe(0);
    const selected = records(run.out);
    expect(selected.length).toBeGreaterThan(0);
    const written = Number(/wrote (\d+) packets? of (\d+) flows?/.exec(run.err)?.[1]);
    expect(/of (\d+) flows?/.exec(run.err)?.[1]).toBe(String(selected.length));
    // tcpdump reads the file back, every packet of it.
    expect(tcpdumpCount(out, [])).toBe(written);
    if (c.bpf !== undefined) expect(written, `tcpdump -r ${capture} '${c.bpf}'`).toBe(tcpdumpCount(file, [c.bpf]));
    // Read back, the same flows under the same filter.
    const back = sockscope('flows', '-q', '-f', 'ndjson', '--filter', filter, out);
    expect(back.code, back.err).toBe(0);
    expect(records(back.out)).toEqual(selected);
  });

  it('-j that cannot be given says why instead of being ignored', () => {
    const r = sockscope('flows', '-q', '-j', '2', '-f', 'json', corpus('zeek/wikipedia.pcap'));
    expect(r.code).toBe(0);
    expect(r.err).toContain('sockscope: -j 2 not used: the json format is written by one thread (threads: ndjson, csv, zeek)');
    const f = sockscope('flows', '-q', '-j', '2', '--filter', 'port:80', corpus('zeek/wikipedia.pcap'));
    expect(f.err).toContain('-j 2 not used: --filter and --write-packets run on one thread');
    // -j auto picks one thread for a small file, silently, as the default does.
    const auto = sockscope('flows', '-q', '-j', 'auto', '-f', 'ndjson', corpus('zeek/wikipedia.pcap'));
    expect([auto.code, auto.err]).toEqual([0, '']);
    expect(auto.out).toBe(sockscope('flows', '-q', '-f', 'ndjson', corpus('zeek/wikipedia.pcap')).out);
    expect(sockscope('flows', '-q', '-j', 'many', corpus('zeek/wikipedia.pcap')).err).toContain('expected a positive whole number');
  });

  it('warns that name: and service: match nothing without --names, and not with it', () => {
    const off = sockscope('flows', '-q', '-f', 'ndjson', '--filter', 'name:wikimedia.org', corpus('zeek/wikipedia.pcap'));
    expect([off.code, off.out]).toEqual([0, '']);
    expect(off.err).toContain('sockscope: warning: name: and service: match nothing without payload inspection: flows --names');
    const on = sockscope('flows', '-q', '-f', 'ndjson', '--names', '--filter', 'name:wikimedia.org', corpus('zeek/wikipedia.pcap'));
    expect(on.err).toBe('');
    expect(on.out.trim().split('\n').length).toBeGreaterThan(10);
  });

  it('needs files: standard input cannot be read twice', () => {
    const r = sockscope('flows', '--write-packets', join(dir, 'x.pcap'), '-');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--write-packets reads the input a second time');
  });
});
