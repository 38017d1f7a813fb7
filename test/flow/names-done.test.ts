/**
 * The demultiplexer stops handing a direction's payload to the flow's names once inspectFlow says the names are done
 * with it (Flow.oNamesDone / rNamesDone), and not before: a direction past its first packets may still have to be
 * looked at when the other side later confirms a protocol that can switch to TLS (STARTTLS), and the records are
 * those of names that saw every packet they asked for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/decode/packet.js';
import { Demux } from '../../src/flow/demux.js';
import type { Flow } from '../../src/flow/flow.js';
import { flowRecord } from '../../src/flow/snapshot.js';
import { configureNames } from '../../src/inspect/names.js';
import { cat, hex } from '../helpers/decode-frames.js';
import { tcpPacket } from '../helpers/packets.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A TLS ClientHello naming `name` (SNI only). */
function clientHello(name: string): Uint8Array {
  const n = ascii(name);
  const ext = cat(hex('0000'), Uint8Array.of(0, n.length + 5, 0, n.length + 3, 0, 0, n.length), n);
  const body = cat(hex('0303'), new Uint8Array(32), hex('00 0002 1301 01 00'), Uint8Array.of(0, ext.length), ext);
  return cat(hex('16 0301'), Uint8Array.of(0, body.length + 4, 1, 0, 0, body.length), body);
}

const CLIENT = 0x0a000001, SERVER = 0x0a000002, CPORT = 40000;

/** Runs a TCP connection to `port` (handshake, then `msgs` as [fromClient, payload]) through a Demux with names. */
function connection(port: number, msgs: [boolean, Uint8Array][]): { flow: Flow; handed: boolean[] } {
  let ended: Flow | null = null;
  const demux = new Demux({}, (f) => (ended = f), { inspectPayload: true });
  const seq = [1000, 5000];
  let t = 1;
  const send = (fromClient: boolean, flags: number, payload: Uint8Array): Flow | null => {
    const i = fromClient ? 0 : 1;
    const p = fromClient
      ? tcpPacket(CLIENT, CPORT, SERVER, port, flags, seq[0]!, seq[1]!)
      : tcpPacket(SERVER, port, CLIENT, CPORT, flags, seq[1]!, seq[0]!);
    p.bytes = payload;
    p.payload = 0;
    p.payloadCaptured = payload.length;
    p.payloadLen = payload.length;
    p.ipBytes = 40 + payload.length;
    seq[i]! += payload.length + (flags & TcpFlag.SYN ? 1 : 0);
    demux.packet(p, t++, 54 + payload.length);
    return demux.table.flows()[0] ?? null;
  };
  const none = new Uint8Array(0);
  send(true, TcpFlag.SYN, none);
  send(false, TcpFlag.SYN | TcpFlag.ACK, none);
  const flow = send(true, TcpFlag.ACK, none)!;
  // Whether each message's direction was still handed to the names after it.
  const handed: boolean[] = [];
  for (const [fromClient, b] of msgs) {
    send(fromClient, TcpFlag.ACK | TcpFlag.PSH, b);
    handed.push((fromClient ? flow.oNamesDone : flow.rNamesDone) === 0);
  }
  demux.flush();
  expect(ended).toBe(flow);
  return { flow, handed };
}

describe('names done with a direction', () => {
  afterEach(() => configureNames());

  it('an IRC client that talks before the server keeps being looked at: its STARTTLS ClientHello names the server', () => {
    const talk: [boolean, Uint8Array][] = [[true, ascii('NICK alice\r\nUSER alice 0 * :Alice\r\n')]];
    // Six more client lines before the server's first: past the six payload packets looked at by default.
    for (let i = 0; i < 6; i++) talk.push([true, ascii(`PING :${i}\r\n`)]);
    talk.push([false, ascii(':irc.example NOTICE * :*** Looking up your hostname\r\n')]);
    talk.push([true, ascii('STARTTLS\r\n')], [false, ascii(':irc.example 670 alice :STARTTLS successful\r\n')]);
    talk.push([true, clientHello('irc.example')]);
    const { flow, handed } = connection(6697, talk);
    const r = flowRecord(flow, flow.endReason);
    expect([r.names?.service, r.names?.serverName]).toEqual(['irc,ssl', 'irc.example']);
    // The client's direction was not given up while the server had not spoken.
    expect(handed.slice(0, 7)).toEqual([true, true, true, true, true, true, true]);
  });

  it('a TLS connection is looked at no further once both hellos are seen: later packets skip the names', () => {
    const msgs: [boolean, Uint8Array][] = [[true, clientHello('tls.example')], [false, hex('16 0303 0004 02 000000')]];
    for (let i = 0; i < 12; i++) msgs.push([i % 2 === 0, hex('17 0303 0004 00000000')]);
    const { flow, handed } = connection(443, msgs);
    const r = flowRecord(flow, flow.endReason);
    expect([r.names?.service, r.names?.serverName]).toEqual(['ssl', 'tls.example']);
    // Both directions were given up before the end (at the default six payload packets at the latest).
    expect(handed.slice(-2)).toEqual([false, false]);
    expect([flow.oNamesDone, flow.rNamesDone]).toEqual([1, 1]);
  });
});
