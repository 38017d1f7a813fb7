import { Box, Text } from 'ink';
import type { Snapshot } from '../../pipeline-types.js';
import { formatClock, humanBitRate, humanByteRate, humanBytes } from '../../sink/format.js';
import { clockText, compactDuration, displayWidth, fit, groupDigits, speedText, unassignedText } from '../model.js';
import { sanitize } from '../sanitize.js';

export type Props = {
  readonly snapshot: Snapshot;
  /** Packets and wire bytes per second, from successive snapshots. */
  readonly packetRate: number;
  readonly byteRate: number;
  /** True for a live capture (the header then says what capture cannot see). */
  readonly live: boolean;
  readonly width: number;
  /** Lines to show, 0 to 3 (short terminals drop the last ones first). @default 3 */
  readonly lines?: number;
  /** Rates in bits per second rather than bytes (the `b` key). @default false */
  readonly bits?: boolean;
  /** Live: what the capture may have missed (local/capture-health.ts), shown on the third line. */
  readonly health?: string | undefined;
};

/** What live capture through libpcap's JS binding cannot see, said plainly. */
export const LIVE_LIMITS = 'live: arrival timestamps, no kernel drop counts, sizes are captured lengths';

/**
 * Three lines: source and clock; packets, bytes and rates; flows and the packets no flow got (by reason). Short
 * terminals show fewer (`lines`), keeping the first.
 */
export default function Header({ snapshot, packetRate, byteRate, live, width, lines = 3, bits = false, health }: Props) {
  const st = snapshot.stats;
  const mode = live
    ? 'LIVE'
    : snapshot.done
      ? 'end of capture'
      : `${snapshot.paused ? 'PAUSED' : 'playing'} ${speedText(snapshot.speed)}`;
  const progress = (snapshot.progress !== undefined && !live ? `  ${Math.floor(snapshot.progress * 100)}%` : '') + gapText(snapshot, live);
  // Narrow terminals lose the program name first, then the date (the time of day stays).
  const tail = `${sanitize(snapshot.source)}  [${mode}]${progress}  clock `;
  const candidates = [
    `sockscope  ${tail}${clockText(st.clockSec)}`,
    `${tail}${clockText(st.clockSec)}`,
    `${tail}${st.clockSec > 0 ? formatClock(st.clockSec) : '-'}`,
  ];
  const line1 = candidates.find((c) => displayWidth(c) <= width) ?? candidates[candidates.length - 1]!; // non-empty list
  // Rates are of traffic flowing: a replay that ended or is paused has none to show (its last rates would be stale).
  const still = !live && (snapshot.done || snapshot.paused);
  const line2 =
    `packets ${groupDigits(st.packetsRead)}${still ? '' : ` (${groupDigits(packetRate)}/s)`}  ` +
    `bytes ${humanBytes(st.wireBytes)}${still ? '' : ` (${bits ? humanBitRate(byteRate) : humanByteRate(byteRate)})`}  ` +
    `flows ${groupDigits(st.activeFlows)} active / ${groupDigits(st.totalFlows)} total`;
  const unassigned = st.packetsUnassigned > 0 ? `unassigned ${groupDigits(st.packetsUnassigned)}: ${unassignedText(st.unassigned)}` : 'unassigned 0';
  const drops = st.dropped !== undefined ? `  dropped ${groupDigits(st.dropped)}` : '';
  const limits = health === undefined ? LIVE_LIMITS : `${health}  |  ${LIVE_LIMITS}`;
  const line3 = live && st.dropped === undefined ? `${limits}  |  ${unassigned}` : `${unassigned}${drops}`;
  if (lines <= 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold color="cyan" wrap="truncate-end">{fit(line1, width)}</Text>
      {lines >= 2 ? <Text wrap="truncate-end">{fit(line2, width)}</Text> : null}
      {lines >= 3 ? (
        <Text color={st.packetsUnassigned > 0 ? 'yellow' : 'gray'} wrap="truncate-end">{fit(line3, width)}</Text>
      ) : null}
    </Box>
  );
}

/**
 * `  next packet in 3y 2d (> skips)` while a replay waits more than 2 s of capture time for its next packet (a quiet
 * stretch of the capture), at the replay's speed; empty otherwise.
 */
export function gapText(snapshot: Snapshot, live: boolean): string {
  const next = snapshot.nextPacketSec;
  if (live || snapshot.done || snapshot.paused || next === undefined || !Number.isFinite(next)) return '';
  const gap = next - snapshot.stats.clockSec;
  if (!(gap > 2) || !(snapshot.speed > 0)) return '';
  return `  next packet in ${compactDuration(gap / snapshot.speed)} (> skips)`;
}
