/**
 * Passive DNS: names for addresses from the DNS answers seen in the input, the way bandwhich and RustNet show host
 * names, without sending a query. Every A and AAAA record of a response's answer section gives its address the name
 * that was asked for (the head of the record's CNAME chain: see dns.ts chainHead), so a flow to a CDN address reads
 * as the name the user typed, not the CDN's. A flow carries the name its responder's address had at the flow's first
 * packet (NamesRecord.respName).
 *
 * Bounded memory: at most MAX_ADDRESSES addresses, the oldest answer's dropped first (counted in `dropped`). A later
 * answer for an address replaces its name and makes it the newest. One map per process, for the thread that runs
 * the payload parsers; configureNames clears it before a run.
 */
import { chainHead, DnsAnswers, dnsNameText, nameIsText, parseDnsAnswers, RrType } from './dns.js';

/** Most addresses named at once. */
export const MAX_ADDRESSES = 65536;

/**
 * An address and its name. IPv4: words 0-2 are 0, word 3 the address; IPv6: four big-endian words (int32). `older` and
 * `newer` link the names in the order they were set (see OLDEST).
 */
class Named {
  v6 = false;
  w0 = 0;
  w1 = 0;
  w2 = 0;
  w3 = 0;
  name = '';
  key = 0;
  older: Named | null = null;
  newer: Named | null = null;
}

/**
 * The map's key of an address, a small integer (V8 keeps it unboxed): an IPv4 address itself, an IPv6 address a
 * hash of its words. Two addresses may share a key (an IPv6 hash meeting another address): the map keeps the newer,
 * and a lookup compares the whole address, so a shared key loses a name, never gives a wrong one.
 */
function keyOf(v6: boolean, w0: number, w1: number, w2: number, w3: number): number {
  if (!v6) return w3 | 0;
  let h = Math.imul(w0 ^ 0x5bd1e995, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 13), 0x85ebca6b);
  h = Math.imul(h ^ w3 ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 15)) | 0;
}

/** The names, by key. */
const NAMES = new Map<number, Named>();
/** The ends of the list of names in the order they were set: the oldest is dropped first, a name set again moves to the newest end. */
let OLDEST: Named | null = null;
let NEWEST: Named | null = null;

function unlink(n: Named): void {
  if (n.older === null) OLDEST = n.newer;
  else n.older.newer = n.newer;
  if (n.newer === null) NEWEST = n.older;
  else n.newer.older = n.older;
  n.older = n.newer = null;
}

function append(n: Named): void {
  n.older = NEWEST;
  n.newer = null;
  if (NEWEST === null) OLDEST = n;
  else NEWEST.newer = n;
  NEWEST = n;
}

/** Counters of this run's map (see passiveDnsStats). */
const STATS = { learned: 0, dropped: 0 };

/** Addresses given a name so far, and names dropped to keep the map within MAX_ADDRESSES (oldest first). */
export function passiveDnsStats(): { readonly learned: number; readonly dropped: number } {
  return STATS;
}

/** Forgets every name (a new run). */
export function clearPassiveDns(): void {
  NAMES.clear();
  OLDEST = NEWEST = null;
  STATS.learned = 0;
  STATS.dropped = 0;
}

/** Whether any address has a name: when none does, a new flow needs no lookup. */
export function anyAddressNamed(): boolean {
  return NAMES.size > 0;
}

/**
 * Gives an address a name (see Named for the words), as the newest. When MAX_ADDRESSES addresses have names already,
 * the oldest is dropped, and counted.
 */
export function nameAddress(v6: boolean, w0: number, w1: number, w2: number, w3: number, name: string): void {
  const key = keyOf(v6, w0, w1, w2, w3);
  let n = NAMES.get(key);
  if (n !== undefined) {
    const same = n.v6 === v6 && n.w0 === w0 && n.w1 === w1 && n.w2 === w2 && n.w3 === w3;
    if (same && n.name === name) return;
    if (!same) STATS.dropped++; // another address with the same key: the newer is kept
    unlink(n);
  } else {
    if (NAMES.size >= MAX_ADDRESSES && OLDEST !== null) {
      n = OLDEST; // dropped, and its object reused
      unlink(n);
      NAMES.delete(n.key);
      STATS.dropped++;
    } else {
      n = new Named();
    }
    n.key = key;
    NAMES.set(key, n);
  }
  n.v6 = v6;
  n.w0 = w0;
  n.w1 = w1;
  n.w2 = w2;
  n.w3 = w3;
  n.name = name;
  append(n);
  STATS.learned++;
}

/** The name of an address (see Named for the words), or '' when no answer gave it one. */
export function nameOfAddress(v6: boolean, w0: number, w1: number, w2: number, w3: number): string {
  const n = NAMES.get(keyOf(v6, w0, w1, w2, w3));
  if (n === undefined || n.v6 !== v6 || n.w3 !== w3 || n.w0 !== w0 || n.w1 !== w1 || n.w2 !== w2) return '';
  return n.name;
}

/** Scratch answer records (one thread runs the parsers at a time). */
const ANSWERS = new DnsAnswers();

const word = (b: Uint8Array, i: number): number => (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;

/**
 * Learns the addresses of the DNS response at b[msg, end) (for DNS over TCP, after its 2-byte length): each A and AAAA
 * record of its answer section names its address with the name asked for. Hostile input costs bounded work (see
 * parseDnsAnswers); the text of a name is built once per message when its records share it, and not at all when it
 * reads `known` (the flow's question, usually the name asked for), whose string is then shared.
 */
export function learnAnswers(b: Uint8Array, msg: number, end: number, known = ''): void {
  const a = ANSWERS;
  if (parseDnsAnswers(b, msg, end, a) === 0) return;
  let lastHead = -1;
  let lastName = '';
  for (let i = 0; i < a.count; i++) {
    const type = a.type[i]!; // i < count
    if (type === RrType.CNAME) continue;
    const head = chainHead(b, msg, a, i);
    if (head !== lastHead) {
      lastHead = head;
      lastName = known !== '' && nameIsText(b, msg, head, known) ? known : dnsNameText(b, msg, head);
    }
    const r = a.rdata[i]!; // i < count
    if (type === RrType.A) nameAddress(false, 0, 0, 0, word(b, r), lastName);
    else nameAddress(true, word(b, r), word(b, r + 4), word(b, r + 8), word(b, r + 12), lastName);
  }
}
