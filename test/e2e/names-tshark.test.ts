/**
 * Names of flows against tshark (4.0) on every corpus capture: Wireshark's own Community ID (`--enable-protocol
 * communityid`, field `communityid`), and with --names the TLS/QUIC server name, HTTP host and DNS question name. Every value tshark prints for a frame must be the community_id of one of
 * sockscope's flows, and every flow's community_id must be one tshark printed; each exception is listed below, by
 * capture and frame, with its reason.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configureCommunityId } from '../../src/flow/community-id.js';
import { configureNames } from '../../src/inspect/names.js';
import { recordObject } from '../../src/sink/fields.js';
import { CORPUS, corpusCaptures, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

const HAVE_TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** One line per frame: the frame number, then each field's values (comma-separated where a frame has several). */
function tsharkFields(capture: string, fields: string[], prefs: string[] = []): string[][] {
  const args = ['-n', '-r', join(CORPUS, capture), '--enable-protocol', 'communityid', ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', '-e', 'frame.number'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** Frames whose Community ID is no flow's in sockscope, and why. */
const TSHARK_ONLY: Record<string, string> = {
  'community-id/pcaps/sctp.pcap#1': "SCTP: the specification hashes its ports, sockscope's flow key has none (community_id left unset)",
  'zeek/sctp-unknown-transport.pcap#1': "SCTP: the specification hashes its ports, sockscope's flow key has none (community_id left unset)",
  'misc/chrissanders-packets/ip_frag_source.pcapng#1': "first fragment of a datagram: tshark hashes the fragment alone, without ports; sockscope counts it in the reassembled datagram's flow",
  'zeek/tunnel-gtp-outer-ip-frag.pcap#4': "first fragment of a datagram: tshark hashes the fragment alone, without ports; sockscope counts it in the reassembled datagram's flow",
  'tcpdump/udp-length-heapoverflow.pcap#1': 'UDP length larger than its datagram (fuzzer case): sockscope counts the packet as malformed, in no flow',
  'misc/chrissanders-packets/icmp_traceroute.pcapng#26': "ICMP time exceeded quoting an echo request: Wireshark hashes the outer addresses with the quoted message's type 8, a tuple of no flow",
  'zeek/tunnel-teredo.pcap#31': "Teredo bubble (inner IPv6 without a transport): Wireshark hashes the inner addresses with the outer UDP protocol and ports",
};

/** Flows whose community_id tshark printed for no frame, by capture: how many, and why. */
const SOCKSCOPE_ONLY: Record<string, [number, string]> = {
  'tcpdump/bigtcp-ipv6.pcap': [1, 'IPv6 payload length 0 (BIG TCP): tshark calls the packet malformed and hashes nothing'],
  'misc/chrissanders-packets/icmp_traceroute.pcapng': [1, 'the time-exceeded flow of frame 26, which Wireshark hashes with the quoted type'],
  'zeek/tunnel-erspan2.pcap': [1, 'outer GRE flow: Wireshark hashes the innermost layer of a tunnelled frame only'],
  'zeek/tunnel-gre.pcap': [1, 'outer GRE flow: Wireshark hashes the innermost layer of a tunnelled frame only'],
  'zeek/tunnel-geneve.pcap': [2, 'outer Geneve flows: Wireshark hashes the innermost layer of a tunnelled frame only'],
  'zeek/tunnel-geneve-vxlan-truncated.pcap': [2, 'outer Geneve and VXLAN flows: Wireshark hashes the innermost layer only'],
  'zeek/tunnel-gtp-inner-ipv6.pcap': [1, 'outer GTP-U flow: Wireshark hashes the innermost layer of a tunnelled frame only'],
  'zeek/tunnel-gtp-outer-ip-frag.pcap': [1, 'outer GTP-U flow, its first fragment hashed alone (see frame 4)'],
  'zeek/tunnel-teredo.pcap': [3, 'outer Teredo flows: Wireshark hashes the innermost layer of a tunnelled frame only'],
  'zeek/tunnel-vxlan.pcap': [2, 'outer VXLAN flows: Wireshark hashes the innermost layer of a tunnelled frame only'],
};

/** Fields that give a frame's (innermost) connection. */
const TUPLE_FIELDS = ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'];
/** tshark's names, and sockscope's fields for them. */
const NAME_FIELDS = ['tls.handshake.extensions_server_name', 'http.host', 'dns.qry.name'];
const OUR_NAMES = ['server_name', 'http_host', 'dns_query'];

/** Differences between tshark's names and sockscope's, by capture, field and connection, with their reasons. */
const NAME_DIFFERENCES: Record<string, string> = {
  'zeek/http-get-to-ssh-nsec.pcap http_host 130.74.164.231:22|136.216.42.40:44338/tcp sockscope only':
    'an HTTP request to port 22: tshark decodes HTTP by port, sockscope (like Zeek) by content',
  'zeek/http-local-flip.pcap http_host 127.0.0.1:1080|44.1.1.1:8000/tcp sockscope only':
    'HTTP on port 8000, which is not among tshark\'s HTTP ports; sockscope finds it by content',
};

const lastOf = (v: string | undefined): string => (v ?? '').split(',').filter((x) => x !== '').pop() ?? '';

/**
 * Compares the names per connection (the innermost layer's addresses and ports, both directions): every name
 * sockscope gives a flow must be one tshark shows on that connection (sockscope keeps the first request's or query's,
 * tshark shows every one), and a connection where tshark shows one must have it in sockscope too.
 */
function compareNames(capture: string, rows: string[][], records: Record<string, string | number | boolean>[], diffs: string[], compared: number[]): void {
  const theirs = new Map<string, string[][]>();
  for (const row of rows) {
    const names = row.slice(11, 14);
    if (names.every((v) => v === undefined || v === '')) continue;
    const protocols = `:${row[2] ?? ''}:`;
    const v6 = protocols.lastIndexOf(':ipv6:') > protocols.lastIndexOf(':ip:');
    const a = lastOf(row[v6 ? 5 : 3]), b = lastOf(row[v6 ? 6 : 4]);
    const tcp = lastOf(row[7]) !== '';
    const key = `${[`${a}:${lastOf(row[tcp ? 7 : 9])}`, `${b}:${lastOf(row[tcp ? 8 : 10])}`].sort().join('|')}/${tcp ? 'tcp' : 'udp'}`;
    const entry = theirs.get(key) ?? [[], [], []];
    theirs.set(key, entry);
    names.forEach((v, i) => { if (v) entry[i]!.push(...v.split(',')); });
  }
  const ours = new Map<string, string[][]>();
  for (const o of records) {
    const key = `${[`${o['id.orig_h']}:${o['id.orig_p']}`, `${o['id.resp_h']}:${o['id.resp_p']}`].sort().join('|')}/${o.proto}`;
    const entry = ours.get(key) ?? [[], [], []];
    ours.set(key, entry);
    OUR_NAMES.forEach((n, i) => { if (o[n] !== undefined) entry[i]!.push(String(o[n])); });
  }
  for (const [key, t] of theirs) {
    for (let i = 0; i < 3; i++) {
      if (t[i]!.length === 0) continue;
      compared[i]!++;
      const s = ours.get(key)?.[i] ?? [];
      if (s.length === 0) diffs.push(`${capture} ${OUR_NAMES[i]} ${key} tshark only`);
      else if (!s.every((v) => t[i]!.includes(v))) diffs.push(`${capture} ${OUR_NAMES[i]} ${key} ${s.join(',')} not ${t[i]!.join(',')}`);
    }
  }
  for (const [key, s] of ours) {
    for (let i = 0; i < 3; i++) if (s[i]!.length > 0 && !(theirs.get(key)?.[i]?.length)) diffs.push(`${capture} ${OUR_NAMES[i]} ${key} sockscope only`);
  }
}

async function communityIds(capture: string): Promise<Set<string>> {
  const res = await runCapture(capture);
  const ids = new Set<string>();
  for (const r of res.records) {
    const id = recordObject(r).community_id;
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

describe.skipIf(!HAVE_CORPUS || !HAVE_TSHARK)('Community ID against Wireshark on the corpus', () => {
  afterEach(() => configureCommunityId());

  it('every frame tshark hashes belongs to a flow with that community_id, and every flow has one tshark printed; ' +
    'server_name, http_host and dns_query (--names) are values tshark shows on the same connection', async () => {
    let frames = 0, flows = 0;
    const tsharkOnly: string[] = [];
    const sockscopeOnly: Record<string, number> = {};
    const nameDiffs: string[] = [];
    const compared = [0, 0, 0];
    configureNames({ payload: true });
    try {
      for (const capture of corpusCaptures()) {
        const rows = tsharkFields(capture, ['communityid', 'frame.protocols', ...TUPLE_FIELDS, ...NAME_FIELDS]);
        const seen = new Map<string, number>();
        for (const row of rows) {
          const ids = row[1];
          if (ids === undefined || ids === '') continue;
          frames++;
          for (const id of ids.split(',')) if (!seen.has(id)) seen.set(id, Number(row[0]));
        }
        const records = (await runCapture(capture)).records.map((r) => recordObject(r));
        const ours = new Set<string>();
        for (const o of records) if (typeof o.community_id === 'string') ours.add(o.community_id);
        flows += ours.size;
        for (const [id, frame] of seen) if (!ours.has(id)) tsharkOnly.push(`${capture}#${frame}`);
        const extra = [...ours].filter((id) => !seen.has(id)).length;
        if (extra > 0) sockscopeOnly[capture] = extra;
        compareNames(capture, rows, records, nameDiffs, compared);
      }
    } finally {
      configureNames();
    }
    console.log(`community_id: ${frames} frames hashed by tshark, ${flows} distinct flow ids, ` +
      `${tsharkOnly.length} frames and ${Object.keys(sockscopeOnly).length} captures with named differences; ` +
      `names compared on ${compared[0]} TLS/QUIC, ${compared[1]} HTTP and ${compared[2]} DNS connections, ${nameDiffs.length} named differences`);
    expect(tsharkOnly.sort()).toEqual(Object.keys(TSHARK_ONLY).sort());
    expect(sockscopeOnly).toEqual(Object.fromEntries(Object.entries(SOCKSCOPE_ONLY).map(([k, [n]]) => [k, n])));
    expect(frames).toBeGreaterThan(9000);
    expect(nameDiffs.sort()).toEqual(Object.keys(NAME_DIFFERENCES).sort());
    expect(compared[1]).toBeGreaterThan(30);
    expect(compared[2]).toBeGreaterThan(60);
  }, 300_000);

  it.each([
    { seed: 1, base64: true, prefs: ['communityid.seed:1'] },
    { seed: 0, base64: false, prefs: ['communityid.do_base64:FALSE'] },
    { seed: 1, base64: false, prefs: ['communityid.seed:1', 'communityid.do_base64:FALSE'] },
  ])('the specification captures with seed $seed, base64 $base64: the same ids as tshark', async ({ seed, base64, prefs }) => {
    const captures = corpusCaptures().filter((c) => c.startsWith('community-id/'));
    expect(captures.length).toBe(8);
    let compared = 0;
    for (const capture of captures) {
      const theirs = new Set(tsharkFields(capture, ['communityid'], prefs).map((l) => l[1]).filter((v) => v !== undefined && v !== ''));
      configureCommunityId({ seed, base64 });
      const ours = await communityIds(capture);
      configureCommunityId();
      if (capture.endsWith('sctp.pcap')) {
        expect(ours.size, capture).toBe(0); // see TSHARK_ONLY
        continue;
      }
      expect(ours, capture).toEqual(theirs);
      compared += ours.size;
    }
    expect(compared).toBe(13); // icmp 2 (one one-way), icmp6 7, ipv6, rsvp, tcp, udp 1 each
  });
});
