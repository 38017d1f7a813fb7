/**
 * IPFIX encoding and transports, read back with a reader written from RFC 7011 (ipfix-decode.ts): templates,
 * biflow and uniflow records of real corpus captures, sequence numbers, message sizes, and collectors that are
 * down, slow or restarted (on loopback).
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { ENTERPRISE_ELEMENTS, REVERSE_PEN } from '../../src/sink/ipfix-elements.js';
import { flowEndReason, writeIpv6 } from '../../src/sink/ipfix-encoder.js';
import { IpfixExporter, IpfixFileWriter, parseTarget } from '../../src/sink/ipfix.js';
import { GrowingOut } from '../../src/sink/writers.js';
import { configureNames } from '../../src/inspect/names.js';
import { communityIdOfRecord } from '../../src/flow/community-id.js';
import { HAVE_CORPUS, runCapture } from '../helpers/corpus.js';
import { record } from '../helpers/records.js';
import { addressText, decodeMessages, type IpfixDataRecord, type IpfixMessage } from './ipfix-decode.js';

const PEN = 32473;
const own = (name: keyof typeof ENTERPRISE_ELEMENTS, reverse = false): string =>
  `${PEN}/${ENTERPRISE_ELEMENTS[name].id | (reverse ? 0x4000 : 0)}`;

function fileBytes(records: readonly FlowRecord[], uniflow = false): Uint8Array {
  const out = new GrowingOut();
  const w = new IpfixFileWriter(out, { uniflow, now: () => 1_700_000_000_123 });
  w.begin();
  for (const r of records) w.write(r);
  w.end();
  return new Uint8Array(out.take());
}

/** RFC 5952 text of an address the reader gives as bytes (IPv6 via the URL parser, which prints RFC 5952). */
function addr(v: unknown): string {
  const b = v as Uint8Array;
  if (b.length === 4) return addressText(b);
  return new URL(`http://[${addressText(b)}]/`).hostname.slice(1, -1);
}

/** The fields of a record a biflow carries, as a record read back should show them. */
function expectBiflow(d: IpfixDataRecord, r: FlowRecord): void {
  const v = d.values;
  const icmp = r.proto === 'icmp';
  expect(addr(v.get(r.ipVersion === 6 ? '0/27' : '0/8'))).toBe(r.origAddr);
  expect(addr(v.get(r.ipVersion === 6 ? '0/28' : '0/12'))).toBe(r.respAddr);
  expect([v.get('0/7'), v.get('0/11')]).toEqual(icmp ? [0, 0] : [r.origPort, r.respPort]);
  expect(v.get(r.ipVersion === 6 ? '0/139' : '0/32')).toBe(icmp ? r.origPort * 256 + r.respPort : 0);
  expect(v.get('0/4')).toBe(r.ipProto);
  expect([v.get('0/2'), v.get('0/1')]).toEqual([r.orig.pkts, r.orig.ipBytes]);
  expect([v.get(`${REVERSE_PEN}/2`), v.get(`${REVERSE_PEN}/1`)]).toEqual([r.resp.pkts, r.resp.ipBytes]);
  expect(v.get('0/152')).toBe(Math.floor(Math.round(r.startSec * 1e6) / 1000));
  expect(v.get('0/153')).toBe(Math.floor(Math.round(r.lastSec * 1e6) / 1000));
  expect(v.get('0/136')).toBe(flowEndReason(r.endReason));
  expect(v.get('0/58')).toBe(r.vlan !== undefined && r.vlan >= 0 ? r.vlan : 0);
  expect(v.get('0/239')).toBe(r.directionGuessed ? 0 : 1);
  expect(v.get(own('uid'))).toBe(r.uid);
  expect(v.get(own('connState'))).toBe(r.connState);
  expect(v.get(own('history'))).toBe(r.history);
  expect(v.get(own('tcpState'))).toBe(r.proto === 'tcp' ? (r.orig.state ?? '') : '');
  expect(v.get(own('tcpState', true))).toBe(r.proto === 'tcp' ? (r.resp.state ?? '') : '');
  expect(v.get(own('endReason'))).toBe(r.endReason);
  expect(v.get(own('directionGuessed'))).toBe(r.directionGuessed ? 1 : 2);
  expect(v.get(own('seqOctets'))).toBe(r.orig.seqBytes);
  expect(v.get(own('seqOctets', true))).toBe(r.resp.seqBytes);
  const n = r.names;
  expect([own('service'), own('serverName'), own('alpn'), own('httpHost'), own('httpMethod'), own('dnsQuery')].map((k) => v.get(k)))
    .toEqual(n == null ? ['', '', '', '', '', ''] : [n.service, n.serverName, n.alpn, n.httpHost, n.httpMethod, n.dnsQuery]);
  expect([v.get(own('dnsQtype')), v.get(own('dnsRcode'))]).toEqual(n == null ? [0, 65535] : [Math.max(n.dnsQtype, 0), n.dnsRcode < 0 ? 65535 : n.dnsRcode]);
  expect([v.get(own('sshSoftware')), v.get(own('sshSoftware', true))]).toEqual(n == null ? ['', ''] : [n.sshClient, n.sshServer]);
  expect(v.get(own('communityId'))).toBe(communityIdOfRecord(r) ?? '');
  expect(v.get(own('respName'))).toBe(n == null ? '' : n.respName);
}

// ── Addresses ───────────────────────────────────────────────────────────────────────────────────────────────────

describe('IPv6 text to bytes', () => {
  it.each([
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['fe80::217:f2ff:fed7:cf65', 'fe80:0:0:0:217:f2ff:fed7:cf65'],
    ['2001:db8::a:b', '2001:db8:0:0:0:0:a:b'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.128', '0:0:0:0:0:ffff:c000:280'],
    ['64:ff9b::10.1.2.3', '64:ff9b:0:0:0:0:a01:203'],
    ['FF02::FB', 'ff02:0:0:0:0:0:0:fb'],
  ])('%s', (text, groups) => {
    const b = Buffer.alloc(20, 0xee);
    expect(writeIpv6(b, 2, text)).toBe(18);
    expect(addressText(b.subarray(2, 18))).toBe(groups);
    expect([b[0], b[1], b[18], b[19]]).toEqual([0xee, 0xee, 0xee, 0xee]);
  });
});

// ── Encoding ────────────────────────────────────────────────────────────────────────────────────────────────────

describe('IPFIX file (RFC 5655)', () => {
  it('starts with a template-only message; biflow and uniflow templates; header fields', () => {
    const msgs = decodeMessages(fileBytes([record()]));
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.templateIds).toEqual([256, 257]);
    expect(msgs[0]!.records).toHaveLength(0);
    expect(msgs.map((m) => [m.version, m.exportTime, m.sequence, m.domain])).toEqual([[10, 1_700_000_000, 0, 1], [10, 1_700_000_000, 0, 1]]);
    expect(decodeMessages(fileBytes([record()], true))[0]!.templateIds).toEqual([258, 259]);
  });

  it('encodes a hand-made TCP flow: flags each way, states, retransmissions, end reason', () => {
    const r = record({
      orig: { ...record().orig, syn: 1, ack: 4, fin: 1, psh: 2, retransmissions: 3 },
      resp: { ...record().resp, syn: 1, ack: 4, rst: 1, retransmissions: 1 },
      endReason: 'reset',
    });
    const d = decodeMessages(fileBytes([r]))[1]!.records[0]!;
    expectBiflow(d, r);
    expect(d.values.get('0/6')).toBe(0x01 | 0x02 | 0x08 | 0x10);
    expect(d.values.get(`${REVERSE_PEN}/6`)).toBe(0x02 | 0x04 | 0x10);
    expect([d.values.get(own('retransmissions')), d.values.get(own('retransmissions', true))]).toEqual([3, 1]);
    expect(d.values.get('0/136')).toBe(3);
  });

  it.skipIf(!HAVE_CORPUS).each(['zeek/wikipedia.pcap', 'misc/chrissanders-packets/dns.pcap'])('with --names, the service and names of %s', async (capture) => {
    configureNames({ payload: true });
    try {
      const { records } = await runCapture(capture);
      expect(records.some((r) => (r.names?.service ?? '') !== '')).toBe(true);
      const data = decodeMessages(fileBytes(records)).flatMap((m) => m.records);
      data.forEach((d, i) => expectBiflow(d, records[i]!));
    } finally {
      configureNames({ payload: false });
    }
  });

  it('names longer than 255 bytes are cut; names that do not fit a UDP message together are left out and counted', async () => {
    const long = 'a'.repeat(300);
    const names = { service: 'http', serverName: long, alpn: '', httpHost: long, httpMethod: 'GET', dnsQuery: long, dnsQtype: 1, dnsRcode: 0, sshClient: long, sshServer: long, respName: long };
    const d = decodeMessages(fileBytes([record({ names })]))[1]!.records[0]!;
    expect([d.values.get(own('serverName')), d.values.get(own('httpMethod'))]).toEqual(['a'.repeat(255), 'GET']);
    const sock = createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    try {
      const ex = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${sock.address().port}`)] });
      ex.write(record({ names }));
      const lines = await ex.close();
      expect(lines[0]).toMatch(/1 records sent/);
      expect(lines[1]).toBe('sockscope: warning: 1 IPFIX records went without their names (too long together for one message)');
    } finally {
      sock.close();
    }
  });

  it('writes a long history with the three-byte length form (RFC 7011 §7)', () => {
    const r = record({ history: 'A'.repeat(300) });
    expectBiflow(decodeMessages(fileBytes([r]))[1]!.records[0]!, r);
  });

  it('marks an intermediate report (a flow still open) as an active timeout', () => {
    const d = decodeMessages(fileBytes([record({ endReason: 'active' })]))[1]!.records[0]!;
    expect([d.values.get('0/136'), d.values.get(own('endReason'))]).toEqual([2, 'active']);
  });

  it('after an intermediate report, the next record of the flow carries only the packets and bytes since', () => {
    const first = record({ endReason: 'active', lastSec: 1300475167.25 });
    const final = record({
      orig: { ...record().orig, pkts: 8, ipBytes: 700 },
      resp: { ...record().resp, pkts: 6, ipBytes: 2000 },
      endReason: 'closed',
    });
    const other = record({ uid: 'COther000000000001' });
    const out = new GrowingOut();
    const w = new IpfixFileWriter(out);
    w.begin();
    for (const r of [first, other, final]) w.write(r);
    w.end();
    const [a, b, c] = decodeMessages(new Uint8Array(out.take())).flatMap((m) => m.records).map((d) => d.values);
    expect([a!.get('0/2'), a!.get('0/1'), a!.get(`${REVERSE_PEN}/2`), a!.get(`${REVERSE_PEN}/1`), a!.get('0/136')]).toEqual([5, 400, 4, 1500, 2]);
    expect([b!.get('0/2'), b!.get('0/1')]).toEqual([5, 400]);
    expect([c!.get('0/2'), c!.get('0/1'), c!.get(`${REVERSE_PEN}/2`), c!.get(`${REVERSE_PEN}/1`), c!.get('0/136')]).toEqual([3, 300, 2, 500, 3]);
    expect([c!.get('0/152'), c!.get('0/153')]).toEqual([1300475167250, 1300475167500]);
  });

  it.skipIf(!HAVE_CORPUS).each(['zeek/wikipedia.pcap', 'misc/chrissanders-packets/icmp_traceroute.pcapng', 'misc/chrissanders-packets/icmpv6_neighbor_solicitation.pcapng', 'misc/chrissanders-packets/http_ip4and6.pcapng'])(
    'every biflow of %s reads back as the record',
    async (capture) => {
      const { records } = await runCapture(capture);
      expect(records.length).toBeGreaterThan(0);
      const msgs = decodeMessages(fileBytes(records));
      const data = msgs.flatMap((m) => m.records);
      expect(data).toHaveLength(records.length);
      data.forEach((d, i) => expectBiflow(d, records[i]!));
      checkSequence(msgs);
    },
  );

  it.skipIf(!HAVE_CORPUS)('uniflow: one record per direction that sent packets, the responder as source of the second', async () => {
    const { records } = await runCapture('zeek/wikipedia.pcap');
    const data = decodeMessages(fileBytes(records, true)).flatMap((m) => m.records);
    let i = 0;
    for (const r of records) {
      if (r.orig.pkts > 0 || r.resp.pkts === 0) {
        const fwd = data[i++]!;
        expect([fwd.templateId, addr(fwd.values.get('0/8') ?? fwd.values.get('0/27'))]).toEqual([r.ipVersion === 6 ? 259 : 258, r.origAddr]);
        expect([fwd.values.get('0/2'), fwd.values.get('0/1'), fwd.values.has(`${REVERSE_PEN}/2`)]).toEqual([r.orig.pkts, r.orig.ipBytes, false]);
      }
      if (r.resp.pkts === 0) continue;
      const rev = data[i++]!;
      expect(addr(rev.values.get('0/8') ?? rev.values.get('0/27'))).toBe(r.respAddr);
      expect([rev.values.get('0/7'), rev.values.get('0/11')]).toEqual(r.proto === 'icmp' ? [0, 0] : [r.respPort, r.origPort]);
      expect([rev.values.get('0/2'), rev.values.get('0/1'), rev.values.get(own('uid'))]).toEqual([r.resp.pkts, r.resp.ipBytes, r.uid]);
      expect(rev.values.get('0/152')).toBe(Math.floor(Math.round(r.resp.firstSec! * 1e6) / 1000));
    }
    expect(i).toBe(data.length);
  });
});

/** RFC 7011 §3.1: each message's sequence number is the count of data records in the messages before it. */
function checkSequence(msgs: readonly IpfixMessage[]): void {
  let n = 0;
  for (const m of msgs) {
    expect(m.sequence).toBe(n);
    n += m.records.length;
  }
}

// ── Targets ─────────────────────────────────────────────────────────────────────────────────────────────────────

describe('parseTarget', () => {
  it.each([
    ['10.0.0.5:2055', 'udp://10.0.0.5:2055'],
    ['collector', 'udp://collector:4739'],
    ['tcp://collector.example:4739', 'tcp://collector.example:4739'],
    ['udp://[2001:db8::1]:9995', 'udp://[2001:db8::1]:9995'],
  ])('%s', (arg, text) => expect(parseTarget(arg).text).toBe(text));
  it.each(['tcp://:80', 'host:0', 'host:70000', '[nothex]:1', 'sctp://h:1'])('rejects %s', (arg) => {
    expect(() => parseTarget(arg)).toThrow(RangeError);
  });
});

// ── Transports ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Many distinct records (ports differ), enough for several UDP messages. */
function manyRecords(n: number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => record({ uid: `C${String(i).padStart(17, '0')}`, origPort: 1024 + i }));
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('UDP export', () => {
  it('sends templates first, keeps each datagram within the MTU, fills it, numbers records across messages', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    try {
      const ex = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${sock.address().port}`)], mtu: 1500, domain: 7 });
      const recs = manyRecords(100);
      for (const r of recs) ex.write(r);
      const lines = await ex.close();
      const messages = Number(/in (\d+) messages/.exec(lines[0]!)![1]);
      expect(lines).toEqual([`sockscope: IPFIX to udp://127.0.0.1:${sock.address().port}: 100 records sent in ${messages} messages`]);
      await until(() => got.length === messages);
      const templates = new Map();
      const msgs = got.flatMap((m) => decodeMessages(m, templates));
      expect(msgs[0]!.templateIds).toEqual([256, 257]);
      expect(msgs.slice(1).every((m) => m.templateIds.length === 0)).toBe(true);
      expect(Math.max(...got.map((m) => m.length))).toBeLessThanOrEqual(1500 - 48);
      // Full messages leave less than one record's room unused.
      const recordBytes = (got[2]!.length - 20) / msgs[2]!.records.length;
      expect(got[2]!.length).toBeGreaterThan(1500 - 48 - recordBytes);
      expect(got.length).toBeGreaterThan(5);
      expect(msgs.every((m) => m.domain === 7)).toBe(true);
      checkSequence(msgs);
      msgs.flatMap((m) => m.records).forEach((d, i) => expectBiflow(d, recs[i]!));
    } finally {
      sock.close();
    }
  });

  it('sends the templates again after templateRefreshMs', async () => {
    const sock = createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    let now = 1_000_000;
    try {
      const ex = await IpfixExporter.open({ targets: [parseTarget(`127.0.0.1:${sock.address().port}`)], templateRefreshMs: 1000, now: () => now, flushMs: 5 });
      ex.write(record());
      await until(() => got.length === 2);
      now += 500;
      ex.write(record());
      await until(() => got.length === 3);
      now += 600;
      ex.write(record());
      await ex.close();
      await until(() => got.length === 5);
      // Templates go in a message of their own: data messages keep no room for them.
      const templates = new Map();
      const msgs = got.map((m) => decodeMessages(m, templates)[0]!);
      expect(msgs.map((m) => [m.templateIds.length, m.records.length])).toEqual([[2, 0], [0, 1], [0, 1], [2, 0], [0, 1]]);
    } finally {
      sock.close();
    }
  });

  it('an IPv6 collector ([::1]:PORT) gets the same messages', async () => {
    const sock = createSocket('udp6');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    sock.bind(0, '::1');
    await once(sock, 'listening');
    try {
      const ex = await IpfixExporter.open({ targets: [parseTarget(`udp://[::1]:${sock.address().port}`)] });
      ex.write(record({ ipVersion: 6, origAddr: '2001:db8::1', respAddr: 'fe80::217:f2ff:fed7:cf65' }));
      expect(await ex.close()).toEqual([`sockscope: IPFIX to udp://[::1]:${sock.address().port}: 1 records sent in 2 messages`]);
      await until(() => got.length === 2);
      const templates = new Map();
      const [d] = got.flatMap((m) => decodeMessages(m, templates)).flatMap((m) => m.records);
      expect([d!.templateId, addr(d!.values.get('0/27')), addr(d!.values.get('0/28'))]).toEqual([257, '2001:db8::1', 'fe80::217:f2ff:fed7:cf65']);
    } finally {
      sock.close();
    }
  });

  it('a collector that is not there costs nothing and blocks nothing', async () => {
    const ex = await IpfixExporter.open({ targets: [parseTarget('127.0.0.1:9')] });
    for (const r of manyRecords(50)) ex.write(r);
    const lines = await ex.close();
    expect(lines[0]).toMatch(/50 records sent/);
  });
});

/** A TCP collector on loopback that gathers every byte of each connection. */
async function tcpCollector(port = 0): Promise<{ server: Server; port: number; conns: Buffer[][]; sockets: Socket[] }> {
  const conns: Buffer[][] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    const chunks: Buffer[] = [];
    conns.push(chunks);
    sockets.push(s);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, conns, sockets };
}

describe('several collectors', () => {
  it('UDP and TCP collectors each get every record, numbered in their own session', async () => {
    const udp = createSocket('udp4');
    const datagrams: Buffer[] = [];
    udp.on('message', (m) => datagrams.push(m));
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    const tcp = await tcpCollector();
    try {
      const ex = await IpfixExporter.open({
        targets: [parseTarget(`127.0.0.1:${udp.address().port}`), parseTarget(`tcp://127.0.0.1:${tcp.port}`)],
      });
      const recs = manyRecords(50);
      for (const r of recs) ex.write(r);
      const lines = await ex.close();
      expect(lines).toHaveLength(2);
      expect(lines.every((l) => / 50 records sent in \d+ messages$/.test(l))).toBe(true);
      await until(() => tcp.sockets[0] !== undefined && (tcp.sockets[0].readableEnded || tcp.sockets[0].destroyed));
      const templates = new Map();
      for (const msgs of [datagrams.flatMap((d) => decodeMessages(d, templates)), decodeMessages(Buffer.concat(tcp.conns[0]!))]) {
        checkSequence(msgs);
        msgs.flatMap((m) => m.records).forEach((d, i) => expectBiflow(d, recs[i]!));
      }
    } finally {
      udp.close();
      for (const s of tcp.sockets) s.destroy();
      tcp.server.close();
    }
  });
});

describe('TCP export', () => {
  it('templates open every connection; after the collector restarts, sockscope reconnects and sends them again', async () => {
    const c1 = await tcpCollector();
    const port = c1.port;
    const ex = await IpfixExporter.open({ targets: [parseTarget(`tcp://127.0.0.1:${port}`)], reconnectMs: 50, flushMs: 5 });
    const recs = manyRecords(30);
    for (const r of recs.slice(0, 10)) ex.write(r);
    await until(() => c1.conns[0] !== undefined && decodeMessages(Buffer.concat(c1.conns[0])).flatMap((m) => m.records).length === 10);
    // The collector goes away; what is written meanwhile queues; a new collector on the same port gets it.
    for (const s of c1.sockets) s.destroy();
    await new Promise<void>((r) => c1.server.close(() => r()));
    await new Promise((r) => setTimeout(r, 100));
    const c2 = await tcpCollector(port);
    try {
      for (const r of recs.slice(10)) ex.write(r);
      await until(() => c2.conns.length > 0);
      const lines = await ex.close();
      await until(() => c2.sockets[0]!.readableEnded || c2.sockets[0]!.destroyed, 2000).catch(() => undefined);
      const first = decodeMessages(Buffer.concat(c1.conns[0]!));
      const second = decodeMessages(Buffer.concat(c2.conns[0]!));
      expect(first[0]!.templateIds).toEqual([256, 257]);
      expect(second[0]!.templateIds).toEqual([256, 257]);
      const got = [...first, ...second].flatMap((m) => m.records);
      const sent = Number(/(\d+) records sent/.exec(lines[0]!)![1]);
      expect(sent).toBe(got.length);
      expect(lines[0]).toMatch(/reconnected 1 times/);
      // Nothing vanishes unnoticed: each record arrived, or is counted as not sent.
      const lost = lines[1] === undefined ? 0 : Number(/(\d+) records not sent/.exec(lines[1])![1]);
      expect(got.length + lost).toBe(30);
      expect(got.length).toBeGreaterThanOrEqual(20);
      checkSequence(second.slice(1).map((m) => ({ ...m, sequence: m.sequence - second[1]!.sequence })));
    } finally {
      for (const s of c2.sockets) s.destroy();
      c2.server.close();
    }
  });

  it('a collector that never answers: records are counted as not sent and close() returns in bounded time', async () => {
    // A port that refuses connections: bind a server, note its port, close it.
    const c = await tcpCollector();
    await new Promise<void>((r) => c.server.close(() => r()));
    const ex = await IpfixExporter.open({ targets: [parseTarget(`tcp://127.0.0.1:${c.port}`)], reconnectMs: 20, closeTimeoutMs: 300 });
    for (const r of manyRecords(40)) ex.write(r);
    const t0 = Date.now();
    const lines = await ex.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lines[0]).toMatch(/0 records sent/);
    expect(lines[1]).toMatch(/40 records not sent \(collector unreachable or too slow; last error: connect ECONNREFUSED/);
  });

  it('a collector that stops reading: records beyond the queue are dropped and counted, capture goes on', async () => {
    // 200,000 records are about 40 MB: more than the kernel's socket buffers on both ends hold.
    const c = await tcpCollector();
    c.server.on('connection', (s) => s.pause());
    try {
      const ex = await IpfixExporter.open({ targets: [parseTarget(`tcp://127.0.0.1:${c.port}`)], maxQueuedBytes: 64 << 10, closeTimeoutMs: 200, flushMs: 1 });
      await until(() => c.sockets.length === 1);
      // write() never waits for the collector (it cannot: it is synchronous); what does not fit is dropped.
      for (const r of manyRecords(200_000)) ex.write(r);
      const lines = await ex.close();
      const sent = Number(/(\d+) records sent/.exec(lines[0]!)![1]);
      const lost = Number(/(\d+) records not sent/.exec(lines[1]!)![1]);
      expect(lost).toBeGreaterThan(0);
      expect(sent + lost).toBe(200_000);
    } finally {
      for (const s of c.sockets) s.destroy();
      c.server.close();
    }
  });
});

// ── README ──────────────────────────────────────────────────────────────────────────────────────────────────────

describe('README', () => {
  it("lists every enterprise element as the code defines it", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const e of Object.values(ENTERPRISE_ELEMENTS)) {
      const id = `${e.id}${e.reversible ? ` (reverse ${e.id | 0x4000})` : ''}`;
      expect(readme).toContain(`| ${id} | \`${e.name}\` | ${e.type} | ${e.description} |`);
    }
  });
});

describe('IPFIX vlanId', () => {
  it("carries the outer 802.1Q tag of each flow's first packet (the VLAN fixture)", async () => {
    const { records } = await runCapture(new URL('../../fixtures/demo-vlan.pcap', import.meta.url).pathname);
    expect(records.every((r) => r.vlan === 100)).toBe(true);
    const data = decodeMessages(fileBytes(records)).flatMap((m) => m.records);
    expect(data).toHaveLength(records.length);
    for (const d of data) expect(d.values.get('0/58')).toBe(100);
  });
});
