/** What every tunnel decoder shares: how an inner packet is marked, and which encapsulation marked it. */
import { LinkType } from '../source/types.js';
import type { DecodedPacket } from './packet.js';

/** Link type for an inner packet that is raw IP whose version nibble decides IPv4 or IPv6. */
export const INNER_RAW_IP = LinkType.RAW;

/**
 * The encapsulation that marked an inner packet (`DecodedPacket.encap`), named as Zeek's `Tunnel::Type` where Zeek
 * has one (`IP`, `GRE`, `VXLAN`, `GENEVE`, `GTPv1`, `TEREDO`, `AYIYA`).
 */
export const Encap = {
  NONE: 0,
  /** IP-in-IP: 4in4, 6in4, 4in6, 6in6 (protocols 4 and 41). */
  IP: 1,
  GRE: 2,
  /** PPTP's enhanced GRE (GRE version 1). */
  PPTP: 3,
  ERSPAN: 4,
  VXLAN: 5,
  VXLAN_GPE: 6,
  GENEVE: 7,
  GTPV1: 8,
  TEREDO: 9,
  AYIYA: 10,
  L2TP: 11,
  /** MPLS in IP (protocol 137) or in UDP (port 6635). */
  MPLS: 12,
} as const;

/** ENCAP_NAME[encap]: `IP`, `GRE`, `VXLAN`, ... as in Zeek's tunnel.log, with sockscope's additions. */
export const ENCAP_NAME: readonly string[] = [
  'NONE', 'IP', 'GRE', 'PPTP', 'ERSPAN', 'VXLAN', 'VXLAN_GPE', 'GENEVE', 'GTPv1', 'TEREDO', 'AYIYA', 'L2TP', 'MPLS',
];

/** Marks an inner packet at `innerOffset`, decoded as `innerLinkType`, carried by `encap`. */
export function mark(p: DecodedPacket, innerOffset: number, innerLinkType: number, encap: number): void {
  p.innerOffset = innerOffset;
  p.innerLinkType = innerLinkType;
  p.encap = encap;
}

/** Version nibble at `off` is 4 or 6. */
export function looksLikeIp(p: DecodedPacket, off: number, end: number): boolean {
  if (off >= end) return false;
  const v = p.view.getUint8(off) >>> 4;
  return v === 4 || v === 6;
}
