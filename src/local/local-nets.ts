/**
 * Zeek's `Site::local_nets`: the networks that count as "here". A flow's `local_orig` / `local_resp` say whether its
 * originator / responder address is in one of them (Zeek's conn.log fields, base/protocols/conn/main.zeek); with no
 * local networks at all, Zeek leaves both fields unset, and so does sockscope.
 */
import { isIP } from 'node:net';
import { parseAddressWords } from '../flow/community-id.js';

/** One network: address words (big-endian int32, IPv4 in word 3 as flows keep it) and prefix length. */
export interface Cidr {
  readonly version: 4 | 6;
  readonly words: readonly [number, number, number, number];
  readonly prefix: number;
  /** As given, for messages. */
  readonly text: string;
}

const SCRATCH = new Uint32Array(4);

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128); throws an Error naming the bad text. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const version = isIP(addr);
  if (version !== 4 && version !== 6) throw new Error(`"${text}" is not a network (expected e.g. 10.0.0.0/8 or fd00::/8)`);
  const max = version === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : Number(t.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && t.slice(slash + 1).trim() === '')) {
    throw new Error(`"${text}": the prefix length must be a whole number from 0 to ${max}`);
  }
  parseAddressWords(addr, version, SCRATCH);
  const words: [number, number, number, number] = [SCRATCH[0]! | 0, SCRATCH[1]! | 0, SCRATCH[2]! | 0, SCRATCH[3]! | 0];
  // Keep only the network part, so that 10.1.2.3/8 means 10.0.0.0/8.
  const first = version === 4 ? 3 : 0;
  for (let i = first, bits = prefix; i < 4; i++, bits -= 32) {
    words[i] = bits >= 32 ? words[i]! : bits <= 0 ? 0 : words[i]! & (-1 << (32 - bits)); // i < 4
  }
  return { version, words, prefix, text: t };
}

/** Parses the comma-separated list of `--local-nets`. */
export function parseCidrList(text: string): Cidr[] {
  const parts = text.split(',').filter((p) => p.trim() !== '');
  if (parts.length === 0) throw new Error('expected one or more networks, e.g. 10.0.0.0/8,fd00::/8');
  return parts.map(parseCidr);
}

/** Whether the address (version, words as flows keep them) is in `c`. */
export function inCidr(c: Cidr, version: number, w0: number, w1: number, w2: number, w3: number): boolean {
  if (c.version !== version) return false;
  const w = c.words;
  const first = version === 4 ? 3 : 0;
  let bits = c.prefix;
  for (let i = first; i < 4 && bits > 0; i++, bits -= 32) {
    const a = i === 0 ? w0 : i === 1 ? w1 : i === 2 ? w2 : w3;
    const mask = bits >= 32 ? -1 : -1 << (32 - bits);
    if (((a ^ w[i]!) & mask) !== 0) return false; // i < 4
  }
  return true;
}

/** A set of local networks. */
export class LocalNets {
  readonly nets: readonly Cidr[];

  constructor(nets: readonly Cidr[]) {
    this.nets = nets;
  }

  /** True when the address is in one of the networks (a linear walk: lists are a handful of networks). */
  has(version: number, w0: number, w1: number, w2: number, w3: number): boolean {
    for (const c of this.nets) if (inCidr(c, version, w0, w1, w2, w3)) return true;
    return false;
  }

  /** The same for an address in record text form. */
  hasText(text: string, version: number): boolean {
    if (!parseAddressWords(text, version, SCRATCH)) return false;
    return this.has(version, SCRATCH[0]! | 0, SCRATCH[1]! | 0, SCRATCH[2]! | 0, SCRATCH[3]! | 0);
  }
}
