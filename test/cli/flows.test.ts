/** The `flows` command end to end: the built CLI run as a user would run it. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Env } from '../../src/cli/env.js';
import { CORPUS, HAVE_CORPUS } from '../helpers/corpus.js';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const DEMO = resolve(import.meta.dirname, '../../fixtures/demo.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'sockscope-cli-'));

function run(args: string[], input?: Buffer) {
  // Bounded: a run that hangs fails its test (with the reason in `err`) instead of stopping the suite.
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000, killSignal: 'SIGKILL' });
  if (r.error !== undefined) return { code: null, out: r.stdout, err: `${r.stderr}\n[test harness] ${r.error.message}` };
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ndjson = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('sockscope flows', () => {
  it('writes ndjson records with Zeek field names and a summary on stderr', () => {
    const r = run(['flows', '-f', 'ndjson', DEMO]);
    expect(r.code).toBe(0);
    const recs = ndjson(r.out);
    const refused = recs.filter((x) => x.conn_state === 'REJ');
    expect(refused.map((x) => x['id.resp_p'])).toEqual([8443, 8443]);
    expect(recs.some((x) => x.proto === 'udp' && x['id.resp_p'] === 53 && x.conn_state === 'SF')).toBe(true);
    expect(r.err).toMatch(/^sockscope: 126 packets read, 124 assigned to \d+ flows, 2 not assigned \(not_ip 2\)$/m);
  });

  it('reads gzip-compressed captures and standard input, sniffing the format', () => {
    const plain = run(['flows', '-f', 'csv', '-q', DEMO]);
    const gz = join(tmp, 'demo.cap.gz');
    writeFileSync(gz, gzipSync(readFileSync(DEMO)));
    expect(run(['flows', '-f', 'csv', '-q', gz]).out).toBe(plain.out);
    expect(run(['flows', '-f', 'csv', '-q', '-'], readFileSync(DEMO)).out).toBe(plain.out);
    expect(run(['flows', '-f', 'csv', '-q', '-'], gzipSync(readFileSync(DEMO))).out).toBe(plain.out);
  });

  it('zeek format carries the conn.log headers and one row per flow', () => {
    const r = run(['flows', '-f', 'zeek', '-q', DEMO]);
    const lines = r.out.trim().split('\n');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'));
    expect(rows.length).toBe(ndjson(run(['flows', '-f', 'ndjson', '-q', DEMO]).out).length);
    const state = fields.indexOf('conn_state');
    expect(rows.filter((row) => row[state] === 'REJ').length).toBe(2);
  });

  it('table: aligned columns sorted by start time', () => {
    const r = run(['flows', '-f', 'table', '-q', DEMO]);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^START\s+PROTO\s+ORIGINATOR\s+RESPONDER/);
    const starts = lines.slice(1).map((l) => l.slice(0, 12));
    expect([...starts].sort()).toEqual(starts);
    expect(r.out).toContain('10.99.0.2:8443');
  });

  it('a missing file is a clear error', () => {
    const r = run(['flows', join(tmp, 'nope.pcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot open ${join(tmp, 'nope.pcap')}: no such file`);
  });

  it('standard input named twice is a usage error before anything is read', async () => {
    for (const args of [['-', '-'], [DEMO, '-', DEMO, '-']]) {
      const r = run(['flows', '-f', 'csv', ...args], readFileSync(DEMO));
      expect(r.code, r.err).toBe(2);
      expect(r.err).toBe(
        'sockscope: error: standard input (-) can be named only once: it can be read only once; name - once, or save the ' +
          'capture to a file to read it again\n',
      );
      expect(r.out).toBe('');
    }
    // In process: standard input is left unread.
    const stdin = new PassThrough();
    stdin.write(readFileSync(DEMO));
    let err = '';
    const env: Env = {
      stdout: new PassThrough(), stderr: new PassThrough().on('data', (d) => (err += String(d))), stdin,
      now: Date.now, isTTY: false, errIsTTY: false, columns: 80,
    };
    expect(await main(['flows', '-', '-'], env)).toBe(2);
    expect(err).toContain('standard input (-) can be named only once');
    expect(stdin.readableLength).toBe(readFileSync(DEMO).length);
  });

  it('an unknown output format is a usage error', () => {
    const r = run(['flows', '-f', 'xml', DEMO]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Allowed choices are table, ndjson, json, csv, zeek");
  });
});

describe('bad input: a located error, and the flows from everything before it', () => {
  const pcapHeader = (): Buffer => {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(65535, 16);
    b.writeUInt32LE(101, 20); // LINKTYPE_RAW
    return b;
  };
  // One IPv4 UDP packet 10.0.0.1:1000 -> 10.0.0.2:53, 28 bytes.
  const udpPacket = Buffer.from('4500001c00000000401100000a0000010a00000203e800350008' + '0000', 'hex');
  const record = (data: Buffer, caplen = data.length): Buffer => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000, 0);
    h.writeUInt32LE(caplen, 8);
    h.writeUInt32LE(data.length, 12);
    return Buffer.concat([h, data]);
  };

  it.skipIf(!HAVE_CORPUS)('a file cut short mid-record (dpkt truncated_dns_2.pcap)', () => {
    const r = run(['flows', '-f', 'ndjson', join(CORPUS, 'misc/dpkt/truncated_dns_2.pcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/truncated_dns_2\.pcap: packet 2 at byte 240: .*/);
    // The one good packet is a DNS response from port 53: its flow is oriented towards the server (history ^d).
    expect(ndjson(r.out)).toMatchObject([{ 'id.resp_p': 53, orig_pkts: 0, resp_pkts: 1, history: '^d', conn_state: 'SHR' }]);
  });

  it('a wrong magic number', () => {
    const f = join(tmp, 'junk.pcap');
    writeFileSync(f, Buffer.from('this is not a capture file'));
    const r = run(['flows', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}: packet 0 at byte 0:`);
  });

  it('an absurd record length', () => {
    const f = join(tmp, 'absurd.pcap');
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(1700000001, 0);
    bad.writeUInt32LE(0x7fffffff, 8);
    bad.writeUInt32LE(0x7fffffff, 12);
    writeFileSync(f, Buffer.concat([pcapHeader(), record(udpPacket), bad]));
    const r = run(['flows', '-f', 'ndjson', f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${f}: packet 2 at byte 68: .*2147483647`));
    expect(ndjson(r.out)).toMatchObject([{ 'id.orig_h': '10.0.0.1', 'id.resp_p': 53, orig_pkts: 1 }]);
  });

  it('a pcapng block whose leading and trailing lengths disagree', () => {
    const shb = Buffer.alloc(28);
    shb.writeUInt32LE(0x0a0d0d0a, 0);
    shb.writeUInt32LE(28, 4);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(1, 12);
    shb.writeBigInt64LE(-1n, 16);
    shb.writeUInt32LE(28, 24);
    const idb = Buffer.alloc(20);
    idb.writeUInt32LE(1, 0);
    idb.writeUInt32LE(20, 4);
    idb.writeUInt16LE(101, 8);
    idb.writeUInt32LE(65535, 12);
    idb.writeUInt32LE(20, 16);
    const epb = (trailer: number): Buffer => {
      const b = Buffer.alloc(32 + 28);
      b.writeUInt32LE(6, 0);
      b.writeUInt32LE(60, 4);
      b.writeUInt32LE(28, 20);
      b.writeUInt32LE(28, 24);
      udpPacket.copy(b, 28);
      b.writeUInt32LE(trailer, 56);
      return b;
    };
    const f = join(tmp, 'lengths.pcapng');
    writeFileSync(f, Buffer.concat([shb, idb, epb(60), epb(64)]));
    const r = run(['flows', '-f', 'ndjson', f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${f}: packet 2 at byte 108: .*`));
    expect(ndjson(r.out)[0]).toMatchObject({ orig_pkts: 1 });
  });

  it.skipIf(!HAVE_CORPUS)('an unsupported link type is named, not a crash', () => {
    const r = run(['flows', '-f', 'ndjson', join(CORPUS, 'tcpdump/dsa.pcap')]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('link type 284 is not supported: 8 packets not decoded');
    expect(r.err).toContain('8 not assigned (unsupported_link 8)');
  });
});
