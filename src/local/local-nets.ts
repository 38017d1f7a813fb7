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

/**
 * Zeek's `Site::private_address_space` (base/utils/site.zeek, and as Zeek 9.1-dev's logs show it), which Zeek counts as local by default
 * (`Site::private_address_space_is_local = T`): IANA's special-purpose IPv4 blocks and each one's 6to4 form (RFC 3056),
 * and the special-purpose IPv6 blocks. `--local-nets private` stands for it.
 */
export const ZEEK_PRIVATE_NETS: readonly string[] = [
  '0.0.0.0/8', '2002::/24', // "this network" (RFC 791)
  '10.0.0.0/8', '2002:a00::/24', // private use (RFC 1918)
  '100.64.0.0/10', '2002:6440::/26', // shared address space, carrier-grade NAT (RFC 6598)
  '127.0.0.0/8', '2002:7f00::/24', // loopback (RFC 1122)
  '169.254.0.0/16', '2002:a9fe::/32', // link local (RFC 3927)
  '172.16.0.0/12', '2002:ac10::/28', // private use (RFC 1918)
  '192.0.0.0/24', '2002:c000::/40', // IETF protocol assignments (RFC 6890)
  '192.0.2.0/24', '2002:c000:200::/40', // TEST-NET-1 (RFC 5737)
  '192.168.0.0/16', '2002:c0a8::/32', // private use (RFC 1918)
  '198.18.0.0/15', '2002:c612::/31', // benchmarking (RFC 2544)
  '198.51.100.0/24', '2002:c633:6400::/40', // TEST-NET-2 (RFC 5737)
  '203.0.113.0/24', '2002:cb00:7100::/40', // TEST-NET-3 (RFC 5737)
  // Multicast confined to the site: the local network control block (RFC 5771) and administratively scoped
  // multicast (RFC 2365). The Zeek 9.1-dev baselines of ../shared/corpus count both local (224.0.0.251,
  // 239.114.155.111), while 224.2.127.254 and ff02:: groups are not.
  '224.0.0.0/24', '239.0.0.0/8',
  '240.0.0.0/4', '2002:f000::/20', // reserved (RFC 1112)
  '255.255.255.255/32', '2002:ffff:ffff::/48', // limited broadcast (RFC 919, RFC 8190)
  '::/128', '::1/128', // unspecified, loopback (RFC 4291)
  '64:ff9b:1::/48', // IPv4-IPv6 translation (RFC 8215)
  '100::/64', // discard-only (RFC 6666)
  '2001::/23', '2001:2::/48', // IETF protocol assignments (RFC 2928), benchmarking (RFC 5180)
  '2001:db8::/32', // documentation (RFC 3849)
  'fc00::/7', 'fe80::/10', // unique local (RFC 4193), link-local unicast (RFC 4291)
];

/** Parses the comma-separated list of `--local-nets`; the word `private` stands for {@link ZEEK_PRIVATE_NETS}. */
export function parseCidrList(text: string): Cidr[] {
  const parts = text.split(',').filter((p) => p.trim() !== '');
  if (parts.length === 0) throw new Error('expected one or more networks, e.g. 10.0.0.0/8,fd00::/8 (or private)');
  return parts.flatMap((p) => (p.trim() === 'private' ? ZEEK_PRIVATE_NETS.map(parseCidr) : [parseCidr(p)]));
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
