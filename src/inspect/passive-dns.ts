/**
 * Passive DNS: names for addresses from the DNS answers seen in the input, the way bandwhich and RustNet show host
 * names, without sending a query. Every A and AAAA record of a response's answer section gives its address the name
 * that was asked for (the head of the record's CNAME chain: see dns.ts chainHead), so a flow to a CDN address reads
 * as the name the user typed, not the CDN's. A flow carries the name its responder's address had at the flow's first
 * packet (NamesRecord.respName).
 *
 * Bounded memory: at most MAX_ADDRESSES addresses (4.5 MB of tables and the names), the oldest answer's dropped first
 * (counted in `dropped`). A later answer for an address replaces its name and makes it the newest. One map per process, for the thread that runs
 * the payload parsers; configureNames clears it before a run.
 */
import { chainHead, DnsAnswers, dnsNameText, nameIsText, parseDnsAnswers, RrType } from './dns.js';

/** Most addresses named at once. */
export const MAX_ADDRESSES = 65536;

/** Slots of the hash table: a power of two, twice the entries at most (linear probing stays short). */
const SLOTS = MAX_ADDRESSES * 2;
const SLOT_MASK = SLOTS - 1;
const NONE = -1;

/**
 * The map, in typed arrays (no object per address: the collector has nothing to trace but the names). ENTRY holds
 * entry `e` in the STRIDE words from `e * STRIDE`: the address (IPv4: words 0-2 are 0, word 3 the address; IPv6: four
 * big-endian words, as int32), whether it is IPv6, the entries set before and after it (the order names are dropped
 * in) and its hash slot; NAME[e] is its name. SLOT_OF maps a hash slot to its entry + 1 (0: empty) in the low bits
 * and a tag (more bits of the address's hash) above them: a lookup skips other addresses' slots without reading
 * their entries, so a miss, what most flows' lookups are, reads one cache line. Made at the first answer.
 */
const STRIDE = 8;
const W0 = 0, W1 = 1, W2 = 2, W3 = 3, IS_V6 = 4, OLDER = 5, NEWER = 6, SLOT = 7;
/** SLOT_OF: bits for the entry + 1 (up to MAX_ADDRESSES), and the tag above them. */
const ENTRY_BITS = 17, ENTRY_MASK = (1 << ENTRY_BITS) - 1;
let SLOT_OF = new Int32Array(0);
let ENTRY = new Int32Array(0);
let NAME: string[] = [];
/** Entries in use (entries 0 .. count-1 exist), and the ends of the order their names were set in. */
let count = 0;
let oldest = NONE, newest = NONE;

function allocate(): void {
  SLOT_OF = new Int32Array(SLOTS);
  ENTRY = new Int32Array(MAX_ADDRESSES * STRIDE);
  NAME = new Array<string>(MAX_ADDRESSES).fill('');
}

/** The hash of an address (a mix of its words: the addresses of one subnet spread over the table). */
function hashOf(v6: boolean, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w3 ^ (v6 ? 0x5bd1e995 : 0), 0x85ebca6b);
  if (v6) {
    h = Math.imul(h ^ w0 ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ w1 ^ (h >>> 13), 0x85ebca6b);
    h = Math.imul(h ^ w2 ^ (h >>> 16), 0xc2b2ae35);
  }
  return h ^ (h >>> 15) ^ (h >>> 17);
}

/** A hash's tag, as SLOT_OF holds it (the bits above its slot's). */
const tagOf = (h: number): number => (h >>> 17) << ENTRY_BITS;

/** The entry of an address, or NONE. */
function find(v6: boolean, w0: number, w1: number, w2: number, w3: number): number {
  const flag = v6 ? 1 : 0;
  const h = hashOf(v6, w0, w1, w2, w3);
  const tag = tagOf(h);
  for (let slot = h & SLOT_MASK; ; slot = (slot + 1) & SLOT_MASK) {
    const s = SLOT_OF[slot]!; // slot < SLOTS
    if (s === 0) return NONE;
    if ((s & ~ENTRY_MASK) !== tag) continue;
    const e = (s & ENTRY_MASK) - 1;
    const at = e * STRIDE;
    if (ENTRY[at + W3] === w3 && ENTRY[at + IS_V6] === flag && ENTRY[at + W0] === w0 && ENTRY[at + W1] === w1 && ENTRY[at + W2] === w2) return e;
  }
}

/** The hash of entry `e`'s address. */
function hashOfEntry(e: number): number {
  const at = e * STRIDE;
  return hashOf(ENTRY[at + IS_V6] === 1, ENTRY[at + W0]!, ENTRY[at + W1]!, ENTRY[at + W2]!, ENTRY[at + W3]!); // e < count
}

/** Takes entry `e` out of the hash table (backward-shift deletion: no tombstones, probes stay short). */
function unhash(e: number): void {
  let hole = ENTRY[e * STRIDE + SLOT]!; // e < MAX_ADDRESSES
  SLOT_OF[hole] = 0;
  for (let j = (hole + 1) & SLOT_MASK; SLOT_OF[j] !== 0; j = (j + 1) & SLOT_MASK) {
    const s = SLOT_OF[j]!; // occupied
    const f = (s & ENTRY_MASK) - 1;
    const home = hashOfEntry(f) & SLOT_MASK;
    // f may move into the hole unless its home lies cyclically in (hole, j].
    if (((j - home) & SLOT_MASK) >= ((j - hole) & SLOT_MASK)) {
      SLOT_OF[hole] = s;
      ENTRY[f * STRIDE + SLOT] = hole;
      SLOT_OF[j] = 0;
      hole = j;
    }
  }
}

function unlink(e: number): void {
  const o = ENTRY[e * STRIDE + OLDER]!, n = ENTRY[e * STRIDE + NEWER]!; // e < MAX_ADDRESSES
  if (o === NONE) oldest = n;
  else ENTRY[o * STRIDE + NEWER] = n;
  if (n === NONE) newest = o;
  else ENTRY[n * STRIDE + OLDER] = o;
}

function append(e: number): void {
  ENTRY[e * STRIDE + OLDER] = newest;
  ENTRY[e * STRIDE + NEWER] = NONE;
  if (newest === NONE) oldest = e;
  else ENTRY[newest * STRIDE + NEWER] = e;
  newest = e;
}

/** Counters of this run's map (see passiveDnsStats). */
const STATS = { learned: 0, dropped: 0 };

/** Addresses given a name so far, and names dropped to keep the map within MAX_ADDRESSES (oldest first). */
export function passiveDnsStats(): { readonly learned: number; readonly dropped: number } {
  return STATS;
}

/** Forgets every name (a new run). */
export function clearPassiveDns(): void {
  if (count > 0) {
    SLOT_OF.fill(0);
    NAME.fill('');
  }
  count = 0;
  oldest = newest = NONE;
  STATS.learned = 0;
  STATS.dropped = 0;
}

/** Whether any address has a name: when none does, a new flow needs no lookup. */
export function anyAddressNamed(): boolean {
  return count > 0;
}

/**
 * Gives an address a name (IPv4: words 0-2 are 0, word 3 the address; IPv6: four big-endian words, as int32), as the
 * newest. When MAX_ADDRESSES addresses have names already, the oldest is dropped, and counted.
 */
export function nameAddress(v6: boolean, w0: number, w1: number, w2: number, w3: number, name: string): void {
  if (SLOT_OF.length === 0) allocate();
  let e = find(v6, w0, w1, w2, w3);
  if (e !== NONE) {
    if (NAME[e] === name) return;
    unlink(e);
  } else {
    if (count < MAX_ADDRESSES) {
      e = count++;
    } else {
      e = oldest; // dropped, its entry reused
      unlink(e);
      unhash(e);
      STATS.dropped++;
    }
    const at = e * STRIDE;
    ENTRY[at + W0] = w0;
    ENTRY[at + W1] = w1;
    ENTRY[at + W2] = w2;
    ENTRY[at + W3] = w3;
    ENTRY[at + IS_V6] = v6 ? 1 : 0;
    const h = hashOf(v6, w0, w1, w2, w3);
    let slot = h & SLOT_MASK;
    while (SLOT_OF[slot] !== 0) slot = (slot + 1) & SLOT_MASK; // the table is at most half full
    SLOT_OF[slot] = (e + 1) | tagOf(h);
    ENTRY[at + SLOT] = slot;
  }
  NAME[e] = name;
  append(e);
  STATS.learned++;
}

/** The name of an address (words as for nameAddress), or '' when no answer gave it one. */
export function nameOfAddress(v6: boolean, w0: number, w1: number, w2: number, w3: number): string {
  if (count === 0) return '';
  const e = find(v6, w0, w1, w2, w3);
  return e === NONE ? '' : NAME[e]!; // e < count
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
