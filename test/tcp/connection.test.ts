import { describe, expect, it } from 'vitest';
import { TcpConnection, TcpEvent } from '../../src/tcp/connection.js';
import { ZeekState } from '../../src/tcp/conn-state.js';
import { C_ISN, handshake, run, S_ISN, seg } from './helpers.js';
import type { Step } from './helpers.js';

const c1 = C_ISN + 1;
const s1 = S_ISN + 1;

/** Handshake, 100 bytes each way, FIN from the client, FIN from the server, last ACK. */
function fullConnection(): Step[] {
  return [
    ...handshake(),
    ['o', seg('PA', c1, s1, 100)],
    ['r', seg('A', s1, c1 + 100)],
    ['r', seg('PA', s1, c1 + 100, 200)],
    ['o', seg('A', c1 + 100, s1 + 200)],
    ['o', seg('FA', c1 + 100, s1 + 200)],
    ['r', seg('FA', s1 + 200, c1 + 101)],
    ['o', seg('A', c1 + 101, s1 + 201)],
  ];
}

describe('three-way handshake, data, FIN/FIN', () => {
  const { conn, events } = run(fullConnection());
  it('is SF with history ShADadFf', () => {
    expect(conn.connState()).toBe('SF');
    expect(conn.history()).toBe('ShADadFf');
  });
  it('counts sequence-space bytes without SYN and FIN', () => {
    expect(conn.orig.seqBytes).toBe(100);
    expect(conn.resp.seqBytes).toBe(200);
    expect(conn.missedBytes).toBe(0);
  });
  it('ends in TIME_WAIT (active closer) and CLOSED (passive closer), none inferred after the open', () => {
    expect(conn.stateNames()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(conn.orig.stateInferred).toBe(false);
    expect(conn.resp.stateInferred).toBe(false);
  });
  it('records each end’s transitions with their times', () => {
    expect(conn.orig.transitions()).toEqual([
      { tsSec: 1000, state: 'SYN_SENT' },
      { tsSec: 1000.01, state: 'ESTABLISHED' },
      { tsSec: 1000.07, state: 'FIN_WAIT_1' },
      { tsSec: 1000.08, state: 'TIME_WAIT' },
    ]);
    expect(conn.resp.transitions().map((t) => t.state)).toEqual([
      'LISTEN',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'LAST_ACK',
      'CLOSED',
    ]);
  });
  it('reports CLOSED once, when the second FIN arrives', () => {
    expect(events.map((e) => e & TcpEvent.CLOSED)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, TcpEvent.CLOSED, 0]);
    expect(events[0]! & TcpEvent.ATTEMPT).toBe(TcpEvent.ATTEMPT);
    expect(events[7]! & TcpEvent.HALF_CLOSED).toBe(TcpEvent.HALF_CLOSED);
  });
  it('does not extend activity with the ACK after both FINs', () => {
    expect(conn.lastActivitySec()).toBeCloseTo(1000.08, 9);
  });
  it('measures the ACK half of the handshake again at the next ACK when capture time stepped back', () => {
    const [syn, synAck, ack] = handshake();
    const back = run([
      [syn![0], syn![1], 1000],
      [synAck![0], synAck![1], 1000.1],
      [ack![0], ack![1], 1000.05], // before the SYN+ACK: a negative RTT is not a measurement
      ['o', seg('PA', C_ISN + 1, S_ISN + 1, 10), 1000.3],
      ['o', seg('PA', C_ISN + 11, S_ISN + 1, 10), 1000.5],
    ]).conn;
    expect(back.rttSynSec).toBeCloseTo(0.1, 9);
    expect(back.rttAckSec).toBeCloseTo(0.2, 9); // the next ACK's, and only that one's
  });
  it('measures handshake RTTs and keeps SYN options', () => {
    expect(conn.rttSynSec).toBeCloseTo(0.01, 9);
    expect(conn.rttAckSec).toBeCloseTo(0.01, 9);
    expect(conn.orig.options()).toEqual({ mss: 1460, wscale: 7, sackPermitted: true, timestamps: true });
    expect(conn.resp.options()).toEqual({ mss: 1400, wscale: 8, sackPermitted: true, timestamps: true });
  });
  it('has Zeek endpoint states CLOSED/CLOSED', () => {
    expect([conn.orig.zeekStateName, conn.resp.zeekStateName]).toEqual(['CLOSED', 'CLOSED']);
  });
  it('flags no retransmissions or duplicate ACKs', () => {
    for (const e of [conn.orig, conn.resp]) {
      expect([e.retransmissions, e.outOfOrder, e.dupAcks, e.zeroWindows, e.keepAlives]).toEqual([0, 0, 0, 0, 0]);
    }
  });
});

describe('refused connection: SYN, RST+ACK', () => {
  const { conn, events } = run([
    ['o', seg('S', C_ISN)],
    ['r', seg('RA', 0, c1)],
  ]);
  it('is REJ with history Sr', () => {
    expect(conn.connState()).toBe('REJ');
    expect(conn.history()).toBe('Sr');
  });
  it('closes both sockets; the listener was only implied', () => {
    expect(conn.stateNames()).toEqual(['CLOSED', 'CLOSED']);
    expect(conn.resp.transitions().map((t) => t.state)).toEqual(['LISTEN', 'CLOSED']);
    expect(events[1]! & TcpEvent.CLOSED).toBe(TcpEvent.CLOSED);
    expect(conn.orig.seqBytes).toBe(0);
  });
});

describe('SYN only', () => {
  const { conn } = run([
    ['o', seg('S', C_ISN)],
    ['o', seg('S', C_ISN), 1001], // retransmitted SYN, same ISN: one S
  ]);
  it('is S0 with a single S', () => {
    expect(conn.connState()).toBe('S0');
    expect(conn.history()).toBe('S');
    expect(conn.attemptPending()).toBe(true);
  });
  it('leaves the client in SYN_SENT and the server in an inferred LISTEN', () => {
    expect(conn.stateNames()).toEqual(['SYN_SENT', 'LISTEN']);
    expect(conn.resp.stateInferred).toBe(true);
  });
  it('counts the repeated SYN as a retransmission (Wireshark)', () => expect(conn.orig.retransmissions).toBe(1));
  it('treats a SYN with the same ISN as the same connection, a new ISN as reuse', () => {
    expect(conn.isReuse(seg('S', C_ISN), true)).toBe(false);
    expect(conn.isReuse(seg('S', C_ISN + 99999), true)).toBe(true);
  });
});

describe('midstream pickup', () => {
  it('data both ways with no handshake is OTH, both ends ESTABLISHED (inferred)', () => {
    const { conn } = run([
      ['o', seg('PA', 7000, 9000, 50)],
      ['r', seg('PA', 9000, 7050, 20)],
    ]);
    expect(conn.connState()).toBe('OTH');
    expect(conn.history()).toBe('Dd');
    expect(conn.stateNames()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect([conn.orig.stateInferred, conn.resp.stateInferred]).toEqual([true, true]);
    expect([conn.orig.zeekStateName, conn.resp.zeekStateName]).toEqual(['PARTIAL', 'PARTIAL']);
  });
  it('closed by both sides it is SF, and the FIN proceeds normally', () => {
    const { conn } = run([
      ['o', seg('PA', 7000, 9000, 50)],
      ['r', seg('A', 9000, 7050)],
      ['o', seg('FA', 7050, 9000)],
      ['r', seg('FA', 9000, 7051)],
      ['o', seg('A', 7051, 9001)],
    ]);
    expect(conn.connState()).toBe('SF');
    // The last ACK is the originator's first pure ACK: Zeek adds A (ssh-basic has such an SF DaFfA line).
    expect(conn.history()).toBe('DaFfA');
    expect(conn.stateNames()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(conn.orig.stateInferred).toBe(false);
    expect(conn.orig.transitions()[0]).toEqual({ tsSec: 1000, state: 'ESTABLISHED' });
    expect(conn.orig.seqBytes).toBe(50);
  });
});

describe('simultaneous open and simultaneous close', () => {
  const { conn } = run([
    ['o', seg('S', C_ISN)],
    ['r', seg('S', S_ISN)],
    ['r', seg('SA', S_ISN, c1)],
    ['o', seg('SA', C_ISN, s1)],
    ['o', seg('FA', c1, s1)],
    ['r', seg('FA', s1, c1)],
    ['o', seg('A', c1 + 1, s1 + 1)],
    ['r', seg('A', s1 + 1, c1 + 1)],
  ]);
  it('walks both ends through SYN_RECEIVED and CLOSING to TIME_WAIT', () => {
    expect(conn.orig.transitions().map((t) => t.state)).toEqual([
      'SYN_SENT',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'FIN_WAIT_1',
      'CLOSING',
      'TIME_WAIT',
    ]);
    expect(conn.resp.transitions().map((t) => t.state)).toEqual([
      'LISTEN',
      'SYN_SENT',
      'SYN_RECEIVED',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'CLOSING', // its FIN (ack c1) was sent before the originator's FIN arrived: both end in TIME_WAIT
      'TIME_WAIT',
    ]);
  });
  it('is SF for Zeek; the SYN+ACKs repeat their SYN’s sequence number, so no H/h', () => {
    expect(conn.connState()).toBe('SF');
    expect(conn.history()).toBe('SsFfAa');
  });
});

describe('RST by the originator after establishment', () => {
  const { conn, events } = run([
    ...handshake(),
    ['o', seg('PA', c1, s1, 10)],
    ['r', seg('PA', s1, c1 + 10, 10)],
    ['o', seg('RA', c1 + 10, s1 + 10)],
  ]);
  it('is RSTO', () => {
    expect(conn.connState()).toBe('RSTO');
    expect(conn.history()).toBe('ShADdR'); // the responder never sent a pure ACK: no a
    expect(conn.stateNames()).toEqual(['CLOSED', 'CLOSED']);
    expect(conn.closeComplete).toBe(true);
    expect(events[5]).toBe(TcpEvent.CLOSED | TcpEvent.RESET);
  });
});

describe('half-open: SYN then FIN, no answer', () => {
  const { conn } = run([
    ['o', seg('S', C_ISN)],
    ['o', seg('A', c1, s1)],
    ['o', seg('PA', c1, s1, 30)],
    ['o', seg('FA', c1 + 30, s1)],
  ]);
  it('is SH with history SADF (ssh-half-duplex-client)', () => {
    expect(conn.connState()).toBe('SH');
    expect(conn.history()).toBe('SADF');
  });
  it('infers the unseen SYN+ACK for both netstat ends', () => {
    expect(conn.stateNames()).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
    expect(conn.orig.transitions().map((t) => t.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1']);
  });
});

describe('handshake reorder: SYN+ACK captured before the SYN (zeek tcp-handshake-reorder)', () => {
  const { conn, events } = run([
    ['o', seg('SA', S_ISN, c1)], // the server's SYN+ACK arrives first: the server is taken as originator
    ['r', seg('S', C_ISN)], // the client's SYN: roles flip
    ['r', seg('A', c1, s1)],
    ['r', seg('PA', c1, s1, 20)],
    ['o', seg('A', s1, c1 + 20)],
    ['o', seg('PA', s1, c1 + 20, 40)],
    ['r', seg('FA', c1 + 20, s1 + 40)],
    ['o', seg('FA', s1 + 40, c1 + 21)],
    ['r', seg('A', c1 + 21, s1 + 41)],
  ]);
  it('reports FLIP on the SYN and writes Hs^ADadFf', () => {
    expect(events[1]! & TcpEvent.FLIP).toBe(TcpEvent.FLIP);
    expect(events.filter((e) => e & TcpEvent.FLIP)).toHaveLength(1);
    expect(conn.history()).toBe('Hs^ADadFf');
    expect(conn.connState()).toBe('SF');
  });
  it('makes the client the originator', () => {
    expect(conn.orig.seqBytes).toBe(20);
    expect(conn.resp.seqBytes).toBe(40);
    expect(conn.orig.options()).not.toBeNull();
  });
  it('does not call the SYN a reuse', () => {
    const c = new TcpConnection();
    c.update(seg('SA', S_ISN, c1), true, 1);
    expect(c.isReuse(seg('S', C_ISN), false)).toBe(false);
  });
});

describe('initial flip by likely server port (Zeek WantConnection)', () => {
  const likely = (p: number) => p === 80 || p === 443 || p === 22;
  it.each([
    [0x12, 80, 51000, true], // SYN+ACK from a server port
    [0x10, 80, 51000, true], // midstream ACK from a server port
    [0x02, 80, 51000, false], // a bare SYN never flips
    [0x10, 51000, 80, false], // source is not a server port
    [0x10, 22, 80, true], // both likely: flip when not SYN+ACK and src < dst
    [0x10, 80, 22, false],
    [0x12, 22, 80, false], // both likely and a SYN+ACK: no flip (stealth scans)
  ])('flags 0x%s %d -> %d flips: %s', (f, sp, dp, want) =>
    expect(TcpConnection.initialFlip({ tcpFlags: f, srcPort: sp, dstPort: dp }, likely)).toBe(want),
  );
  it('flip() before the first packet starts the history with ^', () => {
    const c = new TcpConnection();
    c.flip();
    c.update(seg('SA', S_ISN, c1), false, 1);
    expect(c.history()).toBe('^h');
    expect(c.connState()).toBe('OTH');
  });
});

describe('retransmitted payload', () => {
  const { conn } = run([
    ...handshake(),
    ['o', seg('PA', c1, s1, 100), 1000.1],
    ['o', seg('PA', c1, s1, 100), 1000.5], // RTO retransmission
    ['r', seg('A', s1, c1 + 100), 1000.6],
  ]);
  it('adds T once and counts bytes once', () => {
    expect(conn.history()).toBe('ShADTa');
    expect(conn.orig.seqBytes).toBe(100);
  });
  it('is a Wireshark retransmission', () => expect(conn.orig.retransmissions).toBe(1));
});

describe('duplicate packets ten times (zeek tcp-ssh-dups)', () => {
  const steps: Step[] = [...handshake()];
  let seq = c1;
  for (let i = 0; i < 10; i++) {
    steps.push(['o', seg('PA', seq, s1, 10)], ['o', seg('PA', seq, s1, 10)]);
    seq += 10;
  }
  const { conn } = run(steps);
  it('writes TT: the 1st and the 10th retransmission', () => {
    expect(conn.history()).toBe('ShADTT');
  });
});

describe('zero window', () => {
  const { conn } = run([
    ...handshake(),
    ['o', seg('PA', c1, s1, 1000)],
    ['r', seg('A', s1, c1 + 1000, 0, { window: 0 })],
    ['r', seg('A', s1, c1 + 1000, 0, { window: 0 })],
    ['r', seg('A', s1, c1 + 1000, 0, { window: 8192 })],
  ]);
  it('adds w for the responder', () => expect(conn.history()).toBe('ShADaw'));
  it('counts Wireshark zero windows', () => expect(conn.resp.zeroWindows).toBe(2));
});

describe('content gap: data acknowledged but never captured', () => {
  const { conn } = run([
    ...handshake(),
    ['o', seg('PA', c1, s1, 100)],
    // bytes 101..600 missing from the capture
    ['o', seg('PA', c1 + 600, s1, 100)],
    ['r', seg('A', s1, c1 + 700)],
    ['o', seg('FA', c1 + 700, s1)],
    ['r', seg('FA', s1, c1 + 701)],
  ]);
  it('reports missed_bytes 500 and a G when the ACK passes the hole', () => {
    expect(conn.missedBytes).toBe(500);
    expect(conn.history()).toBe('ShADaGFf');
    expect(conn.orig.seqBytes).toBe(700);
    expect(conn.orig.lostSegments).toBe(1);
  });
});

describe('duplicate ACKs and fast retransmission (Wireshark)', () => {
  const { conn } = run([
    ...handshake(),
    ['o', seg('PA', c1, s1, 100), 1000.1],
    ['o', seg('PA', c1 + 100, s1, 100), 1000.101], // lost in the network
    ['o', seg('PA', c1 + 200, s1, 100), 1000.102],
    ['r', seg('A', s1, c1 + 100), 1000.2],
    ['r', seg('A', s1, c1 + 100), 1000.201],
    ['r', seg('A', s1, c1 + 100), 1000.202],
    ['o', seg('PA', c1 + 100, s1, 100), 1000.205],
  ]);
  it('counts two duplicate ACKs and one fast retransmission', () => {
    expect(conn.resp.dupAcks).toBe(2);
    expect(conn.orig.fastRetransmissions).toBe(1);
    expect(conn.orig.retransmissions).toBe(1);
  });
});

describe('keep-alive', () => {
  const { conn } = run([
    ...handshake(),
    ['o', seg('A', c1 - 1, s1, 0), 1060],
    ['r', seg('A', s1, c1), 1060.01],
  ]);
  it('counts a zero-length segment one byte before the next sequence number', () => {
    expect(conn.orig.keepAlives).toBe(1);
    expect(conn.orig.retransmissions).toBe(0);
  });
});

describe('sequence wraparound near 2^32', () => {
  const isn = 0xffffff00; // 256 bytes before the wrap
  const { conn } = run([
    ['o', seg('S', isn)],
    ['r', seg('SA', S_ISN, isn + 1)],
    ['o', seg('A', isn + 1, s1)],
    ['o', seg('PA', isn + 1, s1, 1000)], // crosses 2^32
    ['r', seg('A', s1, isn + 1001)],
    ['o', seg('PA', isn + 1001, s1, 1000)],
    ['r', seg('A', s1, isn + 2001)],
    ['o', seg('FA', isn + 2001, s1)],
    ['r', seg('FA', s1, isn + 2002)],
    ['o', seg('A', isn + 2002, s1 + 1)],
  ]);
  it('counts 2000 payload bytes across the wrap', () => {
    expect(conn.orig.seqBytes).toBe(2000);
    expect(conn.orig.seqWraps).toBe(1);
  });
  it('still sees the FIN acknowledged and closes normally', () => {
    expect(conn.connState()).toBe('SF');
    expect(conn.stateNames()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(conn.orig.retransmissions).toBe(0);
  });
});

describe('reuse', () => {
  it('a new SYN after a FIN is a reuse even with the same ISN', () => {
    const { conn } = run(fullConnection());
    expect(conn.isReuse(seg('S', C_ISN), true)).toBe(true);
    expect(conn.isReuse(seg('A', C_ISN), true)).toBe(false);
  });
  it('reset() makes a tracker as good as new', () => {
    const { conn } = run(fullConnection());
    // Every field as a new tracker has it (the pool of recycled flows depends on it). Left out: the two ends' fixed
    // pairing and tags, and buffers kept for reuse whose contents the counts beside them make unused.
    const KEEP = new Set(['orig', 'resp', 'peer', 'tag', 'blocks', 'histMore', 'transitionLog', 'synEnd', 'synAckEnd']);
    const own = (x: object) => Object.fromEntries(Object.entries(x).filter(([k]) => !KEEP.has(k)));
    const state = (c: TcpConnection) => ({ c: own(c), orig: own(c.orig), resp: own(c.resp), syn: [c['synEnd' as keyof TcpConnection], c['synAckEnd' as keyof TcpConnection]] });
    expect(state(conn)).not.toEqual(state(new TcpConnection()));
    conn.reset();
    expect(state(conn)).toEqual(state(new TcpConnection()));
    expect([conn.orig.transitions(), conn.resp.transitions()]).toEqual([[], []]);
    const again = run(fullConnection(), conn);
    expect(again.conn.history()).toBe('ShADadFf');
    expect(again.conn.orig.seqBytes).toBe(100);
    expect(again.conn.orig.transitions()).toHaveLength(4);
  });
});

describe('checksum errors', () => {
  it('record C once, then logarithmically', () => {
    const c = new TcpConnection();
    for (let i = 0; i < 10; i++) c.checksumError(true);
    c.checksumError(false);
    expect(c.history()).toBe('CCc');
  });
});

describe('Zeek endpoint states', () => {
  it('RST-only flow: orig RESET, resp INACTIVE, OTH R (llc-fddi-rst-repeats)', () => {
    const { conn } = run([['o', seg('R', 12345)]]);
    expect([conn.orig.zeekState, conn.resp.zeekState]).toEqual([ZeekState.RESET, ZeekState.INACTIVE]);
    expect(conn.history()).toBe('R');
    expect(conn.connState()).toBe('OTH');
    expect(conn.orig.seqBytes).toBe(0);
  });
  it('SYN then RST from the originator is RSTOS0', () => {
    const { conn } = run([
      ['o', seg('S', C_ISN)],
      ['o', seg('R', c1)],
    ]);
    expect(conn.connState()).toBe('RSTOS0');
    expect(conn.history()).toBe('SR');
  });
});

describe('endSummary (what the flow records read)', () => {
  it('summarises one end as plain data', () => {
    const { conn } = run(fullConnection());
    const o = conn.endSummary(true);
    expect(o.seqBytes).toBe(100);
    expect(o.state).toBe('TIME_WAIT');
    expect(o.zeekState).toBe('CLOSED');
    expect(o.transitions.map((t) => t.state)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT']);
    expect(o.options).toEqual({ mss: 1460, wscale: 7, sackPermitted: true, timestamps: true });
    expect(conn.endSummary(false).state).toBe('CLOSED');
  });
  it('falls back to the caller’s time before any packet', () => {
    expect(new TcpConnection().lastActivitySec(42)).toBe(42);
  });
});

describe('SYN+ACK first, then ACK/data: flipped on the ACK (Zeek PR #2191, zeek tcp-ctu-64702-888)', () => {
  // 185.33.86.224:888 -> 192.168.1.108:64702 SYN+ACK twice, then the client's ACK, data and FINs (the corpus trace).
  const { conn, events } = run([
    ['o', seg('SA', S_ISN, c1)],
    ['o', seg('SA', S_ISN, c1)],
    ['r', seg('A', c1, s1)], // the client's ACK: roles flip here
    ['r', seg('A', c1, s1)],
    ['o', seg('FA', s1 + 13, c1)],
    ['o', seg('FA', s1 + 13, c1)],
    ['o', seg('PA', s1, c1, 13)],
    ['o', seg('PA', s1, c1, 13)],
    ['r', seg('A', c1, s1 + 14)],
    ['r', seg('FA', c1, s1 + 14)],
    ['r', seg('FA', c1, s1 + 14)],
    ['o', seg('R', s1 + 14, 0, 0, { window: 0 })],
    ['o', seg('R', s1 + 14, 0, 0, { window: 0 })],
  ]);
  it('rewrites H as ^h and continues with the client as originator', () => {
    expect(conn.history()).toBe('^hAfdtFr');
    expect(events[2]! & TcpEvent.FLIP).toBe(TcpEvent.FLIP);
    expect(events.filter((e) => e & TcpEvent.FLIP)).toHaveLength(1);
  });
  it('keeps the netstat view: the server answered a SYN we never saw', () => {
    expect(conn.resp.transitions()[0]).toEqual({ tsSec: 1000, state: 'SYN_RECEIVED' });
    expect(conn.orig.transitions()[0]).toEqual({ tsSec: 1000, state: 'ESTABLISHED' });
  });
});

describe('attempt timer (Zeek tcp_attempt_delay)', () => {
  it('expires 5 s after an unanswered SYN, not while answered', () => {
    const { conn } = run([
      ['o', seg('S', C_ISN), 100],
      ['o', seg('A', c1, s1), 101],
    ]);
    expect(conn.attemptExpired(104.9)).toBe(false);
    expect(conn.attemptExpired(105)).toBe(true);
    const answered = run([...handshake()]).conn;
    expect(answered.attemptExpired(2000)).toBe(false);
  });
});

describe('keep-alive ACK (zeek modbus-and-non-modbus-p502, port 58380)', () => {
  it('answers to keep-alives are not duplicate ACKs', () => {
    const steps: Step[] = [...handshake(), ['o', seg('PA', c1, s1, 138)], ['r', seg('A', s1, c1 + 138)]];
    for (let i = 0; i < 3; i++) {
      steps.push(['o', seg('A', c1 + 137, s1)], ['r', seg('A', s1, c1 + 138)]);
    }
    const { conn } = run(steps);
    expect(conn.orig.keepAlives).toBe(3);
    expect(conn.resp.dupAcks).toBe(0);
  });
});

describe('transition log capacity', () => {
  // Eight SYN / RST cycles on one connection: each moves the originator CLOSED -> SYN_SENT -> CLOSED and the
  // responder CLOSED -> LISTEN -> CLOSED, so each end has 16 transitions, more than the 12 kept per end.
  const steps: Step[] = [];
  for (let k = 0; k < 8; k++) {
    steps.push(['o', seg('S', C_ISN + k * 1000)], ['r', seg('RA', 0, C_ISN + k * 1000 + 1)]);
  }
  const { conn } = run(steps);
  it('keeps the first 11 transitions of each end and its newest last', () => {
    const o = conn.orig.transitions();
    expect(o).toHaveLength(12);
    expect(o.slice(0, 4).map((t) => t.state)).toEqual(['SYN_SENT', 'CLOSED', 'SYN_SENT', 'CLOSED']);
    expect(o[10]!.state).toBe('SYN_SENT');
    expect(o[11]!.state).toBe('CLOSED');
    expect(o[11]!.tsSec).toBeCloseTo(1000.15, 9); // the last step (index 15), not the 12th (index 11)
    const r = conn.resp.transitions();
    expect(r).toHaveLength(12);
    expect(r.slice(0, 2).map((t) => t.state)).toEqual(['LISTEN', 'CLOSED']);
    expect(r[11]!.tsSec).toBeCloseTo(1000.15, 9);
  });
});
