/**
 * DNS messages (RFC 1035 §4.1): the header and the first question. Reads in place into a reused {@link DnsMessage}
 * and allocates nothing; {@link dnsNameText} builds the name's text once a message is accepted. Compression pointers
 * are followed only backwards and at most 64 times, so a hostile message cannot loop.
 */

export class DnsMessage {
  id = 0;
  isResponse = false;
  opcode = 0;
  rcode = 0;
  /** Where the first question's name starts (-1 when there is no question), and its type and class. */
  nameOff = 0;
  qtype = 0;
  qclass = 0;
}

const MAX_HOPS = 64;

/** Most questions in a message taken for DNS (resolvers send one; mDNS queries may ask several). */
const MAX_QUESTIONS = 32;

/**
 * Parses the DNS message at b[off, end) (for DNS over TCP, after its 2-byte length). True when the header is sane
 * (opcode 0-6, 1-32 questions) and the whole first question is there; or, for a response without a question (as
 * mDNS announcements are), when it carries at least one record. `nameOff` is -1 then.
 */
export function parseDns(b: Uint8Array, off: number, end: number, out: DnsMessage): boolean {
  if (end - off < 12) return false;
  const flags = (b[off + 2]! << 8) | b[off + 3]!;
  const qd = (b[off + 4]! << 8) | b[off + 5]!;
  const opcode = (flags >>> 11) & 15;
  if (qd > MAX_QUESTIONS || opcode > 6) return false;
  if (qd === 0) {
    const records = ((b[off + 6]! << 8) | b[off + 7]!) + ((b[off + 8]! << 8) | b[off + 9]!) + ((b[off + 10]! << 8) | b[off + 11]!);
    if ((flags & 0x8000) === 0 || records === 0 || nameEnd(b, off, off + 12, end) < 0) return false;
    out.id = (b[off]! << 8) | b[off + 1]!;
    out.isResponse = true;
    out.opcode = opcode;
    out.rcode = flags & 15;
    out.nameOff = -1;
    out.qtype = 0;
    out.qclass = 0;
    return true;
  }
  const q = nameEnd(b, off, off + 12, end);
  if (q < 0 || q + 4 > end) return false;
  out.id = (b[off]! << 8) | b[off + 1]!;
  out.isResponse = (flags & 0x8000) !== 0;
  out.opcode = opcode;
  out.rcode = flags & 15;
  out.nameOff = off + 12;
  out.qtype = (b[q]! << 8) | b[q + 1]!;
  out.qclass = (b[q + 2]! << 8) | b[q + 3]!;
  return true;
}

/**
 * The end of the (possibly compressed) name at `p` within the message starting at `msg`: the offset after its last
 * label or pointer, or -1 when it is malformed, cut short, longer than 255 bytes or loops.
 */
export function nameEnd(b: Uint8Array, msg: number, p: number, end: number): number {
  let after = -1;
  let total = 0;
  let hops = 0;
  for (;;) {
    if (p >= end) return -1;
    const len = b[p]!;
    if (len === 0) return after < 0 ? p + 1 : after;
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end || ++hops > MAX_HOPS) return -1;
      const target = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      if (after < 0) after = p + 2;
      if (target >= p) return -1; // only backwards: no loops
      p = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return -1; // extended label types (RFC 6891 §5): not in questions
    total += len + 1;
    if (total > 255 || p + 1 + len > end) return -1;
    p += 1 + len;
  }
}

/** Where dnsNameText writes a name's text: 255 bytes of name, each escaped at worst as 4 characters. */
const TEXT = Buffer.alloc(255 * 4);
const HEX_DIGITS = Uint8Array.from(Buffer.from('0123456789abcdef', 'latin1'));

/**
 * The text of the name at `p` (checked by nameEnd first): labels joined by dots, bytes outside printable ASCII and
 * dots or backslashes inside a label escaped as `\xNN`. The root is `<Root>`, as tshark writes it. One string, built
 * from the bytes in a scratch buffer.
 */
export function dnsNameText(b: Uint8Array, msg: number, p: number): string {
  let n = 0;
  for (let hops = 0; hops <= MAX_HOPS; ) {
    const len = b[p]!;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      p = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      hops++;
      continue;
    }
    if (n !== 0) TEXT[n++] = 0x2e;
    for (let i = p + 1, to = p + 1 + len; i < to; i++) {
      const c = b[i]!;
      if (c <= 0x20 || c > 0x7e || c === 0x2e || c === 0x5c) {
        TEXT[n] = 0x5c;
        TEXT[n + 1] = 0x78;
        TEXT[n + 2] = HEX_DIGITS[c >>> 4]!; // < 16
        TEXT[n + 3] = HEX_DIGITS[c & 15]!;
        n += 4;
      } else {
        TEXT[n++] = c;
      }
    }
    p += 1 + len;
  }
  return n === 0 ? '<Root>' : TEXT.toString('latin1', 0, n);
}

/**
 * Whether the name at `p` (checked by nameEnd) reads `text` as dnsNameText writes it, for a name whose bytes need no
 * escape (false otherwise): compares without building the name's text.
 */
export function nameIsText(b: Uint8Array, msg: number, p: number, text: string): boolean {
  let i = 0;
  for (let hops = 0; hops <= MAX_HOPS; ) {
    const len = b[p]!;
    if (len === 0) return i === text.length && i !== 0;
    if ((len & 0xc0) === 0xc0) {
      p = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      hops++;
      continue;
    }
    if (i !== 0 && text.charCodeAt(i++) !== 0x2e) return false;
    if (i + len > text.length) return false;
    for (let k = 1; k <= len; k++) {
      const c = b[p + k]!;
      if (c <= 0x20 || c > 0x7e || c === 0x2e || c === 0x5c || text.charCodeAt(i++) !== c) return false;
    }
    p += 1 + len;
  }
  return false;
}

/** Record types read from answer sections (RFC 1035 §3.2.2, RFC 3596 §2.1). */
export const RrType = { A: 1, CNAME: 5, AAAA: 28 } as const;

/** Most records of one answer section looked at (a hostile count stops here, or at the message's end before). */
export const MAX_ANSWERS = 64;
/** Most CNAME links followed from an address record back to the name asked for. */
const MAX_CHAIN = 16;

/**
 * The A, AAAA and CNAME records of class IN in a response's answer section (RFC 1035 §4.1.3), read in place by
 * {@link parseDnsAnswers} into reused arrays: the record's type, where its owner name starts and where its RDATA
 * starts (the address bytes, or the CNAME's target name, already checked by nameEnd). Other records are skipped.
 */
export class DnsAnswers {
  count = 0;
  readonly type = new Uint16Array(MAX_ANSWERS);
  readonly owner = new Int32Array(MAX_ANSWERS);
  readonly rdata = new Int32Array(MAX_ANSWERS);
}

/**
 * Reads the answer section of the DNS message at b[msg, end) (for DNS over TCP, after its 2-byte length) into `out`:
 * skips the questions, then walks ANCOUNT records, keeping the A (RDATA of 4 bytes), AAAA (16 bytes) and CNAME
 * records of class IN (mDNS's cache-flush bit ignored). A hostile message costs bounded work and yields no record
 * that is not whole: the walk stops at a malformed or looping name, at RDATA running past `end` or at the wrong
 * length for its type, after MAX_ANSWERS records, and where a lying count runs past the end; the records read before
 * the stop are kept. Returns the number of records kept.
 */
export function parseDnsAnswers(b: Uint8Array, msg: number, end: number, out: DnsAnswers): number {
  out.count = 0;
  if (end - msg < 12) return 0;
  const qd = (b[msg + 4]! << 8) | b[msg + 5]!;
  const an = (b[msg + 6]! << 8) | b[msg + 7]!;
  if (qd > MAX_QUESTIONS) return 0;
  let p = msg + 12;
  for (let i = 0; i < qd; i++) {
    const q = nameEnd(b, msg, p, end);
    if (q < 0 || q + 4 > end) return 0;
    p = q + 4;
  }
  for (let i = 0; i < an && i < MAX_ANSWERS; i++) {
    const owner = p;
    const q = nameEnd(b, msg, p, end);
    if (q < 0 || q + 10 > end) break;
    const type = (b[q]! << 8) | b[q + 1]!;
    const klass = ((b[q + 2]! << 8) | b[q + 3]!) & 0x7fff; // mDNS: the top bit is cache-flush (RFC 6762 §10.2)
    const rdlen = (b[q + 8]! << 8) | b[q + 9]!;
    const rdata = q + 10;
    if (rdata + rdlen > end) break;
    p = rdata + rdlen;
    if (klass !== 1) continue;
    if (type === RrType.A ? rdlen !== 4 : type === RrType.AAAA ? rdlen !== 16 : type !== RrType.CNAME) continue;
    if (type === RrType.CNAME && nameEnd(b, msg, rdata, rdata + rdlen) !== rdata + rdlen) continue; // target not exactly its RDATA
    const k = out.count++;
    out.type[k] = type;
    out.owner[k] = owner;
    out.rdata[k] = rdata;
  }
  return out.count;
}

/**
 * Where the name that answer record `i` of `a` answers for starts: its owner, or, when a CNAME of the same section
 * points to that owner, the CNAME's owner, and so on back (at most MAX_CHAIN links): the name that was asked for.
 * `www.example.com CNAME cdn.example.net; cdn.example.net A 192.0.2.1` gives www.example.com for the A record.
 */
export function chainHead(b: Uint8Array, msg: number, a: DnsAnswers, i: number): number {
  let name = a.owner[i]!; // i < count
  for (let links = 0; links < MAX_CHAIN; links++) {
    let from = -1;
    for (let j = 0; j < a.count; j++) {
      if (a.type[j] === RrType.CNAME && sameName(b, msg, a.rdata[j]!, name)) {
        from = a.owner[j]!; // j < count
        break;
      }
    }
    if (from < 0) break;
    name = from;
  }
  return name;
}

/**
 * Whether the names at `p` and `q` (both checked by nameEnd) are the same name: label by label, ASCII letters
 * compared without case (RFC 4343), pointers followed (at most MAX_HOPS each).
 */
export function sameName(b: Uint8Array, msg: number, p: number, q: number): boolean {
  for (let hops = 0; hops <= 2 * MAX_HOPS; ) {
    const lp = b[p]!, lq = b[q]!;
    if ((lp & 0xc0) === 0xc0) {
      p = msg + (((lp & 0x3f) << 8) | b[p + 1]!);
      hops++;
      continue;
    }
    if ((lq & 0xc0) === 0xc0) {
      q = msg + (((lq & 0x3f) << 8) | b[q + 1]!);
      hops++;
      continue;
    }
    if (p === q) return true; // the same bytes from here on
    if (lp !== lq) return false;
    if (lp === 0) return true;
    for (let k = 1; k <= lp; k++) {
      let x = b[p + k]!, y = b[q + k]!;
      if (x >= 0x41 && x <= 0x5a) x |= 0x20;
      if (y >= 0x41 && y <= 0x5a) y |= 0x20;
      if (x !== y) return false;
    }
    p += lp + 1;
    q += lq + 1;
  }
  return false;
}
