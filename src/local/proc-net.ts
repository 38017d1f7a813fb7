/**
 * The kernel's socket tables as Linux prints them in `/proc/net/{tcp,tcp6,udp,udp6}` (net/ipv4/tcp_ipv4.c
 * `get_tcp4_sock`, net/ipv6/tcp_ipv6.c `get_tcp6_sock`, net/ipv4/udp.c `udp4_format_sock`): one line per socket, in
 * the network namespace of the process that reads them (`/proc/net` is `/proc/self/net`).
 *
 * Line layout (after the `sl:` index): `local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid
 * timeout inode ...`. Addresses are the kernel's in-memory words printed with `%08X`: an IPv4 address is one
 * big-endian word read as a host-order u32 (127.0.0.1 is `0100007F` on a little-endian host), an IPv6 address four
 * such words; ports are host-order `%04X`. TIME_WAIT sockets (and request sockets in SYN_RECV) have inode 0: they
 * belong to no file descriptor any more.
 */
import { endianness } from 'node:os';

/** TCP states as the kernel numbers them (include/net/tcp_states.h), with netstat's and ss's names. */
export const KERNEL_TCP_STATES: readonly { readonly code: number; readonly netstat: string; readonly ss: string }[] = [
  { code: 0x01, netstat: 'ESTABLISHED', ss: 'ESTAB' },
  { code: 0x02, netstat: 'SYN_SENT', ss: 'SYN-SENT' },
  { code: 0x03, netstat: 'SYN_RECEIVED', ss: 'SYN-RECV' },
  { code: 0x04, netstat: 'FIN_WAIT_1', ss: 'FIN-WAIT-1' },
  { code: 0x05, netstat: 'FIN_WAIT_2', ss: 'FIN-WAIT-2' },
  { code: 0x06, netstat: 'TIME_WAIT', ss: 'TIME-WAIT' },
  { code: 0x07, netstat: 'CLOSED', ss: 'UNCONN' },
  { code: 0x08, netstat: 'CLOSE_WAIT', ss: 'CLOSE-WAIT' },
  { code: 0x09, netstat: 'LAST_ACK', ss: 'LAST-ACK' },
  { code: 0x0a, netstat: 'LISTEN', ss: 'LISTEN' },
  { code: 0x0b, netstat: 'CLOSING', ss: 'CLOSING' },
  // TCP_NEW_SYN_RECV: a request socket (the SYN+ACK sent, the final ACK awaited); ss shows it as SYN-RECV.
  { code: 0x0c, netstat: 'SYN_RECEIVED', ss: 'SYN-RECV' },
];

/** Kernel TCP state code to netstat's name (sockscope's vocabulary for socket states: orig_state, resp_state). */
const NETSTAT_NAME: readonly string[] = (() => {
  const names: string[] = [];
  for (const s of KERNEL_TCP_STATES) names[s.code] = s.netstat;
  return names;
})();

/** netstat's name to ss's (`ESTABLISHED` -> `ESTAB`, `FIN_WAIT_2` -> `FIN-WAIT-2`); the name itself when unknown. */
export function ssStateName(netstat: string): string {
  return KERNEL_TCP_STATES.find((s) => s.netstat === netstat)?.ss ?? netstat;
}

/** Socket protocol: 6 TCP, 17 UDP (IANA numbers, as flows carry them). */
export type SocketProto = 6 | 17;

/** One line of a /proc/net socket table. */
export interface KernelSocket {
  readonly proto: SocketProto;
  /** 4 or 6; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, a dual-stack socket's IPv4 peer) is given as 4. */
  readonly version: 4 | 6;
  /**
   * Addresses as four big-endian int32 words, as flows keep them (flow/flow.ts: IPv4 in word 3, the others 0).
   * A socket of a `tcp6` table whose local address is `::` and is not IPv6-only also takes IPv4: see `anyV6`.
   */
  readonly local: readonly [number, number, number, number];
  readonly localPort: number;
  readonly remote: readonly [number, number, number, number];
  readonly remotePort: number;
  /** Kernel state code (KERNEL_TCP_STATES); UDP: 7 unconnected, 1 connected. */
  readonly state: number;
  /** The socket's owner (`ss -e` uid). */
  readonly uid: number;
  /** The socket inode (`socket:[N]` under /proc/PID/fd); 0 for TIME_WAIT and request sockets. */
  readonly inode: number;
  /** True for a socket of a tcp6/udp6 table bound to `::` (it may take IPv4 too unless IPV6_V6ONLY). */
  readonly anyV6: boolean;
}

/** The netstat name of a kernel TCP state code, or undefined for a code this table does not know. */
export function kernelStateName(code: number): string | undefined {
  return NETSTAT_NAME[code];
}

const LITTLE = endianness() === 'LE';

/** One `%08X` word of /proc/net as a big-endian int32 (what the kernel holds in network order). */
function word(hex: string, at: number): number {
  const v = parseInt(hex.slice(at, at + 8), 16);
  if (!LITTLE) return v | 0;
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** `0100007F:0050` or the 32-digit IPv6 form: address words (int32, big-endian) and port. */
function endpoint(text: string, v6: boolean): { w: [number, number, number, number]; port: number; mapped: boolean } {
  const colon = text.indexOf(':');
  const hex = text.slice(0, colon);
  const port = parseInt(text.slice(colon + 1), 16);
  if (!v6) return { w: [0, 0, 0, word(hex, 0)], port, mapped: false };
  const w: [number, number, number, number] = [word(hex, 0), word(hex, 8), word(hex, 16), word(hex, 24)];
  const mapped = w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
  return { w, port, mapped };
}

/**
 * Parses the text of one /proc/net table. `v6` for tcp6/udp6. Lines that do not have the expected fields are
 * skipped (the header, and anything a future kernel adds before the first socket).
 */
export function parseProcNet(text: string, proto: SocketProto, v6: boolean): KernelSocket[] {
  const out: KernelSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/); // i < length
    if (cols.length < 10) continue;
    const l = endpoint(cols[1]!, v6); // length >= 10
    const r = endpoint(cols[2]!, v6);
    const state = parseInt(cols[3]!, 16);
    const uid = Number(cols[7]);
    const inode = Number(cols[9]);
    if (!Number.isFinite(state) || !Number.isFinite(uid) || !Number.isFinite(inode)) continue;
    // A dual-stack socket's IPv4 peer is an IPv4-mapped address on both sides: key it as the IPv4 flow it is.
    const mapped = v6 && l.mapped && (r.mapped || (r.w[0] === 0 && r.w[1] === 0 && r.w[2] === 0 && r.w[3] === 0));
    const anyV6 = v6 && !mapped && l.w[0] === 0 && l.w[1] === 0 && l.w[2] === 0 && l.w[3] === 0;
    out.push({
      proto,
      version: v6 && !mapped ? 6 : 4,
      local: mapped ? [0, 0, 0, l.w[3]] : l.w,
      localPort: l.port,
      remote: mapped ? [0, 0, 0, r.w[3]] : r.w,
      remotePort: r.port,
      state,
      uid,
      inode,
      anyV6,
    });
  }
  return out;
}

/** The four tables and what each holds. */
export const PROC_NET_TABLES: readonly { readonly file: string; readonly proto: SocketProto; readonly v6: boolean }[] = [
  { file: 'tcp', proto: 6, v6: false },
  { file: 'tcp6', proto: 6, v6: true },
  { file: 'udp', proto: 17, v6: false },
  { file: 'udp6', proto: 17, v6: true },
];
