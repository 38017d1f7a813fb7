/**
 * IPv6 header decoding (RFC 8200 §3) and the extension-header walk (§4): hop-by-hop (with the RFC 2675 jumbo
 * payload option), routing, fragment, destination options, AH (RFC 4302 §2.2), and the rest of the generic-format
 * ones (mobility 135, HIP 139, shim6 140).
 */
import { IPV6, IPV6_EXT, IPV6_FRAG, IPV6_OPT } from './fields.js';
import { IpProto, type DecodedPacket } from './packet.js';
import { Status, type DecodeStatus } from './status.js';
import { decodeTransport } from './transport.js';

/** Extension headers that share the generic (next header, 8-byte length units) format. */
const EXT_MOBILITY = 135;
const EXT_HIP = 139;
const EXT_SHIM6 = 140;

/**
 * Decodes the IPv6 header at `off` (captured bytes end at `end`), walks the extension chain and decodes the
 * transport header. `proto` becomes the final upper-layer protocol; `ipBytes` = payload length + 40, or, when the
 * payload length is 0 (jumbogram or BIG TCP), the jumbo option's length + 40 or else the captured length.
 * An extension header that runs past the stated payload is BAD_IP_HEADER; one cut by the capture is TRUNCATED_IP.
 * A fragment header with offset > 0 returns FRAGMENT (RFC 8200 §4.5: only the first fragment has the upper header).
 */
export function decodeIpv6(p: DecodedPacket, off: number, end: number): DecodeStatus {
  const view = p.view;
  p.l3 = off;
  p.ipVersion = 6;
  if (end - off < IPV6.HEADER_LEN) return Status.TRUNCATED_IP;
  if (view.getUint8(off) >>> 4 !== 6) return Status.BAD_IP_VERSION;
  const payloadLen = view.getUint16(off + IPV6.PAYLOAD_LEN);
  let next = view.getUint8(off + IPV6.NEXT_HEADER);
  p.ttl = view.getUint8(off + IPV6.HOP_LIMIT);
  const src6 = p.src6;
  const dst6 = p.dst6;
  src6[0] = view.getUint32(off + IPV6.SRC);
  src6[1] = view.getUint32(off + IPV6.SRC + 4);
  src6[2] = view.getUint32(off + IPV6.SRC + 8);
  src6[3] = view.getUint32(off + IPV6.SRC + 12);
  dst6[0] = view.getUint32(off + IPV6.DST);
  dst6[1] = view.getUint32(off + IPV6.DST + 4);
  dst6[2] = view.getUint32(off + IPV6.DST + 8);
  dst6[3] = view.getUint32(off + IPV6.DST + 12);
  p.proto = next;
  // Payload length 0: a jumbogram (the hop-by-hop option says) or BIG TCP (the capture says).
  let statedEnd = payloadLen === 0 ? end : off + IPV6.HEADER_LEN + payloadLen;
  p.ipBytes = statedEnd - off;
  let pos = off + IPV6.HEADER_LEN;
  // Each header advances pos by >= 8 bytes and pos never passes statedEnd, so the walk ends.
  for (;;) {
    let hdrLen: number;
    switch (next) {
      case IpProto.HOPOPT:
      case IpProto.IPV6_ROUTE:
      case IpProto.IPV6_OPTS:
      case EXT_MOBILITY:
      case EXT_HIP:
      case EXT_SHIM6:
        if (end - pos < 2) return statedEnd - pos < 2 ? Status.BAD_IP_HEADER : Status.TRUNCATED_IP;
        hdrLen = (view.getUint8(pos + IPV6_EXT.LEN) + 1) * 8;
        break;
      case IpProto.AH:
        if (end - pos < 2) return statedEnd - pos < 2 ? Status.BAD_IP_HEADER : Status.TRUNCATED_IP;
        hdrLen = (view.getUint8(pos + IPV6_EXT.LEN) + 2) * 4;
        break;
      case IpProto.IPV6_FRAG:
        hdrLen = IPV6_FRAG.LEN;
        break;
      default:
        return decodeUpper(p, next, pos, statedEnd, end);
    }
    if (pos + hdrLen > statedEnd) return Status.BAD_IP_HEADER;
    if (pos + hdrLen > end) return Status.TRUNCATED_IP;
    const following = view.getUint8(pos + IPV6_EXT.NEXT_HEADER);
    if (next === IpProto.HOPOPT && payloadLen === 0) {
      const jumbo = findJumbo(p, pos + 2, pos + hdrLen);
      if (jumbo > 0) {
        statedEnd = off + IPV6.HEADER_LEN + jumbo;
        p.ipBytes = IPV6.HEADER_LEN + jumbo;
        if (pos + hdrLen > statedEnd) return Status.BAD_IP_HEADER;
      }
    } else if (next === IpProto.IPV6_FRAG) {
      const field = view.getUint16(pos + IPV6_FRAG.OFFSET_FLAGS);
      const fragOffset = field & IPV6_FRAG.OFFSET_MASK;
      const more = field & IPV6_FRAG.M;
      p.fragId = view.getUint32(pos + IPV6_FRAG.IDENT);
      p.fragOffset = fragOffset;
      p.moreFragments = more;
      // RFC 6946: an "atomic fragment" (offset 0, M 0) is a whole datagram.
      p.isFragment = more | (fragOffset > 0 ? 1 : 0);
      if (p.isFragment !== 0) {
        p.fragData = pos + hdrLen;
        p.fragNext = following;
      }
      if (fragOffset > 0) {
        const payload = pos + hdrLen;
        p.proto = following;
        p.payload = payload;
        p.payloadLen = statedEnd - payload;
        p.payloadCaptured = (statedEnd < end ? statedEnd : end) - payload;
        return Status.FRAGMENT;
      }
    }
    next = following;
    pos += hdrLen;
    p.proto = next;
  }
}

function decodeUpper(p: DecodedPacket, proto: number, pos: number, statedEnd: number, end: number): DecodeStatus {
  return decodeTransport(p, proto, pos, statedEnd, statedEnd < end ? statedEnd : end);
}

/**
 * Scans hop-by-hop options in `[pos, end)` for the jumbo payload option (RFC 2675 §2) and returns its length
 * (bytes after the 40-byte header), or 0. Pad1 is one byte; every other option is type, length, data.
 */
function findJumbo(p: DecodedPacket, pos: number, end: number): number {
  const view = p.view;
  while (pos < end) {
    const type = view.getUint8(pos);
    if (type === IPV6_OPT.PAD1) {
      pos += 1;
      continue;
    }
    if (pos + 2 > end) return 0;
    const len = view.getUint8(pos + 1);
    if (pos + 2 + len > end) return 0;
    if (type === IPV6_OPT.JUMBO && len === IPV6_OPT.JUMBO_LEN) return view.getUint32(pos + 2);
    pos += 2 + len;
  }
  return 0;
}
