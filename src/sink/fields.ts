/**
 * The columns of a flow record, in order: first Zeek's conn.log fields with Zeek's names (so zeek-cut, jq scripts
 * and Zeek tooling read them), then sockscope's own. Every writer (ndjson, json, csv, zeek) uses this one list.
 */
import { communityIdOfFlow, communityIdOfRecord } from '../flow/community-id.js';
import type { Flow } from '../flow/flow.js';
import { tunnelParentUids } from '../flow/snapshot.js';
import type { DirectionRecord, FlowRecord, NamesRecord } from '../flow/record.js';
import { LOCAL_FIELDS } from '../local/record-fields.js';
import { localConfigured } from '../local/attribution.js';

/** Zeek log types, as they appear on a conn.log `#types` line. */
export type ZeekType = 'time' | 'string' | 'addr' | 'port' | 'enum' | 'interval' | 'count' | 'bool' | 'double' | 'set[string]';

/** A field value; undefined means unset (`-` in Zeek TSV, omitted in JSON, empty in CSV). */
export type FieldValue = string | number | boolean | readonly string[] | undefined;

export interface Field {
  readonly name: string;
  readonly type: ZeekType;
  readonly get: (r: FlowRecord) => FieldValue;
  /**
   * The same value from the flow's state, for fields after the core ones that need no record (sink/flow-json.ts
   * writes lines without building one): without it, a record is built for the line.
   */
  readonly fromFlow?: (f: Flow) => FieldValue;
}

/** Zeek sets duration and the byte counts only when the connection lasted longer than 0 s. */
const lasted = (r: FlowRecord): boolean => r.durationSec > 0;
const tcpOnly = <T>(r: FlowRecord, v: T): T | undefined => (r.proto === 'tcp' ? v : undefined);
const nullable = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function perDirection(suffix: string, type: ZeekType, get: (d: DirectionRecord, r: FlowRecord) => FieldValue): Field[] {
  return [
    { name: `orig_${suffix}`, type, get: (r) => get(r.orig, r) },
    { name: `resp_${suffix}`, type, get: (r) => get(r.resp, r) },
  ];
}

/**
 * The fields that are unset for a flow without names of its own when otherGatedFieldsUnset says so: the payload
 * names (NAME_FIELDS), the tunnel parents, the VLAN tags and the local view (sink/flow-json.ts then writes none of
 * them without asking each).
 */
export const FLOW_GATED_FIELDS = new Set<Field>();

function gated(f: Field): Field {
  FLOW_GATED_FIELDS.add(f);
  return f;
}

/**
 * The fields of the payload names (a subset of FLOW_GATED_FIELDS): unset when the flow has no names of its own, for
 * an empty string and for -1. sink/flow-json.ts writes them straight from the names when otherGatedFieldsUnset says
 * the rest of the gated fields are unset.
 */
export const NAME_FIELDS = new Set<Field>();

/** Zeek conn.log fields (Zeek 9.1 order, without service/local_orig/local_resp/tunnel_parents). */
export const ZEEK_FIELDS: readonly Field[] = [
  { name: 'ts', type: 'time', get: (r) => r.startSec },
  { name: 'uid', type: 'string', get: (r) => r.uid },
  { name: 'id.orig_h', type: 'addr', get: (r) => r.origAddr },
  { name: 'id.orig_p', type: 'port', get: (r) => r.origPort },
  { name: 'id.resp_h', type: 'addr', get: (r) => r.respAddr },
  { name: 'id.resp_p', type: 'port', get: (r) => r.respPort },
  { name: 'proto', type: 'enum', get: (r) => r.proto },
  { name: 'duration', type: 'interval', get: (r) => (lasted(r) ? r.durationSec : undefined) },
  { name: 'orig_bytes', type: 'count', get: (r) => (lasted(r) ? r.orig.seqBytes : undefined) },
  { name: 'resp_bytes', type: 'count', get: (r) => (lasted(r) ? r.resp.seqBytes : undefined) },
  { name: 'conn_state', type: 'string', get: (r) => r.connState },
  { name: 'missed_bytes', type: 'count', get: (r) => r.missedBytes },
  { name: 'history', type: 'string', get: (r) => (r.history === '' ? undefined : r.history) },
  { name: 'orig_pkts', type: 'count', get: (r) => r.orig.pkts },
  { name: 'orig_ip_bytes', type: 'count', get: (r) => r.orig.ipBytes },
  { name: 'resp_pkts', type: 'count', get: (r) => r.resp.pkts },
  { name: 'resp_ip_bytes', type: 'count', get: (r) => r.resp.ipBytes },
  { name: 'ip_proto', type: 'count', get: (r) => r.ipProto },
];

/** sockscope's own fields: socket states, wire and payload bytes, TCP analysis, handshake RTT, why it ended. */
export const SOCKSCOPE_FIELDS: readonly Field[] = [
  ...perDirection('state', 'string', (d, r) => tcpOnly(r, nullable(d.state))),
  ...perDirection('state_inferred', 'bool', (d, r) => tcpOnly(r, d.stateInferred)),
  { name: 'direction_guessed', type: 'bool', get: (r) => r.directionGuessed },
  ...perDirection('wire_bytes', 'count', (d) => d.wireBytes),
  ...perDirection('payload_bytes', 'count', (d) => d.payloadBytes),
  ...perDirection('retransmissions', 'count', (d, r) => tcpOnly(r, d.retransmissions)),
  ...perDirection('out_of_order', 'count', (d, r) => tcpOnly(r, d.outOfOrder)),
  ...perDirection('dup_acks', 'count', (d, r) => tcpOnly(r, d.dupAcks)),
  ...perDirection('zero_windows', 'count', (d, r) => tcpOnly(r, d.zeroWindows)),
  ...perDirection('keep_alives', 'count', (d, r) => tcpOnly(r, d.keepAlives)),
  ...perDirection('mss', 'count', (d) => nullable(d.options?.mss ?? null)),
  ...perDirection('wscale', 'count', (d) => nullable(d.options?.wscale ?? null)),
  ...perDirection('sack_permitted', 'bool', (d) => (d.options === null ? undefined : d.options.sackPermitted)),
  ...perDirection('timestamps', 'bool', (d) => (d.options === null ? undefined : d.options.timestamps)),
  { name: 'rtt_syn', type: 'interval', get: (r) => nullable(r.rttSynSec) },
  { name: 'rtt_ack', type: 'interval', get: (r) => nullable(r.rttAckSec) },
  { name: 'last_ts', type: 'time', get: (r) => r.lastSec },
  { name: 'ip_version', type: 'count', get: (r) => r.ipVersion },
  { name: 'end_reason', type: 'string', get: (r) => r.endReason },
  // ── Names (issue 15), last so that the columns before them keep their places ──
  /** Community ID v1 of the flow's key, computed here, when a writer asks for it (see flow/community-id.ts). */
  { name: 'community_id', type: 'string', get: communityIdOfRecord, fromFlow: communityIdOfFlow },
  // From the payload, with --names (inspect/names.ts); unset without it and when not seen.
  nameField('service', 'string', 'service'),
  nameField('server_name', 'string', 'serverName'),
  nameField('alpn', 'string', 'alpn'),
  nameField('http_host', 'string', 'httpHost'),
  nameField('http_method', 'string', 'httpMethod'),
  nameField('dns_query', 'string', 'dnsQuery'),
  nameField('dns_qtype', 'count', 'dnsQtype'),
  nameField('dns_rcode', 'count', 'dnsRcode'),
  nameField('ssh_client', 'string', 'sshClient'),
  nameField('ssh_server', 'string', 'sshServer'),
  // Passive DNS: the name an earlier DNS answer in the input gave for the responder's address (inspect/passive-dns.ts).
  nameField('resp_name', 'string', 'respName'),
  // Zeek's tunnel_parents, last here (in the zeek format in Zeek's own place, before ip_proto); unset when none.
  gated({
    name: 'tunnel_parents',
    type: 'set[string]',
    get: (r) => (r.tunnelParents === undefined || r.tunnelParents.length === 0 ? undefined : r.tunnelParents),
    fromFlow: (f) => (f.tunnelParents === null ? undefined : tunnelParentUids(f)),
  }),
  // Zeek's vlan and inner_vlan (policy/protocols/conn/vlan-logging): the first packet's 802.1Q tags; unset untagged.
  gated({ name: 'vlan', type: 'count', get: (r) => tag(r.vlan), fromFlow: (f) => tag(f.vlan) }),
  gated({ name: 'inner_vlan', type: 'count', get: (r) => tag(r.innerVlan), fromFlow: (f) => tag(f.innerVlan) }),
  // ── This host (issue 17): local_orig/local_resp (--local-nets; live, the host's addresses too), and live, each
  // local end's pid, process, user and kernel TCP state (src/local); unset when the run configured nothing local ──
  ...LOCAL_FIELDS,
];
for (const f of LOCAL_FIELDS) FLOW_GATED_FIELDS.add(f);

/** A VLAN ID, unset when there is no tag (-1) or no value. */
function tag(v: number | undefined): number | undefined {
  return v === undefined || v < 0 ? undefined : v;
}

/** A field of the payload names: unset when the flow has none, for an empty string and for -1. */
function nameField(name: string, type: ZeekType, key: keyof NamesRecord): Field {
  const value = (n: NamesRecord | null | undefined): FieldValue => {
    if (n === null || n === undefined) return undefined;
    const v = n[key];
    return v === '' || v === -1 ? undefined : v;
  };
  const f = gated({ name, type, get: (r) => value(r.names), fromFlow: (fl) => value(fl.names) });
  NAME_FIELDS.add(f);
  return f;
}

/** Whether every field of FLOW_GATED_FIELDS but the names (NAME_FIELDS) is unset for `f`. */
export function otherGatedFieldsUnset(f: Flow): boolean {
  return f.tunnelParents === null && f.vlan < 0 && f.innerVlan < 0 && !localConfigured();
}

/** Every field, Zeek's first. */
export const ALL_FIELDS: readonly Field[] = [...ZEEK_FIELDS, ...SOCKSCOPE_FIELDS];

/**
 * The fields of the zeek TSV format: ALL_FIELDS with `service`, `local_orig`/`local_resp` and `tunnel_parents` in
 * Zeek's own places, after `proto`, after `conn_state` and before `ip_proto`.
 */
export const ZEEK_LOG_FIELDS: readonly Field[] = (() => {
  const service = ALL_FIELDS.find((f) => f.name === 'service')!; // defined above
  const parents = ALL_FIELDS.find((f) => f.name === 'tunnel_parents')!; // defined above
  const rest = ALL_FIELDS.filter((f) => f !== service && f !== parents);
  const at = rest.findIndex((f) => f.name === 'proto') + 1;
  const withService = [...rest.slice(0, at), service, ...rest.slice(at)];
  const before = withService.findIndex((f) => f.name === 'ip_proto');
  const withParents = [...withService.slice(0, before), parents, ...withService.slice(before)];
  // local_orig and local_resp in Zeek's place too, after conn_state.
  const local = withParents.filter((f) => f.name === 'local_orig' || f.name === 'local_resp');
  const others = withParents.filter((f) => !local.includes(f));
  const after = others.findIndex((f) => f.name === 'conn_state') + 1;
  return [...others.slice(0, after), ...local, ...others.slice(after)];
})();

/** A record as a plain object with the field names as keys; unset fields are left out (as Zeek's JSON logs do). */
export function recordObject(r: FlowRecord, fields: readonly Field[] = ALL_FIELDS): Record<string, Exclude<FieldValue, undefined>> {
  const o: Record<string, Exclude<FieldValue, undefined>> = {};
  for (const f of fields) {
    const v = f.get(r);
    if (v !== undefined) o[f.name] = typeof v === 'number' && f.type === 'interval' ? round6(v) : v;
  }
  return o;
}

/** Intervals and times carry microseconds, like Zeek's logs. */
export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** `"name":` prefixes of every field, JSON-escaped once. */
const JSON_KEYS = new Map<Field, string>();

/**
 * The record as one JSON object text, equal to `JSON.stringify(recordObject(r, fields))` but without building the
 * intermediate object (ndjson output writes one per flow).
 */
export function recordJson(r: FlowRecord, fields: readonly Field[] = ALL_FIELDS): string {
  let out = '{';
  for (const f of fields) {
    const v = f.get(r);
    if (v === undefined) continue;
    let key = JSON_KEYS.get(f);
    if (key === undefined) {
      key = `${JSON.stringify(f.name)}:`;
      JSON_KEYS.set(f, key);
    }
    if (out.length > 1) out += ',';
    out += key;
    if (typeof v === 'string') out += JSON.stringify(v);
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(f.type === 'interval' ? round6(v) : v) : 'null';
    else if (typeof v === 'boolean') out += v ? 'true' : 'false';
    else out += JSON.stringify(v); // a set: an array of strings, as Zeek's JSON logs write sets
  }
  return `${out}}`;
}
