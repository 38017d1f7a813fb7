/**
 * Export the packets of chosen flows: `flows FILE --filter EXPR --write-packets out.pcap` and the TUI's `w`/`W` keys
 * read the input again and write every frame that carries a packet of one of the flows to a pcap file. A frame
 * belongs to a flow when one of its layers (the outer packet, or a packet inside one of its tunnels) has the flow's
 * protocol and its two sockets (either direction; ICMP by Zeek's type/counterpart pair, as flows are keyed) and lies
 * within the flow's first and last packet times (stretched over late packets, see {@link TRAILING_SEC}). IP fragments
 * go with a flow of the same protocol and addresses at the same time (see {@link FRAGMENT_LEAD_SEC}).
 */
import type { FlowRecord } from '../flow/record.js';
import { decodeFrame } from '../decode/index.js';
import { DecodedPacket } from '../decode/packet.js';
import { Status } from '../decode/status.js';
import { PcapWriter } from '../sink/pcap-writer.js';
import type { Frame, PacketSource } from '../source/types.js';
import { parseAddress } from './address.js';

/** What export keeps of a flow (records are lent: their fields are copied). */
interface Span {
  /** The flow's first packet time; for fragments (see {@link FRAGMENT_LEAD_SEC}) how early they may come. */
  startSec: number;
  /** The flow's last packet time, then (see {@link FlowPacketMatcher.seal}) how long its packets may come. */
  lastSec: number;
}

/**
 * Packets after a flow's last counted time still belong to it: a closed TCP connection takes the late ACKs of its
 * close delay (Zeek's tcp_close_delay, 5 s) into its counters without moving its times. A flow's span therefore runs
 * this much past its last time, but never into the next flow of the same sockets.
 */
const TRAILING_SEC = 5;

/**
 * A reassembled datagram counts on the frame that completes it: its earlier fragments come before the flow's first
 * time. Fragments (which carry no ports after the first, and are not decoded further before reassembly) go with a flow
 * of their protocol and addresses from this long before its start, never reaching back into the flow before it.
 */
const FRAGMENT_LEAD_SEC = 30;

/** Layers of tunnels followed inside one frame (as the pipeline does). */
const MAX_DEPTH = 8;
/** Slack on the flow's times: capture times are kept to the microsecond. */
const SLACK_SEC = 2e-6;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Decides, frame by frame, whether a frame carries a packet of the chosen flows. */
export class FlowPacketMatcher {
  /** By `proto|addrA|addrB|portA|portB` (the endpoints in a fixed order), the flows' time spans. */
  private readonly byKey = new Map<string, Span[]>();
  /** By `proto|addrA|addrB`, for fragments without ports. */
  private readonly byHosts = new Map<string, Span[]>();
  private readonly outer = new DecodedPacket();
  private readonly inner = new DecodedPacket();
  /** Flows added. */
  count = 0;

  /** Adds a flow (its fields are copied). */
  add(r: FlowRecord): void {
    const a = parseAddress(r.origAddr);
    const b = parseAddress(r.respAddr);
    if (a === null || b === null) return;
    const push = (m: Map<string, Span[]>, k: string) => {
      const span = { startSec: r.startSec, lastSec: r.lastSec };
      const list = m.get(k);
      if (list === undefined) m.set(k, [span]);
      else list.push(span);
    };
    push(this.byKey, key(r.ipProto, hex(a), r.origPort, hex(b), r.respPort));
    push(this.byHosts, hostsKey(r.ipProto, hex(a), hex(b)));
    this.count++;
  }

  /** Call once every flow is added: stretches each span over its trailing packets (see {@link TRAILING_SEC}). */
  seal(): void {
    for (const m of [this.byKey, this.byHosts]) {
      for (const spans of m.values()) {
        spans.sort((a, b) => a.startSec - b.startSec);
        for (let i = 0; i < spans.length; i++) {
          const next = spans[i + 1];
          const s = spans[i]!; // i < length
          s.lastSec = Math.max(s.lastSec, Math.min(s.lastSec + TRAILING_SEC, next === undefined ? Infinity : next.startSec - SLACK_SEC * 2));
        }
        if (m === this.byHosts) {
          for (let i = spans.length - 1; i >= 0; i--) {
            const prev = spans[i - 1];
            const s = spans[i]!; // i < length
            s.startSec = Math.max(s.startSec - FRAGMENT_LEAD_SEC, prev === undefined ? -Infinity : prev.lastSec + SLACK_SEC * 2);
          }
        }
      }
    }
  }

  /** Whether `frame` (stamped `tsSec`) carries a packet of one of the flows added. */
  matches(frame: Readonly<Frame>): boolean {
    const ts = frame.tsSec + frame.tsNsec / 1e9;
    const view = new DataView(frame.bytes.buffer, frame.bytes.byteOffset, frame.bytes.byteLength);
    let p = this.outer;
    let next = this.inner;
    decodeFrame(p, frame.bytes, view, frame.offset, frame.caplen, frame.linkType);
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      if (p.ipVersion !== 0 && this.layerMatches(p, ts)) return true;
      if (p.innerOffset < 0 || p.status !== Status.OK) return false;
      decodeFrame(next, p.bytes, view, p.innerOffset, p.end - p.innerOffset, p.innerLinkType);
      const t = p;
      p = next;
      next = t;
    }
    return false;
  }

  private layerMatches(p: DecodedPacket, ts: number): boolean {
    const src = p.ipVersion === 4 ? v4hex(p.src4) : v6hex(p.src6);
    const dst = p.ipVersion === 4 ? v4hex(p.dst4) : v6hex(p.dst6);
    const inSpan = (spans: Span[] | undefined) =>
      spans !== undefined && spans.some((s) => ts >= s.startSec - SLACK_SEC && ts <= s.lastSec + SLACK_SEC);
    if (p.isFragment !== 0) return inSpan(this.byHosts.get(hostsKey(p.fragNext, src, dst)));
    return inSpan(this.byKey.get(key(p.proto, src, p.srcPort, dst, p.dstPort)));
  }
}

/** The endpoints of a flow in a fixed order, so both directions give one key. */
function key(proto: number, a: string, ap: number, b: string, bp: number): string {
  return a < b || (a === b && ap <= bp) ? `${proto}|${a}|${ap}|${b}|${bp}` : `${proto}|${b}|${bp}|${a}|${ap}`;
}

function hostsKey(proto: number, a: string, b: string): string {
  return a <= b ? `${proto}|${a}|${b}` : `${proto}|${b}|${a}`;
}

function v4hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function v6hex(w: Uint32Array): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += (w[i]! >>> 0).toString(16).padStart(8, '0'); // 4 words
  return s;
}

/** What {@link writeFlowPackets} wrote. */
export interface ExportResult {
  readonly file: string;
  /** Frames written. */
  readonly packets: number;
  /** Frames of another link type than the first written (a pcap file has one), left out. */
  readonly otherLinkType: number;
}

/**
 * Reads `sources` to their end and writes each frame the matcher accepts to `file` (classic pcap, nanosecond times,
 * the link type of the first frame written). Closes the sources.
 */
export async function writeFlowPackets(sources: readonly PacketSource[], matcher: FlowPacketMatcher, file: string): Promise<ExportResult> {
  matcher.seal();
  const writer = new PcapWriter(file, { nanosecond: true });
  try {
    for (const s of sources) {
      while (await s.pump((f) => {
        if (matcher.matches(f)) writer.write(f);
      }));
      await s.close();
    }
  } finally {
    await writer.finish();
  }
  return { file, packets: writer.packets, otherLinkType: writer.dropped };
}
