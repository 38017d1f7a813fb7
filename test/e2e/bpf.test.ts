/**
 * `flows FILE --bpf EXPR` against tcpdump itself: `tcpdump -r FILE -w - EXPR | sockscope flows -` must give the same
 * records apart from uids (which number flows in the order they are met, and so do not depend on the filter only),
 * on captures of several link types (Ethernet, VLAN, Linux SLL, raw IPv4, 802.11 radiotap, pcapng) and expressions
 * that use every kind of BPF instruction libpcap emits (absolute, indirect and MSH loads, arithmetic, jumps).
 * The interpreter's own cases are tested on hand-written programs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BpfError, BpfProgram, compileBpf } from '../../src/source/bpf.js';
import { corpus } from '../tui/corpus.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const haveTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

/** ndjson records without their uids (and the parents' uids). */
const withoutUids = (ndjson: string): string[] =>
  ndjson.trim().split('\n').filter(Boolean).map((l) => l.replace(/"uid":"[^"]*",/, '').replace(/,"tunnel_parents":\[[^\]]*\]/, ''));

function sockscope(args: string[], input?: Buffer): { out: string; err: string; code: number } {
  const r = spawnSync('node', ['bin/sockscope', ...args], { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

const CASES: readonly (readonly [string, string])[] = [
  ['zeek/wikipedia.pcap', 'tcp port 80'],
  ['zeek/wikipedia.pcap', 'udp and not port 53'],
  ['zeek/wikipedia.pcap', 'ip6'],
  ['zeek/wikipedia.pcap', 'tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'],
  ['zeek/wikipedia.pcap', 'net 141.142.0.0/16 and greater 200'],
  ['zeek/wikipedia.pcap', 'ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0'],
  ['zeek/irc-starttls-sll.pcap', 'tcp and src port 6667'],
  ['zeek/tcp-syslog-rawip4.pcap', 'tcp and len < 100'],
  ['zeek/vlan-q-in-q.pcap', 'vlan 13 and vlan 10 and udp'],
  ['zeek/radiotap.pcap', 'ip6 or udp'],
  ['misc/chrissanders-packets/http_ip4and6.pcapng', 'ip6 and tcp port 80'],
  ['misc/chrissanders-packets/ip_frag_source.pcapng', 'ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0'],
  ['misc/chrissanders-packets/icmp_traceroute.pcapng', 'icmp[icmptype] == icmp-timxceed or udp'],
  ['zeek/tunnel-gre.pcap', 'proto gre'],
];

describe.skipIf(!haveTcpdump || !existsSync(`${ROOT}/dist/cli/main.js`))('flows --bpf against tcpdump -w - | flows -', () => {
  it.each(CASES)('%s: %s', (capture, expr) => {
    const file = corpus(capture);
    const mine = sockscope(['flows', '-f', 'ndjson', '--bpf', expr, file]);
    expect(mine.code, mine.err).toBe(0);
    const filtered = execFileSync('tcpdump', ['-r', file, '-w', '-', expr], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    const theirs = sockscope(['flows', '-q', '-f', 'ndjson', '-'], filtered);
    expect(theirs.code, theirs.err).toBe(0);
    const count = Number(/: ([\d,]+) of [\d,]+ packets matched/.exec(mine.err)?.[1]?.replace(/,/g, ''));
    const tcpdumpCount = execFileSync('tcpdump', ['-r', file, '-q', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean).length;
    expect(count, 'packets matched, as tcpdump counts them').toBe(tcpdumpCount);
    expect(count).toBeGreaterThan(0);
    expect(withoutUids(mine.out)).toEqual(withoutUids(theirs.out));
  });

  it('a bad expression is a usage error (exit 2) with libpcap\'s reason, before anything is read', () => {
    const r = sockscope(['flows', '--bpf', 'tcp portt 80', corpus('zeek/wikipedia.pcap')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('bad BPF expression "tcp portt 80": can\'t parse filter expression: syntax error');
  });

  it('an expression the link type cannot carry names the link type', () => {
    // Raw IPv4 packets have no Ethernet header: libpcap refuses `ether host` for them.
    const r = sockscope(['flows', '-q', '--bpf', 'ether host 00:11:22:33:44:55', corpus('zeek/tcp-syslog-rawip4.pcap')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad BPF expression "ether host 00:11:22:33:44:55" for link type 228: .*ether/);
  });
});

describe('the BPF interpreter', () => {
  const pkt = Uint8Array.from([0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06]);
  const run = (insns: [number, number, number, number][], len = pkt.length) => new BpfProgram(insns).run(pkt, 0, pkt.length, len);

  it('loads words, halves and bytes big-endian; a load past the captured bytes rejects', () => {
    expect(run([[0x20, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(0x45000054); // ld [0]; ret a
    expect(run([[0x28, 0, 0, 2], [0x16, 0, 0, 0]])).toBe(0x54); // ldh [2]
    expect(run([[0x30, 0, 0, 9], [0x16, 0, 0, 0]])).toBe(6); // ldb [9]
    expect(run([[0x28, 0, 0, 9], [0x16, 0, 0, 0]])).toBe(0); // ldh [9]: one byte past the end
    expect(run([[0xb1, 0, 0, 0], [0x48, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(0); // ldxb 4*([0]&0xf) = 20; ldh [x+0]: out
    expect(run([[0xb1, 0, 0, 0], [0x87, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(20); // ldxb msh; txa; ret a
    expect(run([[0x80, 0, 0, 0], [0x16, 0, 0, 0]], 1500)).toBe(1500); // ld len (the wire length)
  });

  it('does 32-bit unsigned arithmetic; division by zero in X rejects', () => {
    expect(run([[0x00, 0, 0, 0xffffffff], [0x04, 0, 0, 2], [0x16, 0, 0, 0]])).toBe(1); // ld #-1; add #2
    expect(run([[0x00, 0, 0, 0x80000000], [0x24, 0, 0, 2], [0x16, 0, 0, 0]])).toBe(0); // mul wraps
    expect(run([[0x00, 0, 0, 7], [0x94, 0, 0, 4], [0x16, 0, 0, 0]])).toBe(3); // mod
    expect(run([[0x00, 0, 0, 1], [0x01, 0, 0, 0], [0x3c, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(0); // div x, x = 0
    expect(run([[0x00, 0, 0, 1], [0x01, 0, 0, 40], [0x6c, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(0); // lsh x >= 32
    expect(run([[0x00, 0, 0, 5], [0x84, 0, 0, 0], [0x16, 0, 0, 0]])).toBe(0xfffffffb); // neg
    expect(run([[0x00, 0, 0, 9], [0x02, 0, 0, 3], [0x00, 0, 0, 0], [0x60, 0, 0, 3], [0x16, 0, 0, 0]])).toBe(9); // st M[3]; ld M[3]
  });

  it('jumps by jt/jf and ja; returns k, a or x', () => {
    const prog: [number, number, number, number][] = [
      [0x30, 0, 0, 9], // ldb [9]
      [0x15, 0, 1, 6], // jeq #6, next, skip one
      [0x06, 0, 0, 111], // ret #111
      [0x45, 1, 0, 0x04], // jset #4
      [0x06, 0, 0, 222],
      [0x05, 0, 0, 0], // ja +0
      [0x06, 0, 0, 333],
    ];
    expect(run(prog)).toBe(111);
    prog[1] = [0x15, 0, 1, 17];
    expect(run(prog)).toBe(333); // 6 & 4 set
  });

  it('refuses programs that are not valid: jumps past the end, no return, bad memory index, constant division by zero', () => {
    expect(() => new BpfProgram([[0x15, 5, 0, 1], [0x06, 0, 0, 1]])).toThrow(BpfError);
    expect(() => new BpfProgram([[0x00, 0, 0, 1]])).toThrow('does not end in a return');
    expect(() => new BpfProgram([[0x02, 0, 0, 16], [0x06, 0, 0, 1]])).toThrow('scratch memory index 16');
    expect(() => new BpfProgram([[0x34, 0, 0, 0], [0x06, 0, 0, 1]])).toThrow('division by zero');
    expect(() => BpfProgram.parse('2\n6 0 0 1\n')).toThrow('not a BPF program');
  });

  it.skipIf(!haveTcpdump)('compiles with libpcap for the link type: raw IP programs read the IP header at 0', () => {
    const eth = compileBpf('ip', 1);
    const raw = compileBpf('ip', 228);
    const ipv4 = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    expect(raw.run(ipv4, 0, ipv4.length, ipv4.length)).toBeGreaterThan(0);
    expect(eth.run(ipv4, 0, ipv4.length, ipv4.length)).toBe(0); // not an Ethernet frame carrying IPv4
  });
});
