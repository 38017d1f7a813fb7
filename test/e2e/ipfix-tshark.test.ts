/**
 * Wireshark's IPFIX dissector (cflow) reads sockscope's IPFIX: the `-f ipfix` file of the whole corpus (tshark reads
 * RFC 5655 files directly) and the UDP stream of an export (caught on loopback, saved as a pcap, decoded with
 * `-d udp.port==PORT,cflow`). Every message decodes without an expert warning or a malformed field, and every flow
 * tshark decodes is the flow sockscope wrote to ndjson: addresses, ports, protocol, both directions' packets and
 * bytes, end reason, biflow direction, start and end times and the uid.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { communityIdOfRecord } from '../../src/flow/community-id.js';
import { flowEndReason } from '../../src/sink/ipfix-encoder.js';
import { IpfixExporter, parseTarget } from '../../src/sink/ipfix.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';
import { Pipeline } from '../../src/pipeline.js';
import { openCapture } from '../../src/source/open.js';

const BIN = resolve(import.meta.dirname, '../../bin/sockscope');
const HAVE_TSHARK = spawnSync('tshark', ['-v']).status === 0;

/** The fields of one flow that are compared, as text. */
interface FlowFields {
  src: string;
  dst: string;
  sport: string;
  dport: string;
  proto: string;
  packets: string[];
  octets: string[];
  endReason: string;
  biflowDirection: string;
  start: string;
  end: string;
  uid: string;
  /** Community ID v1 ("1:..."; empty when not computed). */
  communityId: string;
}

type Json = { [k: string]: Json } | Json[] | string;

/** The flows of tshark's JSON (--no-duplicate-keys) in file order, and any expert or malformed entries. */
function tsharkFlows(file: string, decodeAs: string[] = []): { flows: FlowFields[]; problems: string[]; frames: number } {
  const r = spawnSync('tshark', ['-r', file, ...decodeAs, '-T', 'json', '--no-duplicate-keys'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  expect(r.status, r.stderr).toBe(0);
  const problems: string[] = [];
  if (/_ws\.(expert|malformed)/.test(r.stdout)) {
    for (const m of r.stdout.matchAll(/"_ws\.(?:expert\.message|malformed)": *"([^"]*)"/g)) problems.push(m[1]!);
    if (problems.length === 0) problems.push('an expert or malformed entry');
  }
  const packets = JSON.parse(r.stdout) as { _source: { layers: Record<string, Json> } }[];
  const flows: FlowFields[] = [];
  for (const p of packets) {
    const cflow = p._source.layers.cflow as Record<string, Json> | undefined;
    if (cflow === undefined) {
      problems.push('a frame without IPFIX');
      continue;
    }
    for (const [setName, set] of Object.entries(cflow)) {
      if (!setName.startsWith('Set ') || typeof set !== 'object') continue;
      for (const [flowName, f] of Object.entries(set as Record<string, Json>)) {
        if (!flowName.startsWith('Flow ')) continue;
        const v = f as Record<string, Json>;
        const times = v['cflow.timedelta_tree'] as Record<string, string>;
        const entries = v['cflow.enterprise_private_entry'] as string[];
        flows.push({
          src: (v['cflow.srcaddr'] ?? v['cflow.srcaddrv6']) as string,
          dst: (v['cflow.dstaddr'] ?? v['cflow.dstaddrv6']) as string,
          sport: v['cflow.srcport'] as string,
          dport: v['cflow.dstport'] as string,
          proto: v['cflow.protocol'] as string,
          packets: v['cflow.packets'] as string[],
          octets: v['cflow.octets'] as string[],
          endReason: v['cflow.flow_end_reason'] as string,
          biflowDirection: v['cflow.biflow_direction'] as string,
          start: times['cflow.abstimestart']!,
          end: times['cflow.abstimeend']!,
          // The first enterprise element is the uid, shown as hex bytes; tshark leaves empty strings out.
          uid: text(entries[0]!),
          communityId: entries.map(text).find((e) => /^1:[A-Za-z0-9+/]{27}=$/.test(e)) ?? '',
        });
      }
    }
  }
  return { flows, problems, frames: packets.length };
}

/** An enterprise element's value from tshark's hex bytes (`43:5a:71`). */
function text(hex: string): string {
  return Buffer.from(hex.replace(/:/g, ''), 'hex').toString('latin1');
}

/** tshark's absolute time text: `Mar 18, 2011 19:06:07.096000000 UTC`, from capture seconds cut to milliseconds. */
function tsharkTime(sec: number): string {
  const d = new Date(Math.floor(Math.round(sec * 1e6) / 1000));
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const hms = d.toISOString().slice(11, 23);
  return `${mon} ${day}, ${d.getUTCFullYear()} ${hms}000000 UTC`;
}

/** A flow as tshark should show it, from an ndjson line's fields (or a record's). */
function fromNdjson(j: Record<string, string | number>): FlowFields {
  const icmp = j.proto === 'icmp';
  return {
    src: String(j['id.orig_h']),
    dst: String(j['id.resp_h']),
    sport: String(icmp ? 0 : j['id.orig_p']),
    dport: String(icmp ? 0 : j['id.resp_p']),
    proto: String(j.ip_proto),
    packets: [String(j.orig_pkts), String(j.resp_pkts)],
    octets: [String(j.orig_ip_bytes), String(j.resp_ip_bytes)],
    endReason: String(flowEndReason(j.end_reason as FlowRecord['endReason'])),
    biflowDirection: j.direction_guessed === true ? '0' : '1',
    start: tsharkTime(Number(j.ts)),
    end: tsharkTime(Number(j.last_ts)),
    uid: String(j.uid),
    communityId: String(j.community_id ?? ''),
  };
}

function fromRecord(r: FlowRecord): FlowFields {
  return fromNdjson({
    'id.orig_h': r.origAddr, 'id.resp_h': r.respAddr, 'id.orig_p': r.origPort, 'id.resp_p': r.respPort, proto: r.proto,
    ip_proto: r.ipProto, orig_pkts: r.orig.pkts, resp_pkts: r.resp.pkts, orig_ip_bytes: r.orig.ipBytes,
    resp_ip_bytes: r.resp.ipBytes, end_reason: r.endReason, ts: r.startSec, last_ts: r.lastSec, uid: r.uid,
    community_id: communityIdOfRecord(r) ?? '',
    ...(r.directionGuessed ? { direction_guessed: true as unknown as string } : {}),
  });
}

/** IPv6 text as tshark prints it (RFC 5952, which the URL parser also prints). */
function normalise(f: FlowFields): FlowFields {
  const v6 = (a: string): string => (a.includes(':') ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a);
  return { ...f, src: v6(f.src), dst: v6(f.dst) };
}

/** A classic pcap of IPv4/UDP datagrams (LINKTYPE_RAW) from 127.0.0.1:`sport` to 127.0.0.1:`dport`. */
function udpPcap(payloads: readonly Buffer[], sport: number, dport: number): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20); // LINKTYPE_RAW: the frame starts with the IP header
  const parts = [head];
  payloads.forEach((p, i) => {
    const len = 28 + p.length;
    const rec = Buffer.alloc(16 + 28);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(len, 8);
    rec.writeUInt32LE(len, 12);
    const ip = rec.subarray(16);
    ip[0] = 0x45;
    ip.writeUInt16BE(len, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.writeUInt32BE(0x7f000001, 12);
    ip.writeUInt32BE(0x7f000001, 16);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    ip.writeUInt16BE(sport, 20);
    ip.writeUInt16BE(dport, 22);
    ip.writeUInt16BE(8 + p.length, 24); // UDP checksum 0: none (RFC 768)
    parts.push(rec, p);
  });
  return Buffer.concat(parts);
}

describe.skipIf(!HAVE_TSHARK || !HAVE_CORPUS)("tshark's IPFIX dissector on sockscope's IPFIX", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-ipfix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('-f ipfix of the whole corpus: every field decodes, every flow is the ndjson record', () => {
    const files = corpusCaptures().map((f) => join(CORPUS, f));
    const ipfix = join(dir, 'corpus.ipfix');
    const ndjson = join(dir, 'corpus.ndjson');
    for (const [format, out] of [['ipfix', ipfix], ['ndjson', ndjson]] as const) {
      const r = spawnSync(process.execPath, [BIN, 'flows', ...files, '-q', '-f', format, '-o', out], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status === 0 || r.status === 1, r.stderr).toBe(true); // 1: damaged corpus files, as with every format
    }
    const want = readFileSync(ndjson, 'utf8').trim().split('\n').map((l) => normalise(fromNdjson(JSON.parse(l) as Record<string, string | number>)));
    const { flows, problems } = tsharkFlows(ipfix);
    expect(problems).toEqual([]);
    expect(flows.length).toBe(want.length);
    expect(want.length).toBeGreaterThan(1000);
    expect(want.filter((f) => f.communityId !== '').length).toBeGreaterThan(1000);
    const differing = flows.map(normalise).flatMap((f, i) => (JSON.stringify(f) === JSON.stringify(want[i]) ? [] : [{ tshark: f, ndjson: want[i] }]));
    expect(differing.slice(0, 3)).toEqual([]);
  }, 180_000);

  it('the UDP stream of an export, biflow and uniflow: every message decodes without a problem', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const port = sock.address().port;
    try {
      const records: FlowRecord[] = [];
      for (const uniflow of [false, true]) {
        const ex = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${port}`)], uniflow });
        for (const capture of ['zeek/wikipedia.pcap', 'misc/chrissanders-packets/http_ip4and6.pcapng', 'misc/chrissanders-packets/icmp_traceroute.pcapng']) {
          await new Pipeline({
            sources: [await openCapture(join(CORPUS, capture))],
            onFlowEnd: (r) => {
              ex.write(r);
              if (!uniflow) records.push(r);
            },
          }).run();
        }
        const lines = await ex.close();
        const messages = Number(/in (\d+) messages/.exec(lines[0]!)![1]);
        const end = Date.now() + 5000;
        while (got.length < messages && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        expect(got.length).toBe(messages);
        const pcap = join(dir, `udp-${uniflow ? 'uni' : 'bi'}.pcap`);
        writeFileSync(pcap, udpPcap(got, 40000, port));
        if (!uniflow) {
          // The check can fail: a data set of a template tshark was not given, or with a length below its header's,
          // is reported (expert info, malformed).
          for (const [offset, value, problem] of [[16, 999, 'no template found'], [18, 3, 'Flowset Length (3) too short']] as const) {
            const bad = Buffer.from(got[1]!);
            bad.writeUInt16BE(value, offset);
            writeFileSync(join(dir, 'bad.pcap'), udpPcap([got[0]!, bad], 40000, port));
            expect(tsharkFlows(join(dir, 'bad.pcap'), ['-d', `udp.port==${port},cflow`]).problems.join()).toContain(problem);
          }
        }
        got.length = 0;
        const { flows, problems, frames } = tsharkFlows(pcap, ['-d', `udp.port==${port},cflow`]);
        expect(problems).toEqual([]);
        expect(frames).toBe(messages);
        if (!uniflow) expect(flows.map(normalise)).toEqual(records.map((r) => normalise(fromRecord(r))));
        else expect(flows.length).toBe(records.reduce((n, r) => n + (r.orig.pkts > 0 || r.resp.pkts === 0 ? 1 : 0) + (r.resp.pkts > 0 ? 1 : 0), 0));
      }
    } finally {
      sock.close();
    }
  }, 60_000);
});
