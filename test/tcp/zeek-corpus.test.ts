/**
 * The TCP tracker against Zeek's own answers: every Zeek trace in ../shared/corpus/zeek is run through the whole
 * pipeline and each TCP connection Zeek logged is matched to a sockscope record by its endpoints. conn_state, history
 * and missed_bytes (and orig_bytes/resp_bytes where Zeek logged them) must agree; the figures are printed, the test
 * fails below the issue's thresholds, and every remaining disagreement must be listed in KNOWN with its reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/record.js';
import { CORPUS, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

interface ZeekRow {
  readonly [field: string]: string;
}

/** Reads a Zeek baseline: full ASCII log (`#fields`), zeek-cut output (header row) or a derived TSV. */
function readZeek(path: string): ZeekRow[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  let fields: string[] | null = null;
  const rows: ZeekRow[] = [];
  for (const line of lines) {
    if (line.startsWith('### ')) continue; // btest comment
    if (line.startsWith('#fields\t')) {
      fields = line.split('\t').slice(1);
      continue;
    }
    if (line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (fields === null) {
      fields = cols; // zeek-cut -m / derived header row
      continue;
    }
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cols[i] ?? ''));
    rows.push(row);
  }
  return rows;
}

interface Trace {
  readonly name: string;
  readonly capture: string;
  readonly expected: string;
  /** Zeek ran without -C (the manifest note says how it ran): it validated checksums, so sockscope does too. */
  readonly verifyChecksums: boolean;
}

function zeekTraces(): Trace[] {
  if (!HAVE_CORPUS) return [];
  const manifest = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1);
  const out: Trace[] = [];
  for (const line of manifest) {
    const c = line.split('\t');
    if (c[0] !== 'zeek') continue;
    const expected = (c[3] ?? '').split(';').find((e) => e.endsWith('.conn.log') || e.endsWith('.zeek-derived.tsv'));
    if (expected === undefined) continue;
    out.push({
      name: c[1]!,
      capture: join('zeek', c[2]!.replace(/^zeek\//, '')),
      expected: join('zeek', expected.replace(/^zeek\//, '')),
      verifyChecksums: !/\bzeek( -\w+)* -C\b|\bran with -C\b/.test(c[10] ?? ''),
    });
  }
  return out;
}

/**
 * Disagreements with a known cause outside the TCP tracker, by trace name: the reason is printed with the figures.
 */
const KNOWN: Record<string, string> = {
  'tcp-bad-checksum-localhost':
    "Zeek's -b run has no likely server ports, so the SYN+ACK sender stays originator (SH, HcADF); sockscope's port 80 flips it (SHR, ^hCadf)",
  'tcp-handshake-reorder':
    "the Zeek test (core/connection_flipped.zeek) empties likely_server_ports, so Zeek keeps the SYN+ACK sender as originator until the SYN flips it (Hs^); with Zeek's default ports (80 is one) the first SYN+ACK already flips (^h), as sockscope does",
  'tunnel-teredo': 'decoder: the IPv6-in-Teredo TCP connection is not decapsulated (Zeek finds Teredo by heuristics on any port)',
};

interface Outcome {
  trace: string;
  tuple: string;
  field: string;
  zeek: string;
  ours: string;
}

const tcpKey = (a: string, ap: number | string, b: string, bp: number | string) => `${a}:${ap} ${b}:${bp}`;

describe.skipIf(!HAVE_CORPUS)('TCP conn_state and history against Zeek (../shared/corpus/zeek)', () => {
  it('agrees on at least 95% conn_state and 90% history of the TCP connections', async () => {
    let total = 0;
    let stateOk = 0;
    let histOk = 0;
    let stateCompared = 0;
    const misses: Outcome[] = [];
    for (const t of zeekTraces()) {
      const expectedPath = join(CORPUS, t.expected);
      if (!existsSync(expectedPath)) continue;
      const rows = readZeek(expectedPath);
      const candidates = rows.filter((r) => (r.proto ?? 'tcp') === 'tcp' && (r.history !== undefined || r.conn_state !== undefined));
      if (candidates.length === 0) continue;
      const { records } = await runCapture(t.capture, undefined, { verifyChecksums: t.verifyChecksums });
      const ours = records.filter((r) => r.proto === 'tcp');
      if (ours.length === 0) continue; // a cut log without a proto column, of a capture without TCP
      const tcpRows = candidates;
      // Group our records by unordered endpoint pair, in end order; Zeek rows are matched in their order.
      const byPair = new Map<string, FlowRecord[]>();
      const pairOf = (a: string, ap: string | number, b: string, bp: string | number) => {
        const x = tcpKey(a, ap, b, bp);
        const y = tcpKey(b, bp, a, ap);
        return x < y ? x : y;
      };
      for (const r of ours) {
        const k = pairOf(r.origAddr, r.origPort, r.respAddr, r.respPort);
        const list = byPair.get(k) ?? [];
        list.push(r);
        byPair.set(k, list);
      }
      const hasIds = tcpRows[0]!['id.orig_h'] !== undefined && tcpRows[0]!['id.orig_p'] !== undefined;
      for (const z of tcpRows) {
        if (!hasIds && !('conn_state' in z) && !('history' in z)) continue;
        let r: FlowRecord | undefined;
        let tuple: string;
        if (hasIds) {
          tuple = tcpKey(z['id.orig_h']!, z['id.orig_p']!, z['id.resp_h']!, z['id.resp_p']!);
          const list = byPair.get(pairOf(z['id.orig_h']!, z['id.orig_p']!, z['id.resp_h']!, z['id.resp_p']!));
          if (list === undefined && z.proto === undefined) continue; // not one of the TCP connections
          if (list === undefined) {
            total++;
            stateCompared += z.conn_state !== undefined ? 1 : 0;
            misses.push({ trace: t.name, tuple, field: 'record', zeek: `${z.conn_state ?? ''} ${z.history ?? ''}`, ours: '(none)' });
            continue;
          }
          // Prefer a record that agrees entirely (rows of a repeated tuple are in Zeek's removal order).
          let idx = list.findIndex((c) => c.history === (z.history ?? c.history) && c.connState === (z.conn_state ?? c.connState));
          if (idx < 0) idx = 0;
          r = list.splice(idx, 1)[0];
          if (r !== undefined && tcpKey(r.origAddr, r.origPort, r.respAddr, r.respPort) !== tuple) {
            misses.push({ trace: t.name, tuple, field: 'direction', zeek: tuple, ours: tcpKey(r.origAddr, r.origPort, r.respAddr, r.respPort) });
          }
        } else {
          tuple = '(single connection)';
          r = ours.shift();
        }
        total++;
        if (z.conn_state !== undefined) {
          stateCompared++;
          if (r !== undefined && r.connState === z.conn_state) stateOk++;
          else misses.push({ trace: t.name, tuple, field: 'conn_state', zeek: z.conn_state, ours: r?.connState ?? '(no record)' });
        }
        const zh = z.history === '-' ? '' : (z.history ?? '');
        if (r !== undefined && r.history === zh) histOk++;
        else misses.push({ trace: t.name, tuple, field: 'history', zeek: zh, ours: r?.history ?? '(no record)' });
        if (r !== undefined && z.missed_bytes !== undefined && Number(z.missed_bytes) !== r.missedBytes) {
          misses.push({ trace: t.name, tuple, field: 'missed_bytes', zeek: z.missed_bytes, ours: String(r.missedBytes) });
        }
        if (r !== undefined && z.duration !== undefined && z.duration !== '-') {
          // Zeek's duration ends at the last packet before both sides closed (6 decimals in the log).
          if (Math.abs(Number(z.duration) - r.durationSec) > 1.5e-6) {
            misses.push({ trace: t.name, tuple, field: 'duration', zeek: z.duration, ours: r.durationSec.toFixed(6) });
          }
        }
        if (r !== undefined && z.orig_bytes !== undefined && z.orig_bytes !== '-') {
          if (Number(z.orig_bytes) !== r.orig.seqBytes || Number(z.resp_bytes) !== r.resp.seqBytes) {
            misses.push({
              trace: t.name,
              tuple,
              field: 'orig_bytes/resp_bytes',
              zeek: `${z.orig_bytes}/${z.resp_bytes}`,
              ours: `${r.orig.seqBytes}/${r.resp.seqBytes}`,
            });
          }
        }
      }
    }
    const stateShare = stateOk / Math.max(1, stateCompared);
    const histShare = histOk / Math.max(1, total);
    const lines = misses.map(
      (m) => `  ${m.trace} ${m.tuple} ${m.field}: zeek ${m.zeek} sockscope ${m.ours}${KNOWN[m.trace] ? ` [${KNOWN[m.trace]}]` : ''}`,
    );
    console.log(
      `TCP vs Zeek: conn_state ${stateOk}/${stateCompared} (${(stateShare * 100).toFixed(1)}%), ` +
        `history ${histOk}/${total} (${(histShare * 100).toFixed(1)}%); disagreements:\n${lines.join('\n')}`,
    );
    expect(stateShare).toBeGreaterThanOrEqual(0.95);
    expect(histShare).toBeGreaterThanOrEqual(0.9);
    // Every disagreement left must have a stated cause.
    expect(misses.filter((m) => KNOWN[m.trace] === undefined).map((m) => `${m.trace} ${m.tuple} ${m.field}`)).toEqual([]);
  }, 120_000);
});

/** Unordered endpoint pair of a Zeek row or a record, with the protocol (ports as Zeek logs them; ICMP type/code). */
const pairKey = (proto: string, a: string, ap: string | number, b: string, bp: string | number) => {
  const x = `${a}:${ap}`;
  const y = `${b}:${bp}`;
  return `${proto} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
};

/**
 * Disagreements of the all-protocol comparison with a known cause, by trace name (the TCP ones above apply too).
 */
const KNOWN_ALL: Record<string, string> = {
  ...KNOWN,
  'ldap-missing-logs-pcapng':
    'segmentation offload: frames whose IPv4 total length is 0 (TSO); Zeek adds that 0 to orig_ip_bytes, sockscope the captured IP length, as tshark presumes it',
  'tunnel-teredo': `${KNOWN['tunnel-teredo']!}; so the Teredo UDP flow's packets are not split off into the inner flow either`,
  'tunnel-vxlan':
    "Zeek's history letter X on the one inner ICMP flow that two different VXLAN tunnels carried (its tunnel_parents lists both); sockscope keeps no history letters for ICMP",
  'ntp-misordered':
    "Zeek's NTP analyzer flips the roles when the client's request (mode 3) follows the server's reply (D^, both packets then counted as the originator's); sockscope has no application-layer analyzers, and port 123 is a likely server port on both sides",
};

describe.skipIf(!HAVE_CORPUS)('every connection against Zeek (the issue’s figures)', () => {
  it('conn_state >= 95%, history >= 90%, packets and IP bytes per direction >= 95%', async () => {
    let n = 0;
    let stateN = 0;
    let stateOk = 0;
    let histN = 0;
    let histOk = 0;
    let sizeN = 0;
    let durN = 0;
    let durOk = 0;
    let pktsOk = 0;
    let bytesOk = 0;
    const misses: string[] = [];
    const unexplained: string[] = [];
    for (const t of zeekTraces()) {
      const missesBefore = misses.length;
      const expectedPath = join(CORPUS, t.expected);
      if (!existsSync(expectedPath)) continue;
      const rows = readZeek(expectedPath).filter((r) => r['id.orig_h'] !== undefined && r['id.orig_p'] !== undefined && r.proto !== undefined);
      if (rows.length === 0) continue;
      const { records } = await runCapture(t.capture, undefined, { verifyChecksums: t.verifyChecksums });
      const byPair = new Map<string, FlowRecord[]>();
      for (const r of records) {
        const k = pairKey(r.proto, r.origAddr, r.origPort, r.respAddr, r.respPort);
        const list = byPair.get(k) ?? [];
        list.push(r);
        byPair.set(k, list);
      }
      for (const z of rows) {
        n++;
        const tuple = `${z.proto} ${z['id.orig_h']}:${z['id.orig_p']} > ${z['id.resp_h']}:${z['id.resp_p']}`;
        const list = byPair.get(pairKey(z.proto!, z['id.orig_h']!, z['id.orig_p']!, z['id.resp_h']!, z['id.resp_p']!)) ?? [];
        let idx = list.findIndex((c) => c.history === (z.history === '-' ? '' : z.history) && c.connState === z.conn_state);
        if (idx < 0) idx = 0;
        const r = list.splice(idx, 1)[0];
        if (z.conn_state !== undefined) {
          stateN++;
          if (r?.connState === z.conn_state) stateOk++;
          else misses.push(`${t.name} ${tuple} conn_state: zeek ${z.conn_state} sockscope ${r?.connState ?? '(no record)'}`);
        }
        if (z.history !== undefined) {
          histN++;
          const zh = z.history === '-' ? '' : z.history;
          if (r?.history === zh) histOk++;
          else misses.push(`${t.name} ${tuple} history: zeek ${zh} sockscope ${r?.history ?? '(no record)'}`);
        }
        if (z.duration !== undefined && z.duration !== '-' && r !== undefined) {
          // Zeek prints 6 decimals of times it read to the microsecond (nanosecond captures included).
          durN++;
          if (r.durationSec.toFixed(6) === z.duration) durOk++;
          else misses.push(`${t.name} ${tuple} duration: zeek ${z.duration} sockscope ${r.durationSec.toFixed(6)}`);
        }
        if (z.orig_pkts !== undefined && z.orig_pkts !== '-') {
          sizeN++;
          const same = r !== undefined && r.origAddr === z['id.orig_h'] && String(r.origPort) === z['id.orig_p'];
          const o = r === undefined ? undefined : same ? r.orig : r.resp;
          const p = r === undefined ? undefined : same ? r.resp : r.orig;
          if (o?.pkts === Number(z.orig_pkts) && p?.pkts === Number(z.resp_pkts)) pktsOk++;
          else misses.push(`${t.name} ${tuple} pkts: zeek ${z.orig_pkts}/${z.resp_pkts} sockscope ${o?.pkts}/${p?.pkts}`);
          if (o?.ipBytes === Number(z.orig_ip_bytes) && p?.ipBytes === Number(z.resp_ip_bytes)) bytesOk++;
          else misses.push(`${t.name} ${tuple} ip_bytes: zeek ${z.orig_ip_bytes}/${z.resp_ip_bytes} sockscope ${o?.ipBytes}/${p?.ipBytes}`);
        }
      }
      const reason = KNOWN_ALL[t.name];
      for (let i = missesBefore; i < misses.length; i++) {
        if (reason === undefined) unexplained.push(misses[i]!);
        else misses[i] += ` [${reason}]`;
      }
    }
    const pct = (a: number, b: number) => `${a}/${b} (${((a / Math.max(1, b)) * 100).toFixed(1)}%)`;
    console.log(
      `All protocols vs Zeek (${n} connections): conn_state ${pct(stateOk, stateN)}, history ${pct(histOk, histN)}, ` +
        `packets ${pct(pktsOk, sizeN)}, IP bytes ${pct(bytesOk, sizeN)}, duration ${pct(durOk, durN)}; disagreements:\n  ${misses.join('\n  ')}`,
    );
    expect(stateOk / stateN).toBeGreaterThanOrEqual(0.95);
    expect(histOk / histN).toBeGreaterThanOrEqual(0.9);
    expect(pktsOk / sizeN).toBeGreaterThanOrEqual(0.95);
    expect(bytesOk / sizeN).toBeGreaterThanOrEqual(0.95);
    expect(durOk / durN).toBeGreaterThanOrEqual(0.95);
    // Every disagreement left must have a stated cause.
    expect(unexplained).toEqual([]);
  }, 120_000);
});
