/**
 * The services view with this host's listeners (live capture): every group of connections whose responder socket
 * a local listening socket serves gets that listener's process, and every listening TCP socket or bound UDP socket
 * that no connection has reached yet gets a row of its own, with its process, before any packet arrives. One
 * listening socket, many connection sockets: a wildcard listener (`0.0.0.0`, `::`) serves the groups of every
 * address of its port.
 */
import { formatIpv4, formatIpv6 } from '../decode/address.js';
import { portClass, serviceName } from '../flow/services.js';
import type { ServiceGroup } from '../tui/model.js';
import type { LocalSockets, SocketEntry } from './local-sockets.js';

/** A services-view group, with the local listener's process when there is one. */
export type LocalServiceGroup = ServiceGroup & {
  /** `name[pid]` of the process holding the listening socket. */
  readonly process?: string;
  /** True for a kernel listener no connection has reached yet. */
  readonly listening?: boolean;
};

function processText(e: SocketEntry): string | undefined {
  if (e.owner !== null) return `${e.owner.process}[${e.owner.pid}]`;
  const user = e.user();
  return user === undefined ? undefined : `? (${user})`;
}

function addrText(e: SocketEntry): string {
  return e.version === 4 ? formatIpv4(e.local[3] >>> 0) : formatIpv6(e.local.map((w) => w >>> 0));
}

/** Whether listener `e` serves the responder socket of group `g`. */
function serves(e: SocketEntry, g: ServiceGroup): boolean {
  if (g.ipProto !== e.proto || g.port !== e.localPort) return false;
  const wild = e.local.every((w) => w === 0);
  if (wild) return e.version === 6 || g.ipVersion === 4; // `::` (dual stack) serves both; 0.0.0.0 IPv4 only
  return g.ipVersion === e.version && g.addr === addrText(e);
}

/** `groups` with the listeners of `sockets` joined in (see the module's note); new rows after the groups. */
export function withListeners(groups: readonly ServiceGroup[], sockets: LocalSockets): LocalServiceGroup[] {
  const listeners = sockets.listeners();
  const out: LocalServiceGroup[] = [];
  const used = new Set<SocketEntry>();
  for (const g of groups) {
    // The most specific listener first: one bound to the group's own address, else a wildcard one.
    const own = listeners.find((e) => !e.local.every((w) => w === 0) && serves(e, g));
    const e = own ?? listeners.find((l) => serves(l, g));
    if (e === undefined) {
      out.push(g);
      continue;
    }
    used.add(e);
    const process = processText(e);
    out.push(process === undefined ? g : { ...g, process });
  }
  const idle = listeners.filter((e) => !used.has(e)).sort((a, b) => a.proto - b.proto || a.localPort - b.localPort || a.version - b.version);
  for (const e of idle) {
    const proto = e.proto === 6 ? 'tcp' : 'udp';
    const addr = addrText(e);
    const process = processText(e);
    out.push({
      key: `${proto} ${e.version === 6 ? `[${addr}]` : addr}:${e.localPort} listening`,
      proto, ipProto: e.proto, ipVersion: e.version, addr, port: e.localPort,
      service: serviceName(e.localPort, e.proto), portClass: portClass(e.localPort),
      connections: 0, clients: 0, bytes: 0, active: 0, states: [],
      listening: true,
      ...(process === undefined ? {} : { process }),
    });
  }
  return out;
}
