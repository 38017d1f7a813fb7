/** Tiny segment builder for the TCP tracker tests. */
import type { TcpSegmentView } from '../../src/tcp/segment.js';
import { TcpConnection } from '../../src/tcp/connection.js';

/** A mutable segment view with every field of TcpSegmentView. */
export interface TestSegment extends TcpSegmentView {
  tcpFlags: number;
  seq: number;
  ack: number;
  window: number;
  payloadLen: number;
  payloadCaptured: number;
  optMss: number;
  optWscale: number;
  optSackPerm: number;
  optSack: number;
  optTs: number;
  tsVal: number;
  tsEcr: number;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

/** Flags from tcpdump-style letters: `S`, `SA`, `A`, `PA`, `FA`, `R`, `RA`. */
export function flags(letters: string): number {
  let f = 0;
  for (const ch of letters) {
    const bit = FLAG_BITS[ch];
    if (bit === undefined) throw new Error(`unknown flag letter ${ch}`);
    f |= bit;
  }
  return f;
}

/** Builds one segment: `seg('SA', 1000, 5001)`, payload length and window optional. */
export function seg(
  flagLetters: string,
  seqNum: number,
  ackNum = 0,
  len = 0,
  extra: Partial<TestSegment> = {},
): TestSegment {
  return {
    tcpFlags: flags(flagLetters),
    seq: seqNum >>> 0,
    ack: ackNum >>> 0,
    window: 64240,
    payloadLen: len,
    payloadCaptured: len,
    optMss: -1,
    optWscale: -1,
    optSackPerm: 0,
    optSack: 0,
    optTs: 0,
    tsVal: 0,
    tsEcr: 0,
    ...extra,
  };
}

/** One step of a scenario: who sent it ('o' originator, 'r' responder, as the caller currently sees them), the
 * segment, and the capture time in seconds. */
export type Step = readonly ['o' | 'r', TestSegment, number?];

/** Result of running a scenario. */
export interface Run {
  conn: TcpConnection;
  /** Event bitmask returned for each step. */
  events: number[];
}

/**
 * Feeds the steps to a fresh TcpConnection. Directions are as the demultiplexer would pass them: when a step
 * returns FLIP, later steps written from the original point of view are translated (the caller swaps its roles).
 * Times default to step index * 0.01 s after 1000 s.
 */
export function run(steps: readonly Step[], conn = new TcpConnection()): Run {
  const events: number[] = [];
  let flipped = false;
  steps.forEach(([dir, s, t], i) => {
    const fromOrig = (dir === 'o') !== flipped;
    const ev = conn.update(s, fromOrig, t ?? 1000 + i * 0.01);
    if (ev & 0x1) flipped = !flipped;
    events.push(ev);
  });
  return { conn, events };
}

/** Client 10.0.0.1 ISN and server ISN used by the scenarios. */
export const C_ISN = 1000;
export const S_ISN = 5000;

/** A three-way handshake: SYN, SYN+ACK, ACK. */
export function handshake(cIsn = C_ISN, sIsn = S_ISN): Step[] {
  return [
    ['o', seg('S', cIsn, 0, 0, { optMss: 1460, optWscale: 7, optSackPerm: 1, optTs: 1 })],
    ['r', seg('SA', sIsn, cIsn + 1, 0, { optMss: 1400, optWscale: 8, optSackPerm: 1, optTs: 1 })],
    ['o', seg('A', cIsn + 1, sIsn + 1)],
  ];
}
