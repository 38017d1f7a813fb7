import { Box, Text } from 'ink';
import { compactBytes, fit, socketText, type ServiceGroup } from '../model.js';
import { sanitize } from '../sanitize.js';

export type Props = {
  readonly groups: readonly ServiceGroup[];
  readonly top: number;
  readonly height: number;
  readonly selected: number;
  readonly width: number;
  /** Payload inspection is on (`--names`): a Names column in place of the port class. @default false */
  readonly names?: boolean;
};

/** Port class as a short tag. */
const CLASS_TAG = { 'well-known': 'well-known', registered: 'registered', dynamic: 'dynamic' } as const;

/** Fixed columns: proto 5, conns 6, clients 7, active 6, bytes 7, class 10; the socket and the state mix share the rest. */
const FIXED = 5 + 6 + 7 + 6 + 7 + 10 + 7; // + 7 gaps between 8 columns
/** The Names column (with --names, in place of the port class) takes this share of what the socket leaves, at least 10. */
const NAMES_SHARE = 0.6;

/** Socket column width for a terminal `width` cells wide: between 21 and 40, the state mix gets the rest. */
export function socketWidth(width: number): number {
  return Math.max(21, Math.min(40, Math.floor((width - FIXED) * 0.55)));
}

/** Widths of the last two columns: the port class (or, with names, the Names column) and the state mix. */
function tailWidths(width: number, names: boolean): { readonly middle: number; readonly mix: number } {
  const rest = width - FIXED - socketWidth(width) + 10; // the port class's 10 cells are the Names column's too
  if (!names) return { middle: 10, mix: Math.max(8, rest - 10) };
  const middle = Math.max(10, Math.floor(rest * NAMES_SHARE));
  return { middle, mix: Math.max(8, rest - middle) };
}

/**
 * The listener's label: its socket, then the services confirmed from its connections' payload (`--names`: `ssl`,
 * `http,ssl`), or else its port's name, a guess (`guess` true: shown dimmed).
 */
export function serviceLabelOf(g: ServiceGroup): { readonly text: string; readonly guess: boolean } {
  if (g.services) return { text: g.services, guess: false };
  return { text: g.service, guess: true };
}

/** One row of the services view, as text before the guess (dimmed), the guess, and after it. */
export function serviceRowParts(g: ServiceGroup, width: number, names = false): readonly [string, string, string] {
  const sw = socketWidth(width);
  const { middle, mix: mixWidth } = tailWidths(width, names);
  const ports = g.proto === 'tcp' || g.proto === 'udp';
  // ICMP has no ports: its "responder port" is the reply's code (written as the flows view writes it), and a port
  // class means nothing there. Other protocols have neither.
  const addr = g.ipVersion === 6 ? `[${sanitize(g.addr)}]` : sanitize(g.addr);
  const label = serviceLabelOf(g);
  const sockOnly = ports ? socketText(g.addr, g.port, g.ipVersion) : g.proto === 'icmp' || g.proto === 'icmp6' ? `${addr} c${g.port}` : addr;
  const sock = ports && label.text ? `${sockOnly} ${label.text}` : sockOnly;
  // Live: the local listener's process (local/services.ts) before the mix; a listener with no traffic says so.
  const local = g as { process?: string; listening?: boolean };
  const states = local.listening === true ? 'listening, no traffic yet' : g.states.map(([s, n]) => `${sanitize(s)}:${n}`).join(' ');
  const mix = local.process === undefined ? states : `${sanitize(local.process)} ${states}`;
  const nameList = g.names ?? [];
  const mid = names ? nameList.join(', ') || '-' : ports ? CLASS_TAG[g.portClass] : '-';
  const line = [
    fit(g.proto, 5), fit(sock, sw), fit(String(g.connections), 6, 'right'), fit(String(g.clients), 7, 'right'),
    fit(String(g.active), 6, 'right'), fit(compactBytes(g.bytes), 7, 'right'), fit(mid, middle),
    fit(mix, mixWidth),
  ].join(' ');
  const cut = line.length > width ? fit(line, width) : line;
  // The guess is dimmed where it is shown whole.
  const at = 6 + sockOnly.length + 1;
  if (!(ports && label.guess && label.text) || sock.length > sw || at + label.text.length > cut.length) return [cut, '', ''];
  return [cut.slice(0, at), cut.slice(at, at + label.text.length), cut.slice(at + label.text.length)];
}

/** One row of the services view. */
export function serviceRowText(g: ServiceGroup, width: number, names = false): string {
  return serviceRowParts(g, width, names).join('');
}

/** Title row of the services view. */
export function serviceTitleText(width: number, names = false): string {
  const sw = socketWidth(width);
  const { middle, mix } = tailWidths(width, names);
  const line = [
    fit('Proto', 5), fit('Listener (responder socket)', sw), fit('Conns', 6, 'right'), fit('Clients', 7, 'right'),
    fit('Open', 6, 'right'), fit('Bytes', 7, 'right'), fit(names ? 'Names' : 'Port class', middle), fit('States', mix),
  ].join(' ');
  return line.length > width ? fit(line, width) : line;
}

/**
 * The listener picture: one row per responder socket (address, port, protocol) with its connections, distinct
 * clients, open connections, bytes, port class (with `--names`: the names its connections went to) and the mix of
 * conn_states. One port on several addresses is several rows; many clients on one socket is one row. The socket's
 * label is the services confirmed from the payload, or the port's name dimmed (a guess).
 */
export default function ServicesView({ groups, top, height, selected, width, names = false }: Props) {
  const visible = groups.slice(top, top + height);
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text bold underline wrap="truncate-end">{serviceTitleText(width, names)}</Text>
      {visible.map((g, i) => {
        const [before, guess, after] = serviceRowParts(g, width, names);
        return (
          <Text key={g.key} inverse={top + i === selected} color={g.active > 0 ? 'green' : undefined} wrap="truncate-end">
            {before}
            {guess ? <Text dimColor italic>{guess}</Text> : null}
            {after}
          </Text>
        );
      })}
      {groups.length === 0 ? <Text color="gray" wrap="truncate-end">no connections</Text> : null}
    </Box>
  );
}
