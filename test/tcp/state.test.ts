import { describe, expect, it } from 'vitest';
import {
  classify,
  pickupState,
  Role,
  S,
  Seg,
  SEG_NAME,
  step,
  stepInferred,
  TCP_STATE_NAME,
  TRANSITION_RULES,
} from '../../src/tcp/state.js';
import type { SegClass, TcpState } from '../../src/tcp/state.js';

const { SENDER, RECEIVER } = Role;
const ALL_STATES = Object.values(S) as TcpState[];

describe('names', () => {
  it.each(Object.keys(S) as (keyof typeof S)[])('TCP_STATE_NAME[S.%s] is its own name', (k) =>
    expect(TCP_STATE_NAME[S[k]]).toBe(k),
  );
  it.each(Object.keys(Seg) as (keyof typeof Seg)[])('SEG_NAME[Seg.%s] is its own name', (k) =>
    expect(SEG_NAME[Seg[k]]).toBe(k),
  );
});

describe('classify', () => {
  it.each([
    [0x02, false, Seg.SYN],
    [0x12, false, Seg.SYN_ACK],
    [0x10, false, Seg.ACK],
    [0x18, false, Seg.ACK], // PSH+ACK with data
    [0x10, true, Seg.ACK_OF_FIN],
    [0x11, false, Seg.FIN],
    [0x11, true, Seg.FIN_ACK_OF_FIN],
    [0x04, false, Seg.RST],
    [0x14, true, Seg.RST],
    [0x06, false, Seg.RST], // SYN+RST: the RST wins
    [0x03, false, Seg.SYN], // SYN+FIN: an open attempt
  ])('flags 0x%s, acks receiver FIN %s -> %s', (f, acksFin, cls) => expect(classify(f, acksFin)).toBe(cls));
});

type Row = [SegClass, TcpState];
function table(state: TcpState, role: number, rows: Row[]) {
  it.each(rows.map(([g, n]) => [SEG_NAME[g], TCP_STATE_NAME[n], g, n] as const))(
    `${role === SENDER ? 'sending' : 'receiving'} %s -> %s`,
    (_a, _b, g, n) => expect(step(state, g, role as 0 | 1)).toBe(n),
  );
}

describe('CLOSED', () => {
  table(S.CLOSED, SENDER, [
    [Seg.SYN, S.SYN_SENT],
    [Seg.SYN_ACK, S.SYN_RECEIVED],
    [Seg.ACK, S.CLOSED],
    [Seg.FIN, S.CLOSED],
  ]);
  table(S.CLOSED, RECEIVER, [
    [Seg.SYN, S.LISTEN],
    [Seg.SYN_ACK, S.ESTABLISHED],
    [Seg.ACK, S.CLOSED],
  ]);
  it('marks the implied listener and the unseen SYN as inferred', () => {
    expect(stepInferred(S.CLOSED, Seg.SYN, RECEIVER)).toBe(true);
    expect(stepInferred(S.CLOSED, Seg.SYN, SENDER)).toBe(false);
    expect(stepInferred(S.CLOSED, Seg.SYN_ACK, SENDER)).toBe(true);
  });
});

describe('LISTEN', () => {
  table(S.LISTEN, SENDER, [
    [Seg.SYN_ACK, S.SYN_RECEIVED],
    [Seg.SYN, S.SYN_SENT],
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.FIN_WAIT_1],
  ]);
  table(S.LISTEN, RECEIVER, [
    [Seg.SYN, S.LISTEN],
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.CLOSE_WAIT],
  ]);
  it('passive open answered is seen, not inferred', () => expect(stepInferred(S.LISTEN, Seg.SYN_ACK, SENDER)).toBe(false));
  it('data from a listener implies an unseen SYN+ACK', () => expect(stepInferred(S.LISTEN, Seg.ACK, SENDER)).toBe(true));
});

describe('SYN_SENT', () => {
  table(S.SYN_SENT, SENDER, [
    [Seg.SYN, S.SYN_SENT], // retransmitted SYN
    [Seg.SYN_ACK, S.SYN_RECEIVED],
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.FIN_WAIT_1],
  ]);
  table(S.SYN_SENT, RECEIVER, [
    [Seg.SYN_ACK, S.ESTABLISHED], // active open completes
    [Seg.SYN, S.SYN_RECEIVED], // simultaneous open
    [Seg.ACK, S.SYN_SENT],
  ]);
});

describe('SYN_RECEIVED', () => {
  table(S.SYN_RECEIVED, SENDER, [
    [Seg.SYN_ACK, S.SYN_RECEIVED], // retransmitted SYN+ACK
    [Seg.FIN, S.FIN_WAIT_1],
    [Seg.ACK, S.ESTABLISHED],
  ]);
  table(S.SYN_RECEIVED, RECEIVER, [
    [Seg.ACK, S.ESTABLISHED],
    [Seg.SYN_ACK, S.ESTABLISHED], // simultaneous open completes
    [Seg.FIN, S.CLOSE_WAIT],
    [Seg.SYN, S.SYN_RECEIVED],
  ]);
});

describe('ESTABLISHED', () => {
  table(S.ESTABLISHED, SENDER, [
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.FIN_WAIT_1],
    [Seg.SYN_ACK, S.ESTABLISHED],
  ]);
  table(S.ESTABLISHED, RECEIVER, [
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.CLOSE_WAIT],
    [Seg.SYN, S.ESTABLISHED],
  ]);
});

describe('FIN_WAIT_1', () => {
  table(S.FIN_WAIT_1, RECEIVER, [
    [Seg.ACK_OF_FIN, S.FIN_WAIT_2],
    [Seg.FIN, S.CLOSING], // simultaneous close
    [Seg.FIN_ACK_OF_FIN, S.TIME_WAIT],
    [Seg.ACK, S.FIN_WAIT_1], // data still flowing the other way
  ]);
  table(S.FIN_WAIT_1, SENDER, [
    [Seg.FIN, S.FIN_WAIT_1], // retransmitted FIN
    [Seg.ACK, S.FIN_WAIT_1],
  ]);
});

describe('FIN_WAIT_2', () => {
  table(S.FIN_WAIT_2, RECEIVER, [
    [Seg.FIN, S.TIME_WAIT],
    [Seg.FIN_ACK_OF_FIN, S.TIME_WAIT],
    [Seg.ACK_OF_FIN, S.FIN_WAIT_2],
    [Seg.ACK, S.FIN_WAIT_2],
  ]);
  table(S.FIN_WAIT_2, SENDER, [[Seg.ACK, S.FIN_WAIT_2]]);
});

describe('CLOSE_WAIT', () => {
  table(S.CLOSE_WAIT, SENDER, [
    [Seg.FIN, S.CLOSING], // its FIN crossed the peer's: simultaneous close
    [Seg.FIN_ACK_OF_FIN, S.LAST_ACK],
    [Seg.ACK_OF_FIN, S.CLOSE_WAIT],
  ]);
  table(S.CLOSE_WAIT, RECEIVER, [
    [Seg.FIN, S.CLOSE_WAIT], // retransmitted FIN
    [Seg.ACK, S.CLOSE_WAIT],
  ]);
});

describe('CLOSING', () => {
  table(S.CLOSING, RECEIVER, [
    [Seg.ACK_OF_FIN, S.TIME_WAIT],
    [Seg.FIN_ACK_OF_FIN, S.TIME_WAIT],
    [Seg.ACK, S.CLOSING],
  ]);
  table(S.CLOSING, SENDER, [[Seg.ACK_OF_FIN, S.CLOSING]]);
});

describe('LAST_ACK', () => {
  table(S.LAST_ACK, RECEIVER, [
    [Seg.ACK_OF_FIN, S.CLOSED],
    [Seg.FIN_ACK_OF_FIN, S.CLOSED],
    [Seg.ACK, S.LAST_ACK],
  ]);
  table(S.LAST_ACK, SENDER, [[Seg.FIN_ACK_OF_FIN, S.LAST_ACK]]);
});

describe('TIME_WAIT', () => {
  table(S.TIME_WAIT, SENDER, [[Seg.ACK_OF_FIN, S.TIME_WAIT]]);
  table(S.TIME_WAIT, RECEIVER, [
    [Seg.FIN_ACK_OF_FIN, S.TIME_WAIT],
    [Seg.ACK, S.TIME_WAIT],
  ]);
});

describe('RST in every state', () => {
  it.each(ALL_STATES.map((s) => [TCP_STATE_NAME[s], s] as const))('%s -> CLOSED for sender and receiver', (_n, s) => {
    expect(step(s, Seg.RST, SENDER)).toBe(S.CLOSED);
    expect(step(s, Seg.RST, RECEIVER)).toBe(S.CLOSED);
    expect(stepInferred(s, Seg.RST, RECEIVER)).toBe(false);
  });
});

describe('midstream pickup', () => {
  it.each([
    [Seg.ACK, S.ESTABLISHED],
    [Seg.FIN, S.ESTABLISHED],
    [Seg.ACK_OF_FIN, S.ESTABLISHED],
    [Seg.SYN, S.CLOSED],
    [Seg.SYN_ACK, S.CLOSED],
    [Seg.RST, S.CLOSED],
  ])('first segment %s starts both ends in %s', (g, st) => expect(pickupState(g)).toBe(st));
  it('a FIN seen after pickup proceeds normally', () => {
    const a = step(pickupState(Seg.FIN), Seg.FIN, SENDER);
    const b = step(pickupState(Seg.FIN), Seg.FIN, RECEIVER);
    expect([TCP_STATE_NAME[a], TCP_STATE_NAME[b]]).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
  });
});

describe('the rule table', () => {
  it('has no duplicate (state, seg, role) rows', () => {
    const keys = TRANSITION_RULES.map(([s, g, r]) => `${s}/${g}/${r}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
  it('agrees with step() row by row', () => {
    for (const [s, g, r, n] of TRANSITION_RULES) expect(step(s, g, r)).toBe(n);
  });
});

describe('whole exchanges, both ends per segment', () => {
  function walk(segs: [SegClass, 'a' | 'b'][]): string[] {
    let a: TcpState = S.CLOSED;
    let b: TcpState = S.CLOSED;
    const out: string[] = [];
    for (const [g, from] of segs) {
      if (from === 'a') {
        a = step(a, g, SENDER);
        b = step(b, g, RECEIVER);
      } else {
        b = step(b, g, SENDER);
        a = step(a, g, RECEIVER);
      }
      out.push(`${TCP_STATE_NAME[a]}/${TCP_STATE_NAME[b]}`);
    }
    return out;
  }
  it('active open, data, active close by a', () =>
    expect(
      walk([
        [Seg.SYN, 'a'],
        [Seg.SYN_ACK, 'b'],
        [Seg.ACK, 'a'],
        [Seg.FIN, 'a'],
        [Seg.ACK_OF_FIN, 'b'],
        [Seg.FIN_ACK_OF_FIN, 'b'], // having acknowledged a's FIN, b's own FIN acknowledges it too
        [Seg.ACK_OF_FIN, 'a'],
      ]),
    ).toEqual([
      'SYN_SENT/LISTEN',
      'ESTABLISHED/SYN_RECEIVED',
      'ESTABLISHED/ESTABLISHED',
      'FIN_WAIT_1/CLOSE_WAIT',
      'FIN_WAIT_2/CLOSE_WAIT',
      'TIME_WAIT/LAST_ACK',
      'TIME_WAIT/CLOSED',
    ]));
  it('simultaneous open and simultaneous close', () =>
    expect(
      walk([
        [Seg.SYN, 'a'],
        [Seg.SYN, 'b'],
        [Seg.SYN_ACK, 'b'],
        [Seg.SYN_ACK, 'a'],
        [Seg.FIN, 'a'],
        [Seg.FIN, 'b'],
        [Seg.ACK_OF_FIN, 'a'],
        [Seg.ACK_OF_FIN, 'b'],
      ]),
    ).toEqual([
      'SYN_SENT/LISTEN',
      'SYN_RECEIVED/SYN_SENT',
      'ESTABLISHED/SYN_RECEIVED',
      'ESTABLISHED/ESTABLISHED',
      'FIN_WAIT_1/CLOSE_WAIT',
      'CLOSING/CLOSING', // b's FIN does not acknowledge a's: both FINs were in flight (RFC 9293 Figure 13)
      'CLOSING/TIME_WAIT',
      'TIME_WAIT/TIME_WAIT',
    ]));
  it('FIN+ACK of our FIN goes straight to TIME_WAIT', () =>
    expect(
      walk([
        [Seg.SYN, 'a'],
        [Seg.SYN_ACK, 'b'],
        [Seg.ACK, 'a'],
        [Seg.FIN, 'a'],
        [Seg.FIN_ACK_OF_FIN, 'b'],
        [Seg.ACK_OF_FIN, 'a'],
      ]).slice(4),
    ).toEqual(['TIME_WAIT/LAST_ACK', 'TIME_WAIT/CLOSED']));
});
