import { Box, Text } from 'ink';
import type { DirectionRecord, FlowRecord, StateTransition, TcpOptionsRecord } from '../../flow/record.js';
import {
  clockText, compactDuration, compactRate, fit, groupDigits, origText, respText, sparkline,
} from '../model.js';
import { formatRtt, serviceName } from '../../sink/format.js';
import { communityIdOfRecord } from '../../flow/community-id.js';
import { hasPorts, respNameOf } from '../cells.js';
import { sanitize } from '../sanitize.js';
import { kernelDisagreement, localDetailRows } from '../../local/detail.js';

export type Props = {
  readonly record: FlowRecord;
  /** Recent byte rates of this flow, oldest first. */
  readonly history: readonly number[];
  /** True when the flow is no longer in the snapshots (shown as last seen). */
  readonly gone: boolean;
  readonly width: number;
  /** The flows of the snapshot by uid (for the tunnel chain); unknown uids are shown as uids. */
  readonly flowByUid?: (uid: string) => FlowRecord | undefined;
  /** Lines the view has; the least useful lines give way when the detail is longer. @default as many as it takes */
  readonly height?: number;
};

/** Most tunnel layers followed outward in the chain. */
const MAX_CHAIN = 8;

/**
 * The tunnels around a flow, innermost first: `inside UDP 192.0.2.1:4789 → 192.0.2.2:4789 (C4J4…) inside GRE …`;
 * several parents of one layer (a link's two directions) are joined with ` | `. Empty when the flow was in no tunnel.
 */
export function tunnelChainText(r: FlowRecord, byUid: (uid: string) => FlowRecord | undefined): string {
  const layers: string[] = [];
  let parents = r.tunnelParents ?? [];
  for (let depth = 0; depth < MAX_CHAIN && parents.length > 0; depth++) {
    const found = parents.map((u) => ({ uid: u, rec: byUid(u) }));
    layers.push(`inside ${found.map(({ uid, rec }) => (rec === undefined ? sanitize(uid) : `${rec.proto === 'unknown_transport' ? `IP/${rec.ipProto}` : rec.proto.toUpperCase()} ${origText(rec)} → ${respText(rec)} (${sanitize(uid)})`)).join(' | ')}`);
    parents = found[0]!.rec?.tunnelParents ?? []; // found has parents.length > 0 entries
  }
  return layers.join(' ');
}

/** Transitions as `STATE +offset` steps from the flow's start, e.g. `SYN_SENT +0ms → ESTABLISHED +12.1ms`. */
export function transitionsText(transitions: readonly StateTransition[], startSec: number): string {
  if (transitions.length === 0) return '-';
  return transitions.map((t) => `${sanitize(t.state)} +${offsetText(t.tsSec - startSec)}`).join(' → ');
}

/** Offset from the flow's start: ms below 10 s, then the compact duration. */
function offsetText(sec: number): string {
  if (sec < 10) return formatRtt(Math.max(0, sec)).replace(/^0\.00ms$/, '0ms');
  return compactDuration(sec);
}

/** TCP options of one end's SYN: `MSS 1460, wscale 7, SACK, TS`; `-` when no SYN was seen. */
export function optionsText(o: TcpOptionsRecord | null): string {
  if (o === null) return '-';
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`MSS ${o.mss}`);
  if (o.wscale !== null) parts.push(`wscale ${o.wscale}`);
  if (o.sackPermitted) parts.push('SACK');
  if (o.timestamps) parts.push('TS');
  return parts.length ? parts.join(', ') : 'none';
}

/** DNS query types by number (RFC 1035 §3.2.2 and later RFCs), the common ones; others as `TYPE65399` (RFC 3597). */
const QTYPES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 32: 'NB', 33: 'SRV',
  35: 'NAPTR', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 252: 'AXFR', 255: 'ANY',
};
/** DNS response codes (RFC 1035 §4.1.1, RFC 2136). */
const RCODES: readonly string[] = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];

/** `A`, `AAAA`, `TYPE65399`. */
export const qtypeText = (t: number): string => QTYPES[t] ?? `TYPE${t}`;
/** `NOERROR`, `NXDOMAIN`, `RCODE12`. */
export const rcodeText = (c: number): string => RCODES[c] ?? `RCODE${c}`;

/**
 * What the flow is, as label and value, for the detail view: the service confirmed from the payload, or, without one,
 * the port's name marked as a guess (`guess` true: shown dimmed, never called the service); then every name the
 * payload gave (server_name and alpn, the HTTP request, the DNS question and answer code, the name passive DNS gave
 * the responder) and the Community ID. Only the rows that have a value; SSH banners are rows of the two-column part.
 */
export function nameRows(r: FlowRecord): Array<{ readonly label: string; readonly value: string; readonly guess?: boolean }> {
  const rows: Array<{ label: string; value: string; guess?: boolean }> = [];
  const n = r.names ?? null;
  if (n !== null && n.service) rows.push({ label: 'service', value: sanitize(n.service) });
  else {
    const port = hasPorts(r) ? serviceName(r.respPort, r.ipProto) : '';
    if (port) rows.push({ label: 'service', value: `- (port ${r.respPort} is usually ${port}: a guess, not seen in the payload)`, guess: true });
  }
  if (n !== null) {
    if (n.serverName) rows.push({ label: 'server_name', value: sanitize(n.serverName) + (n.alpn ? `   alpn ${sanitize(n.alpn)}` : '') });
    else if (n.alpn) rows.push({ label: 'alpn', value: sanitize(n.alpn) });
    if (n.httpHost || n.httpMethod) {
      const host = n.httpHost ? sanitize(n.httpHost) : '-';
      rows.push({ label: 'http', value: `${n.httpMethod ? `${sanitize(n.httpMethod)} ` : ''}${host}` });
    }
    if (n.dnsQuery || n.dnsRcode >= 0) {
      const q = n.dnsQuery ? `${sanitize(n.dnsQuery)} ${n.dnsQtype >= 0 ? qtypeText(n.dnsQtype) : ''}`.trim() : '-';
      rows.push({ label: 'dns', value: `${q}${n.dnsRcode >= 0 ? `   answer ${rcodeText(n.dnsRcode)}` : ''}` });
    }
    const respName = respNameOf(n);
    if (respName) rows.push({ label: 'resp_name', value: `${sanitize(respName)} (a DNS answer earlier in the capture)` });
  }
  const cid = communityIdOfRecord(r);
  if (cid !== undefined) rows.push({ label: 'community_id', value: cid });
  return rows;
}

const flagsText = (d: DirectionRecord) => `SYN ${d.syn} FIN ${d.fin} RST ${d.rst} ACK ${d.ack} PSH ${d.psh}`;

/** Rows of the two-column part: label, originator value, responder value. */
export function detailRows(r: FlowRecord): Array<readonly [string, string, string]> {
  const both = (label: string, f: (d: DirectionRecord) => string) => [label, f(r.orig), f(r.resp)] as const;
  const n = (x: number) => groupDigits(x);
  const tcp = r.proto === 'tcp';
  const rows: Array<readonly [string, string, string]> = [
    both('state', (d) => (d.state === null ? '-' : `${sanitize(d.state)}${d.stateInferred ? ' (inferred)' : ''}`)),
    ...localDetailRows(r).map(([k, o, p]) => [k, sanitize(o), sanitize(p)] as const),
    both('packets', (d) => n(d.pkts)),
    both('IP bytes', (d) => n(d.ipBytes)),
    both('payload bytes', (d) => n(d.payloadBytes)),
    // Zeek's orig_bytes/resp_bytes: TCP's sequence space; for UDP and ICMP their payload (there is no sequence).
    both(tcp ? 'seq bytes' : 'data bytes', (d) => n(d.seqBytes)),
  ];
  const names = r.names ?? null;
  if (names !== null && (names.sshClient || names.sshServer)) rows.push(['ssh banner', sanitize(names.sshClient) || '-', sanitize(names.sshServer) || '-']);
  if (tcp) {
    rows.push(
      both('flags', flagsText),
      both('retx / ooo', (d) => `${n(d.retransmissions)} retx, ${n(d.outOfOrder)} out of order`),
      both('window events', (d) => `${n(d.dupAcks)} dupack ${n(d.zeroWindows)} zerowin ${n(d.keepAlives)} keepalive`),
      both('options', (d) => optionsText(d.options)),
    );
  }
  return rows;
}

/**
 * Rows of the two-column part and lines below it that give way, first to last, when the view is shorter than the
 * detail (80x24 with names): the window events, the sequence-space and payload bytes, the Community ID, the TCP
 * options and flags. The rest (names, states, packets and bytes, retransmissions, transitions, RTT, throughput) stays.
 */
const GIVES_WAY: readonly string[] = ['window events', 'seq bytes', 'data bytes', 'payload bytes', 'community_id', 'options', 'flags'];

/**
 * Everything about one flow: both sockets, conn_state and history, what the flow is (names), each end's state and how
 * it got there, the per-direction counters, TCP options, handshake RTT, retransmission and window events, and a
 * throughput sparkline. With `height`, lines give way (GIVES_WAY) until it fits.
 */
export default function FlowDetail({ record: r, history, gone, width, flowByUid, height }: Props) {
  const chain = tunnelChainText(r, flowByUid ?? (() => undefined));
  const label = 15;
  const col = Math.max(10, Math.floor((width - label - 2) / 2));
  // A flow that left the table shows its last snapshot, taken while it was open: it has ended since.
  const ended = r.endReason !== 'active' ? `ended (${r.endReason})` : gone ? 'ended' : 'open';
  const spark = sparkline(history, Math.max(8, width - 40));
  const current = history.length ? history[history.length - 1]! : 0; // length checked
  const peak = history.length ? Math.max(...history) : 0;
  const rtt =
    r.proto === 'tcp'
      ? `handshake RTT: SYN→SYN+ACK ${formatRtt(r.rttSynSec)}, SYN+ACK→ACK ${formatRtt(r.rttAckSec)}   missed bytes ${groupDigits(r.missedBytes)}`
      : `missed bytes ${groupDigits(r.missedBytes)}`;
  const names = nameRows(r);
  const rows = detailRows(r);
  const disagreement = kernelDisagreement(r);
  // Title, conn_state, the two-column title, RTT and throughput, then the rest.
  const lines = 5 + names.length + rows.length + (disagreement !== undefined ? 1 : 0) + (r.proto === 'tcp' ? 2 : 0) + (chain !== '' ? 1 : 0);
  const dropped = new Set<string>();
  for (const k of GIVES_WAY) {
    if (height === undefined || lines - dropped.size <= height) break;
    if (names.some((x) => x.label === k) || rows.some(([key]) => key === k)) dropped.add(k);
  }
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold wrap="truncate-end">
        {fit(`${r.proto.toUpperCase()}  ${origText(r)} → ${respText(r)}   uid ${sanitize(r.uid)}${gone ? '   (no longer in the table)' : ''}`, width)}
      </Text>
      <Text wrap="truncate-end">
        {fit(
          `conn_state ${sanitize(r.connState)}  history ${sanitize(r.history) || '-'}  ${ended}  start ${clockText(r.startSec)}  duration ${compactDuration(r.durationSec)}${r.directionGuessed ? '  direction guessed' : ''}`,
          width,
        )}
      </Text>
      {names.filter((x) => !dropped.has(x.label)).map((x) => (
        <Text key={x.label} wrap="truncate-end">
          <Text color="cyan">{fit(x.label, label)}</Text>  <Text dimColor={x.guess === true} italic={x.guess === true}>{fit(x.value, Math.max(1, width - label - 2))}</Text>
        </Text>
      ))}
      <Text bold underline wrap="truncate-end">{fit('', label)}  {fit('Originator', col - 1)} {fit('Responder', col - 1)}</Text>
      {rows.filter(([k]) => !dropped.has(k)).map(([k, o, p]) => (
        <Text key={k} wrap="truncate-end">
          <Text color="cyan">{fit(k, label)}</Text>  {fit(o, col - 1)} {fit(p, col - 1)}
        </Text>
      ))}
      {disagreement !== undefined ? <Text color="red" bold wrap="truncate-end">{fit(disagreement, width)}</Text> : null}
      {r.proto === 'tcp' ? (
        <>
          <Text wrap="truncate-end">{fit(`orig: ${transitionsText(r.orig.transitions, r.startSec)}`, width)}</Text>
          <Text wrap="truncate-end">{fit(`resp: ${transitionsText(r.resp.transitions, r.startSec)}`, width)}</Text>
        </>
      ) : null}
      <Text wrap="truncate-end">{fit(rtt, width)}</Text>
      {chain !== '' ? <Text wrap="truncate-end"><Text color="cyan">{fit('tunnel', label)}</Text>  {fit(chain, Math.max(1, width - label - 2))}</Text> : null}
      <Text wrap="truncate-end">
        <Text color="cyan">{fit('throughput', label)}</Text>  {spark}  {compactRate(current)} now, {compactRate(peak)} peak
      </Text>
    </Box>
  );
}
