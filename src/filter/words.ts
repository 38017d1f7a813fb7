/**
 * Plain words of the filter language: the text of a flow's row they are matched against, and the services view's
 * `resp=` terms. The row text is the TUI's cell text (src/tui/cells.ts), so a word matches what a person sees.
 */
import type { FlowRecord } from '../flow/record.js';
import { flowName, origText, protoText, respText, stateText } from '../tui/cells.js';
import { sanitize } from '../tui/sanitize.js';

const haystacks = new WeakMap<FlowRecord, string>();

/**
 * Lower-case text a filter word is matched against: protocol (as shown, `icmp6` for ICMPv6), both sockets with the
 * responder's service label, the name (`--names`), both end states (full and short names) and conn_state. Not the uid: it is not on screen, and
 * its random letters would match short words; a word equal to a whole uid is matched apart (see {@link filterFlows}).
 */
export function flowText(r: FlowRecord): string {
  let h = haystacks.get(r);
  if (h === undefined) {
    h = [
      protoText(r), origText(r), respText(r), flowName(r), r.orig.state ?? '', r.resp.state ?? '',
      stateText(r.orig.state, false), stateText(r.resp.state, false), sanitize(r.connState),
    ].join(' ').toLowerCase();
    haystacks.set(r, h);
  }
  return h;
}

/**
 * Whether `word` occurs in `h`. A word ending in a digit must end where the number ends, so `:80` and `10.0.0.1`
 * do not also match `:8080` and `10.0.0.10` (`10.0.0.` still matches every address it starts).
 */
export function occurs(h: string, word: string): boolean {
  const last = word.charCodeAt(word.length - 1);
  if (last < 0x30 || last > 0x39) return h.includes(word);
  for (let i = h.indexOf(word); i >= 0; i = h.indexOf(word, i + 1)) {
    const next = h.charCodeAt(i + word.length);
    if (!(next >= 0x30 && next <= 0x39)) return true;
  }
  return false;
}

/** A responder-socket term, `resp=[PROTO/]ADDR[:PORT]`, parsed. */
export interface RespTerm {
  /** Protocol as the table shows it (`tcp`, `udp`, `icmp`, `icmp6`, a number), or null for any. */
  readonly proto: string | null;
  /** Address, lower case, without brackets. */
  readonly addr: string;
  /** Port (for ICMP the code), or null for any. */
  readonly port: number | null;
}

const RESP_PREFIX = 'resp=';

/**
 * Parses `resp=[PROTO/]ADDR[:PORT]` (case-insensitive): an IPv6 address with a port in brackets, `[fd00::2]:443`;
 * for ICMP the port is the code, written `c0` as the table shows it, or `0`. Null for any other word, or a malformed
 * term (which then matches as plain text, and so most likely matches nothing).
 */
export function parseRespTerm(word: string): RespTerm | null {
  const w = word.toLowerCase();
  if (!w.startsWith(RESP_PREFIX)) return null;
  let rest = w.slice(RESP_PREFIX.length);
  let proto: string | null = null;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    proto = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!/^[a-z0-9]+$/.test(proto)) return null;
  }
  let addr: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(c?\d+))?$/.exec(rest);
  if (bracketed) {
    addr = bracketed[1]!; // group 1 always matches
    portText = bracketed[2];
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    addr = rest; // IPv6 without brackets: no port
  } else {
    const m = /^([^:]+)(?::(c?\d+))?$/.exec(rest);
    if (!m) return null;
    addr = m[1]!; // group 1 always matches
    portText = m[2];
  }
  if (!addr) return null;
  const port = portText === undefined ? null : Number(portText.replace(/^c/, ''));
  return { proto, addr, port };
}

/** Whether `r`'s responder socket is the one `t` names. */
export function matchesResp(r: FlowRecord, t: RespTerm): boolean {
  if (t.port !== null && r.respPort !== t.port) return false;
  if (t.proto !== null && protoText(r).toLowerCase() !== t.proto) return false;
  return r.respAddr.toLowerCase() === t.addr;
}

