import { describe, expect, it } from 'vitest';
import { connState, udpConnState, ZeekState as Z, ZEEK_STATE_NAME } from '../../src/tcp/conn-state.js';

describe('ZeekState', () => {
  it.each(Object.keys(Z) as (keyof typeof Z)[])('ZEEK_STATE_NAME[%s] round-trips', (k) =>
    expect(ZEEK_STATE_NAME[Z[k]]).toBe(k),
  );
  it('numbers match TCP_Endpoint.h (the tcp-fin-retransmission baseline prints 5 CLOSED and 6 RESET)', () => {
    expect([Z.INACTIVE, Z.SYN_SENT, Z.SYN_ACK_SENT, Z.PARTIAL, Z.ESTABLISHED, Z.CLOSED, Z.RESET]).toEqual([
      0, 1, 2, 3, 4, 5, 6,
    ]);
  });
});

describe('conn_state (main.zeek)', () => {
  it.each([
    [Z.SYN_SENT, Z.INACTIVE, 'S', 'S0'],
    [Z.ESTABLISHED, Z.ESTABLISHED, 'ShADad', 'S1'],
    [Z.CLOSED, Z.CLOSED, 'ShADadFf', 'SF'],
    [Z.CLOSED, Z.CLOSED, '^hADdFaf', 'SF'], // tcp-missing-syn: midstream closed by both
    [Z.SYN_SENT, Z.RESET, 'Sr', 'REJ'],
    [Z.SYN_ACK_SENT, Z.RESET, 'Hr', 'REJ'],
    [Z.RESET, Z.RESET, 'Rr', 'REJ'], // both reset, no data
    [Z.CLOSED, Z.ESTABLISHED, 'ShADadF', 'S2'],
    [Z.ESTABLISHED, Z.CLOSED, 'ShADadf', 'S3'],
    [Z.RESET, Z.ESTABLISHED, 'ShADadR', 'RSTO'],
    [Z.ESTABLISHED, Z.RESET, 'ShADadr', 'RSTR'],
    [Z.CLOSED, Z.RESET, 'ShADadFr', 'RSTR'],
    [Z.RESET, Z.INACTIVE, 'SR', 'RSTOS0'],
    [Z.RESET, Z.INACTIVE, '^SR', 'RSTOS0'],
    [Z.RESET, Z.INACTIVE, 'SaFR', 'OTH'], // tcp-syn-then-stuff-then-rst: F after S breaks the RSTOS0 pattern
    [Z.RESET, Z.INACTIVE, 'R', 'OTH'], // tcp-single-rst
    [Z.INACTIVE, Z.RESET, '^r', 'RSTRH'],
    [Z.PARTIAL, Z.RESET, 'Dr', 'RSTRH'],
    [Z.CLOSED, Z.INACTIVE, 'SADF', 'SH'],
    [Z.INACTIVE, Z.CLOSED, '^fA', 'SHR'],
    [Z.PARTIAL, Z.PARTIAL, 'Dd', 'OTH'],
    [Z.INACTIVE, Z.ESTABLISHED, '^h', 'OTH'],
  ])('orig %s resp %s history %s -> %s', (o, r, h, want) => expect(connState(o, r, h)).toBe(want));
  it('both reset after data is RSTR, not REJ', () => expect(connState(Z.RESET, Z.RESET, 'ShADadRr', 10, 0)).toBe('RSTR'));
});

describe('UDP conn_state', () => {
  it.each([
    [true, true, 'SF'],
    [true, false, 'S0'],
    [false, true, 'SHR'],
    [false, false, 'OTH'],
  ])('orig sent %s resp sent %s -> %s', (o, r, want) => expect(udpConnState(o, r)).toBe(want));
});
