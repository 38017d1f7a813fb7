/**
 * --local-nets (Zeek's Site::local_nets): networks parsed and matched bit by bit, and local_orig / local_resp against
 * Zeek's own conn.log on every corpus trace that logged them. Zeek ran with its defaults, under which the private
 * address space is local (`--local-nets private`); each connection Zeek logged is matched to a record by its sockets
 * (in either orientation: where Zeek and sockscope chose different originators, Zeek's local_orig is our local_resp).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configureLocal } from '../../src/local/attribution.js';
import { inCidr, LocalNets, parseCidr, parseCidrList, ZEEK_PRIVATE_NETS } from '../../src/local/local-nets.js';
import { recordObject } from '../../src/sink/fields.js';
import { CORPUS, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

const BIN = join(import.meta.dirname, '../../bin/sockscope');

describe('networks', () => {
  it('parses CIDRs and bare addresses, keeps only the network part, refuses what is not one', () => {
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ version: 4, words: [0, 0, 0, 0x0a000000], prefix: 8 });
    expect(parseCidr('192.0.2.7')).toMatchObject({ version: 4, prefix: 32 });
    expect(parseCidr('fd00:99::1/64')).toMatchObject({ version: 6, words: [0xfd000099 | 0, 0, 0, 0], prefix: 64 });
    expect(parseCidr('::/0').prefix).toBe(0);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0/8', '10.0.0.0/', '10.0.0.0/x']) {
      expect(() => parseCidr(bad), bad).toThrow(/not a network|prefix length/);
    }
    expect(() => parseCidrList(' , ')).toThrow(/one or more networks/);
    expect(parseCidrList('private').length).toBe(ZEEK_PRIVATE_NETS.length);
  });

  it('matches at every prefix boundary, IPv4 and IPv6 apart', () => {
    const n = parseCidr('172.16.0.0/12');
    expect(inCidr(n, 4, 0, 0, 0, 0xac100000 | 0)).toBe(true); // 172.16.0.0
    expect(inCidr(n, 4, 0, 0, 0, 0xac1fffff | 0)).toBe(true); // 172.31.255.255
    expect(inCidr(n, 4, 0, 0, 0, 0xac200000 | 0)).toBe(false); // 172.32.0.0
    expect(inCidr(n, 6, 0, 0, 0, 0xac100000 | 0)).toBe(false);
    const six = new LocalNets([parseCidr('2001:db8::/33')]);
    expect(six.hasText('2001:db8:7fff::1', 6)).toBe(true);
    expect(six.hasText('2001:db8:8000::1', 6)).toBe(false);
    const all = new LocalNets([parseCidr('0.0.0.0/0')]);
    expect(all.hasText('203.0.113.9', 4)).toBe(true);
    expect(all.hasText('::1', 6)).toBe(false);
  });
});

interface ZeekConn {
  key: string;
  reversed: string;
  localOrig: boolean;
  localResp: boolean;
}

/** The connections of a Zeek conn.log with local_orig and local_resp columns (none when the log has not got them). */
function zeekLocal(path: string): ZeekConn[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const fields = lines.find((l) => l.startsWith('#fields\t'))?.split('\t').slice(1);
  if (fields === undefined || !fields.includes('local_orig')) return [];
  const col = (cols: string[], name: string) => cols[fields.indexOf(name)] ?? '';
  const out: ZeekConn[] = [];
  for (const l of lines) {
    if (l.startsWith('#') || l.trim() === '') continue;
    const c = l.split('\t');
    const lo = col(c, 'local_orig'), lr = col(c, 'local_resp');
    if (lo === '-' || lr === '-') continue;
    const [oh, op, rh, rp, proto] = ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto'].map((f) => col(c, f));
    out.push({ key: `${proto} ${oh} ${op} ${rh} ${rp}`, reversed: `${proto} ${rh} ${rp} ${oh} ${op}`, localOrig: lo === 'T', localResp: lr === 'T' });
  }
  return out;
}

function zeekLogs(): string[] {
  if (!HAVE_CORPUS) return [];
  const out = execFileSync('sh', ['-c', `ls ${join(CORPUS, 'zeek')}/*.conn.log`], { encoding: 'utf8' });
  return out.split('\n').filter((p) => p !== '' && zeekLocal(p).length > 0);
}

describe.skipIf(!HAVE_CORPUS)("local_orig/local_resp against Zeek's conn.log (--local-nets private)", () => {
  afterAll(() => configureLocal());

  it('agrees on every connection Zeek logged them for', async () => {
    const logs = zeekLogs();
    expect(logs.length).toBeGreaterThan(10);
    let compared = 0, flipped = 0, remote = 0;
    const disagreements: string[] = [];
    for (const log of logs) {
      const capture = ['.pcap', '.pcapng'].map((ext) => log.replace(/\.conn\.log$/, ext)).find((p) => spawnSync('test', ['-f', p]).status === 0);
      if (capture === undefined) continue;
      configureLocal({ nets: new LocalNets(parseCidrList('private')) });
      const { records } = await runCapture(capture);
      const mine = new Map<string, Record<string, unknown>>();
      for (const r of records) mine.set(`${r.proto} ${r.origAddr} ${r.origPort} ${r.respAddr} ${r.respPort}`, recordObject(r));
      for (const z of zeekLocal(log)) {
        const same = mine.get(z.key);
        const rev = same === undefined ? mine.get(z.reversed) : undefined;
        const o = same ?? rev;
        if (o === undefined) continue; // a connection sockscope keys otherwise (ICMP codes, tunnels): not this test's matter
        const got = rev === undefined ? [o['local_orig'], o['local_resp']] : [o['local_resp'], o['local_orig']];
        if (rev !== undefined) flipped++;
        if (!z.localOrig || !z.localResp) remote++;
        compared++;
        if (got[0] !== z.localOrig || got[1] !== z.localResp) disagreements.push(`${log.split('/').pop()}: ${z.key}: zeek ${z.localOrig} ${z.localResp}, sockscope ${got[0]} ${got[1]}`);
      }
    }
    console.log(`local_orig/local_resp: ${compared} connections of ${logs.length} Zeek logs compared (${flipped} oriented the other way, ${remote} with a non-local end)`);
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(100);
    expect(remote).toBeGreaterThan(10);
  }, 120_000);
});

describe('flows --local-nets', () => {
  it('sets both fields from the networks given, and leaves them unset without', () => {
    const file = join(import.meta.dirname, '../../fixtures/demo.pcap');
    const run = (...more: string[]) =>
      execFileSync('node', [BIN, 'flows', '--format', 'ndjson', '--quiet', ...more, file], { encoding: 'utf8' })
        .split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const plain = run();
    expect(plain.some((r) => 'local_orig' in r || 'local_resp' in r)).toBe(false);
    const some = run('--local-nets', `${plain[0]!['id.orig_h'] as string}/32`);
    expect(some.length).toBe(plain.length);
    for (const r of some) {
      expect(r['local_orig'], JSON.stringify(r)).toBe(r['id.orig_h'] === plain[0]!['id.orig_h']);
      expect(r['local_resp']).toBe(r['id.resp_h'] === plain[0]!['id.orig_h']);
    }
    // The zeek format writes them in Zeek's own place: its first columns are Zeek's conn.log fields, in Zeek's order.
    const zeekHeader = readFileSync(join(CORPUS, 'zeek/wikipedia.conn.log'), 'utf8').split('\n').find((l) => l.startsWith('#fields'))!;
    const mineHeader = execFileSync('node', [BIN, 'flows', '-f', 'zeek', '--quiet', '--local-nets', 'private', file], { encoding: 'utf8' })
      .split('\n').find((l) => l.startsWith('#fields'))!;
    const zeekFields = zeekHeader.split('\t');
    if (HAVE_CORPUS) expect(mineHeader.split('\t').slice(0, zeekFields.length)).toEqual(zeekFields);
    // The ndjson lines written straight from flow state (Field.fromFlow) say what the records say (Field.get).
    const fromRecords = JSON.parse(execFileSync('node', [BIN, 'flows', '--format', 'json', '--quiet', '--local-nets', 'private', file], { encoding: 'utf8' })) as Record<string, unknown>[];
    const fromFlows = run('--local-nets', 'private');
    const pick = (r: Record<string, unknown>) => [r['uid'], r['local_orig'], r['local_resp']];
    expect(fromFlows.map(pick).sort()).toEqual(fromRecords.map(pick).sort());
    expect(fromFlows.every((r) => r['local_orig'] === true)).toBe(true); // demo.pcap is 10.99.0.0/24 throughout
    const bad = spawnSync('node', [BIN, 'flows', '--local-nets', '10.0.0.0/40', file], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--local-nets.*prefix length must be a whole number from 0 to 32/);
  });
});
