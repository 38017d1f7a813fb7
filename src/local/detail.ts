/**
 * The detail view's lines about this host (tui/components/FlowDetail.tsx): each local end's process and the
 * kernel's state of its socket beside the inferred one, and a plain flag when they disagree.
 */
import type { FlowRecord } from '../flow/record.js';
import { kernelStateOf, localOfRecord } from './attribution.js';
import type { SocketEntry } from './local-sockets.js';
import { ssStateName } from './proc-net.js';

/** `name (pid 42, user)`, `-` when the end is not a socket of this host or its process is unknown. */
function processText(e: SocketEntry | null): string {
  if (e === null) return '-';
  const user = e.user();
  if (e.owner === null) return user === undefined ? 'unknown process' : `unknown process (${user})`;
  return `${e.owner.process} (pid ${e.owner.pid}${user === undefined ? '' : `, ${user}`})`;
}

function kernelText(e: SocketEntry | null): string {
  const k = kernelStateOf(e);
  return k === undefined ? '-' : `${k} (ss ${ssStateName(k)})`;
}

/** Rows (label, originator, responder) for the two-column part; none when nothing local is known. */
export function localDetailRows(r: FlowRecord): Array<readonly [string, string, string]> {
  const l = localOfRecord(r);
  if (l === null || (l.orig === null && l.resp === null)) return [];
  const rows: Array<readonly [string, string, string]> = [['process', processText(l.orig), processText(l.resp)]];
  if (r.proto === 'tcp') rows.push(['kernel state', kernelText(l.orig), kernelText(l.resp)]);
  return rows;
}

/**
 * The ends whose kernel state differs from the state inferred from packets, as one line, or undefined when they
 * agree (or nothing is known). A difference points at packets the capture did not see, or at traffic routed
 * around this interface.
 */
export function kernelDisagreement(r: FlowRecord): string | undefined {
  const l = localOfRecord(r);
  if (l === null || r.proto !== 'tcp') return undefined;
  const diffs: string[] = [];
  for (const [side, e, d] of [['orig', l.orig, r.orig], ['resp', l.resp, r.resp]] as const) {
    const k = kernelStateOf(e);
    if (k !== undefined && d.state !== null && k !== d.state) diffs.push(`${side} kernel ${k}, inferred ${d.state}`);
  }
  if (diffs.length === 0) return undefined;
  return `KERNEL DISAGREES: ${diffs.join('; ')} (capture loss or asymmetric routing?)`;
}
