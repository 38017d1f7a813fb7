/** Command-line options shared by `flows`, `capture` and `watch`. */
import { tunnelHeuristics } from '../decode/tunnel.js';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { FlowTableOptions } from '../flow/table.js';
import { configureCommunityId } from '../flow/community-id.js';
import { configureNames } from '../inspect/names.js';
import { configureLocal } from '../local/attribution.js';
import { LocalNets, parseCidrList } from '../local/local-nets.js';
import { FORMATS, type Format } from '../sink/writers.js';
import { UsageError } from './errors.js';

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** -j's value: a positive whole number of threads, or `auto` (see pickThreads). */
export function threadsArg(v: string): number | 'auto' {
  return v === 'auto' ? 'auto' : positiveInt(v);
}

/**
 * Checks the capture names given to `flows` and `watch` before any is opened: standard input can be read only once,
 * so a second `-` would find it empty (or eaten by the first) and fail with a misleading error.
 */
export function checkCaptureNames(names: readonly string[]): void {
  if (names.filter((n) => n === '-').length > 1) {
    throw new UsageError('standard input (-) can be named only once: it can be read only once; name - once, or save the capture to a file to read it again');
  }
}

/** Adds --format and the flow-table options to `cmd`. */
export function addFlowOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('-f, --format <format>', 'output format (default: table on a terminal, ndjson otherwise)').choices(FORMATS),
    )
    .option('--tcp-timeout <sec>', 'end a TCP flow after this much inactivity (Zeek: 300)', seconds)
    .option('--udp-timeout <sec>', 'end a UDP flow after this much inactivity (Zeek: 60)', seconds)
    .option('--icmp-timeout <sec>', 'end an ICMP flow after this much inactivity (Zeek: 60)', seconds)
    .option('--other-timeout <sec>', 'end flows of other IP protocols after this much inactivity (Zeek: 60)', seconds)
    .option('--close-delay <sec>', 'keep a closed or reset TCP flow this long for late packets (Zeek: 5)', seconds)
    .option('--max-flows <n>', 'most flows held at once; the least recently active is written out to make room', positiveInt)
    .option('--memory <MiB>', 'memory budget for flow state (default 480: with the process itself, under 600 MB): near it, unanswered flows end after 1 s, closed flows and then those nearest their timeout are written out early', positiveInt)
    .option(
      '--active-timeout <sec>',
      'write a long flow every this many seconds while it goes on (end_reason active; YAF and softflowd: 1800); default: ' +
        'off, 1800 when exporting IPFIX (-f ipfix, --ipfix); 0: off',
      nonNegativeSeconds,
    )
    .option('--tunnel-heuristics', 'find Teredo and AYIYA tunnels on any UDP port, by their headers, as Zeek does (default: ports 3544 and 5072 only)')
    .option('--verify-checksums', "verify IP/TCP/UDP/ICMP checksums as Zeek does: bad packets leave their flow's counters (history C/c)")
    .option('-q, --quiet', 'no summary on stderr')
    .option('--names', "look at each flow's first packets for its service (Zeek's) and names: TLS/QUIC server name and ALPN, HTTP host and method, DNS question, SSH banners (one thread)")
    .option('--community-id-seed <n>', 'seed of the community_id flow hash (Community ID v1; default 0)', seed16)
    .option('--no-community-id', 'leave out the community_id field')
    .option('--local-nets <cidrs>', localNetsHelp, localNets);
}

/** --local-nets, in each command's help. */
export const localNetsHelp =
  "networks that are local (Zeek's Site::local_nets), comma-separated, e.g. 10.0.0.0/8,fd00::/8; private = Zeek's " +
  "default (Site::private_address_space): sets local_orig and local_resp (live: the host's own addresses are local too)";

/** Parses --local-nets. */
export function localNets(v: string): LocalNets {
  try {
    return new LocalNets(parseCidrList(v));
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function seed16(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a whole number from 0 to 65535');
  return n;
}

/**
 * Applies --names, --community-id-seed, --no-community-id and --local-nets for this run (process-wide settings: see
 * inspect/names.ts and flow/community-id.ts). Worker threads take the community ID and local network settings with
 * them (shard/protocol.ts RecordSettings), but see no payload: --names runs on one thread.
 */
export function applyNameOptions(o: FlowCliOptions): void {
  configureNames({ payload: o.names === true });
  configureCommunityId({ enabled: o.communityId !== false, seed: o.communityIdSeed ?? 0 });
  // Local networks are this thread's setting too (live capture adds the host's sockets: see local/live-local.ts).
  configureLocal({ nets: o.localNets ?? null });
}

export interface FlowCliOptions {
  format?: Format;
  tcpTimeout?: number;
  udpTimeout?: number;
  icmpTimeout?: number;
  otherTimeout?: number;
  closeDelay?: number;
  maxFlows?: number;
  memory?: number;
  tunnelHeuristics?: boolean;
  activeTimeout?: number;
  quiet?: boolean;
  verifyChecksums?: boolean;
  names?: boolean;
  communityIdSeed?: number;
  /** False with --no-community-id. */
  communityId?: boolean;
  /** --local-nets. */
  localNets?: LocalNets;
}

/** Applies the decoder's settings given on the command line (process-wide, as Zeek's script options are). */
export function applyDecoderOptions(o: FlowCliOptions): void {
  const on = o.tunnelHeuristics === true;
  tunnelHeuristics.teredoAnyPort = on;
  tunnelHeuristics.ayiyaAnyPort = on;
}

/** The active timeout when exporting IPFIX and none is given: YAF's and softflowd's, seconds. */
const DEFAULT_ACTIVE_TIMEOUT_SEC = 1800;

/** A number of seconds, 0 or more. */
function nonNegativeSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected seconds (0 or more), not ${JSON.stringify(v)}`);
  return n;
}

/** The flow-table options given on the command line. */
export function flowTableOptions(o: FlowCliOptions): FlowTableOptions {
  const t: FlowTableOptions = {};
  if (o.tcpTimeout !== undefined) t.tcpIdleSec = o.tcpTimeout;
  if (o.udpTimeout !== undefined) t.udpIdleSec = o.udpTimeout;
  if (o.icmpTimeout !== undefined) t.icmpIdleSec = o.icmpTimeout;
  if (o.otherTimeout !== undefined) t.otherIdleSec = o.otherTimeout;
  if (o.closeDelay !== undefined) t.closeDelaySec = o.closeDelay;
  if (o.maxFlows !== undefined) t.maxFlows = o.maxFlows;
  if (o.memory !== undefined) t.memoryBytes = o.memory * 1024 * 1024;
  // Collectors expect long flows reported while they last (YAF's and softflowd's 30 minutes); Zeek's conn.log has
  // one record per connection, so the other formats get intermediate records only when asked.
  const exporting = o.format === 'ipfix' || ((o as { ipfix?: unknown[] }).ipfix ?? []).length > 0;
  const active = o.activeTimeout ?? (exporting ? DEFAULT_ACTIVE_TIMEOUT_SEC : 0);
  if (active > 0) t.activeTimeoutSec = active;
  return t;
}
