/**
 * The filter language (src/filter/filter.ts): parsing, errors, and a table of expressions with the number of flows
 * each selects on corpus captures. Where a tshark display filter says the same thing, the expected count is the
 * number of tshark conversations with a packet matching it (`tshark -z conv,PROTO,FILTER`, computed here); the others
 * are counted in Zeek's conn.log of the same trace.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FilterError, parseFilter, parseCount, parseSeconds } from '../../src/filter/filter.js';
import { inCidr, parseAddress, parseCidr } from '../../src/filter/address.js';
import { filterFlows } from '../../src/tui/model.js';
import { record } from '../helpers/records.js';
import type { NamesRecord } from '../../src/flow/record.js';
import { configureNames } from '../../src/inspect/names.js';
import { corpus, finalSnapshot, readConnLog, type ConnRow } from '../tui/corpus.js';

describe('addresses', () => {
  it('parses IPv4 and IPv6 (compressed, embedded IPv4) to bytes and tests networks', () => {
    expect([...parseAddress('10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect(parseAddress('2001:db8::1')).toEqual(parseAddress('2001:0db8:0:0:0:0:0:0001'));
    expect([...parseAddress('::ffff:10.0.0.1')!].slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    for (const bad of ['10.0.0', '10.0.0.256', '1::2::3', 'fe80::g', '1:2:3:4:5:6:7:8:9']) expect(parseAddress(bad), bad).toBeNull();
    expect(inCidr(parseAddress('10.200.0.1')!, parseCidr('10.0.0.0/8')!)).toBe(true);
    expect(inCidr(parseAddress('11.0.0.1')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(inCidr(parseAddress('10.0.0.1')!, parseCidr('::/0')!)).toBe(false);
    expect(inCidr(parseAddress('2001:db8:5::1')!, parseCidr('2001:db8::/32')!)).toBe(true);
    expect(inCidr(parseAddress('10.0.0.129')!, parseCidr('10.0.0.128/25')!)).toBe(true);
    expect(inCidr(parseAddress('10.0.0.127')!, parseCidr('10.0.0.128/25')!)).toBe(false);
  });
});

describe('parseFilter', () => {
  const tcp443 = record({ proto: 'tcp', ipProto: 6, origAddr: '10.0.0.1', origPort: 50000, respAddr: '10.0.0.2', respPort: 443, connState: 'SF' });
  const udp53 = record({ proto: 'udp', ipProto: 17, origAddr: '10.0.0.1', origPort: 40000, respAddr: '192.168.1.1', respPort: 53, connState: 'S0' });
  const v6 = record({ proto: 'tcp', ipProto: 6, ipVersion: 6, origAddr: 'fd00::1', origPort: 1234, respAddr: 'fd00::2', respPort: 80, connState: 'REJ' });
  const all = [tcp443, udp53, v6];
  const match = (expr: string) => all.filter((r) => parseFilter(expr).test(r)).map((r) => all.indexOf(r));

  it.each([
    ['', [0, 1, 2]],
    ['port:443', [0]],
    ['port:50-100', [1, 2]],
    ['resp_port:443 or resp_port:53', [0, 1]],
    ['host:10.0.0.2', [0]],
    ['host:fd00:0::2', [2]],
    ['net:10.0.0.0/8', [0, 1]],
    ['net:fd00::/8', [2]],
    ['proto:udp', [1]],
    ['proto:6', [0, 2]],
    ['ip:6', [2]],
    ['state:sf', [0]],
    ['!state:SF', [1, 2]],
    ['not proto:tcp', [1]],
    ['proto:tcp and !port:80', [0]],
    ['proto:tcp !port:80', [0]],
    ['port:443 or port:53 and proto:tcp', [0]],
    ['(port:443 or port:53) and proto:udp', [1]],
    ['!(port:443 or port:53)', [2]],
    ['https', [0]],
    [':53', [1]],
    ['rej or domain', [1, 2]],
    ['fd00::2', [2]],
    ['resp=udp/192.168.1.1:53', [1]],
  ] as const)('%j selects %j', (expr, expected) => {
    expect(match(expr)).toEqual(expected);
  });

  it('compares numbers with units', () => {
    expect(parseCount('1M')).toBe(1e6);
    expect(parseCount('1.5k')).toBe(1500);
    expect(parseCount('4Ki')).toBe(4096);
    expect(parseCount('2MB')).toBe(2e6);
    expect(parseSeconds('200ms')).toBeCloseTo(0.2);
    expect(parseSeconds('2m')).toBe(120);
    const big = record({ orig: { ...tcp443.orig, ipBytes: 900_000, retransmissions: 2 }, resp: { ...tcp443.resp, ipBytes: 200_000 }, durationSec: 90 });
    expect(parseFilter('bytes>1M').test(big)).toBe(true);
    expect(parseFilter('bytes>1.2M').test(big)).toBe(false);
    expect(parseFilter('orig_bytes>=900k').test(big)).toBe(true);
    expect(parseFilter('retx>0').test(big)).toBe(true);
    expect(parseFilter('retx>0').test(tcp443)).toBe(false);
    expect(parseFilter('duration>1m and duration<2m').test(big)).toBe(true);
  });

  it('names what is wrong and where', () => {
    const err = (expr: string) => {
      try {
        parseFilter(expr);
      } catch (e) {
        expect(e).toBeInstanceOf(FilterError);
        return (e as Error).message;
      }
      throw new Error(`${expr} parsed`);
    };
    expect(err('port:abc')).toBe('port:abc: expected a port from 0 to 65535 or a range (8000-8100) (at column 1)');
    expect(err('port:70000')).toMatch(/^port:70000: expected a port/);
    expect(err('proto:tcp and')).toBe('expected a term after "and" (at column 14)');
    expect(err('(port:80 or port:443')).toBe('missing ) for this ( (at column 1)');
    expect(err('port:80)')).toBe('unexpected ) with no ( before it (at column 8)');
    expect(err('prot:tcp')).toMatch(/^unknown key "prot" \(keys: port, .*\) \(at column 1\)$/);
    expect(err('bytes>lots')).toMatch(/^bytes>lots: expected a number, with k, M, G/);
    expect(err('size>1')).toMatch(/^unknown number "size"/);
    expect(err('host:10.0.0')).toMatch(/^host:10\.0\.0: not an IPv4 or IPv6 address/);
    expect(err('net:10.0.0.0/33')).toMatch(/^net:10\.0\.0\.0\/33: expected a network/);
    expect(err('orig_state:OPEN')).toMatch(/^orig_state:OPEN: expected a TCP state/);
    expect(err('!')).toBe('expected a term after "!" (at column 2)');
    expect(err('()')).toBe('empty parentheses (at column 2)');
    expect(err('or port:80')).toBe('expected a term before "or" (at column 1)');
  });

  it('the TUI filters with the same parser: a bad expression shows no rows', () => {
    expect(filterFlows(all, 'port:443 or port:53').map((r) => r.respPort)).toEqual([443, 53]);
    expect(filterFlows(all, 'port:')).toEqual([]);
    expect(filterFlows(all, '  ')).toBe(all);
  });
});

// ── Expressions on corpus captures ─────────────────────────────────────────────────────────────────────────────────

/** Conversations tshark shows with at least one packet matching `displayFilter`. */
function tsharkConversations(capture: string, proto: 'tcp' | 'udp', displayFilter: string): number {
  const out = execFileSync('tshark', ['-r', capture, '-q', '-z', `conv,${proto},${displayFilter}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.includes('<->')).length;
}

const bytesOf = (z: ConnRow) => Number(z['orig_ip_bytes']) + Number(z['resp_ip_bytes']);

interface Case {
  readonly capture: string;
  readonly expr: string;
  /** A tshark display filter meaning the same, over tcp or udp conversations, */
  readonly tshark?: { readonly proto: 'tcp' | 'udp'; readonly filter: string };
  /** or the rows of Zeek's conn.log that should match. */
  readonly zeek?: (z: ConnRow) => boolean;
  /** The count, written down (and checked against the answer above). */
  readonly count: number;
}

const WIKI = 'zeek/wikipedia.pcap';
const FTP = 'zeek/ftp-ipv4.pcap';
const CASES: readonly Case[] = [
  { capture: WIKI, expr: 'port:80', tshark: { proto: 'tcp', filter: 'tcp.port==80' }, count: 10 },
  { capture: WIKI, expr: 'port:53', tshark: { proto: 'udp', filter: 'udp.port==53' }, count: 14 },
  { capture: WIKI, expr: 'proto:tcp and host:208.80.152.2', tshark: { proto: 'tcp', filter: 'ip.addr==208.80.152.2' }, count: 2 },
  { capture: WIKI, expr: 'net:141.142.0.0/16 and proto:udp', tshark: { proto: 'udp', filter: 'ip.addr==141.142.0.0/16' }, count: 21 },
  { capture: WIKI, expr: 'proto:udp and !port:53', tshark: { proto: 'udp', filter: '!(udp.port==53)' }, count: 10 },
  { capture: WIKI, expr: 'proto:udp and (port:5353 or port:5355)', tshark: { proto: 'udp', filter: 'udp.port==5353 || udp.port==5355' }, count: 8 },
  { capture: WIKI, expr: 'proto:udp and net:fe80::/10', tshark: { proto: 'udp', filter: 'ipv6.addr==fe80::/10' }, count: 3 },
  { capture: WIKI, expr: 'state:SF', zeek: (z) => z['conn_state'] === 'SF', count: 14 },
  { capture: WIKI, expr: '!state:SF and !state:S0', zeek: (z) => z['conn_state'] !== 'SF' && z['conn_state'] !== 'S0', count: 10 },
  { capture: WIKI, expr: 'bytes>1k', zeek: (z) => bytesOf(z) > 1000, count: 8 },
  { capture: WIKI, expr: 'bytes>1k or state:S0', zeek: (z) => bytesOf(z) > 1000 || z['conn_state'] === 'S0', count: 18 },
  { capture: FTP, expr: 'resp_port:21', tshark: { proto: 'tcp', filter: 'tcp.dstport==21 && tcp.flags.syn==1 && tcp.flags.ack==0' }, count: 1 },
  { capture: FTP, expr: 'proto:tcp and !port:21', zeek: (z) => z['proto'] === 'tcp' && z['id.resp_p'] !== '21' && z['id.orig_p'] !== '21', count: 4 },
  { capture: FTP, expr: 'pkts>=20', zeek: (z) => Number(z['orig_pkts']) + Number(z['resp_pkts']) >= 20, count: 1 },
  { capture: 'misc/chrissanders-packets/tcp_retransmissions.pcapng', expr: 'retx>0', tshark: { proto: 'tcp', filter: 'tcp.analysis.retransmission' }, count: 1 },
  { capture: 'misc/chrissanders-packets/tcp_refuseconnection.pcapng', expr: 'state:REJ', tshark: { proto: 'tcp', filter: 'tcp.flags.reset==1' }, count: 1 },
];

describe('filter expressions on corpus captures', () => {
  it.each(CASES.map((c) => [c.capture, c.expr, c] as const))('%s: %s', async (capture, expr, c) => {
    const snap = await finalSnapshot(corpus(capture));
    const f = parseFilter(expr);
    const n = snap.flows.filter((r) => f.test(r)).length;
    let answer: number;
    if (c.tshark !== undefined) answer = tsharkConversations(corpus(capture), c.tshark.proto, c.tshark.filter);
    else answer = readConnLog(corpus(capture.replace(/\.pcap$/, '.conn.log'))).filter(c.zeek!).length;
    expect(answer, 'the answer of the other tool').toBe(c.count);
    expect(n).toBe(c.count);
  });
});

// ── Names (--names): name: and service: ──────────────────────────────────────────────────────────────────────────

describe('name: and service: on records', () => {
  const names = (over: Partial<NamesRecord>): NamesRecord => ({
    service: '', serverName: '', alpn: '', httpHost: '', httpMethod: '', dnsQuery: '', dnsQtype: -1, dnsRcode: -1,
    sshClient: '', sshServer: '', respName: '', ...over,
  });
  const tls = record({ respPort: 443, names: names({ service: 'ssl', serverName: 'www.Example.org' }) });
  const http = record({ respPort: 8080, names: names({ service: 'http', httpHost: 'api.example.org:8080' }) });
  const dns = record({ proto: 'udp', ipProto: 17, respPort: 53, names: names({ service: 'dns', dnsQuery: 'example.org.' }) });
  const starttls = record({ respPort: 25, names: names({ service: 'smtp,ssl', serverName: 'mail.example.net' }) });
  const guess = record({ respPort: 443, names: null }); // port 443, payload never seen
  const passive = record({ respPort: 443, names: names({ respName: 'cdn.example.org' }) });
  const bad = record({ respPort: 80, names: names({ httpHost: 'badexample.org' }) });
  const all = [tls, http, dns, starttls, guess, passive, bad];
  const match = (expr: string) => all.filter((r) => parseFilter(expr).test(r)).map((r) => all.indexOf(r));

  it.each([
    // A suffix on a dot boundary: the name itself and every name under it, never a name that merely ends alike.
    ['name:example.org', [0, 1, 2, 5]],
    ['name:EXAMPLE.ORG.', [0, 1, 2, 5]],
    ['name:www.example.org', [0]],
    ['name:example.net', [3]],
    ['name:org', [0, 1, 2, 5, 6]],
    ['name:badexample.org', [6]],
    ['name:xample.org', []],
    ['name:api.example.org', [1]], // the Host header's port is not part of the name
    ['name:cdn.example.org', [5]], // resp_name, from a DNS answer earlier in the capture
    // service: the confirmed services only; each of several (STARTTLS) counts; a port's name is no service.
    ['service:ssl', [0, 3]],
    ['service:smtp', [3]],
    ['service:https', []],
    ['service:http', [1]],
    ['https', [4, 5]], // the port's name as a plain word: the row's text (the guess the table shows dimmed)
    ['service:ssl and !name:example.net', [0]],
    ['wwW.example', [0]], // a plain word matches the name column's text too
  ] as const)('%j selects %j', (expr, expected) => {
    expect(match(expr)).toEqual(expected);
  });
});

/** Conversations (TCP and UDP) tshark shows with at least one packet matching `displayFilter`. */
const tsharkBoth = (capture: string, displayFilter: string): number =>
  tsharkConversations(capture, 'tcp', displayFilter) + tsharkConversations(capture, 'udp', displayFilter);

interface NameCase {
  readonly capture: string;
  readonly expr: string;
  /** A tshark display filter over TCP and UDP conversations that means the same: its count is the expected one. */
  readonly tshark?: string;
  /** Or the rows of Zeek's conn.log (default scripts) that should match. */
  readonly zeek?: (z: ConnRow) => boolean;
  readonly count: number;
  /** A tshark filter close to the expression whose count differs, the count, and why. */
  readonly differs?: { readonly tshark: string; readonly count: number; readonly why: string };
}

const TCP_PORTS = 'misc/chrissanders-packets/tcp_ports.pcapng';
/** tshark's equivalent of name:X: the name or one under it (`matches`, a regular expression anchored at a dot). */
const under = (field: string, name: string) => `${field} matches "(^|\\\\.)${name.replace(/\./g, '\\\\.')}(:[0-9]+)?$"`;
const anyName = (name: string) =>
  ['tls.handshake.extensions_server_name', 'http.host', 'dns.qry.name'].map((f) => under(f, name)).join(' || ');

const NAME_CASES: readonly NameCase[] = [
  {
    capture: WIKI, expr: 'name:wikimedia.org', tshark: anyName('wikimedia.org'), count: 18,
    differs: {
      tshark: 'http.host contains "wikimedia.org" || dns.qry.name contains "wikimedia.org"', count: 22,
      why: 'the 4 lookups of upload.wikimedia.org.ncsa.uiuc.edu (the resolver\'s search domain appended) contain the text but are names under ncsa.uiuc.edu',
    },
  },
  { capture: WIKI, expr: 'name:upload.wikimedia.org', tshark: 'http.host == "upload.wikimedia.org" || dns.qry.name == "upload.wikimedia.org"', count: 14 },
  { capture: WIKI, expr: 'name:wikipedia.org', tshark: anyName('wikipedia.org'), count: 1 },
  {
    capture: WIKI, expr: 'service:http', zeek: (z) => z['service'] === 'http', count: 8,
    differs: {
      tshark: 'http', count: 9,
      why: 'tshark decodes port 80 as HTTP in the connection picked up mid-stream (no SYN, conn_state OTH); Zeek and sockscope confirm no service there (its Host still names it: name:wikipedia.org)',
    },
  },
  { capture: WIKI, expr: 'service:dns', tshark: 'dns || nbns || mdns || llmnr', count: 24 },
  { capture: WIKI, expr: 'service:dns and !name:wikimedia.org', tshark: `(dns || nbns || mdns || llmnr) && !(${anyName('wikimedia.org')})`, count: 14 },
  { capture: WIKI, expr: 'service:https or service:domain', zeek: () => false, count: 0 }, // port names are guesses
  { capture: TCP_PORTS, expr: 'name:wireshark.org', tshark: anyName('wireshark.org'), count: 7 },
  { capture: TCP_PORTS, expr: 'name:bbc.co.uk and service:http', tshark: `http && (${anyName('bbc.co.uk')})`, count: 1 },
  { capture: 'zeek/ppp-quic-retry.pcap', expr: 'name:server4 and service:quic', tshark: `quic && (${anyName('server4')})`, count: 1 },
  { capture: 'zeek/xmpp-starttls.pcap', expr: 'service:ssl', tshark: 'tls', count: 1 },
  { capture: 'zeek/pop3-starttls-null.pcap', expr: 'service:ssl', tshark: 'tls', count: 1 },
  { capture: 'zeek/modbus-and-non-modbus-p502.pcap', expr: 'service:ssl or service:modbus', zeek: (z) => z['service'] === 'ssl' || z['service'] === 'modbus', count: 2 },
];

describe('name: and service: on corpus captures (--names), against tshark and Zeek', () => {
  it.each(NAME_CASES.map((c) => [c.capture, c.expr, c] as const))('%s: %s', async (capture, expr, c) => {
    configureNames({ payload: true });
    try {
      const snap = await finalSnapshot(corpus(capture));
      const f = parseFilter(expr);
      const n = snap.flows.filter((r) => f.test(r)).length;
      const answer = c.tshark !== undefined
        ? tsharkBoth(corpus(capture), c.tshark)
        : readConnLog(corpus(capture.replace(/\.pcapn?g?$/, '.conn.log'))).filter(c.zeek!).length;
      expect(answer, 'the answer of the other tool').toBe(c.count);
      expect(n).toBe(c.count);
      if (c.differs !== undefined) expect(tsharkBoth(corpus(capture), c.differs.tshark), c.differs.why).toBe(c.differs.count);
    } finally {
      configureNames();
    }
  });
});
