/**
 * Service confirmation from the first bytes of each direction, as Zeek fills conn.log's `service`: a protocol counts
 * when its messages are seen (a request and the answer that fits it where one alone would be ambiguous), on any
 * port, except for the protocols Zeek itself finds by port only (DNS, NTP, DHCP, DHCPv6, SNMP, syslog, Kerberos over
 * UDP, Modbus), which need their port as well. A port alone is never a service.
 *
 * Each check is a pure function of b[off, end); none allocates. `hints` turns a direction's first bytes into bits
 * (what they look like); `servicesOf` decides from both directions' bits.
 */
import { startsWith } from './text.js';

/** Services, in the order their names are listed (SERVICE_NAMES). */
export const Svc = {
  HTTP: 0, SSL: 1, DNS: 2, SSH: 3, QUIC: 4, SMTP: 5, FTP: 6, POP3: 7, IMAP: 8, IRC: 9, NTP: 10, DHCP: 11, DHCPV6: 12,
  SNMP: 13, SYSLOG: 14, SIP: 15, SOCKS: 16, RDP: 17, MYSQL: 18, POSTGRESQL: 19, REDIS: 20, LDAP: 21, KRB: 22, SMB: 23,
  MQTT: 24, MODBUS: 25, XMPP: 26,
} as const;

/** Zeek's names for the services (conn.log `service`). */
export const SERVICE_NAMES: readonly string[] = [
  'http', 'ssl', 'dns', 'ssh', 'quic', 'smtp', 'ftp', 'pop3', 'imap', 'irc', 'ntp', 'dhcp', 'dhcpv6', 'snmp', 'syslog',
  'sip', 'socks', 'rdp', 'mysql', 'postgresql', 'redis', 'ldap', 'krb', 'smb', 'mqtt', 'modbus', 'xmpp',
];

/** What a direction's first bytes look like (bits; a direction may show several). */
export const Hint = {
  GREET_220: 1 << 0, // `220 ` / `220-`: SMTP or FTP server greeting
  SMTP_CMD: 1 << 1, // EHLO / HELO
  FTP_CMD: 1 << 2, // USER / AUTH / FEAT / SYST / OPTS
  POP3_OK: 1 << 3, // +OK
  POP3_CMD: 1 << 4, // USER / CAPA / APOP / AUTH / STLS
  IMAP_OK: 1 << 5, // * OK / * PREAUTH
  IMAP_CMD: 1 << 6, // tag CAPABILITY / LOGIN / STARTTLS / AUTHENTICATE / ID
  IRC_CMD: 1 << 7, // NICK / USER / PASS / CAP
  IRC_SERVER: 1 << 8, // :prefix NOTICE|numeric
  SOCKS4_REQ: 1 << 9,
  SOCKS4_REP: 1 << 10,
  SOCKS5_REQ: 1 << 11,
  SOCKS5_REP: 1 << 12,
  RDP_CR: 1 << 13, // TPKT + X.224 connection request
  RDP_CC: 1 << 14, // TPKT + X.224 connection confirm
  REDIS_CMD: 1 << 15, // *N CRLF $N CRLF
  REDIS_REPLY: 1 << 16, // + - : $ * then a line
  LDAP: 1 << 17, // BER LDAPMessage
  PG_SSLREQ: 1 << 18,
  PG_SSLREP: 1 << 19, // a single S or N
  MODBUS: 1 << 20,
} as const;

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** A line's first word (upper-cased) is `word` followed by a space or the line end. */
function command(b: Uint8Array, off: number, end: number, word: string): boolean {
  if (!startsWith(b, off, end, word, true)) return false;
  const p = off + word.length;
  return p < end && (b[p] === 0x20 || b[p] === 0x0d || b[p] === 0x0a);
}

/** The hint bits of one direction's first payload b[off, end) on TCP. */
export function tcpHints(b: Uint8Array, off: number, end: number, port: number): number {
  const n = end - off;
  if (n <= 0) return 0;
  let h = 0;
  const c0 = b[off]!;
  // Every text hint starts with a printable character (a command's letter, a digit, `+`, `*`, an IMAP tag, `:`):
  // binary payload (most first payloads: TLS records, encrypted or binary protocols) skips them all.
  if (c0 > 0x20 && c0 < 0x7f) {
    if (n >= 4 && b[off] === 0x32 && b[off + 1] === 0x32 && b[off + 2] === 0x30 && (b[off + 3] === 0x20 || b[off + 3] === 0x2d)) h |= Hint.GREET_220;
    if (command(b, off, end, 'EHLO') || command(b, off, end, 'HELO')) h |= Hint.SMTP_CMD;
    if (command(b, off, end, 'USER') || command(b, off, end, 'AUTH') || command(b, off, end, 'FEAT') || command(b, off, end, 'SYST') || command(b, off, end, 'OPTS')) h |= Hint.FTP_CMD;
    if (startsWith(b, off, end, '+OK')) h |= Hint.POP3_OK;
    if (command(b, off, end, 'USER') || command(b, off, end, 'CAPA') || command(b, off, end, 'APOP') || command(b, off, end, 'AUTH') || command(b, off, end, 'STLS')) h |= Hint.POP3_CMD;
    if (startsWith(b, off, end, '* OK') || startsWith(b, off, end, '* PREAUTH')) h |= Hint.IMAP_OK;
    if (imapCommand(b, off, end)) h |= Hint.IMAP_CMD;
    // STARTTLS too (IRCv3), for captures that begin there; IRC_CMD only counts with an IRC server's line in reply.
    if (command(b, off, end, 'NICK') || command(b, off, end, 'PASS') || startsWith(b, off, end, 'CAP LS') || ircUser(b, off, end) ||
        command(b, off, end, 'STARTTLS')) h |= Hint.IRC_CMD;
    if (c0 === 0x3a && ircServer(b, off, end)) h |= Hint.IRC_SERVER;
  }
  if (c0 === 4 && n >= 9 && (b[off + 1] === 1 || b[off + 1] === 2) && b[end - 1] === 0) h |= Hint.SOCKS4_REQ;
  if (c0 === 0 && n === 8 && b[off + 1]! >= 0x5a && b[off + 1]! <= 0x5d) h |= Hint.SOCKS4_REP;
  if (c0 === 5 && n >= 3 && b[off + 1]! >= 1 && n === 2 + b[off + 1]!) h |= Hint.SOCKS5_REQ;
  if (c0 === 5 && n === 2 && (b[off + 1]! <= 2 || b[off + 1] === 0xff)) h |= Hint.SOCKS5_REP;
  if (c0 === 3 && n >= 11 && b[off + 1] === 0 && u16(b, off + 2) === n) {
    const x224 = b[off + 5]! & 0xf0;
    if (x224 === 0xe0) h |= Hint.RDP_CR;
    else if (x224 === 0xd0) h |= Hint.RDP_CC;
  }
  if (c0 === 0x2a && redisArray(b, off, end)) h |= Hint.REDIS_CMD;
  if ((c0 === 0x2b || c0 === 0x2d || c0 === 0x3a || c0 === 0x24 || c0 === 0x2a) && redisLine(b, off, end)) h |= Hint.REDIS_REPLY;
  if (c0 === 0x30 && ldapMessage(b, off, end)) h |= Hint.LDAP;
  if (n === 8 && u32(b, off) === 8 && u32(b, off + 4) === 80877103) h |= Hint.PG_SSLREQ;
  if (n === 1 && (c0 === 0x53 || c0 === 0x4e)) h |= Hint.PG_SSLREP;
  if (port === 502 && modbus(b, off, end)) h |= Hint.MODBUS;
  return h;
}

/** `tag SP COMMAND` of IMAP (RFC 9051 §6). */
function imapCommand(b: Uint8Array, off: number, end: number): boolean {
  let p = off;
  while (p < end && p - off < 16 && b[p]! > 0x20 && b[p]! < 0x7f && b[p] !== 0x2a) p++;
  if (p === off || p >= end || b[p] !== 0x20) return false;
  p++;
  return command(b, p, end, 'CAPABILITY') || command(b, p, end, 'LOGIN') || command(b, p, end, 'STARTTLS') ||
    command(b, p, end, 'AUTHENTICATE') || command(b, p, end, 'ID');
}

/** `USER user mode unused :realname` (RFC 2812 §3.1.3): four parameters, the last after a colon. */
function ircUser(b: Uint8Array, off: number, end: number): boolean {
  if (!command(b, off, end, 'USER')) return false;
  let spaces = 0;
  for (let p = off + 4; p < end && b[p] !== 0x0a; p++) {
    if (b[p] === 0x20) spaces++;
    if (b[p] === 0x3a && b[p - 1] === 0x20) return spaces >= 4;
  }
  return false;
}

/** `:prefix NOTICE ...` or `:prefix 001 ...`. */
function ircServer(b: Uint8Array, off: number, end: number): boolean {
  let p = off + 1;
  while (p < end && b[p] !== 0x20 && b[p] !== 0x0a) p++;
  if (p >= end || b[p] !== 0x20) return false;
  p++;
  if (startsWith(b, p, end, 'NOTICE ')) return true;
  return p + 4 <= end && isDigit(b[p]!) && isDigit(b[p + 1]!) && isDigit(b[p + 2]!) && b[p + 3] === 0x20;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** `*N CRLF $N CRLF`: a RESP array of bulk strings (a Redis command). */
function redisArray(b: Uint8Array, off: number, end: number): boolean {
  let p = off + 1;
  while (p < end && isDigit(b[p]!)) p++;
  return p > off + 1 && p + 3 < end && b[p] === 0x0d && b[p + 1] === 0x0a && b[p + 2] === 0x24 && isDigit(b[p + 3]!);
}

/** One RESP reply line (`+OK`, `-ERR x`, `:1`, `$5`, `*2`) ending in CRLF. */
function redisLine(b: Uint8Array, off: number, end: number): boolean {
  let p = off + 1;
  const c0 = b[off]!;
  const numeric = c0 === 0x3a || c0 === 0x24 || c0 === 0x2a;
  if (numeric && p < end && b[p] === 0x2d) p++;
  const start = p;
  while (p < end && b[p] !== 0x0d && p - off < 512) {
    if (numeric && !isDigit(b[p]!)) return false;
    if (b[p]! < 0x20) return false;
    p++;
  }
  return p > start && p + 1 < end && b[p] === 0x0d && b[p + 1] === 0x0a;
}

/** A BER length at p: sets BER.len and returns the offset after it, or -1 (definite lengths only, up to 4 bytes). */
const BER = { len: 0 };
function berLength(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const first = b[p]!;
  if (first < 0x80) {
    BER.len = first;
    return p + 1;
  }
  const n = first & 0x7f;
  if (n === 0 || n > 4 || p + 1 + n > end) return -1;
  let v = 0;
  for (let i = 1; i <= n; i++) v = v * 256 + b[p + i]!;
  BER.len = v;
  return p + 1 + n;
}

/** LDAPMessage (RFC 4511 §4.1.1): SEQUENCE { messageID INTEGER, protocolOp [APPLICATION 0-25] ... }. */
function ldapMessage(b: Uint8Array, off: number, end: number): boolean {
  // The message may go on in the next segment, or be followed by others in this one.
  let p = berLength(b, off + 1, end);
  if (p < 0 || BER.len < 5) return false;
  if (b[p] !== 0x02) return false;
  p = berLength(b, p + 1, end);
  if (p < 0 || BER.len < 1 || BER.len > 4) return false;
  p += BER.len;
  if (p >= end) return false;
  const op = b[p]!;
  return (op & 0xc0) === 0x40 && (op & 0x1f) <= 25;
}

/** Modbus/TCP MBAP header (protocol 0, length = the rest) and a function code. */
function modbus(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8 || u16(b, off + 2) !== 0) return false;
  const len = u16(b, off + 4);
  if (len < 2 || off + 6 + len > end) return false;
  const fn = b[off + 7]! & 0x7f;
  return fn >= 1 && fn <= 127;
}

/**
 * Services a direction's first payload confirms by itself, without the other side: MySQL's server greeting,
 * PostgreSQL's startup message, SMB over NetBIOS, MQTT CONNECT, XMPP's stream header, SIP, Kerberos over TCP.
 * Returns a Svc number or -1.
 *
 * The tests are called in order from one call site of a table. V8 then compiles each on its own, when it is hot,
 * instead of inlining all seven here: a payload that first takes one of their rarer branches late in a capture (one
 * that starts with 0x10 or `<`, say) would otherwise throw the whole compiled function away, to be compiled again.
 */
export function tcpSoloService(b: Uint8Array, off: number, end: number): number {
  if (end - off < 5) return -1;
  for (let i = 0; i < SOLO_TESTS.length; i++) {
    const svc = SOLO_TESTS[i]!(b, off, end); // i < length
    if (svc >= 0) return svc;
  }
  return -1;
}

/** MySQL handshake v10: 3-byte length, sequence 0, protocol 10, a NUL-terminated version such as `8.0.36`. */
function mysqlGreeting(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  if (b[off + 3] === 0 && b[off + 4] === 10 && (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16)) === n - 4 && n > 10 && isDigit(b[off + 5]!)) {
    for (let p = off + 5; p < end && p < off + 64; p++) if (b[p] === 0) return Svc.MYSQL;
  }
  return -1;
}

/** PostgreSQL StartupMessage: length, protocol 3.0, then `user` NUL ... */
function postgresStartup(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  return n >= 9 && u32(b, off) === n && u32(b, off + 4) === 0x00030000 ? Svc.POSTGRESQL : -1;
}

/** NetBIOS session message carrying SMB1 (\xffSMB) or SMB2/3 (\xfeSMB). */
function smbSession(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  return n >= 8 && b[off] === 0 && ((b[off + 1]! << 16) | u16(b, off + 2)) <= n - 4 + 65536 &&
    (b[off + 4] === 0xff || b[off + 4] === 0xfe) && b[off + 5] === 0x53 && b[off + 6] === 0x4d && b[off + 7] === 0x42 ? Svc.SMB : -1;
}

/** MQTT CONNECT: 0x10, remaining length, protocol name MQTT (3.1.1, 5) or MQIsdp (3.1). */
function mqttConnect(b: Uint8Array, off: number, end: number): number {
  if (b[off] !== 0x10) return -1;
  let p = off + 1;
  for (let i = 0; i < 4 && p < end && (b[p]! & 0x80) !== 0; i++) p++;
  p++;
  return startsWith(b, p, end, '\x00\x04MQTT') || startsWith(b, p, end, '\x00\x06MQIsdp') ? Svc.MQTT : -1;
}

/** XMPP: an XML stream header in the jabber namespaces (RFC 6120 §4.2). */
function xmppStream(b: Uint8Array, off: number, end: number): number {
  return b[off] === 0x3c && (contains(b, off, end, '<stream:stream') || contains(b, off, end, 'jabber:client') || contains(b, off, end, 'jabber:server'))
    ? Svc.XMPP
    : -1;
}

function sipService(b: Uint8Array, off: number, end: number): number {
  return sip(b, off, end) ? Svc.SIP : -1;
}

/** Kerberos over TCP (RFC 4120 §7.2.2): 4-byte length, then a KDC message. */
function krbTcp(b: Uint8Array, off: number, end: number): number {
  return end - off >= 10 && u32(b, off) === end - off - 4 && krb(b, off + 4, end) ? Svc.KRB : -1;
}

const SOLO_TESTS: readonly ((b: Uint8Array, off: number, end: number) => number)[] = [
  mysqlGreeting, postgresStartup, smbSession, mqttConnect, xmppStream, sipService, krbTcp,
];

function contains(b: Uint8Array, off: number, end: number, lit: string): boolean {
  const last = Math.min(end, off + 512) - lit.length;
  for (let p = off; p <= last; p++) if (startsWith(b, p, end, lit)) return true;
  return false;
}

const SIP_METHODS = ['INVITE', 'REGISTER', 'OPTIONS', 'ACK', 'BYE', 'CANCEL', 'SUBSCRIBE', 'NOTIFY', 'MESSAGE', 'INFO', 'PUBLISH', 'REFER', 'UPDATE', 'PRACK'];

/** A SIP request line (`INVITE sip:...`) or status line (`SIP/2.0 200`), RFC 3261 §7. */
export function sip(b: Uint8Array, off: number, end: number): boolean {
  const c0 = b[off];
  if (c0 === undefined || c0 < 0x41 || c0 > 0x55) return false; // every start below is an upper-case letter from A to U
  if (startsWith(b, off, end, 'SIP/2.0 ')) return end - off >= 11 && isDigit(b[off + 8]!) && isDigit(b[off + 9]!) && isDigit(b[off + 10]!);
  for (const m of SIP_METHODS) {
    if (startsWith(b, off, end, m) && (startsWith(b, off + m.length, end, ' sip:') || startsWith(b, off + m.length, end, ' sips:'))) return true;
  }
  return false;
}

/**
 * A Kerberos KDC message (RFC 4120 §5.4.1, §5.9.1): [APPLICATION 10-13 or 30] { SEQUENCE { pvno [0|1] INTEGER 5 ...
 * (AS-REQ/TGS-REQ carry pvno under tag [1], the replies and KRB-ERROR under [0]).
 */
export function krb(b: Uint8Array, off: number, end: number): boolean {
  const app = b[off];
  if (app !== 0x6a && app !== 0x6b && app !== 0x6c && app !== 0x6d && app !== 0x7e) return false;
  let p = berLength(b, off + 1, end);
  if (p < 0 || p + BER.len > end || b[p] !== 0x30) return false;
  p = berLength(b, p + 1, end);
  if (p < 0 || p + 5 > end) return false;
  return (b[p] === 0xa0 || b[p] === 0xa1) && b[p + 1] === 3 && b[p + 2] === 2 && b[p + 3] === 1 && b[p + 4] === 5;
}

/**
 * The service a UDP datagram b[off, end) confirms, or -1: by its port and its form, for the protocols Zeek finds by
 * port (NTP 123, DHCP 67/68, DHCPv6 546/547, SNMP 161/162, syslog 514, Kerberos 88), and by form alone for SIP.
 * DNS and QUIC have parsers of their own.
 */
export function udpService(b: Uint8Array, off: number, end: number, sport: number, dport: number): number {
  const n = end - off;
  if (n <= 0) return -1;
  const has = (port: number): boolean => sport === port || dport === port;
  if (has(123) && n >= 48) {
    const vn = (b[off]! >>> 3) & 7, mode = b[off]! & 7;
    if (vn >= 1 && vn <= 4 && mode >= 1 && mode <= 5) return Svc.NTP;
  }
  if ((has(67) || has(68)) && n >= 240 && (b[off] === 1 || b[off] === 2) && u32(b, off + 236) === 0x63825363) return Svc.DHCP;
  if ((has(546) || has(547)) && n >= 4 && b[off]! >= 1 && b[off]! <= 13) return Svc.DHCPV6;
  if ((has(161) || has(162)) && b[off] === 0x30) {
    const p = berLength(b, off + 1, end);
    if (p >= 0 && p + BER.len === end && p + 3 <= end && b[p] === 0x02 && b[p + 1] === 1 && (b[p + 2] === 0 || b[p + 2] === 1 || b[p + 2] === 3)) return Svc.SNMP;
  }
  if (has(514) && b[off] === 0x3c) {
    let p = off + 1;
    while (p < end && p - off <= 3 && isDigit(b[p]!)) p++;
    if (p > off + 1 && p < end && b[p] === 0x3e) return Svc.SYSLOG;
  }
  if (has(88) && krb(b, off, end)) return Svc.KRB;
  if (sip(b, off, end)) return Svc.SIP;
  return -1;
}

/**
 * Services both directions' hint bits confirm together (as a bit set over Svc numbers): a service counts when one
 * direction shows its first hint and the other its second (PAIRS). Most flows show no hint at all.
 */
export function servicesOfHints(a: number, z: number): number {
  if (a === 0 || z === 0) return 0;
  let s = 0;
  for (let i = 0; i < PAIRS.length; i += 3) {
    const x = PAIRS[i]!, y = PAIRS[i + 1]!; // i + 2 < PAIRS.length
    if (((a & x) !== 0 && (z & y) !== 0) || ((z & x) !== 0 && (a & y) !== 0)) s |= 1 << PAIRS[i + 2]!;
  }
  return s;
}

/** (hint of one side, hint of the other, service they confirm together), as triples. */
const PAIRS = Int32Array.of(
  Hint.GREET_220, Hint.SMTP_CMD, Svc.SMTP,
  Hint.GREET_220, Hint.FTP_CMD, Svc.FTP,
  Hint.POP3_OK, Hint.POP3_CMD, Svc.POP3,
  Hint.IMAP_OK, Hint.IMAP_CMD, Svc.IMAP,
  Hint.IRC_CMD, Hint.IRC_SERVER, Svc.IRC,
  Hint.SOCKS4_REQ, Hint.SOCKS4_REP, Svc.SOCKS,
  Hint.SOCKS5_REQ, Hint.SOCKS5_REP, Svc.SOCKS,
  Hint.RDP_CR, Hint.RDP_CC, Svc.RDP,
  Hint.REDIS_CMD, Hint.REDIS_REPLY, Svc.REDIS,
  Hint.LDAP, Hint.LDAP, Svc.LDAP,
  Hint.PG_SSLREQ, Hint.PG_SSLREP, Svc.POSTGRESQL,
  Hint.MODBUS, Hint.MODBUS, Svc.MODBUS,
);
