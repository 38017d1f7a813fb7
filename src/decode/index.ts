/**
 * Zero-copy frame decoding: `decodeFrame` reads one frame's headers into a reused {@link DecodedPacket} through the
 * caller's DataView. Nothing on this path allocates or throws; the outcome is a {@link DecodeStatus}.
 */
import { decodeLink } from './linktype.js';
import type { DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';

export { DecodedPacket, IpProto, TcpFlag } from './packet.js';
export type { DecodeStatus } from './status.js';
export { Status, STATUS_NAME, STATUS_COUNT, Undecoded, UNDECODED_NAME, undecodedLabel } from './status.js';
export { isSupportedLinkType } from './linktype.js';
export { LINK } from './fields.js';
export { INNER_RAW_IP } from './tunnel.js';
export { formatIpv4, formatIpv6, formatAddress } from './address.js';
export { icmp4Counterpart, icmp6Counterpart } from './icmp.js';

/**
 * Resets every field of `p` to its initial value, so nothing leaks from one packet into the next (Zeek's
 * ConnKey rule: "always set all fields anew"). Keeps `bytes`/`view` (the caller's buffer) as they are.
 */
export function resetPacket(p: DecodedPacket): void {
  p.end = 0;
  p.status = Status.OK;
  p.l3 = -1;
  p.l4 = -1;
  p.payload = -1;
  p.payloadLen = 0;
  p.payloadCaptured = 0;
  p.ipVersion = 0;
  p.proto = 0;
  p.ipBytes = 0;
  p.ttl = 0;
  p.src4 = 0;
  p.dst4 = 0;
  const s = p.src6;
  const d = p.dst6;
  s[0] = 0; s[1] = 0; s[2] = 0; s[3] = 0;
  d[0] = 0; d[1] = 0; d[2] = 0; d[3] = 0;
  p.isFragment = 0;
  p.fragOffset = 0;
  p.moreFragments = 0;
  p.fragId = 0;
  p.fragData = -1;
  p.fragNext = 0;
  p.srcPort = 0;
  p.dstPort = 0;
  p.icmpOneWay = 0;
  p.icmpType = -1;
  p.icmpCode = -1;
  p.tcpFlags = 0;
  p.seq = 0;
  p.ack = 0;
  p.window = 0;
  p.tcpHeaderLen = 0;
  p.optMss = -1;
  p.optWscale = -1;
  p.optSackPerm = 0;
  p.optSack = 0;
  p.optTs = 0;
  p.tsVal = 0;
  p.tsEcr = 0;
  p.udpLength = 0;
  p.vlan = -1;
  p.innerVlan = -1;
  p.innerOffset = -1;
  p.innerLinkType = 0;
  p.encap = 0;
  p.undecodedKind = 0;
  p.undecodedValue = 0;
}

/**
 * Decodes the frame at `bytes[offset, offset + caplen)` with link type `linkType` into `p` (reset first), sets
 * `p.status` and returns it. `view` must cover exactly the memory of `bytes` (same buffer, byteOffset and length;
 * see {@link viewFor}); all offsets written into `p` are offsets into `bytes`. `p.bytes`/`p.view` borrow the
 * caller's memory and are valid only as long as the caller's frame is.
 *
 * After a later IP fragment (FRAGMENT) or a protocol without ports, `payload`/`payloadLen`/`payloadCaptured` cover
 * the IP payload; for ICMP they start after the 8-byte ICMP header (Zeek's ICMP byte count).
 *
 * Only the low 16 bits of `linkType` are the link type (pcap headers may carry FCS flags above them); a negative
 * `linkType` is minus an EtherType (see `DecodedPacket.innerLinkType`). Tunnels are
 * marked, not followed: decode the inner packet with `decodeFrame(inner, bytes, view, p.innerOffset,
 * p.end - p.innerOffset, p.innerLinkType)`.
 */
export function decodeFrame(
  p: DecodedPacket, bytes: Uint8Array, view: DataView, offset: number, caplen: number, linkType: number,
): DecodeStatus {
  resetPacket(p);
  p.bytes = bytes;
  p.view = view;
  let end = offset + caplen;
  if (end > bytes.length) end = bytes.length;
  p.end = end;
  const status = decodeLink(p, linkType < 0 ? linkType : linkType & 0xffff, offset, end);
  p.status = status;
  return status;
}

let cachedBuffer: ArrayBufferLike | null = null;
let cachedOffset = -1;
let cachedLength = -1;
let cachedView: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView over exactly the memory of `bytes`, reused while the caller keeps passing the same buffer region
 * (one allocation per new chunk, none per packet). The view is valid as long as `bytes` is.
 */
export function viewFor(bytes: Uint8Array): DataView {
  if (bytes.buffer !== cachedBuffer || bytes.byteOffset !== cachedOffset || bytes.byteLength !== cachedLength) {
    cachedBuffer = bytes.buffer;
    cachedOffset = bytes.byteOffset;
    cachedLength = bytes.byteLength;
    cachedView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return cachedView;
}
