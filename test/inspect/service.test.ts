/**
 * Service confirmation (Zeek's conn.log `service`) from the first bytes of each direction, through FlowNames and
 * inspect() as the demultiplexer drives them: one hand-written exchange per protocol, the ambiguous halves that must
 * not count alone, port-only protocols off their port, and the bounded gathering of a ClientHello over segments.
 */
import { describe, expect, it } from 'vitest';
import { FlowNames, INSPECT_PACKETS, inspect } from '../../src/inspect/names.js';
import { SERVICE_NAMES } from '../../src/inspect/service.js';
import { cat, hex } from '../helpers/decode-frames.js';

const TCP = 6, UDP = 17;
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Feeds an exchange: [fromOrig, bytes] in order, on `proto` between client port 40000 and `port`. */
function exchange(proto: number, port: number, msgs: [boolean, Uint8Array][]): FlowNames {
  const n = new FlowNames();
  const seq = [1000, 5000];
  for (const [fromOrig, b] of msgs) {
    const i = fromOrig ? 0 : 1;
    inspect(n, b, 0, b.length, fromOrig, proto, fromOrig ? 40000 : port, fromOrig ? port : 40000, seq[i]!);
    seq[i]! += b.length;
  }
  return n;
}
const C = true, S = false;

describe('service from both directions, on any port (Zeek confirms the protocol, not the port)', () => {
  const cases: [string, number, number, [boolean, Uint8Array][]][] = [
    ['http', TCP, 6669, [[C, ascii('GET / HTTP/1.1\r\nHost: a.example\r\n\r\n')], [S, ascii('HTTP/1.1 200 OK\r\n\r\n')]]],
    ['ssh', TCP, 2222, [[S, ascii('SSH-2.0-OpenSSH_9.6\r\n')], [C, ascii('SSH-2.0-PuTTY_0.80\r\n')]]],
    ['smtp', TCP, 2525, [[S, ascii('220 mx.example ESMTP\r\n')], [C, ascii('EHLO client.example\r\n')]]],
    ['ftp', TCP, 2121, [[S, ascii('220 (vsFTPd 3.0.5)\r\n')], [C, ascii('USER anonymous\r\n')]]],
    ['pop3', TCP, 1110, [[S, ascii('+OK POP3 ready\r\n')], [C, ascii('CAPA\r\n')]]],
    ['imap', TCP, 1143, [[S, ascii('* OK [CAPABILITY IMAP4rev1] ready\r\n')], [C, ascii('a001 CAPABILITY\r\n')]]],
    ['irc', TCP, 6697, [[C, ascii('NICK alice\r\nUSER alice 0 * :Alice\r\n')], [S, ascii(':irc.example NOTICE * :*** Looking up your hostname\r\n')]]],
    ['socks', TCP, 1080, [[C, hex('05 01 00')], [S, hex('05 00')]]],
    ['socks', TCP, 1081, [[C, hex('04 01 0050 5db8d822 00')], [S, hex('00 5a 0000 00000000')]]],
    ['rdp', TCP, 3390, [
      [C, hex('0300 0013 0e e0 0000 0000 00 01 00 0800 03000000')], // TPKT, X.224 CR, RDP negotiation request
      [S, hex('0300 0013 0e d0 0000 1234 00 02 00 0800 01000000')], // X.224 CC, negotiation response
    ]],
    ['mysql', TCP, 3307, [[C, hex('00')], [S, cat(hex('4a0000 00 0a'), ascii('8.0.36\0'), hex('08000000'), ascii('abcdefgh'), hex('00 ffff ff 0200 ffdf 15 00000000000000000000'), ascii('ijklmnopqrst\0'), ascii('caching_sha2_password\0'))]]],
    ['postgresql', TCP, 5433, [[C, cat(hex('00000020 00030000'), ascii('user\0alice\0database\0db\0\0'))], [S, hex('00')]]],
    ['postgresql', TCP, 5434, [[C, hex('00000008 04d2162f')], [S, ascii('N')]]],
    ['redis', TCP, 6380, [[C, ascii('*1\r\n$4\r\nPING\r\n')], [S, ascii('+PONG\r\n')]]],
    ['ldap', TCP, 3890, [
      [C, hex('300c 020101 6007 020103 0400 8000')], // bindRequest v3, anonymous
      [S, hex('300c 020101 6107 0a0100 0400 0400')], // bindResponse success
    ]],
    ['krb', TCP, 8888, [[C, hex('00000014 6a12 3010 a103 020105 a203 02010a a404 3002 0000')], [S, hex('00')]]],
    ['smb', TCP, 4450, [[C, hex('000000 2f fe534d42 4000 0000 00000000 0000 0000 00000000 00000000 0000000000000000 00000000 00000000 0000000000000000')], [S, hex('00')]]],
    ['mqtt', TCP, 1884, [[C, hex('10 10 0004 4d515454 04 02 003c 0004 61626364')], [S, hex('20 02 00 00')]]],
    ['xmpp', TCP, 5223, [[C, ascii("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' version='1.0'>")], [S, ascii("<?xml version='1.0'?><stream:stream from='example.com'>")]]],
    ['modbus', TCP, 502, [[C, hex('0001 0000 0006 01 03 0000 000a')], [S, hex('0001 0000 0017 01 03 14 0000000000000000000000000000000000000000')]]],
    ['sip', UDP, 5070, [[C, ascii('OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n')]]],
    ['ntp', UDP, 123, [[C, cat(hex('23 00 06 20'), new Uint8Array(44))]]],
    ['dhcp', UDP, 67, [[C, cat(hex('01 01 06 00'), new Uint8Array(232), hex('63825363 350101 ff'))]]],
    ['dhcpv6', UDP, 547, [[C, hex('01 abcdef 0001000e 00010001 00000000 001122334455')]]],
    ['snmp', UDP, 161, [[C, hex('3018 020101 0406 7075626c6963 a00b 020101 020100 020100 3000')]]],
    ['syslog', UDP, 514, [[C, ascii('<34>Oct 11 22:14:15 host su: failed')]]],
    ['krb', UDP, 88, [[C, hex('6a12 3010 a103 020105 a203 02010a a404 3002 0000')]]],
    ['dns', UDP, 53, [[C, hex('abcd 0100 0001 0000 0000 0000 07 6578616d706c65 03 6f7267 00 0001 0001')]]],
  ];
  it.each(cases)('%s on %s/%s', (service, proto, port, msgs) => {
    expect(exchange(proto, port, msgs).service).toBe(service);
  });

  it('covers every service name of the issue', () => {
    const named = new Set(cases.map(([s]) => s));
    for (const s of SERVICE_NAMES.filter((s) => s !== 'ssl' && s !== 'quic')) expect(named.has(s), s).toBe(true);
  });

  it('half an exchange is no service where it would be ambiguous; port-only protocols need their port', () => {
    const none: [string, number, number, [boolean, Uint8Array][]][] = [
      ['a 220 greeting alone (SMTP or FTP?)', TCP, 25, [[S, ascii('220 mx.example ESMTP\r\n')]]],
      ['USER without a greeting (FTP, POP3 or IRC?)', TCP, 21, [[C, ascii('USER anonymous\r\n')]]],
      ['SOCKS 5 request answered by something else', TCP, 1080, [[C, hex('05 01 00')], [S, hex('00 ff 12')]]],
      ['NTP-shaped bytes off port 123', UDP, 9999, [[C, cat(hex('23 00 06 20'), new Uint8Array(44))]]],
      ['DNS-shaped bytes off the DNS ports', UDP, 9999, [[C, hex('abcd 0100 0001 0000 0000 0000 01 61 00 0001 0001')]]],
      ['syslog off port 514', UDP, 515, [[C, ascii('<34>Oct 11 22:14:15 host su: failed')]]],
      ['random bytes', TCP, 443, [[C, hex('8a71d2c0ffee0042')], [S, hex('00')]]],
      ['an SSH client banner that no server answers', TCP, 22, [[C, ascii('SSH-2.0-OpenSSH_9.6\r\n')]]],
    ];
    for (const [what, proto, port, msgs] of none) expect(exchange(proto, port, msgs).service, what).toBe('');
  });
});

describe('names and STARTTLS through inspect()', () => {
  const sni = (name: string): Uint8Array => {
    const n = ascii(name);
    const ext = cat(hex('0000'), Uint8Array.of(0, n.length + 5, 0, n.length + 3, 0, 0, n.length), n);
    const body = cat(hex('0303'), new Uint8Array(32), hex('00 0002 1301 01 00'), Uint8Array.of(0, ext.length), ext);
    return cat(hex('16 0301'), Uint8Array.of(0, body.length + 4, 1, 0, 0, body.length), body);
  };

  it('an HTTP connection picked up mid-stream keeps its names but is not http (Zeek\'s HTTP analyzer skips partial connections)', () => {
    const n = exchange(TCP, 80, [[C, ascii('GET / HTTP/1.1\r\nHost: mid.example\r\n\r\n')], [S, ascii('HTTP/1.1 200 OK\r\n\r\n')]]);
    expect(n.service).toBe('http');
    n.midstream = true;
    n.updateService();
    expect([n.service, n.httpHost]).toEqual(['', 'mid.example']);
  });

  it('a ClientHello split over three segments is gathered in order; a retransmission of a piece does not spoil it', () => {
    const hello = sni('split.example.net');
    const n = new FlowNames();
    inspect(n, hello, 0, 20, true, TCP, 40000, 443, 1000);
    expect(n.hello).not.toBeNull();
    inspect(n, hello, 0, 20, true, TCP, 40000, 443, 1000); // retransmission of the first piece: ignored
    inspect(n, hello, 20, 30, true, TCP, 40000, 443, 1020);
    inspect(n, hello, 50, hello.length - 50, true, TCP, 40000, 443, 1050);
    inspect(n, hex('15030300020228'), 0, 7, false, TCP, 443, 40000, 5000); // the server's alert
    expect([n.service, n.serverName, n.hello]).toEqual(['ssl', 'split.example.net', null]);
  });

  it('a gap in the segments gives the ClientHello up, without a name', () => {
    const hello = sni('gap.example.net');
    const n = new FlowNames();
    inspect(n, hello, 0, 20, true, TCP, 40000, 443, 1000);
    inspect(n, hello, 30, hello.length - 30, true, TCP, 40000, 443, 1030); // bytes 20-29 never came
    expect([n.service, n.serverName, n.hello]).toEqual(['', '', null]);
  });

  it('SMTP then STARTTLS: smtp,ssl with the server name', () => {
    const n = exchange(TCP, 25, [
      [S, ascii('220 mx.example ESMTP\r\n')], [C, ascii('EHLO c\r\n')], [S, ascii('250-mx.example\r\n250 STARTTLS\r\n')],
      [C, ascii('STARTTLS\r\n')], [S, ascii('220 go ahead\r\n')], [C, sni('mx.example')],
    ]);
    expect([n.service, n.serverName]).toEqual(['smtp,ssl', 'mx.example']);
  });

  it('HTTP host and method of the first request only; DNS query from the query, rcode from the response', () => {
    const h = exchange(TCP, 80, [[C, ascii('POST /a HTTP/1.1\r\nHost: first.example\r\n\r\n')], [C, ascii('GET /b HTTP/1.1\r\nHost: second.example\r\n\r\n')]]);
    expect([h.httpMethod, h.httpHost]).toEqual(['POST', 'first.example']);
    const d = exchange(UDP, 53, [
      [C, hex('abcd 0100 0001 0000 0000 0000 03 777777 07 6578616d706c65 00 001c 0001')],
      [S, hex('abcd 8183 0001 0000 0000 0000 03 777777 07 6578616d706c65 00 001c 0001')],
    ]);
    expect([d.dnsQuery, d.dnsQtype, d.dnsRcode]).toEqual(['www.example', 28, 3]);
  });

  it(`looks at ${INSPECT_PACKETS} payload packets per direction, then is done`, () => {
    const n = new FlowNames();
    for (let i = 0; i < INSPECT_PACKETS; i++) {
      expect(n.done()).toBe(false);
      inspect(n, hex('00'), 0, 1, true, TCP, 40000, 9, 1000 + i);
      inspect(n, hex('00'), 0, 1, false, TCP, 9, 40000, 5000 + i);
    }
    expect(n.done()).toBe(true);
    inspect(n, ascii('SSH-2.0-late\r\n'), 0, 14, true, TCP, 40000, 9, 2000);
    expect(n.service).toBe('');
  });
});
