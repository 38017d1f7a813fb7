/**
 * The payload parsers of src/inspect on hand-annotated bytes: each message whole, cut at every length, and with
 * lengths that lie. A parser never throws and never reads past the bytes it is given.
 */
import { describe, expect, it } from 'vitest';
import { DnsMessage, dnsNameText, nameEnd, parseDns } from '../../src/inspect/dns.js';
import { HttpRequest, isHttpStatusLine, parseHttpRequest } from '../../src/inspect/http.js';
import { findSshBanner } from '../../src/inspect/ssh.js';
import { payloadText } from '../../src/inspect/text.js';
import { alpnText, parseClientHelloMessage, parseTlsRecord, Tls, TlsHello } from '../../src/inspect/tls.js';
import { cat, hex, patch } from '../helpers/decode-frames.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

// ── TLS ─────────────────────────────────────────────────────────────────────────────────────────────────────────
const RANDOM = '00'.repeat(32);
const CLIENT_HELLO = hex(`
  16 0301 0055                  // record: handshake, TLS 1.0, 85 bytes
  01 000051                     // ClientHello, 81 bytes
  0303                          // legacy_version TLS 1.2
  ${RANDOM}                     // random
  00                            // session id: empty
  0002 1301                     // cipher suites: 2 bytes, TLS_AES_128_GCM_SHA256
  01 00                         // compression methods: 1, null
  0026                          // extensions: 38 bytes
  0000 0010                     // server_name, 16 bytes
    000e 00 000b                //   list of 14 bytes: host_name, 11 bytes
    6578616d706c652e636f6d      //   "example.com"
  0010 000e                     // ALPN, 14 bytes
    000c 02 6832 08 687474702f312e31   // list of 12: "h2", "http/1.1"
`);
const SERVER_HELLO = hex(`
  16 0303 002c                  // record: handshake, TLS 1.2, 44 bytes
  02 000028                     // ServerHello, 40 bytes
  0303 ${RANDOM} 00             // version, random, empty session id
  1301 00                       // cipher suite, compression
  0000                          // no extensions
`);

describe('TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301)', () => {
  const out = new TlsHello();
  it('reads the server name and the ALPN list', () => {
    expect(CLIENT_HELLO.length).toBe(90);
    expect(parseTlsRecord(CLIENT_HELLO, 0, CLIENT_HELLO.length, out)).toBe(Tls.CLIENT_HELLO);
    expect(payloadText(CLIENT_HELLO, out.sniOff, out.sniLen)).toBe('example.com');
    expect(alpnText(CLIENT_HELLO, out.alpnOff, out.alpnLen, payloadText)).toBe('h2,http/1.1');
    // As QUIC carries it: the handshake message without the record header.
    expect(parseClientHelloMessage(CLIENT_HELLO, 5, CLIENT_HELLO.length, out)).toBe(true);
    expect(payloadText(CLIENT_HELLO, out.sniOff, out.sniLen)).toBe('example.com');
  });

  it('knows a ServerHello, and a record at an offset', () => {
    expect(parseTlsRecord(SERVER_HELLO, 0, SERVER_HELLO.length, out)).toBe(Tls.SERVER_HELLO);
    const shifted = cat(ascii('xyz'), CLIENT_HELLO);
    expect(parseTlsRecord(shifted, 3, shifted.length, out)).toBe(Tls.CLIENT_HELLO);
    expect(payloadText(shifted, out.sniOff, out.sniLen)).toBe('example.com');
  });

  it('cut at every length: not TLS below the record header, then "more" with the length it needs, never a hello', () => {
    for (let n = 0; n < CLIENT_HELLO.length; n++) {
      const r = parseTlsRecord(CLIENT_HELLO, 0, n, out);
      if (n < 5) expect(r, `cut at ${n}`).toBe(Tls.NOT);
      else {
        expect(r, `cut at ${n}`).toBe(Tls.MORE);
        expect(out.needed).toBe(n < 9 ? 9 : 90);
      }
      expect(parseClientHelloMessage(CLIENT_HELLO, 5, n, out), `message cut at ${n}`).toBe(false);
    }
  });

  it('refuses lying lengths', () => {
    const cases: [string, Uint8Array][] = [
      ['record shorter than its message', patch(CLIENT_HELLO, 4, 0x50)],
      ['session id of 33 bytes', patch(CLIENT_HELLO, 43, 33)],
      ['odd cipher-suite length', patch(CLIENT_HELLO, 45, 3)],
      ['no compression method', patch(CLIENT_HELLO, 48, 0)],
      ['extensions longer than the message', patch(CLIENT_HELLO, 51, 0x27)],
      ['server_name extension longer than the extensions', patch(CLIENT_HELLO, 55, 0x30)],
      ['host name longer than its list', patch(CLIENT_HELLO, 60, 0x0c)],
      ['server name list length that disagrees', patch(CLIENT_HELLO, 57, 0x0f)],
      ['ALPN name running past its list', patch(CLIENT_HELLO, 78, 0x03)],
      ['empty ALPN name', patch(CLIENT_HELLO, 78, 0x00)],
      ['handshake message longer than MAX_HELLO', patch(CLIENT_HELLO, 6, 0x01)],
      ['not a handshake record (application data)', patch(CLIENT_HELLO, 0, 0x17)],
      ['SSL 2-like version byte', patch(CLIENT_HELLO, 1, 0x02)],
    ];
    for (const [what, bytes] of cases) expect(parseTlsRecord(bytes, 0, bytes.length, out), what).toBe(Tls.NOT);
  });
});

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────────────
describe('HTTP/1.x request line and Host (RFC 9112 §3, RFC 9110 §7.2)', () => {
  const out = new HttpRequest();
  const REQ = ascii('GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: curl/8.5\r\nHOST:  www.example.com:8080 \r\nAccept: */*\r\n\r\n');

  it('reads the method and the Host value (any case, blanks trimmed, port kept as tshark shows it)', () => {
    expect(parseHttpRequest(REQ, 0, REQ.length, out)).toBe(true);
    expect(payloadText(REQ, 0, out.methodLen)).toBe('GET');
    expect(payloadText(REQ, out.hostOff, out.hostLen)).toBe('www.example.com:8080');
    const bare = ascii('M-SEARCH * HTTP/1.1\nHost:239.255.255.250:1900\n\n'); // LF line ends, as SSDP devices send
    expect(parseHttpRequest(bare, 0, bare.length, out)).toBe(true);
    expect(payloadText(bare, 0, out.methodLen)).toBe('M-SEARCH');
    expect(payloadText(bare, out.hostOff, out.hostLen)).toBe('239.255.255.250:1900');
  });

  it('a request whose headers were cut is still a request, without a host', () => {
    const cut = Buffer.from(REQ).indexOf('HOST');
    expect(parseHttpRequest(REQ, 0, cut + 3, out)).toBe(true);
    expect(out.hostOff).toBe(-1);
  });

  it('cut inside the request line, or malformed, is no request', () => {
    const lineEnd = REQ.indexOf(0x0a);
    for (let n = 0; n < lineEnd + 1; n++) expect(parseHttpRequest(REQ, 0, n, out), `cut at ${n}`).toBe(false);
    for (const s of ['get / HTTP/1.1\r\n', 'GET  / HTTP/1.1\r\n', 'GET / HTTP/1\r\n', 'GET / HTTP/1.1 \r\n', 'POST /\r\n', 'GET / FTP/1.1\r\n', '\x16\x03\x01']) {
      expect(parseHttpRequest(ascii(s), 0, s.length, out), JSON.stringify(s)).toBe(false);
    }
  });

  it('HTTP/0.9: GET and a path, no version', () => {
    const old = ascii('GET /\r\n\r\n');
    expect(parseHttpRequest(old, 0, old.length, out)).toBe(true);
    expect(payloadText(old, 0, out.methodLen)).toBe('GET');
  });

  it('status lines', () => {
    expect(isHttpStatusLine(ascii('HTTP/1.1 200 OK\r\n'), 0, 17)).toBe(true);
    expect(isHttpStatusLine(ascii('HTTP/1.0 404'), 0, 12)).toBe(true);
    expect(isHttpStatusLine(ascii('HTTP/1.1 20'), 0, 11)).toBe(false);
    expect(isHttpStatusLine(ascii('HTTP/1.1 2x0 OK'), 0, 15)).toBe(false);
  });
});

// ── DNS ─────────────────────────────────────────────────────────────────────────────────────────────────────────
const QUERY = hex(`
  1234 0100                     // id 0x1234; flags: query, RD
  0001 0000 0000 0000           // 1 question, no answers
  03 777777 07 6578616d706c65 03 636f6d 00   // www.example.com
  001c 0001                     // AAAA, IN
`);
const RESPONSE = hex(`
  1234 8183                     // id; flags: response, RD RA, rcode 3 (NXDOMAIN)
  0001 0000 0001 0000           // 1 question, 1 authority record
  03 777777 07 6578616d706c65 03 636f6d 00   // www.example.com (offset 12)
  001c 0001
  c0 10 0006 0001 00000e10 0000 // authority: example.com (pointer to offset 16), SOA, ... (rdata cut: not read)
`);

describe('DNS header and first question (RFC 1035 §4.1)', () => {
  const out = new DnsMessage();
  it('reads a query and a response with its rcode', () => {
    expect(parseDns(QUERY, 0, QUERY.length, out)).toBe(true);
    expect([out.id, out.isResponse, out.qtype, out.qclass]).toEqual([0x1234, false, 28, 1]);
    expect(dnsNameText(QUERY, 0, out.nameOff)).toBe('www.example.com');
    expect(parseDns(RESPONSE, 0, RESPONSE.length, out)).toBe(true);
    expect([out.isResponse, out.rcode]).toEqual([true, 3]);
    // The authority name is a pointer back into the question.
    expect(nameEnd(RESPONSE, 0, 33, RESPONSE.length)).toBe(35);
    expect(dnsNameText(RESPONSE, 0, 33)).toBe('example.com');
  });

  it('escapes what is not a hostname character, and names the root', () => {
    const odd = hex('0000 0000 0001 0000 0000 0000 | 03 612e62 02 0a5c 00 | 0001 0001'); // labels "a.b" and "\n\\"
    expect(parseDns(odd, 0, odd.length, out)).toBe(true);
    expect(dnsNameText(odd, 0, out.nameOff)).toBe('a\\x2eb.\\x0a\\x5c');
    const root = hex('0000 0000 0001 0000 0000 0000 | 00 | 0002 0001');
    expect(parseDns(root, 0, root.length, out)).toBe(true);
    expect(dnsNameText(root, 0, out.nameOff)).toBe('<Root>');
  });

  it('cut at every length before the end of the question: no message', () => {
    for (let n = 0; n < QUERY.length; n++) expect(parseDns(QUERY, 0, n, out), `cut at ${n}`).toBe(false);
  });

  it('refuses lying and hostile names and counts', () => {
    const cases: [string, Uint8Array][] = [
      ['label running past the end', patch(QUERY, 12, 0x3f)],
      ['pointer to itself (a loop)', patch(QUERY, 12, 0xc0, 13, 0x0c)],
      ['pointer forward', patch(QUERY, 12, 0xc0, 13, 0x20)],
      ['extended label type 0x40', patch(QUERY, 12, 0x41)],
      ['33 questions', patch(QUERY, 5, 33)],
      ['a query without a question', patch(QUERY, 5, 0)],
      ['a response without a question or a record', patch(patch(QUERY, 2, 0x81), 5, 0)],
      ['opcode 15', patch(QUERY, 2, 0x79)],
    ];
    for (const [what, bytes] of cases) expect(parseDns(bytes, 0, bytes.length, out), what).toBe(false);
    // A name of 64 one-byte labels is 128 bytes: fine; 128 of them pass 255: refused.
    const labels = (n: number) => cat(hex('0000 0000 0001 0000 0000 0000'), ...Array.from({ length: n }, () => hex('01 61')), hex('00 0001 0001'));
    expect(parseDns(labels(64), 0, labels(64).length, out)).toBe(true);
    expect(parseDns(labels(128), 0, labels(128).length, out)).toBe(false);
  });
});

// ── SSH ─────────────────────────────────────────────────────────────────────────────────────────────────────────
describe('SSH identification string (RFC 4253 §4.2)', () => {
  const out = { bannerLen: 0 };
  it('finds the banner, also after other lines a server sends first', () => {
    const b = ascii('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n\x00\x00\x05\xdc');
    expect(findSshBanner(b, 0, b.length, out)).toBe(0);
    expect(payloadText(b, 0, out.bannerLen)).toBe('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13');
    const pre = ascii('Welcome to the host\r\nAuthorised use only\nSSH-1.99-Cisco-1.25\n');
    const at = findSshBanner(pre, 0, pre.length, out);
    expect(payloadText(pre, at, out.bannerLen)).toBe('SSH-1.99-Cisco-1.25');
  });
  it('needs the whole line, a version digit, and at most 255 bytes', () => {
    const line = 'SSH-2.0-x\r\n';
    for (let n = 0; n < line.length - 1; n++) expect(findSshBanner(ascii(line), 0, n, out), `cut at ${n}`).toBe(-1);
    expect(findSshBanner(ascii('SSH-x.0-y\r\n'), 0, 11, out)).toBe(-1);
    const long = `SSH-2.0-${'a'.repeat(250)}\r\n`;
    expect(findSshBanner(ascii(long), 0, long.length, out)).toBe(-1);
  });
});
