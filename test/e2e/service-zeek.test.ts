/**
 * `service` (--names) against Zeek's own conn.log on the corpus's Zeek traces that have the column. Where Zeek ran
 * with its default scripts, every connection is compared (also those Zeek left without a service); where it ran
 * bare (`-b`, only the analyzers its test loaded), the connections Zeek named. Connections are matched by their
 * endpoint pair; a pair's services are compared as a sorted list of sets. Zeek's names for what is not a service
 * of the issue's list (tunnels, ftp-data, gssapi, dce_rpc) are left out, and each remaining difference is named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureNames } from '../../src/inspect/names.js';
import { recordObject } from '../../src/sink/fields.js';
import { CORPUS, HAVE_CORPUS, runCapture } from '../helpers/corpus.js';

/** Zeek's service names that are no protocol of the issue's list: tunnels (logged as services of the outer flow),
 * FTP data connections (found from the control connection's PORT/PASV, not from their payload), and protocols
 * nested in others. */
const NOT_OURS = new Set(['geneve', 'vxlan', 'gtpv1', 'teredo', 'ftp-data', 'gssapi', 'dce_rpc']);
/** Zeek 9 calls LDAP over TCP `ldap_tcp`. */
const RENAME: Record<string, string> = { ldap_tcp: 'ldap' };

const NESTED_KRB = "Kerberos inside LDAP's SASL GSSAPI bind: Zeek runs a Kerberos analyzer on the nested token; sockscope names the outer protocol";
const NO_DHCPV6 = 'Zeek has no DHCPv6 analyzer (its default scripts log no service); the issue asks for dhcpv6';

/** Differences by trace and endpoint pair, with their reasons. */
const KNOWN: Record<string, string> = {
  'ldap-missing-logs-pcapng tcp 10.199.2.111:389 10.199.2.121:59327: zeek krb,ldap ours ldap': NESTED_KRB,
  'ldap-missing-logs-pcapng tcp 10.199.2.111:389 10.199.2.121:59355: zeek krb,ldap ours ldap': NESTED_KRB,
  'ldap-missing-logs-pcapng tcp 10.199.2.111:389 10.199.2.121:59356: zeek krb,ldap ours ldap': NESTED_KRB,
  'pppoe udp fe80::c801:eff:fe88:8:547 fe80::ce05:eff:fe88:0:546: zeek - ours dhcpv6': NO_DHCPV6,
  'pppoe udp fe80::ce05:eff:fe88:0:546 ff02::1:2:547: zeek - ours dhcpv6': NO_DHCPV6,
  'tunnel-teredo udp 192.168.2.16:1920 192.168.2.1:53: zeek dns dns ours dns':
    "Zeek ends a DNS connection after dns_session_timeout (10 s) and logs the later query on a second line; sockscope's UDP flow lasts the udp timeout (60 s)",
  'tunnel-teredo tcp 2001:0:4137:9e50:8000:f12a:b9c8:2815:1286 2001:4860:0:2001::68:80: zeek http ours ':
    'the IPv6-in-Teredo connection is not decapsulated by sockscope (Teredo on UDP 3544 only; Zeek finds it by heuristics), so it has no flow',
};

interface Trace { name: string; capture: string; conn: string; bare: boolean; verifyChecksums: boolean }

function traces(): Trace[] {
  if (!HAVE_CORPUS) return [];
  const out: Trace[] = [];
  for (const line of readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1)) {
    const c = line.split('\t');
    if (c[0] !== 'zeek') continue;
    const conn = (c[3] ?? '').split(';').find((e) => e.endsWith('.conn.log'));
    if (conn === undefined) continue;
    const note = c[10] ?? '';
    out.push({
      name: c[1]!, capture: join('zeek', c[2]!.replace(/^zeek\//, '')), conn: join('zeek', conn.replace(/^zeek\//, '')),
      bare: /\bzeek( -\w+)* -b\b|\bzeek -b\b/.test(note), verifyChecksums: !/\bzeek( -\w+)* -C\b|\bran with -C\b/.test(note),
    });
  }
  return out;
}

/** Rows of a Zeek log with a service column, as objects. */
function zeekRows(path: string): Record<string, string>[] | null {
  let fields: string[] | null = null;
  const rows: Record<string, string>[] = [];
  for (const line of readFileSync(join(CORPUS, path), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('### ')) continue;
    if (line.startsWith('#fields\t')) { fields = line.split('\t').slice(1); continue; }
    if (line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (fields === null) { fields = cols; continue; }
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cols[i] ?? ''));
    rows.push(row);
  }
  return fields?.includes('service') === true && fields.includes('id.resp_p') ? rows : null;
}

const pairKey = (proto: string, a: string, ap: string, b: string, bp: string): string => {
  const x = `${a}:${ap}`, y = `${b}:${bp}`;
  return `${proto} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
};

/** A service value as a sorted set of our names ('-' for none). */
function normal(service: string): string {
  if (service === '-' || service === '' || service === '(empty)') return '-';
  const names = service.split(',').map((s) => RENAME[s] ?? s).filter((s) => !NOT_OURS.has(s));
  return names.length === 0 ? '-' : names.sort().join(',');
}

describe.skipIf(!HAVE_CORPUS)("service against Zeek's conn.log", () => {
  it('names the services Zeek names, on every connection of the traces that have the column', async () => {
    const diffs: string[] = [];
    let compared = 0, named = 0;
    configureNames({ payload: true });
    try {
      for (const t of traces()) {
        const rows = zeekRows(t.conn);
        if (rows === null) continue;
        const res = await runCapture(t.capture, undefined, { verifyChecksums: t.verifyChecksums });
        // A zeek-cut log without the originator's port and the protocol is matched on what it has.
        const full = rows[0]?.['id.orig_p'] !== undefined;
        const keyOf = (o: Record<string, string | number | boolean | undefined>): string => (full
          ? pairKey(String(o.proto), String(o['id.orig_h']), String(o['id.orig_p']), String(o['id.resp_h']), String(o['id.resp_p']))
          : `${String(o['id.orig_h'])} ${String(o['id.resp_h'])}:${String(o['id.resp_p'])}`);
        const ours = new Map<string, string[]>();
        for (const r of res.records) {
          const o = recordObject(r);
          const k = keyOf(o);
          ours.set(k, [...(ours.get(k) ?? []), normal(String(o.service ?? '-'))]);
        }
        const theirs = new Map<string, string[]>();
        for (const row of rows) {
          const k = keyOf(row);
          theirs.set(k, [...(theirs.get(k) ?? []), normal(row.service!)]);
        }
        for (const [k, z] of theirs) {
          const s = ours.get(k) ?? [];
          if (t.bare) {
            // Bare mode: only what Zeek named counts; each named service must be ours on as many connections.
            const zNamed = z.filter((v) => v !== '-').sort();
            if (zNamed.length === 0) continue;
            compared += zNamed.length;
            named += zNamed.length;
            const sNamed = s.filter((v) => zNamed.includes(v)).sort();
            if (sNamed.join(' ') !== zNamed.join(' ')) diffs.push(`${t.name} ${k}: zeek ${zNamed.join(' ')} ours ${s.join(' ')}`);
          } else {
            compared += z.length;
            named += z.filter((v) => v !== '-').length;
            if ([...s].sort().join(' ') !== [...z].sort().join(' ')) diffs.push(`${t.name} ${k}: zeek ${[...z].sort().join(' ')} ours ${[...s].sort().join(' ')}`);
          }
        }
      }
    } finally {
      configureNames();
    }
    console.log(`service: ${compared} Zeek connections compared, ${named} with a service; ${diffs.length} named differences`);
    for (const d of diffs) console.log(`  ${d}${KNOWN[d] === undefined ? '' : ` (${KNOWN[d]})`}`);
    expect(diffs.sort()).toEqual(Object.keys(KNOWN).sort());
    expect(named).toBeGreaterThan(50);
  }, 120_000);
});
