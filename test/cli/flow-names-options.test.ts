/**
 * `flows --names`, `--community-id-seed` and `--no-community-id` on fixtures/demo.pcap, end to end: community_id is
 * on by default and equals Wireshark's for every flow tshark hashes, with either seed; the names are written only with
 * --names; the zeek format has `service` where Zeek's conn.log has it; and a run asked for threads writes what one
 * thread writes (--names runs on one and says so; the threads take the seed with them).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const HAVE_TSHARK = spawnSync('tshark', ['--version']).status === 0;

function flows(...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [BIN, 'flows', ...args, DEMO], { encoding: 'utf8', timeout: 30_000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}
const records = (out: string): Record<string, unknown>[] => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

function tsharkIds(seed: number): Set<string> {
  const r = spawnSync('tshark', ['-n', '-r', DEMO, '--enable-protocol', 'communityid', '-o', `communityid.seed:${seed}`, '-T', 'fields', '-e', 'communityid'], { encoding: 'utf8' });
  return new Set(r.stdout.split('\n').filter((l) => l !== ''));
}

describe('flows: community_id and --names', () => {
  it.skipIf(!HAVE_TSHARK)('community_id by default, seed 0 and seed 1 as tshark computes them; --no-community-id leaves it out', () => {
    for (const seed of [0, 1]) {
      const rs = records(flows('-f', 'ndjson', ...(seed === 0 ? [] : ['--community-id-seed', '1'])).out);
      const ours = new Set(rs.map((r) => r.community_id as string));
      expect(rs.every((r) => typeof r.community_id === 'string')).toBe(true);
      expect(ours).toEqual(tsharkIds(seed));
    }
    expect(records(flows('-f', 'ndjson', '--no-community-id').out).some((r) => 'community_id' in r)).toBe(false);
    expect(flows('--community-id-seed', '65536').code).not.toBe(0);
  });

  it('writes service and the payload names only with --names', () => {
    const without = records(flows('-f', 'ndjson').out);
    expect(without.some((r) => 'service' in r || 'dns_query' in r)).toBe(false);
    const rs = records(flows('-f', 'ndjson', '--names').out);
    const byPort = (p: number) => rs.filter((r) => r['id.resp_p'] === p && r.proto !== 'icmp');
    expect(byPort(53).map((r) => [r.service, r.dns_query, r.dns_qtype, r.dns_rcode])).toEqual([['dns', 'www.demo.test', 1, 0], ['dns', 'www.demo.test', 28, 0]]);
    expect(byPort(80).every((r) => r.service === 'http' && r.http_method === 'GET' && typeof r.http_host === 'string')).toBe(true);
    expect(byPort(22).map((r) => [r.service, r.ssh_client, r.ssh_server])).toEqual([['ssh', 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3', expect.stringMatching(/^SSH-2\.0-/)]]);
    expect(byPort(8443).every((r) => r.service === undefined)).toBe(true); // refused: no payload
  });

  it("puts service after proto in the zeek format, as in Zeek's conn.log", () => {
    const lines = flows('-f', 'zeek', '--names').out.split('\n');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    expect(fields.slice(6, 8)).toEqual(['proto', 'service']);
    expect(fields).toEqual(expect.arrayContaining(['community_id', 'server_name', 'http_host', 'dns_query', 'ssh_server']));
    const dns = lines.find((l) => l.includes('\t53\tudp\t'))!.split('\t');
    expect(dns[fields.indexOf('service')]).toBe('dns');
  });

  it('with -j 2, --names and another seed write what one thread writes', () => {
    for (const opts of [['--names'], ['--community-id-seed', '7'], ['--no-community-id']]) {
      const one = flows('-f', 'ndjson', '-j', '1', ...opts);
      const two = flows('-f', 'ndjson', '-j', '2', ...opts);
      expect(two.out).toBe(one.out);
      // --names runs on one thread, and says why; the seed goes with the threads.
      expect(two.err.includes('-j 2 not used: --names runs on one thread')).toBe(opts[0] === '--names');
    }
    expect(flows('-f', 'ndjson', '-j', '2', '--tunnel-heuristics').err).toContain('-j 2 not used: --tunnel-heuristics runs on one thread');
  });
});
