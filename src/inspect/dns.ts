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

/**
 * The text of the name at `p` (checked by nameEnd first): labels joined by dots, bytes outside printable ASCII and
 * dots or backslashes inside a label escaped as `\xNN`. The root is `<Root>`, as tshark writes it.
 */
export function dnsNameText(b: Uint8Array, msg: number, p: number): string {
  let s = '';
  for (let hops = 0; hops <= MAX_HOPS; ) {
    const len = b[p]!;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      p = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      hops++;
      continue;
    }
    if (s !== '') s += '.';
    s += labelText(b, p + 1, p + 1 + len);
    p += 1 + len;
  }
  return s === '' ? '<Root>' : s;
}

/** One label's text: as it is when every byte is a plain hostname character (the usual case, one string), else escaped. */
function labelText(b: Uint8Array, from: number, to: number): string {
  let plain = true;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c <= 0x20 || c > 0x7e || c === 0x2e || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    s += c <= 0x20 || c > 0x7e || c === 0x2e || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c);
  }
  return s;
}
