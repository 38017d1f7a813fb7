/**
 * The one filter language of `flows --filter`, the TUI's `/` and `watch --filter`: terms such as `port:443`,
 * `host:10.0.0.1`, `net:10.0.0.0/8`, `proto:udp`, `state:SF`, `orig_state:TIME_WAIT`, `service:ssl`,
 * `name:example.org`, comparisons such as `bytes>1M` and `retx>0`, plain words matched against the text of a row,
 * `!`/`not`, `and` (or nothing: words side by side must all match), `or`, and parentheses. `and` binds tighter than
 * `or`, as in Wireshark and pcap-filter(7). One parser, compiled once into a predicate over flow records.
 */
import type { FlowRecord } from '../flow/record.js';
import { shortStateName } from '../sink/format.js';
import { addressBytes, inCidr, parseAddress, parseCidr } from './address.js';
import { flowText, matchesResp, occurs, parseRespTerm } from './words.js';
import { hostWithoutPort, respNameOf } from '../tui/cells.js';

/** A bad expression: what is wrong and where (1-based column of the offending token). */
export class FilterError extends Error {
  readonly column: number;
  /** The whole expression, once known (set by {@link parseFilter}). */
  source = '';
  constructor(message: string, column: number) {
    super(`${message} (at column ${column})`);
    this.name = 'FilterError';
    this.column = column;
  }
}

/** A compiled filter. */
export interface FlowFilter {
  /** The expression as given. */
  readonly source: string;
  /** True when `r` matches. */
  test(r: FlowRecord): boolean;
  /**
   * Whether a `name:` or `service:` term is in it: those read what payload inspection (`--names`) found, and without
   * it match no flow, which the caller should say.
   */
  readonly usesNames: boolean;
}

type Pred = (r: FlowRecord) => boolean;

interface Token {
  readonly text: string;
  /** 1-based column. */
  readonly column: number;
}

/** Splits `text` into words, `(`, `)` and `!` (a `!` that starts a word; `!=` inside a comparison stays). */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!; // i < length
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '!') {
      out.push({ text: c, column: i + 1 });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s()]/.test(text[j]!)) j++; // j < length
      out.push({ text: text.slice(i, j), column: i + 1 });
      i = j;
    }
  }
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', '&&', '||']);

/** Parses and compiles `text`; throws {@link FilterError}. An empty expression matches every flow. */
export function parseFilter(text: string): FlowFilter {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const word = (t: Token | undefined) => t?.text.toLowerCase();

  function orExpr(): Pred {
    let left = andExpr();
    while (word(peek()) === 'or' || word(peek()) === '||') {
      const op = tokens[pos++]!; // peeked
      if (peek() === undefined || word(peek()) === 'or' || word(peek()) === 'and' || peek()!.text === ')') {
        throw new FilterError(`expected a term after "${op.text}"`, op.column + op.text.length);
      }
      const a = left;
      const b = andExpr();
      left = (r) => a(r) || b(r);
    }
    return left;
  }

  function andExpr(): Pred {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t === undefined || t.text === ')' || word(t) === 'or' || word(t) === '||') return left;
      if (word(t) === 'and' || word(t) === '&&') {
        pos++;
        const next = peek();
        if (next === undefined || next.text === ')' || KEYWORDS.has(word(next)!) && word(next) !== 'not') {
          throw new FilterError(`expected a term after "${t.text}"`, t.column + t.text.length);
        }
      }
      const a = left;
      const b = unary();
      left = (r) => a(r) && b(r);
    }
  }

  function unary(): Pred {
    const t = peek();
    if (t !== undefined && (t.text === '!' || word(t) === 'not')) {
      pos++;
      if (peek() === undefined) throw new FilterError(`expected a term after "${t.text}"`, t.column + t.text.length);
      const e = unary();
      return (r) => !e(r);
    }
    return primary();
  }

  function primary(): Pred {
    const t = tokens[pos];
    if (t === undefined) throw new FilterError('expected a term', text.length + 1);
    if (t.text === '(') {
      pos++;
      if (peek()?.text === ')') throw new FilterError('empty parentheses', peek()!.column);
      const e = orExpr();
      if (peek()?.text !== ')') throw new FilterError('missing ) for this (', t.column);
      pos++;
      return e;
    }
    if (t.text === ')') throw new FilterError('unexpected ) with no ( before it', t.column);
    if (KEYWORDS.has(t.text.toLowerCase())) throw new FilterError(`expected a term before "${t.text}"`, t.column);
    pos++;
    return term(t);
  }

  if (tokens.length === 0) return { source: text, test: () => true, usesNames: false };
  try {
    const pred = orExpr();
    if (pos < tokens.length) {
      const t = tokens[pos]!; // pos < length
      throw new FilterError(t.text === ')' ? 'unexpected ) with no ( before it' : `unexpected "${t.text}"`, t.column);
    }
    const usesNames = tokens.some((t) => /^!?(name|service):/i.test(t.text));
    return { source: text, test: pred, usesNames };
  } catch (e) {
    if (e instanceof FilterError) e.source = text;
    throw e;
  }
}

// ── Terms ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** Terms `key:value`, by key. */
const KEYED: Readonly<Record<string, (value: string, t: Token) => Pred>> = {
  port: (v, t) => portTerm(v, t, 'either'),
  orig_port: (v, t) => portTerm(v, t, 'orig'),
  resp_port: (v, t) => portTerm(v, t, 'resp'),
  host: (v, t) => hostTerm(v, t, 'either'),
  orig_host: (v, t) => hostTerm(v, t, 'orig'),
  resp_host: (v, t) => hostTerm(v, t, 'resp'),
  net: (v, t) => netTerm(v, t, 'either'),
  orig_net: (v, t) => netTerm(v, t, 'orig'),
  resp_net: (v, t) => netTerm(v, t, 'resp'),
  proto: protoTerm,
  state: (v) => {
    const s = v.toUpperCase();
    return (r) => r.connState === s;
  },
  orig_state: (v, t) => endStateTerm(v, t, 'orig'),
  resp_state: (v, t) => endStateTerm(v, t, 'resp'),
  service: serviceTerm,
  name: nameTerm,
  uid: (v) => (r) => r.uid === v,
  ip: (v, t) => {
    if (v !== '4' && v !== '6') throw new FilterError(`ip:${v}: expected ip:4 or ip:6`, t.column);
    const n = Number(v);
    return (r) => r.ipVersion === n;
  },
};

/** Numbers a comparison reads from a flow, with the kind of unit its value takes. */
const NUMERIC: Readonly<Record<string, { get: (r: FlowRecord) => number; unit: 'count' | 'time' }>> = {
  bytes: { get: (r) => r.orig.ipBytes + r.resp.ipBytes, unit: 'count' },
  orig_bytes: { get: (r) => r.orig.ipBytes, unit: 'count' },
  resp_bytes: { get: (r) => r.resp.ipBytes, unit: 'count' },
  pkts: { get: (r) => r.orig.pkts + r.resp.pkts, unit: 'count' },
  orig_pkts: { get: (r) => r.orig.pkts, unit: 'count' },
  resp_pkts: { get: (r) => r.resp.pkts, unit: 'count' },
  retx: { get: (r) => r.orig.retransmissions + r.resp.retransmissions, unit: 'count' },
  duration: { get: (r) => r.durationSec, unit: 'time' },
  rtt: { get: (r) => (r.rttSynSec === null && r.rttAckSec === null ? -1 : (r.rttSynSec ?? 0) + (r.rttAckSec ?? 0)), unit: 'time' },
};

/** The keys and fields the language knows, for error messages and help. */
export const FILTER_KEYS: readonly string[] = Object.keys(KEYED);
export const FILTER_NUMBERS: readonly string[] = Object.keys(NUMERIC);

const COMPARISON = /^([a-z_]+)(>=|<=|!=|==|>|<|=)(.*)$/i;

function term(t: Token): Pred {
  const text = t.text;
  const resp = parseRespTerm(text);
  if (resp !== null) return (r) => matchesResp(r, resp);
  const cmp = COMPARISON.exec(text);
  if (cmp !== null && !text.toLowerCase().startsWith('resp=')) {
    const [, field = '', op = '', value = ''] = cmp;
    const spec = NUMERIC[field.toLowerCase()];
    if (spec === undefined) {
      throw new FilterError(`unknown number "${field}" (numbers: ${FILTER_NUMBERS.join(', ')})`, t.column);
    }
    const n = spec.unit === 'count' ? parseCount(value) : parseSeconds(value);
    if (n === null) {
      const hint = spec.unit === 'count' ? 'a number, with k, M, G (1000s) or Ki, Mi, Gi (1024s): 1M, 500k' : 'seconds, or with ms, s, m, h: 1.5s, 200ms, 2m';
      throw new FilterError(`${field}${op}${value}: expected ${hint}`, t.column + field.length + op.length);
    }
    const get = spec.get;
    switch (op) {
      case '>': return (r) => get(r) > n;
      case '>=': return (r) => get(r) >= n;
      case '<': return (r) => get(r) < n;
      case '<=': return (r) => get(r) <= n;
      case '!=': return (r) => get(r) !== n;
      default: return (r) => get(r) === n;
    }
  }
  const colon = text.indexOf(':');
  if (colon > 0 && /^[a-z_]+$/i.test(text.slice(0, colon))) {
    const key = text.slice(0, colon).toLowerCase();
    const make = KEYED[key];
    const value = text.slice(colon + 1);
    if (make !== undefined) {
      if (value === '') throw new FilterError(`${key}: needs a value (${key}:...)`, t.column + colon + 1);
      return make(value, t);
    }
    // Not a key: a plain word that happens to hold a colon (an IPv6 address, `ssh:22`)? Only if it reads as one.
    if (parseAddress(text) === null) {
      throw new FilterError(`unknown key "${key}" (keys: ${FILTER_KEYS.join(', ')}; numbers: ${FILTER_NUMBERS.join(', ')})`, t.column);
    }
  }
  // A plain word: it occurs in the row's text (case-insensitive), or is a flow's whole uid.
  const lower = text.toLowerCase();
  return (r) => r.uid === text || occurs(flowText(r), lower);
}

/** `1500`, `1.5k`, `2M`, `1G`, `4Ki`, `1MB`: a count; null when malformed. */
export function parseCount(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]i?)?[bB]?$/.exec(v);
  if (m === null) return null;
  const unit = m[2] ?? '';
  const base = unit.endsWith('i') ? 1024 : 1000;
  const power = unit === '' ? 0 : 'kmgt'.indexOf(unit[0]!.toLowerCase()) + 1; // unit matched [kKmMgGtT]
  return Number(m[1]) * base ** power;
}

/** `1.5`, `1.5s`, `200ms`, `2m`, `1h`: seconds; null when malformed. */
export function parseSeconds(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (m === null) return null;
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's']!; // one of the four
  return Number(m[1]) * scale;
}

type End = 'orig' | 'resp' | 'either';

function portTerm(v: string, t: Token, end: End): Pred {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  const lo = m === null ? NaN : Number(m[1]);
  const hi = m === null ? NaN : m[2] === undefined ? lo : Number(m[2]);
  if (!(lo <= 65535 && hi <= 65535 && lo <= hi)) {
    throw new FilterError(`port:${v}: expected a port from 0 to 65535 or a range (8000-8100)`, t.column);
  }
  // Ports are TCP's and UDP's: ICMP carries its type and code in the same record fields, and matches no port.
  const has = (r: FlowRecord) => r.proto === 'tcp' || r.proto === 'udp';
  const inRange = (p: number) => p >= lo && p <= hi;
  if (end === 'orig') return (r) => has(r) && inRange(r.origPort);
  if (end === 'resp') return (r) => has(r) && inRange(r.respPort);
  return (r) => has(r) && (inRange(r.origPort) || inRange(r.respPort));
}

function hostTerm(v: string, t: Token, end: End): Pred {
  const addr = parseAddress(v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v);
  if (addr === null) throw new FilterError(`host:${v}: not an IPv4 or IPv6 address (for a network use net:${v}/24)`, t.column);
  return netTerm(`${v}`, t, end, { bytes: addr, bits: addr.length * 8 });
}

function netTerm(v: string, t: Token, end: End, given?: { bytes: Uint8Array; bits: number }): Pred {
  const net = given ?? parseCidr(v);
  if (net === null) throw new FilterError(`net:${v}: expected a network such as 10.0.0.0/8 or 2001:db8::/32`, t.column);
  const at = (a: string) => {
    const b = addressBytes(a);
    return b !== null && inCidr(b, net);
  };
  if (end === 'orig') return (r) => at(r.origAddr);
  if (end === 'resp') return (r) => at(r.respAddr);
  return (r) => at(r.origAddr) || at(r.respAddr);
}

function protoTerm(v: string, t: Token): Pred {
  const p = v.toLowerCase();
  if (p === 'tcp' || p === 'udp') return (r) => r.proto === p;
  if (p === 'icmp') return (r) => r.proto === 'icmp' && r.ipVersion === 4;
  if (p === 'icmp6' || p === 'icmpv6') return (r) => r.proto === 'icmp' && r.ipVersion === 6;
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) {
    const n = Number(p);
    return (r) => r.ipProto === n;
  }
  throw new FilterError(`proto:${v}: expected tcp, udp, icmp, icmp6 or an IP protocol number (0-255)`, t.column);
}

const END_STATES = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'];

function endStateTerm(v: string, t: Token, end: 'orig' | 'resp'): Pred {
  const u = v.toUpperCase();
  const state = END_STATES.find((s) => s === u || shortStateName(s) === u);
  if (state === undefined) {
    throw new FilterError(`${end}_state:${v}: expected a TCP state (${END_STATES.join(', ')}, or the short names ESTAB, TIME_WT...)`, t.column);
  }
  return end === 'orig' ? (r) => r.orig.state === state : (r) => r.resp.state === state;
}

/**
 * `service:X`: a service confirmed from the payload (`--names`; Zeek's names: `ssl`, `http`, `dns`, `ssh`), one of a
 * flow's comma-separated services (`http,ssl` after STARTTLS matches `service:ssl`). A port's name is a guess, not a
 * service (as Zeek keeps its speculative_service apart): `service:https` does not match a flow to port 443 whose
 * payload was not seen or not TLS; the plain word `https` (the row's text) or `port:443` does.
 */
function serviceTerm(v: string): Pred {
  const s = v.toLowerCase();
  return (r) => {
    const confirmed = r.names?.service;
    if (confirmed) for (const one of confirmed.split(',')) if (one === s) return true;
    return false;
  };
}

/**
 * `name:example.org`: the TLS/QUIC server name, the first HTTP request's host (without its port), the first DNS
 * question, or the name an earlier DNS answer gave the responder's address (`resp_name`, passive DNS) is that name or
 * one under it: `name:example.org` matches `www.example.org` but not `badexample.org` (a suffix on a dot boundary,
 * as a DNS zone contains its subdomains). Case, a final dot and a port after the name (HTTP's Host, or a client that
 * put one in its TLS server name) do not matter. Needs `--names`.
 */
function nameTerm(v: string): Pred {
  const n = v.toLowerCase().replace(/\.$/, '');
  const is = (x: string | undefined) => {
    if (!x) return false;
    const l = x.toLowerCase().replace(/\.$/, '');
    return l === n || l.endsWith(`.${n}`);
  };
  return (r) => {
    const names = r.names;
    return names != null && (is(hostWithoutPort(names.serverName)) || is(hostWithoutPort(names.httpHost)) || is(names.dnsQuery) || is(respNameOf(names)));
  };
}
