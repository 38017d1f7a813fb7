/**
 * The ndjson line encoded straight from a flow's state (sink/flow-json.ts) is byte for byte the line of its record
 * (sink/json-bytes.ts over snapshot.ts's FlowRecord), on every corpus capture, with the default table and with
 * checksum verification and short timeouts (which end flows in other states), and on a generated port scan whose
 * connections stay in the log tier (tcp/deferred.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localNets } from '../../src/cli/options.js';
import { flowRecord } from '../../src/flow/snapshot.js';
import { configureNames } from '../../src/inspect/names.js';
import { configureLocal } from '../../src/local/attribution.js';
import { Pipeline, type FlowTableOptions } from '../../src/pipeline.js';
import { encodeFlowJson } from '../../src/sink/flow-json.js';
import { encodeRecordJson } from '../../src/sink/json-bytes.js';
import { GrowingOut } from '../../src/sink/writers.js';
import { openCapture } from '../../src/source/open.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS } from '../helpers/corpus.js';
import { makeFlood } from '../helpers/flood.js';
import { useTiers } from '../../src/tcp/deferred.js';
import { pcapHeader, recordHeader } from '../helpers/hostile.js';


/** Raw IPv4 (LINKTYPE_RAW) carrying UDP from `src`:`sport` to `dst`:`dport`. */
function ipv4Udp(src: number[], sport: number, dst: number[], dport: number, payload: Buffer): Buffer {
  const ip = Buffer.alloc(28);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(28 + payload.length, 2);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(17, 9);
  Buffer.from(src).copy(ip, 12);
  Buffer.from(dst).copy(ip, 16);
  ip.writeUInt16BE(sport, 20);
  ip.writeUInt16BE(dport, 22);
  ip.writeUInt16BE(8 + payload.length, 24);
  return Buffer.concat([ip, payload]);
}

/**
 * A DNS query and its answer for a name whose first label holds a quote and the byte 0xe9, then a datagram to the
 * address the answer gave: names JSON escapes, in dns_query and (passive DNS) resp_name.
 */
function oddDnsNamePcap(): string {
  const name = Buffer.concat([Buffer.from([7]), Buffer.from('we"ird', 'latin1'), Buffer.from([0xe9, 7]), Buffer.from('example'), Buffer.from([0])]);
  const question = Buffer.concat([name, Buffer.from([0, 1, 0, 1])]);
  const query = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), question]);
  const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 9, 9]);
  const response = Buffer.concat([Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), question, answer]);
  const frames = [
    ipv4Udp([10, 0, 0, 1], 40000, [10, 0, 0, 53], 53, query),
    ipv4Udp([10, 0, 0, 53], 53, [10, 0, 0, 1], 40000, response),
    ipv4Udp([10, 0, 0, 1], 40001, [10, 9, 9, 9], 9999, Buffer.from('x')),
  ];
  return rawPcap('odd-dns', frames);
}

/**
 * Lone SYNs of one signature (window, MSS option) from 10.0.0.1 to 10.0.0.2:80, one per source port, that differ in
 * what a line writes from the flow rather than from the signature's tracker: IPv4 options (orig_ip_bytes) and bytes
 * after the IP packet (orig_wire_bytes), in turns, so that each kind follows another (and one with other IP bytes
 * follows one with the same wire bytes).
 */
function loneSynsPcap(): string {
  const syn = (sport: number, ipOptions: boolean, trailer: number): Buffer => {
    const ihl = ipOptions ? 24 : 20;
    const ip = Buffer.alloc(ihl + 24 + trailer);
    ip.writeUInt8(0x40 | (ihl / 4), 0);
    ip.writeUInt16BE(ihl + 24, 2);
    ip.writeUInt8(64, 8);
    ip.writeUInt8(6, 9);
    Buffer.from([10, 0, 0, 1]).copy(ip, 12);
    Buffer.from([10, 0, 0, 2]).copy(ip, 16);
    if (ipOptions) ip.writeUInt32BE(0x01010100, 20); // NOP, NOP, NOP, End of options list
    ip.writeUInt16BE(sport, ihl);
    ip.writeUInt16BE(80, ihl + 2);
    ip.writeUInt32BE(1000 + sport, ihl + 4); // sequence number
    ip.writeUInt8(0x60, ihl + 12); // data offset 6: one option word
    ip.writeUInt8(0x02, ihl + 13); // SYN
    ip.writeUInt16BE(64240, ihl + 14);
    ip.writeUInt32BE(0x020405b4, ihl + 20); // MSS 1460
    return ip;
  };
  const kinds: [boolean, number][] = [[false, 0], [true, 0], [false, 4], [false, 0], [false, 6], [false, 0], [true, 0], [true, 6], [false, 6], [true, 2]];
  return rawPcap('lone-syns', kinds.map(([opts, trailer], i) => syn(40000 + i, opts, trailer)));
}

/** An IPv4 TCP segment (LINKTYPE_RAW) without payload, with an MSS option if `mss`, IPv4 options, and `trailer` bytes after the packet. */
function ipv4Tcp(src: number, sport: number, dst: number, dport: number, seq: number, ack: number, flags: number, window: number, mss: boolean, ipOptions: boolean, trailer: number): Buffer {
  const ihl = ipOptions ? 24 : 20;
  const thl = mss ? 24 : 20;
  const ip = Buffer.alloc(ihl + thl + trailer);
  ip.writeUInt8(0x40 | (ihl / 4), 0);
  ip.writeUInt16BE(ihl + thl, 2);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(6, 9);
  ip.writeUInt32BE(src, 12);
  ip.writeUInt32BE(dst, 16);
  if (ipOptions) ip.writeUInt32BE(0x01010100, 20);
  ip.writeUInt16BE(sport, ihl);
  ip.writeUInt16BE(dport, ihl + 2);
  ip.writeUInt32BE(seq >>> 0, ihl + 4);
  ip.writeUInt32BE(ack >>> 0, ihl + 8);
  ip.writeUInt8((thl / 4) << 4, ihl + 12);
  ip.writeUInt8(flags, ihl + 13);
  ip.writeUInt16BE(window, ihl + 14);
  if (mss) ip.writeUInt32BE(0x020405b4, ihl + 20);
  return ip;
}

/**
 * Connections of a lone SYN and one answer, of a few pairs of signatures (the responder's RST+ACK, its RST+ACK with a
 * window, the originator's RST), one per source port, that differ in what a line writes from the flow rather than
 * from the signatures' tracker: IPv4 options (ip bytes) and bytes after the IP packet (wire bytes) on either packet,
 * and initial sequence numbers, in turns; the last answers at the same capture time as its SYN.
 */
function synAnswersPcap(): string {
  const tcp = ipv4Tcp;
  const A = 0x0a000001, B = 0x0a000002;
  const SYN = 0x02, RST = 0x04, ACK = 0x10;
  // [answer kind, SYN IP options, SYN trailer, answer IP options, answer trailer]: 0 RST+ACK, 1 RST+ACK window 512, 2 the originator's RST
  const kinds: [number, boolean, number, boolean, number][] = [
    [0, false, 0, false, 0], [0, true, 0, false, 0], [0, false, 0, false, 6], [0, false, 0, true, 0], [0, false, 4, false, 0],
    [1, false, 0, false, 0], [0, false, 0, false, 0], [2, false, 0, false, 0], [2, true, 0, false, 2], [0, false, 0, true, 6],
    [1, false, 0, false, 0], [2, false, 0, false, 0], [0, false, 0, false, 0],
  ];
  const frames: Buffer[] = [];
  const times: number[] = [];
  kinds.forEach(([kind, synOpts, synTrailer, ansOpts, ansTrailer], i) => {
    const sport = 41000 + i, isn = (0x9e3779b9 * (i + 1)) >>> 0;
    frames.push(tcp(A, sport, B, 80, isn, 0, SYN, 64240, true, synOpts, synTrailer));
    if (kind === 2) frames.push(tcp(A, sport, B, 80, isn + 1, 0, RST, 0, false, ansOpts, ansTrailer));
    else frames.push(tcp(B, 80, A, sport, 0, isn + 1, RST | ACK, kind === 1 ? 512 : 0, false, ansOpts, ansTrailer));
    times.push(i * 10_000, i * 10_000 + (i === kinds.length - 1 ? 0 : 1000 + 37 * i));
  });
  const parts = [pcapHeader(65535, 101)];
  frames.forEach((f, i) => parts.push(recordHeader(f.length, 1_700_000_000, times[i]!), f));
  const path = join(mkdtempSync(join(tmpdir(), 'sockscope-syn-answers-')), 'syn-answers.pcap');
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/**
 * One-datagram UDP flows whose lines differ only in what the middle of a line writes from the flow: payload and IP
 * bytes (IPv4 options), and wire bytes (bytes after the IP packet), in turns; then one answered and one without payload.
 */
function datagramsPcap(): string {
  const datagram = (src: number[], sport: number, dst: number[], dport: number, payload: number, ipOptions: boolean, trailer: number): Buffer => {
    const ihl = ipOptions ? 24 : 20;
    const ip = Buffer.alloc(ihl + 8 + payload + trailer);
    ip.writeUInt8(0x40 | (ihl / 4), 0);
    ip.writeUInt16BE(ihl + 8 + payload, 2);
    ip.writeUInt8(64, 8);
    ip.writeUInt8(17, 9);
    Buffer.from(src).copy(ip, 12);
    Buffer.from(dst).copy(ip, 16);
    if (ipOptions) ip.writeUInt32BE(0x01010100, 20);
    ip.writeUInt16BE(sport, ihl);
    ip.writeUInt16BE(dport, ihl + 2);
    ip.writeUInt16BE(8 + payload, ihl + 4);
    return ip;
  };
  const a = [10, 0, 0, 1], b = [10, 0, 0, 2];
  const kinds: [number, boolean, number][] = [[10, false, 0], [14, false, 0], [10, true, 0], [10, false, 4], [10, false, 0], [14, false, 0], [10, true, 0], [0, false, 0]];
  const frames = kinds.map(([payload, opts, trailer], i) => datagram(a, 30000 + i, b, 9999, payload, opts, trailer));
  frames.push(datagram(a, 31000, b, 9999, 10, false, 0), datagram(b, 9999, a, 31000, 10, false, 0)); // answered
  return rawPcap('datagrams', frames);
}

/** The values of columns `names` of each line of `ndjson` (absent ones as ''). */
function columns(ndjson: string, ...names: string[]): unknown[][] {
  return ndjson.trim().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    return names.map((n) => r[n] ?? '');
  });
}

/** Raw IPv4 frames (LINKTYPE_RAW) written as a capture, a millisecond apart; returns its path. */
function rawPcap(prefix: string, frames: Buffer[]): string {
  const parts = [pcapHeader(65535, 101)];
  frames.forEach((f, i) => parts.push(recordHeader(f.length, 1_700_000_000, i * 1000), f));
  const path = join(mkdtempSync(join(tmpdir(), `sockscope-${prefix}-`)), `${prefix}.pcap`);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/**
 * The lines of `path` written straight from flow state, after checking that they equal the records' and the lines
 * written with a tracker per connection from its first segment (the TCP tiers and shortcuts off); and how many.
 */
async function threeWays(path: string): Promise<[string, number]> {
  const [direct, viaRecord, n] = await bothWays(path, {}, false);
  expect(direct).toBe(viaRecord);
  useTiers({ log: false, loneSyn: false });
  try {
    const [tracked] = await bothWays(path, {}, false);
    expect(direct).toBe(tracked);
  } finally {
    useTiers({ log: true, loneSyn: true });
  }
  return [direct, n];
}

async function bothWays(path: string, flowTable: FlowTableOptions, verifyChecksums: boolean): Promise<[string, string, number]> {
  const direct = new GrowingOut();
  const viaRecord = new GrowingOut();
  let n = 0;
  const opts: ConstructorParameters<typeof Pipeline>[0] = {
    sources: [await openCapture(path)],
    flowTable,
    verifyChecksums,
    onFlowEndState: (f) => {
      encodeFlowJson(direct, f, f.endReason);
      encodeRecordJson(viaRecord, flowRecord(f, f.endReason));
      n++;
    },
  };
  await new Pipeline(opts).run();
  return [direct.buf.toString('utf8', 0, direct.len), viaRecord.buf.toString('utf8', 0, viaRecord.len), n];
}

describe.skipIf(!HAVE_CORPUS)('encodeFlowJson', () => {
  it('writes the bytes of the record on every corpus capture', async () => {
    let lines = 0;
    for (const c of corpusCaptures()) {
      for (const [table, verify] of [[{}, false], [{ tcpIdleSec: 30, udpIdleSec: 7, closeDelaySec: 1, maxFlows: 50 }, true]] as const) {
        const [direct, viaRecord, n] = await bothWays(join(CORPUS, c), table, verify);
        if (direct !== viaRecord) expect.soft(direct, c).toBe(viaRecord);
        lines += n;
      }
    }
    expect(lines).toBeGreaterThan(5000);
  }, 120_000);

  for (const local of [false, true]) {
    it(`writes the bytes of the record with payload names${local ? ' and local networks (every later field in play)' : ' (straight from the names)'}`, async () => {
      configureNames({ payload: true });
      if (local) configureLocal({ nets: localNets('10.0.0.0/8,192.168.0.0/16,172.16.0.0/12,fe80::/10') });
      try {
        let lines = 0;
        let named = 0;
        for (const c of corpusCaptures()) {
          const [direct, viaRecord, n] = await bothWays(join(CORPUS, c), {}, false);
          if (direct !== viaRecord) expect.soft(direct, c).toBe(viaRecord);
          lines += n;
          named += direct.split('"service":').length - 1;
        }
        expect(lines).toBeGreaterThan(2500);
        expect(named).toBeGreaterThan(100);
      } finally {
        configureNames();
        configureLocal();
      }
    }, 120_000);
  }

  it('writes names that JSON escapes (a quote, a backslash) as the record does, in dns_query and resp_name', async () => {
    configureNames({ payload: true });
    try {
      const [direct, viaRecord, n] = await bothWays(oddDnsNamePcap(), {}, false);
      expect(n).toBe(2);
      expect(direct).toBe(viaRecord);
      // The label we"ird\xe9 is written by dnsNameText as we"ird\xe9 (the byte escaped), then quoted by JSON.
      expect(direct).toContain('"dns_query":"we\\"ird\\\\xe9.example"');
      expect(direct).toContain('"resp_name":"we\\"ird\\\\xe9.example"');
    } finally {
      configureNames();
    }
  });

  it('writes the bytes of the record on a port scan (connections in the log tier, resets, evictions)', async () => {
    const pcap = makeFlood(['--scenario', 'portscan', '--packets', '40k', '--hosts', '1', '--seed', '2']);
    const [direct, viaRecord, n] = await bothWays(pcap, { maxFlows: 5000 }, false);
    expect(n).toBeGreaterThan(15_000);
    expect(direct === viaRecord).toBe(true);
    expect(direct).toContain('"end_reason":"evicted"');
    expect(direct).toContain('"conn_state":"REJ"');
  });

  it('writes the bytes of the record on a SYN flood (lone SYNs of many signatures, retransmitted SYNs)', async () => {
    const pcap = makeFlood(['--scenario', 'synflood', '--packets', '30k', '--seed', '3']);
    const [direct, viaRecord, n] = await bothWays(pcap, { maxFlows: 4000 }, false);
    expect(n).toBeGreaterThan(25_000);
    expect(direct === viaRecord).toBe(true);
    expect(direct).toContain('"history":"S"');
    expect(direct).toContain('"orig_timestamps":true');
    expect(direct).toContain('"orig_timestamps":false');
  });

  it('writes what each lone SYN of one signature counts itself (IP options, trailing bytes), whatever the line before wrote', async () => {
    const [direct, viaRecord, n] = await bothWays(loneSynsPcap(), {}, false);
    expect(n).toBe(10);
    expect(direct).toBe(viaRecord);
    expect(columns(direct, 'history', 'orig_ip_bytes', 'orig_wire_bytes')).toEqual([
      ['S', 44, 44], ['S', 48, 48], ['S', 44, 48], ['S', 44, 44], ['S', 44, 50], ['S', 44, 44], ['S', 48, 48], ['S', 48, 54], ['S', 44, 50], ['S', 48, 50],
    ]);
  });

  it('writes what each SYN and answer of one pair of signatures counts itself, whatever the line before wrote, as a tracker of its own would', async () => {
    const [direct, n] = await threeWays(synAnswersPcap());
    expect(n).toBe(13);
    expect(columns(direct, 'conn_state', 'history', 'orig_ip_bytes', 'orig_wire_bytes', 'resp_ip_bytes', 'resp_wire_bytes', 'end_reason')).toEqual([
      ['REJ', 'Sr', 44, 44, 40, 40, 'eof'], ['REJ', 'Sr', 48, 48, 40, 40, 'eof'], ['REJ', 'Sr', 44, 44, 40, 46, 'eof'],
      ['REJ', 'Sr', 44, 44, 44, 44, 'eof'], ['REJ', 'Sr', 44, 48, 40, 40, 'eof'], ['REJ', 'Sr', 44, 44, 40, 40, 'eof'],
      ['REJ', 'Sr', 44, 44, 40, 40, 'eof'], ['RSTOS0', 'SR', 84, 84, 0, 0, 'eof'], ['RSTOS0', 'SR', 88, 90, 0, 0, 'eof'],
      ['REJ', 'Sr', 44, 44, 44, 50, 'eof'], ['REJ', 'Sr', 44, 44, 40, 40, 'eof'], ['RSTOS0', 'SR', 84, 84, 0, 0, 'eof'],
      ['REJ', 'Sr', 44, 44, 40, 40, 'eof'],
    ]);
  });

  it('writes SYNs answered by RST+ACKs of more windows than the shortcut keeps for one SYN signature as a tracker of its own would', async () => {
    // 150 answers of 150 windows after SYNs of one signature (window 29200, MSS): past the bound of 64 per signature,
    // the rest are replayed as any log is; every line must be the same either way.
    const frames: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      const sport = 50000 + i, isn = (0x27d4eb2d * (i + 7)) >>> 0;
      frames.push(ipv4Tcp(0x0a000001, sport, 0x0a000003, 443, isn, 0, 0x02, 29200, true, false, 0));
      frames.push(ipv4Tcp(0x0a000003, 443, 0x0a000001, sport, 0, isn + 1, 0x14, 1000 + i, false, false, 0));
    }
    const [direct, n] = await threeWays(rawPcap('many-answers', frames));
    expect(n).toBe(150);
    expect(new Set(columns(direct, 'conn_state', 'history').map((c) => c.join(' ')))).toEqual(new Set(['REJ Sr']));
  });

  it('writes SYNs answered at their own capture time (a shape the shortcut does not keep) as a tracker of its own would', async () => {
    // Answers of a window no earlier test used, the first ones captured at the SYN's time: those are logged from the
    // tracker they were tried on; the later ones, a millisecond after, are kept and shared.
    const parts = [pcapHeader(65535, 101)];
    for (let i = 0; i < 6; i++) {
      const sport = 52000 + i, isn = (0x165667b1 * (i + 3)) >>> 0;
      const syn = ipv4Tcp(0x0a000001, sport, 0x0a000004, 8080, isn, 0, 0x02, 14600, true, false, 0);
      const rst = ipv4Tcp(0x0a000004, 8080, 0x0a000001, sport, 0, isn + 1, 0x14, 4321, false, false, 0);
      parts.push(recordHeader(syn.length, 1_700_000_000, i * 10_000), syn);
      parts.push(recordHeader(rst.length, 1_700_000_000, i * 10_000 + (i < 3 ? 0 : 1000)), rst);
    }
    const path = join(mkdtempSync(join(tmpdir(), 'sockscope-same-time-')), 'same-time.pcap');
    writeFileSync(path, Buffer.concat(parts));
    const [direct, n] = await threeWays(path);
    expect(n).toBe(6);
    expect(columns(direct, 'conn_state', 'history', 'duration')).toEqual([
      ['REJ', 'Sr', ''], ['REJ', 'Sr', ''], ['REJ', 'Sr', ''], ['REJ', 'Sr', 0.001], ['REJ', 'Sr', 0.001], ['REJ', 'Sr', 0.001],
    ]);
  });

  it('writes what each one-datagram UDP flow counts itself (payload, IP options, trailing bytes), whatever the line before wrote', async () => {
    const [direct, viaRecord, n] = await bothWays(datagramsPcap(), {}, false);
    expect(n).toBe(9);
    expect(direct).toBe(viaRecord);
    const counts = columns(direct, 'id.orig_p', 'conn_state', 'history', 'orig_ip_bytes', 'orig_wire_bytes', 'orig_payload_bytes', 'resp_pkts');
    expect(counts).toEqual([
      [30000, 'S0', 'D', 38, 38, 10, 0], [30001, 'S0', 'D', 42, 42, 14, 0], [30002, 'S0', 'D', 42, 42, 10, 0],
      [30003, 'S0', 'D', 38, 42, 10, 0], [30004, 'S0', 'D', 38, 38, 10, 0], [30005, 'S0', 'D', 42, 42, 14, 0],
      [30006, 'S0', 'D', 42, 42, 10, 0], [30007, 'S0', 'D', 28, 28, 0, 0], [31000, 'SF', 'Dd', 38, 38, 10, 1],
    ]);
  });
});
