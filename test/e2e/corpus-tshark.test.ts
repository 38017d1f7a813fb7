/**
 * Golden runs against tshark: for every capture in ../shared/corpus, the packets in each direction of every TCP and
 * UDP conversation tshark reports must match sockscope's flows exactly (sockscope's flows of one 5-tuple summed,
 * since sockscope, like Zeek, may split a tuple into several connections). Where they cannot match, the capture is
 * listed below with the reason.
 */
import { describe, expect, it } from 'vitest';
import { corpusCaptures, HAVE_CORPUS, loadOracle, runCapture, type TsharkConversation } from '../helpers/corpus.js';

/** Captures whose tshark conversations cannot be compared, and why. */
const NOT_COMPARABLE: Record<string, string> = {
  'tcpdump/dsa.pcap': 'link type 284 (DSA): tshark refuses the file; sockscope reports it as unsupported',
};

/**
 * Conversations tshark reports that sockscope counts differently on purpose, keyed `capture` -> reason. Each entry
 * is checked to still differ, so a fix shows up as a failing test and the entry is removed.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'tcpdump/bigtcp-ipv6.pcap':
    'Linux BIG TCP over IPv6: payload length 0 without a jumbo option; tshark 4.0 calls the packet malformed ' +
    '(frames_with_tcp 0), tcpdump and sockscope take the length from the capture and see the TCP segment',
};

function key(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}|${ap}`, y = `${b}|${bp}`;
  return x < y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`;
}

interface Counted { aToB: number; bToA: number }

describe.skipIf(!HAVE_CORPUS)('packets per direction agree with tshark conversations', () => {
  const captures = corpusCaptures().filter((c) => !(c in NOT_COMPARABLE));
  it.each(captures)('%s', async (capture) => {
    const oracle = loadOracle(capture);
    const { records } = await runCapture(capture);
    const ours = new Map<string, { orig: string; origPort: number; o: number; r: number }>();
    for (const r of records) {
      if (r.proto !== 'tcp' && r.proto !== 'udp') continue;
      const k = key(r.proto, r.origAddr, r.origPort, r.respAddr, r.respPort);
      const e = ours.get(k);
      // Several flows of one tuple may have opposite originators (Zeek-style splitting): sum per direction.
      if (e === undefined) ours.set(k, { orig: r.origAddr, origPort: r.origPort, o: r.orig.pkts, r: r.resp.pkts });
      else if (e.orig === r.origAddr && e.origPort === r.origPort) { e.o += r.orig.pkts; e.r += r.resp.pkts; }
      else { e.o += r.resp.pkts; e.r += r.orig.pkts; }
    }
    const theirs = new Map<string, Counted>();
    const mismatches: string[] = [];
    for (const c of oracle.conversations as TsharkConversation[]) {
      const k = key(c.proto, c.a.addr, c.a.port, c.b.addr, c.b.port);
      const t = theirs.get(k) ?? { aToB: 0, bToA: 0 };
      t.aToB += c.frames_a_to_b;
      t.bToA += c.frames_b_to_a;
      theirs.set(k, t);
    }
    for (const [k, t] of theirs) {
      const o = ours.get(k);
      if (o === undefined) {
        mismatches.push(`${k}: tshark ${t.aToB}/${t.bToA}, sockscope has no such flow`);
        continue;
      }
      const conv = oracle.conversations.find((c) => key(c.proto, c.a.addr, c.a.port, c.b.addr, c.b.port) === k)!;
      const aIsOrig = o.orig === conv.a.addr && o.origPort === conv.a.port;
      const got: Counted = aIsOrig ? { aToB: o.o, bToA: o.r } : { aToB: o.r, bToA: o.o };
      if (got.aToB !== t.aToB || got.bToA !== t.bToA) {
        mismatches.push(`${k}: tshark a->b ${t.aToB} b->a ${t.bToA}, sockscope ${got.aToB} / ${got.bToA}`);
      }
    }
    for (const k of ours.keys()) if (!theirs.has(k)) mismatches.push(`${k}: sockscope has a flow tshark does not`);
    if (capture in KNOWN_DIFFERENCES) {
      expect(mismatches.length, `${capture} was expected to differ: ${KNOWN_DIFFERENCES[capture]}`).toBeGreaterThan(0);
    } else {
      expect(mismatches).toEqual([]);
    }
  });
});
