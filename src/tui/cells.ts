/**
 * The text of the flow cells every view shows (and the filter language's plain words match): sockets, protocol and
 * TCP end states, from one record. Apart from model.ts so that src/filter uses them without the rest of the TUI.
 */
import type { FlowRecord, NamesRecord } from '../flow/record.js';
import { fitSocket, serviceName, shortStateName } from '../sink/format.js';
import { sanitize } from './sanitize.js';

/** `addr:port`, with IPv6 addresses in brackets (RFC 5952 §6): `[2001:db8::1]:443`. */
export function socketText(addr: string, port: number, ipVersion: number): string {
  return ipVersion === 6 ? `[${sanitize(addr)}]:${port}` : `${sanitize(addr)}:${port}`;
}

/** Whether the protocol has ports (ICMP carries type/code in the port fields, other protocols nothing). */
export function hasPorts(r: FlowRecord): boolean {
  return r.proto === 'tcp' || r.proto === 'udp';
}

/** Originator socket as shown: ports only for TCP/UDP; ICMP shows the type. */
export function origText(r: FlowRecord): string {
  if (hasPorts(r)) return socketText(r.origAddr, r.origPort, r.ipVersion);
  if (r.proto === 'icmp') return `${bracket(r)}${sanitize(r.origAddr)}${bracketEnd(r)} t${r.origPort}`;
  return `${bracket(r)}${sanitize(r.origAddr)}${bracketEnd(r)}`;
}

/**
 * The responder's service label: the service confirmed from the payload (`--names`: Zeek's `service`, `ssl`,
 * `http,ssl` after STARTTLS), else the name of the responder's port (`https`), which is only a guess: `guess` says
 * which (the table dims a guess, as Zeek keeps its `speculative_service` apart). Empty for protocols without ports and
 * unnamed ports.
 */
export function serviceLabel(r: FlowRecord): { readonly text: string; readonly guess: boolean } {
  const confirmed = r.names?.service;
  if (confirmed) return { text: sanitize(confirmed), guess: false };
  return { text: hasPorts(r) ? serviceName(r.respPort, r.ipProto) : '', guess: true };
}

/** Responder socket with its service label (see {@link serviceLabel}): `10.0.0.1:443 https`; ICMP shows the code. */
export function respText(r: FlowRecord): string {
  if (hasPorts(r)) {
    const service = serviceLabel(r).text;
    const sock = socketText(r.respAddr, r.respPort, r.ipVersion);
    return service ? `${sock} ${service}` : sock;
  }
  return respSocketText(r);
}

/**
 * The name a flow went to, from its payload (`--names`): the TLS or QUIC server name, else the first HTTP request's
 * Host (its port left out), else the name an earlier DNS answer in the same input gave the responder's address
 * (passive DNS, `resp_name`), else, for DNS itself, the name its first query asked for; empty when none.
 */
export function flowName(r: FlowRecord): string {
  const n = r.names;
  if (n == null) return '';
  if (n.serverName) return sanitize(n.serverName);
  if (n.httpHost) return sanitize(hostWithoutPort(n.httpHost));
  return sanitize(respNameOf(n) || n.dnsQuery);
}

/** An HTTP Host header without its port: `example.org:8080` -> `example.org`, `[2001:db8::1]:80` -> `[2001:db8::1]`. */
export function hostWithoutPort(host: string): string {
  // An unbracketed IPv6 address (not what RFC 9110 allows, but seen) has no port to take off.
  return host.replace(/^(\[[^\]]*\]|[^:]*):\d+$/, '$1');
}

/** The record's `resp_name` (passive DNS, inspect/): empty when none. */
export function respNameOf(n: NamesRecord): string {
  return n.respName ?? ''; // a record written before passive DNS (or a hand-made one) may lack it
}

/** Responder socket without the service name: `10.0.0.1:443`; ICMP with its code, `10.0.0.1 c0`. */
export function respSocketText(r: FlowRecord): string {
  if (hasPorts(r)) return socketText(r.respAddr, r.respPort, r.ipVersion);
  if (r.proto === 'icmp') return `${bracket(r)}${sanitize(r.respAddr)}${bracketEnd(r)} c${r.respPort}`;
  return `${bracket(r)}${sanitize(r.respAddr)}${bracketEnd(r)} proto ${r.ipProto}`;
}

/**
 * One end's socket in at most `width` cells: whole when it fits, else the address shortened in the middle with the
 * port (ICMP: type or code) kept, `[2001:470:…aa7:1]:443`. The responder without its service name.
 */
export function socketCell(r: FlowRecord, end: 'orig' | 'resp', width: number): string {
  const text = end === 'orig' ? origText(r) : respSocketText(r);
  if (text.length <= width) return text;
  const addr = sanitize(end === 'orig' ? r.origAddr : r.respAddr);
  const port = end === 'orig' ? r.origPort : r.respPort;
  const suffix = hasPorts(r) ? `:${port}` : r.proto === 'icmp' ? ` ${end === 'orig' ? 't' : 'c'}${port}` : '';
  return fitSocket(addr, suffix, r.ipVersion === 6, width);
}

/** Protocol as the table shows it: `tcp`, `udp`, `icmp`, `icmp6` (ICMP over IPv6), or the IP protocol number. */
export function protoText(r: Pick<FlowRecord, 'proto' | 'ipProto' | 'ipVersion'>): string {
  if (r.proto === 'unknown_transport') return String(r.ipProto);
  return r.ipVersion === 6 && r.proto === 'icmp' ? 'icmp6' : sanitize(r.proto);
}

const bracket = (r: FlowRecord) => (r.ipVersion === 6 ? '[' : '');
const bracketEnd = (r: FlowRecord) => (r.ipVersion === 6 ? ']' : '');

/** One end's state for the table: short netstat name, `~` appended when inferred rather than seen, `-` for non-TCP. */
export function stateText(state: string | null, inferred: boolean): string {
  if (state === null) return '-';
  const s = sanitize(shortStateName(state));
  return inferred ? s + '~' : s;
}
