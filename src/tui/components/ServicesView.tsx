import { Box, Text } from 'ink';
import { compactBytes, fit, socketText, type ServiceGroup } from '../model.js';
import { sanitize } from '../sanitize.js';

export type Props = {
  readonly groups: readonly ServiceGroup[];
  readonly top: number;
  readonly height: number;
  readonly selected: number;
  readonly width: number;
};

/** Port class as a short tag. */
const CLASS_TAG = { 'well-known': 'well-known', registered: 'registered', dynamic: 'dynamic' } as const;

/** Fixed columns: proto 5, conns 6, clients 7, active 6, bytes 7, class 10; the socket and the state mix share the rest. */
const FIXED = 5 + 6 + 7 + 6 + 7 + 10 + 7; // + 7 gaps between 8 columns

/** Socket column width for a terminal `width` cells wide: between 21 and 40, the state mix gets the rest. */
export function socketWidth(width: number): number {
  return Math.max(21, Math.min(40, Math.floor((width - FIXED) * 0.55)));
}

/** One row of the services view. */
export function serviceRowText(g: ServiceGroup, width: number): string {
  const sw = socketWidth(width);
  const mixWidth = Math.max(8, width - FIXED - sw);
  const ports = g.proto === 'tcp' || g.proto === 'udp';
  // ICMP has no ports: its "responder port" is the reply's code (written as the flows view writes it), and a port
  // class means nothing there. Other protocols have neither.
  const addr = g.ipVersion === 6 ? `[${sanitize(g.addr)}]` : sanitize(g.addr);
  const sock = ports
    ? socketText(g.addr, g.port, g.ipVersion) + (g.service ? ` ${g.service}` : '')
    : g.proto === 'icmp' || g.proto === 'icmp6' ? `${addr} c${g.port}` : addr;
  // Live: the local listener's process (local/services.ts) before the mix; a listener with no traffic says so.
  const local = g as { process?: string; listening?: boolean };
  const states = local.listening === true ? 'listening, no traffic yet' : g.states.map(([s, n]) => `${sanitize(s)}:${n}`).join(' ');
  const mix = local.process === undefined ? states : `${sanitize(local.process)} ${states}`;
  const line = [
    fit(g.proto, 5), fit(sock, sw), fit(String(g.connections), 6, 'right'), fit(String(g.clients), 7, 'right'),
    fit(String(g.active), 6, 'right'), fit(compactBytes(g.bytes), 7, 'right'), fit(ports ? CLASS_TAG[g.portClass] : '-', 10),
    fit(mix, mixWidth),
  ].join(' ');
  return line.length > width ? fit(line, width) : line;
}

/** Title row of the services view. */
export function serviceTitleText(width: number): string {
  const sw = socketWidth(width);
  const line = [
    fit('Proto', 5), fit('Listener (responder socket)', sw), fit('Conns', 6, 'right'), fit('Clients', 7, 'right'),
    fit('Open', 6, 'right'), fit('Bytes', 7, 'right'), fit('Port class', 10), fit('States', Math.max(8, width - FIXED - sw)),
  ].join(' ');
  return line.length > width ? fit(line, width) : line;
}

/**
 * The listener picture: one row per responder socket (address, port, protocol) with its connections, distinct
 * clients, open connections, bytes, port class and the mix of conn_states. One port on several addresses is several
 * rows; many clients on one socket is one row.
 */
export default function ServicesView({ groups, top, height, selected, width }: Props) {
  const visible = groups.slice(top, top + height);
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold underline wrap="truncate-end">{serviceTitleText(width)}</Text>
      {visible.map((g, i) => (
        <Text key={g.key} inverse={top + i === selected} color={g.active > 0 ? 'green' : undefined} wrap="truncate-end">
          {serviceRowText(g, width)}
        </Text>
      ))}
      {groups.length === 0 ? <Text color="gray" wrap="truncate-end">no connections</Text> : null}
    </Box>
  );
}
