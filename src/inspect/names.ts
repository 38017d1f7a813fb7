/**
 * What a flow is, from its first payload: Zeek's `service`, and the names the payload carries (TLS and QUIC server
 * names and ALPN, the first HTTP request's host and method, the first DNS question, SSH banners). One FlowNames per
 * flow that carries payload; the demultiplexer hands it the first packets of each direction (see {@link inspect}),
 * and the record takes the names when it is built.
 *
 * Bounded work: at most INSPECT_PACKETS payload packets per direction (more for a ClientHello that spans segments,
 * or a STARTTLS upgrade), at most 16 KB gathered for a ClientHello; nothing is reassembled beyond that. A malformed
 * payload is a parse failure for that flow and costs no allocation.
 */
import type { DecodedPacket } from '../decode/packet.js';
import type { Flow } from '../flow/flow.js';
import type { NamesRecord } from '../flow/record.js';
import { DnsMessage, dnsNameText, parseDns } from './dns.js';
import { HttpRequest, isHttpStatusLine, parseHttpRequest } from './http.js';
import { anyAddressNamed, clearPassiveDns, learnAnswers, nameOfAddress } from './passive-dns.js';
import { feedInitial, MIN_CLIENT_INITIAL, parseInitialHeader, QuicCrypto, QuicHeader } from './quic.js';
import { SERVICE_NAMES, Svc, servicesOfHints, tcpHints, tcpSoloService, udpService } from './service.js';
import { findSshBanner } from './ssh.js';
import { payloadText } from './text.js';
import { alpnText, MAX_HELLO, parseTlsRecord, Tls, TlsHello } from './tls.js';

/**
 * Whether demultiplexers look at payload by default (DemuxOptions.inspectPayload overrides it). Process-wide, set by
 * the command line before a run (`--names`); off by default.
 */
export const nameSettings = { payload: false };

/** Sets nameSettings (unnamed settings go back to their defaults), and forgets the names of addresses (passive DNS). */
export function configureNames(s: { payload?: boolean } = {}): void {
  nameSettings.payload = s.payload ?? false;
  clearPassiveDns();
}

/** FlowNames.oFirst / rFirst before any payload, and for payload that is neither HTTP nor SSH. */
const NOT_YET = -2, OTHER = -1;

/** What FlowNames.hello gathers. */
const GATHER_TLS = 1, GATHER_HTTP = 2;
/** Most bytes of an HTTP request head gathered for its Host header. */
const MAX_HTTP_HEAD = 8192;

/**
 * Failed tries of the originator's long-header datagrams of 1200 bytes or more as client Initials before giving up: a
 * client's first datagram is its Initial (one that decrypts does not count: a Retry's new Initial is tried too).
 */
const QUIC_TRIES = 1;

/** Payload packets looked at per direction. */
export const INSPECT_PACKETS = 6;
/** After a protocol that can switch to TLS (STARTTLS) is confirmed, the client's packets are looked at this far. */
const STARTTLS_PACKETS = 16;

const TCP = 6, UDP = 17;

/** Ports Zeek's DNS analyzer is attached to (DNS, mDNS, LLMNR, and NetBIOS name service, which shares its format). */
function dnsPort(sport: number, dport: number): boolean {
  return sport === 53 || dport === 53 || sport === 5353 || dport === 5353 || sport === 5355 || dport === 5355 || sport === 137 || dport === 137;
}

/** Scratch results, reused by every flow (one thread runs the parsers at a time). */
const HELLO = new TlsHello();
const HTTP = new HttpRequest();
const DNS = new DnsMessage();
const QUIC_HEADER = new QuicHeader();
const BANNER = { bannerLen: 0 };

/** Services that can switch to TLS in the same connection (STARTTLS and friends). */
const STARTTLS_CAPABLE = (1 << Svc.SMTP) | (1 << Svc.POP3) | (1 << Svc.IMAP) | (1 << Svc.IRC) | (1 << Svc.XMPP) |
  (1 << Svc.FTP) | (1 << Svc.LDAP) | (1 << Svc.POSTGRESQL) | (1 << Svc.MYSQL);

export class FlowNames {
  /** Confirmed services as bits (Svc numbers), and their names in the order they were confirmed. */
  serviceBits = 0;
  confirmed = '';
  /** Zeek's `service` (see serviceText), kept up to date by updateService. */
  service = '';
  /** TCP flow whose first payload came before any SYN was seen (picked up mid-stream). */
  midstream = false;
  /**
   * What each direction's first TCP payload was, for HTTP and SSH, whose analyzers Zeek drops when the other side
   * speaks the other: Svc.HTTP (a request or status line), Svc.SSH (a banner), OTHER, or NOT_YET.
   */
  oFirst = NOT_YET;
  rFirst = NOT_YET;
  serverName = '';
  alpn = '';
  httpHost = '';
  httpMethod = '';
  dnsQuery = '';
  /** First question's type and the first response's code; -1 when not seen. */
  dnsQtype = -1;
  dnsRcode = -1;
  sshClient = '';
  sshServer = '';
  /**
   * Passive DNS: the names of the responder's and the originator's addresses as of the flow's first packet (see
   * NamesRecord.respName; the originator's is kept for a swap of the roles).
   */
  respName = '';
  origName = '';
  /** Payload packets looked at, originator's and responder's. */
  oSeen = 0;
  rSeen = 0;
  /** What each direction's first payload looked like (service.ts Hint bits). */
  oHints = 0;
  rHints = 0;
  /**
   * The start of the originator's stream being gathered from its segments (a ClientHello longer than its first
   * segment, or an HTTP request whose Host header comes in a later one): bytes, how many, the next sequence number,
   * and which of the two (GATHER_TLS, GATHER_HTTP).
   */
  hello: Uint8Array | null = null;
  helloLen = 0;
  helloNext = 0;
  helloKind = 0;
  /** QUIC CRYPTO stream of the client Initials (QUIC flows only). */
  quic: QuicCrypto | null = null;
  /** Long-header datagrams that did not decrypt as client Initials: after QUIC_TRIES, no more are tried. */
  quicFailures = 0;
  /** The last record of these names (see namesRecord). */
  record: NamesRecord | null = null;
  /**
   * One of the shared, unchanging objects that stand for every flow whose payload showed nothing to keep so far (see
   * sharedNames): such a flow costs no object of its own.
   */
  shared = false;
  /** For a shared object, the number of its state (see sharedCode); -1 otherwise. */
  sharedState = -1;

  /** Every field back to its initializer (see newFlowNames / releaseFlowNames). */
  reset(): void {
    this.serviceBits = 0;
    this.confirmed = '';
    this.service = '';
    this.midstream = false;
    this.oFirst = NOT_YET;
    this.rFirst = NOT_YET;
    this.serverName = '';
    this.alpn = '';
    this.httpHost = '';
    this.httpMethod = '';
    this.dnsQuery = '';
    this.dnsQtype = -1;
    this.dnsRcode = -1;
    this.sshClient = '';
    this.sshServer = '';
    this.respName = '';
    this.origName = '';
    this.oSeen = 0;
    this.rSeen = 0;
    this.oHints = 0;
    this.rHints = 0;
    this.hello = null;
    this.helloLen = 0;
    this.helloNext = 0;
    this.helloKind = 0;
    this.quic = null;
    this.quicFailures = 0;
    this.record = null;
  }

  /** Swaps the per-direction state (the flow's roles were swapped). */
  swap(): void {
    let t = this.oSeen; this.oSeen = this.rSeen; this.rSeen = t;
    t = this.oHints; this.oHints = this.rHints; this.rHints = t;
    let s = this.sshClient; this.sshClient = this.sshServer; this.sshServer = s;
    s = this.respName; this.respName = this.origName; this.origName = s;
  }

  /** True once nothing more will be looked at (the demultiplexer may stop calling inspect). */
  done(): boolean {
    return this.doneFor(true) && this.doneFor(false);
  }

  /** True once nothing more of this direction will be looked at (the originator's if `fromOrig`). */
  doneFor(fromOrig: boolean): boolean {
    if (fromOrig && this.hello !== null) return false;
    const limit = (this.serviceBits & STARTTLS_CAPABLE) !== 0 && (this.serviceBits & (1 << Svc.SSL)) === 0 ? STARTTLS_PACKETS : INSPECT_PACKETS;
    return (fromOrig ? this.oSeen : this.rSeen) >= limit;
  }

  confirm(svc: number): void {
    const bit = 1 << svc;
    if ((this.serviceBits & bit) !== 0) return;
    this.serviceBits |= bit;
    this.confirmed = this.confirmed === '' ? SERVICE_NAMES[svc]! : `${this.confirmed},${SERVICE_NAMES[svc]!}`; // svc < 27
    this.updateService();
  }

  /** Recomputes `service` (after a confirmation, or a change to midstream, oFirst or rFirst). */
  updateService(): void {
    this.service = this.serviceText();
  }

  /**
   * Zeek's `service`: the confirmed protocols, comma-separated in the order confirmed. Zeek's HTTP analyzer leaves
   * connections picked up mid-stream alone, so a mid-stream `http` is dropped here too (the names are kept).
   */
  private serviceText(): string {
    const bits = this.serviceBits;
    // What contradicts a protocol in Zeek's eyes: its analyzer sees the other side speak something else.
    // (Bytes that are neither are no contradiction: an HTTP/0.9 response has no status line.)
    const noHttp = (bits & (1 << Svc.HTTP)) !== 0 && (this.midstream || this.oFirst === Svc.SSH || this.rFirst === Svc.SSH);
    const noSsh = (bits & (1 << Svc.SSH)) !== 0 && this.oFirst === Svc.HTTP;
    if (!noHttp && !noSsh) return this.confirmed;
    return withoutServices(this.confirmed, noHttp ? 'http' : '', noSsh ? 'ssh' : '');
  }
}

/** The comma-separated services `list` without `a` and `b` (either may be ''). */
function withoutServices(list: string, a: string, b: string): string {
  let out = '';
  for (const s of list.split(',')) if (s !== a && s !== b) out = out === '' ? s : `${out},${s}`;
  return out;
}

/** Names of ended flows, reset, for new flows: a FlowNames per flow would be garbage promoted with its flow. */
const POOL: FlowNames[] = [];
const MAX_POOLED = 1 << 16;
// An empty array literal starts with V8's elements kind for small integers, and the first push of an object changes
// its map: compiled code that had only seen the empty pool (newFlowNames, inlined into inspectFlow) would be thrown
// away then, and compiled again. One push and pop now gives the pool the kind it keeps.
POOL.push(new FlowNames());
POOL.pop();

/** A FlowNames as good as new, from the pool when it has one. */
export function newFlowNames(): FlowNames {
  return POOL.pop() ?? new FlowNames();
}

/** Takes back the names of a flow whose record is written and that nothing refers to any more. */
export function releaseFlowNames(n: FlowNames): void {
  if (n.shared || POOL.length >= MAX_POOLED) return;
  n.reset();
  POOL.push(n);
}

// ── Flows whose payload showed nothing to keep ──────────────────────────────────────────────────────────────────
// Most flows' first payload names nothing (encrypted application data, binary protocols, payload that is not the
// start of a stream). Such a flow needs no FlowNames of its own: what it still has to remember (how many payload
// packets of each direction were looked at, whether each direction's first payload was neither HTTP nor SSH,
// midstream, a failed QUIC Initial) fits a small number, and one shared FlowNames per number stands for all of them.
// The parsers run on SCRATCH, loaded from the shared one; if it ends with something to keep, it becomes the flow's own.

/** Bits of a shared state's number: oSeen and rSeen (3 bits each), then one bit each for the rest. */
const SEEN_BITS = 3, MAX_SHARED_SEEN = 7;
const O_OTHER = 1 << 6, R_OTHER = 1 << 7, MIDSTREAM = 1 << 8, QUIC_FAILED = 1 << 9;
const SHARED: (FlowNames | undefined)[] = new Array<FlowNames | undefined>(1 << 10);

/** The scratch names the parsers run on for a flow without names of its own (see above). */
let SCRATCH = new FlowNames();

/** The number of the shared state `n` is in, or -1 when `n` holds something a shared state cannot. */
function sharedCode(n: FlowNames): number {
  if (n.serviceBits !== 0 || n.oHints !== 0 || n.rHints !== 0 || n.hello !== null || n.quic !== null || n.quicFailures > 1 ||
      n.oSeen > MAX_SHARED_SEEN || n.rSeen > MAX_SHARED_SEEN || (n.oFirst !== NOT_YET && n.oFirst !== OTHER) ||
      (n.rFirst !== NOT_YET && n.rFirst !== OTHER) || n.serverName !== '' || n.alpn !== '' || n.httpHost !== '' ||
      n.httpMethod !== '' || n.dnsQuery !== '' || n.dnsQtype !== -1 || n.dnsRcode !== -1 || n.sshClient !== '' ||
      n.sshServer !== '' || n.respName !== '' || n.origName !== '') {
    return -1;
  }
  return n.oSeen | (n.rSeen << SEEN_BITS) | (n.oFirst === OTHER ? O_OTHER : 0) | (n.rFirst === OTHER ? R_OTHER : 0) |
    (n.midstream ? MIDSTREAM : 0) | (n.quicFailures > 0 ? QUIC_FAILED : 0);
}

/** The shared FlowNames of state `code` (made on first use). */
function sharedNames(code: number): FlowNames {
  let n = SHARED[code];
  if (n === undefined) {
    n = new FlowNames();
    loadShared(n, code);
    n.shared = true;
    n.sharedState = code;
    SHARED[code] = n;
  }
  return n;
}

/** Sets the fields of reset names `n` from shared state `code`. */
function loadShared(n: FlowNames, code: number): void {
  n.oSeen = code & MAX_SHARED_SEEN;
  n.rSeen = (code >>> SEEN_BITS) & MAX_SHARED_SEEN;
  if (code & O_OTHER) n.oFirst = OTHER;
  if (code & R_OTHER) n.rFirst = OTHER;
  n.midstream = (code & MIDSTREAM) !== 0;
  n.quicFailures = (code & QUIC_FAILED) !== 0 ? 1 : 0;
}

/** The names of a flow whose roles were swapped: `n` swapped, or for a shared state the shared one swapped. */
export function swappedNames(n: FlowNames): FlowNames {
  if (!n.shared) {
    n.swap();
    return n;
  }
  const s = SCRATCH;
  s.reset();
  loadShared(s, n.sharedState);
  s.swap();
  return sharedNames(sharedCode(s));
}

/**
 * Hands packet `p` of flow `f` (sent by the originator if `fromOrig`) to the flow's names. The demultiplexer calls it
 * for a flow's first packet and for the payload packets within the first packets of each direction, until it returns
 * false. At a flow's first packet, the names that DNS answers gave its addresses (passive DNS) are looked up; then the
 * payload of TCP and UDP packets is inspected. Returns whether this direction's payload is still to be handed over
 * (false: the names will look at none of it, whatever comes).
 */
export function inspectFlow(f: Flow, p: DecodedPacket, fromOrig: boolean): boolean {
  let names = f.names;
  if (names === null && f.oPkts + f.rPkts === 1 && anyAddressNamed()) names = nameEnds(f);
  const len = p.payloadCaptured;
  const proto = p.proto;
  if (proto !== TCP && proto !== UDP) return false;
  if (len <= 0) return true;
  if (names !== null && names.doneFor(fromOrig)) return !finalFor(names, fromOrig, proto);
  if (names === null || names.shared) {
    if (names !== null && proto === TCP && (fromOrig ? names.oSeen : names.rSeen) > 0) {
      // A later TCP payload of a flow that has shown nothing: only a TLS hello could change that (inspectTcp), and
      // the packet is counted. Tested here without the scratch.
      const tls = parseTlsRecord(p.bytes, p.payload, p.payload + len, HELLO);
      if (tls !== Tls.CLIENT_HELLO && tls !== Tls.SERVER_HELLO && tls !== Tls.MORE) {
        const next = sharedNames(names.sharedState + (fromOrig ? 1 : 1 << SEEN_BITS)); // seen < INSPECT_PACKETS < MAX_SHARED_SEEN
        f.names = next;
        return !finalFor(next, fromOrig, proto);
      }
    }
    const s = SCRATCH;
    s.reset();
    if (names === null) s.midstream = proto === TCP && f.oSyn + f.rSyn === 0;
    else loadShared(s, names.sharedState);
    inspect(s, p.bytes, p.payload, len, fromOrig, proto, p.srcPort, p.dstPort, p.seq);
    const code = sharedCode(s);
    if (code >= 0) {
      names = sharedNames(code);
    } else {
      names = s;
      SCRATCH = newFlowNames();
    }
    f.names = names;
    return !finalFor(names, fromOrig, proto);
  }
  // Names made at the flow's first packet for its addresses: this is its first payload.
  if (names.oSeen + names.rSeen === 0) names.midstream = proto === TCP && f.oSyn + f.rSyn === 0;
  inspect(names, p.bytes, p.payload, len, fromOrig, proto, p.srcPort, p.dstPort, p.seq);
  return !finalFor(names, fromOrig, proto);
}

/**
 * Whether `n` (of a flow of protocol `proto`) is done with this direction for good. doneFor's limit grows (to
 * STARTTLS_PACKETS) only when a protocol that can switch to TLS is confirmed, and that happens at a direction's first
 * payload (inspectTcp): once the other direction has had its first, or at the larger limit, done stays done. UDP's
 * limit is INSPECT_PACKETS whatever is confirmed (inspect).
 */
function finalFor(n: FlowNames, fromOrig: boolean, proto: number): boolean {
  if (!n.doneFor(fromOrig)) return false;
  return proto === UDP || (fromOrig ? n.rSeen : n.oSeen) > 0 || (fromOrig ? n.oSeen : n.rSeen) >= STARTTLS_PACKETS;
}

/** Gives flow `f` names of its own when a DNS answer named one of its addresses; returns them (or null). */
function nameEnds(f: Flow): FlowNames | null {
  const v6 = f.ipVersion === 6;
  const resp = nameOfAddress(v6, f.ra0, f.ra1, f.ra2, f.ra3);
  // Only a TCP connection whose first packet was no lone SYN may swap its roles later (a SYN+ACK first: see
  // tcp/connection.ts): the originator's name is needed then only.
  const orig = f.proto === TCP && f.directionGuessed ? nameOfAddress(v6, f.oa0, f.oa1, f.oa2, f.oa3) : '';
  if (resp === '' && orig === '') return null;
  const n = newFlowNames();
  n.respName = resp;
  n.origName = orig;
  f.names = n;
  return n;
}

/**
 * Looks at one packet's payload b[off, off + len) (as captured) for `names`. `fromOrig`: sent by the originator;
 * `proto` 6 or 17; `seq` the TCP sequence number of its first byte (0 for UDP). Call it for every payload packet
 * until names.done(); it stops looking by itself after the first packets of each direction.
 */
export function inspect(
  names: FlowNames, b: Uint8Array, off: number, len: number, fromOrig: boolean, proto: number, srcPort: number, dstPort: number, seq: number,
): void {
  if (len <= 0) return;
  const end = off + len;
  const nth = fromOrig ? names.oSeen++ : names.rSeen++;
  if (proto === TCP) {
    if (fromOrig && names.hello !== null) {
      continueHello(names, b, off, end, seq);
      return;
    }
    const limit = (names.serviceBits & STARTTLS_CAPABLE) !== 0 ? STARTTLS_PACKETS : INSPECT_PACKETS;
    if (nth >= limit) return;
    inspectTcp(names, b, off, end, fromOrig, nth, srcPort, dstPort, seq);
  } else if (proto === UDP) {
    if (nth >= INSPECT_PACKETS) return;
    inspectUdp(names, b, off, end, fromOrig, srcPort, dstPort);
  }
}

function inspectTcp(names: FlowNames, b: Uint8Array, off: number, end: number, fromOrig: boolean, nth: number, sport: number, dport: number, seq: number): void {
  const tls = parseTlsRecord(b, off, end, HELLO);
  if (tls === Tls.CLIENT_HELLO) {
    takeHello(names, b);
    return;
  }
  if (tls === Tls.SERVER_HELLO) {
    names.confirm(Svc.SSL);
    return;
  }
  if (tls === Tls.MORE && fromOrig && HELLO.needed <= MAX_HELLO + 9 && b[off + 5] === 1) {
    // A ClientHello longer than this segment: gather the originator's following in-order segments (bounded).
    startGathering(names, new Uint8Array(HELLO.needed), b, off, end, seq, GATHER_TLS);
    return;
  }
  if (nth > 0 && (fromOrig ? names.sshServer : names.sshClient) !== '' && (fromOrig ? names.sshClient : names.sshServer) === '') {
    // The peer sent its SSH banner and this side has not yet: a server may send other lines first, over several
    // segments (RFC 4253 §4.2); look for it in this side's following packets.
    takeSshBanner(names, b, off, end, fromOrig);
    return;
  }
  if (nth > 0 && (names.serviceBits & ~(1 << Svc.SSL)) !== 0) return; // after the first packet, only STARTTLS matters
  if (nth === 0) {
    const sshFirst = end - off >= 4 && b[off] === 0x53 && b[off + 1] === 0x53 && b[off + 2] === 0x48 && b[off + 3] === 0x2d; // SSH-
    const isRequest = parseHttpRequest(b, off, end, HTTP);
    const isStatus = !isRequest && isHttpStatusLine(b, off, end);
    const kind = sshFirst ? Svc.SSH : isRequest || isStatus ? Svc.HTTP : OTHER;
    if (fromOrig) names.oFirst = kind;
    else names.rFirst = kind;
    names.updateService();
    if (isRequest) {
      if (names.httpMethod === '') {
        names.httpMethod = payloadText(b, off, HTTP.methodLen);
        if (HTTP.hostOff >= 0) names.httpHost = payloadText(b, HTTP.hostOff, HTTP.hostLen);
        else if (fromOrig && !HTTP.headersEnded && end - off < MAX_HTTP_HEAD) {
          // The Host header comes in a later segment (a long request line): gather the request head, bounded.
          startGathering(names, new Uint8Array(MAX_HTTP_HEAD), b, off, end, seq, GATHER_HTTP);
        }
      }
      names.confirm(Svc.HTTP);
      return;
    }
    if (isStatus) {
      names.confirm(Svc.HTTP);
      return;
    }
    if (takeSshBanner(names, b, off, end, fromOrig)) return;
    if (dnsPort(sport, dport) && end - off >= 14 && ((b[off]! << 8) | b[off + 1]!) <= end - off - 2 && parseDns(b, off + 2, end, DNS)) {
      takeDns(names, b, off + 2, Math.min(end, off + 2 + ((b[off]! << 8) | b[off + 1]!)), sport, dport);
      return;
    }
    const solo = tcpSoloService(b, off, end);
    if (solo >= 0) {
      names.confirm(solo);
      return;
    }
    if (fromOrig) names.oHints |= tcpHints(b, off, end, dport);
    else names.rHints |= tcpHints(b, off, end, sport);
    const both = servicesOfHints(names.oHints, names.rHints);
    for (let s = 0; both >>> s !== 0; s++) if ((both >>> s) & 1) names.confirm(s);
  }
}

/** Looks for an SSH banner in b[off, end) and takes it as this side's; true when found. */
function takeSshBanner(names: FlowNames, b: Uint8Array, off: number, end: number, fromOrig: boolean): boolean {
  const at = findSshBanner(b, off, end, BANNER);
  if (at < 0) return false;
  const text = payloadText(b, at, BANNER.bannerLen);
  if (fromOrig) names.sshClient = text;
  else names.sshServer = text;
  // Zeek confirms SSH on the server's identification (a client talking to no server is no SSH session).
  if (!fromOrig) names.confirm(Svc.SSH);
  return true;
}

/** The ClientHello in HELLO was parsed from `b`: take its names, confirm ssl. */
function takeHello(names: FlowNames, b: Uint8Array): void {
  if (names.serverName === '' && HELLO.sniOff >= 0) names.serverName = payloadText(b, HELLO.sniOff, HELLO.sniLen);
  if (names.alpn === '' && HELLO.alpnOff >= 0) names.alpn = alpnText(b, HELLO.alpnOff, HELLO.alpnLen, payloadText);
  names.confirm(Svc.SSL);
}

/** Starts gathering the originator's stream into `buf` from its first segment b[off, end) at sequence number `seq`. */
function startGathering(names: FlowNames, buf: Uint8Array, b: Uint8Array, off: number, end: number, seq: number, kind: number): void {
  buf.set(b.subarray(off, end));
  names.hello = buf;
  names.helloLen = end - off;
  // Kept as int32 (| 0), not uint32: a field that stays a small integer keeps the object's shape (a uint32 above 2^31
  // would make V8 change the field to a double, and throw away the code that relied on it).
  names.helloNext = (seq + (end - off)) | 0;
  names.helloKind = kind;
}

/** The next originator segment of a ClientHello or HTTP request head being gathered: appended when it continues it exactly. */
function continueHello(names: FlowNames, b: Uint8Array, off: number, end: number, seq: number): void {
  const buf = names.hello!; // caller checked
  if ((seq | 0) !== names.helloNext) {
    // A retransmission or a segment out of order: this bounded gathering does not reorder; give up on it.
    if (((seq - names.helloNext) | 0) > 0) names.hello = null;
    return;
  }
  const n = Math.min(end - off, buf.length - names.helloLen);
  buf.set(b.subarray(off, off + n), names.helloLen);
  names.helloLen += n;
  names.helloNext = (names.helloNext + (end - off)) | 0;
  if (names.helloKind === GATHER_HTTP) {
    if (!parseHttpRequest(buf, 0, names.helloLen, HTTP)) {
      names.hello = null;
    } else if (HTTP.hostOff >= 0) {
      names.httpHost = payloadText(buf, HTTP.hostOff, HTTP.hostLen);
      names.hello = null;
    } else if (HTTP.headersEnded || names.helloLen === buf.length) {
      names.hello = null;
    }
    return;
  }
  if (names.helloLen < buf.length) return;
  names.hello = null;
  if (parseTlsRecord(buf, 0, buf.length, HELLO) === Tls.CLIENT_HELLO) takeHello(names, buf);
}

function inspectUdp(names: FlowNames, b: Uint8Array, off: number, end: number, fromOrig: boolean, sport: number, dport: number): void {
  if (dnsPort(sport, dport) && parseDns(b, off, end, DNS)) {
    takeDns(names, b, off, end, sport, dport);
    return;
  }
  const quicDone = ((names.serviceBits & (1 << Svc.QUIC)) !== 0 && names.quic === null) || names.quicFailures >= QUIC_TRIES;
  // Client Initials only: from the originator (the client sends the first datagram).
  if (!quicDone && fromOrig && end - off >= MIN_CLIENT_INITIAL && parseInitialHeader(b, off, end, QUIC_HEADER)) {
    const crypto = names.quic ?? new QuicCrypto();
    if (feedInitial(b, off, end, QUIC_HEADER, crypto)) {
      names.quic = crypto;
      names.confirm(Svc.QUIC);
      if (names.serverName === '' && crypto.clientHello(HELLO)) {
        if (HELLO.sniOff >= 0) names.serverName = payloadText(crypto.data, HELLO.sniOff, HELLO.sniLen);
        if (HELLO.alpnOff >= 0) names.alpn = alpnText(crypto.data, HELLO.alpnOff, HELLO.alpnLen, payloadText);
        names.quic = null; // done: let the buffer go
      }
      return;
    }
    names.quicFailures++;
  }
  const svc = udpService(b, off, end, sport, dport);
  if (svc >= 0) names.confirm(svc);
}

/**
 * A DNS message in DNS was parsed from b[msg, end): the first query's name and type, the first response's code; a
 * response's address answers name their addresses (passive DNS).
 */
function takeDns(names: FlowNames, b: Uint8Array, msg: number, end: number, sport: number, dport: number): void {
  names.confirm(Svc.DNS);
  // NetBIOS names are encoded (RFC 1001 §14.1), not DNS names: the service only.
  if (sport === 137 || dport === 137) return;
  if (names.dnsQuery === '' && DNS.nameOff >= 0) {
    names.dnsQuery = dnsNameText(b, msg, DNS.nameOff);
    names.dnsQtype = DNS.qtype;
  }
  if (DNS.isResponse && names.dnsRcode < 0) names.dnsRcode = DNS.rcode;
  if (DNS.isResponse) learnAnswers(b, msg, end, names.dnsQuery);
}

/**
 * The names of `n` as a record's plain, unchanging object (records are snapshots; a flow's names may still grow).
 * Reused while the names are the same.
 */
export function namesRecord(n: FlowNames): NamesRecord {
  const last = n.record;
  if (last !== null && last.service === n.service && last.serverName === n.serverName && last.httpHost === n.httpHost &&
      last.dnsQuery === n.dnsQuery && last.dnsRcode === n.dnsRcode && last.sshClient === n.sshClient && last.sshServer === n.sshServer &&
      last.alpn === n.alpn && last.respName === n.respName) {
    return last;
  }
  const r: NamesRecord = {
    service: n.service,
    serverName: n.serverName,
    alpn: n.alpn,
    httpHost: n.httpHost,
    httpMethod: n.httpMethod,
    dnsQuery: n.dnsQuery,
    dnsQtype: n.dnsQtype,
    dnsRcode: n.dnsRcode,
    sshClient: n.sshClient,
    sshServer: n.sshServer,
    respName: n.respName,
  };
  n.record = r;
  return r;
}
