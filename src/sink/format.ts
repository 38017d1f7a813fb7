/**
 * Formatting shared by every consumer of flow records: the table, CSV, JSON and Zeek writers and the TUI, so that a
 * number reads the same everywhere.
 */
import type { FlowRecord } from '../flow/record.js';

export { serviceName, portClass, type PortClass } from '../flow/services.js';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes in human units with SI (1000) steps: `950 B`, `1.5 KB`, `12 MB`. */
export function humanBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < BYTE_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${BYTE_UNITS[i]}`;
}

/** A count in human units: `950`, `1.5k`, `12M`. */
export function humanCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** A bit rate from bytes per second: `0 b/s`, `12 kb/s`, `1.5 Mb/s`. */
export function humanBitRate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  const units = ['b/s', 'kb/s', 'Mb/s', 'Gb/s'];
  let i = 0;
  let v = bits;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A byte rate: `0 B/s`, `950 B/s`, `1.5 MB/s` (humanBytes per second). */
export function humanByteRate(bytesPerSec: number): string {
  return `${humanBytes(Math.round(bytesPerSec))}/s`;
}

/** A duration in seconds, compact: `0.042s`, `3.2s`, `4m05s`, `2h03m`. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '-';
  if (sec < 1) return `${sec.toFixed(3)}s`;
  if (sec < 60) return `${sec.toFixed(1)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(Math.floor(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}

/** Epoch seconds with 6 decimals, as Zeek writes `ts` (e.g. `1300475167.096535`). */
export function formatTs(sec: number): string {
  return sec.toFixed(6);
}

/** Epoch seconds as an ISO-8601 UTC time with milliseconds: `2011-03-18T19:06:07.096Z`. */
export function formatIsoTime(sec: number): string {
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString();
}

/** Time of day in UTC, `HH:MM:SS.mmm`, for tables. */
export function formatClock(sec: number): string {
  const iso = formatIsoTime(sec);
  return iso === '-' ? iso : iso.slice(11, 23);
}

/** A socket as text: `10.0.0.1:80`, `[2001:db8::1]:443`; ports are omitted for protocols without them. */
export function formatSocket(addr: string, port: number, proto: FlowRecord['proto']): string {
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return proto === 'unknown_transport' ? host : `${host}:${port}`;
}

/** A round-trip time in seconds as milliseconds text: `12.3ms`, or `-`. */
export function formatRtt(sec: number | null): string {
  if (sec === null) return '-';
  const ms = sec * 1000;
  return ms < 10 ? `${ms.toFixed(2)}ms` : ms < 100 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

/**
 * `text` shortened in the middle to at most `width` characters, `…` where the middle was: `2001:470:1f…d94:aa7:1`.
 * Addresses are told apart by both ends (the network at the start, the host at the end), so both stay. ASCII text
 * (addresses), one cell per character.
 */
export function cutMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return width === 1 ? '…' : '';
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}

/**
 * A socket in at most `width` cells: the address shortened in the middle ({@link cutMiddle}) so that the brackets of
 * an IPv6 address and `suffix` (the port, `:443`, or what stands for it) stay whole: `[2001:470:…aa7:1]:443`. When
 * even the suffix does not fit, the address keeps one character and the whole is cut at the end.
 */
export function fitSocket(addr: string, suffix: string, ipv6: boolean, width: number): string {
  const open = ipv6 ? '[' : '';
  const close = ipv6 ? ']' : '';
  const room = width - open.length - close.length - suffix.length;
  const text = `${open}${cutMiddle(addr, Math.max(1, room))}${close}${suffix}`;
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Short forms of the netstat state names, at most 8 cells, for tables (the detail view spells them out). */
const SHORT_STATE: Readonly<Record<string, string>> = {
  CLOSED: 'CLOSED', LISTEN: 'LISTEN', SYN_SENT: 'SYN_SENT', SYN_RECEIVED: 'SYN_RCVD', ESTABLISHED: 'ESTAB',
  FIN_WAIT_1: 'FIN_WT1', FIN_WAIT_2: 'FIN_WT2', CLOSE_WAIT: 'CLOSE_WT', CLOSING: 'CLOSING', LAST_ACK: 'LAST_ACK',
  TIME_WAIT: 'TIME_WT',
};

/** A TCP end state's short name (`ESTAB`, `FIN_WT2`); a name without one as it is. */
export function shortStateName(state: string): string {
  return SHORT_STATE[state] ?? state;
}
