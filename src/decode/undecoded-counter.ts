/**
 * Counts what the decoder could not carry further, by kind and number (`unknown_ethertype 0x88e5: 12`), and the tunnel
 * layers that were not followed (`depth_exceeded`, or the inner packet's status such as `truncated_ip`), so that a
 * summary can name what was left out. Off the hot path: only packets that stopped somewhere are counted.
 */
import type { DecodedPacket } from './packet.js';
import { STATUS_NAME, Undecoded, undecodedLabel } from './status.js';

/** At most this many distinct numbers are kept; the rest are summed under `<kind> other` (hostile input is unbounded). */
const MAX_KEYS = 256;
/** Key space per kind: numbers are below 2^32 (address families), kinds are few. */
const KIND_STRIDE = 2 ** 32;

export class UndecodedCounter {
  private readonly byKey = new Map<number, number>();
  private readonly other = new Float64Array(32);
  private readonly cut = new Map<string, number>();

  /** Counts `p` if the decoder stopped at a number (`p.undecodedKind` set); no allocation once a key exists. */
  note(p: DecodedPacket, packets = 1): void {
    const kind = p.undecodedKind;
    if (kind === Undecoded.NONE) return;
    const key = kind * KIND_STRIDE + (p.undecodedValue >>> 0);
    const n = this.byKey.get(key);
    if (n !== undefined) this.byKey.set(key, n + packets);
    else if (this.byKey.size < MAX_KEYS) this.byKey.set(key, packets);
    else this.other[kind & 31]! += packets;
  }

  /** A tunnel layer that was not followed: deeper than `maxDepth`, or its inner packet did not decode (`status`). */
  noteCut(reason: 'depth_exceeded' | number, packets = 1): void {
    const name = typeof reason === 'number' ? STATUS_NAME[reason] ?? `status_${reason}` : reason;
    this.cut.set(name, (this.cut.get(name) ?? 0) + packets);
  }

  /** `{ 'unknown_ethertype 0x0806': 12, ... }`, largest first. */
  undecoded(): Record<string, number> {
    const rows: [string, number][] = [];
    for (const [key, n] of this.byKey) {
      const kind = Math.floor(key / KIND_STRIDE);
      rows.push([undecodedLabel(kind, key - kind * KIND_STRIDE), n]);
    }
    this.other.forEach((n, kind) => { if (n > 0) rows.push([`${undecodedLabel(kind, 0).split(' ')[0]} other`, n]); });
    rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return Object.fromEntries(rows);
  }

  /** `{ depth_exceeded: 10, truncated_ip: 1 }`: tunnel layers not followed, by reason. */
  tunnelLayersCut(): Record<string, number> {
    return Object.fromEntries([...this.cut].sort((a, b) => b[1] - a[1]));
  }
}
