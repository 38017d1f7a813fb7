/**
 * The one loop: sources -> decode -> demux -> sinks. It pumps each source, decodes every frame into one reused
 * DecodedPacket, hands it to the demultiplexer, streams ended flows to `onFlowEnd`, and publishes snapshots of the
 * flow table on a wall-clock timer. Consumers never see live flows.
 */
import { decodeFrame } from './decode/index.js';
import { UndecodedCounter } from './decode/undecoded-counter.js';
import { DecodedPacket } from './decode/packet.js';
import { Status, STATUS_NAME } from './decode/status.js';
import { Defragmenter } from './flow/defrag.js';
import { BAD_IP_CHECKSUM, Demux, FRAGMENT_INCOMPLETE, type PacketDispatch, REASON_COUNT, type TunnelChain } from './flow/demux.js';
import { EndOrder } from './flow/end-order.js';
import type { Flow } from './flow/flow.js';
import type { FlowRecord } from './flow/record.js';
import { flowRecord, setUidSeed, uidSeedOf } from './flow/snapshot.js';
import type { FlowTableOptions } from './flow/table.js';
import type { CaptureStats, Snapshot, SnapshotFeed } from './pipeline-types.js';
import { PaceClock, PacedSource, type PacingOptions, type ReplayControl } from './source/paced.js';
import { captureSec, CaptureError, Frame, LinkType, type PacketSource } from './source/types.js';

export type { FlowTableOptions } from './flow/table.js';

/** Names of the unassigned-packet reasons, indexed like Demux.unassigned. */
const REASON_NAME: readonly string[] = Array.from({ length: REASON_COUNT }, (_, i) =>
  i === FRAGMENT_INCOMPLETE ? 'fragment_incomplete' : i === BAD_IP_CHECKSUM ? 'bad_ip_checksum' : STATUS_NAME[i]!,
);

/** How deep tunnels are followed (VXLAN in Geneve in UDP ...). */
const MAX_TUNNEL_DEPTH = 4;
/** Open flows ended at a time at end of input, between waits for the output (see flushOpenFlows). */
const FLUSH_BATCH = 4096;

/**
 * Flow serials per input frame: a flow started by the frame at input position n gets serial n * 8, or n * 8 + d + 1
 * for one inside tunnel layer d (see onFrame), so that serials and uids do not depend on how flows are split between
 * shards.
 */
export const SERIALS_PER_FRAME = 8;

/** The input position of the frame that carried the packet of flow serial `serial`. */
export function frameOfSerial(serial: number): number {
  return Math.floor(serial / SERIALS_PER_FRAME);
}


export { ReplayControl } from './source/paced.js';

export interface PipelineOptions {
  /** Read one after another. */
  sources: PacketSource[];
  flowTable?: FlowTableOptions;
  /**
   * Each flow as it ends (closed + delay, idle, evicted, port reuse) and every open flow at end of input ('eof').
   * Records come in a fixed order, the same whatever the input's split between shards: by the input position of the
   * packet at which they ended (`ordinal`, Infinity at end of input), then by `tie1` (0, or the flow's last packet
   * time at end of input), then by `tie2` (the flow's serial number). Merging the record streams of several shards
   * by (ordinal, tie1, tie2) gives exactly the stream of one pipeline.
   */
  onFlowEnd?: (record: FlowRecord, ordinal: number, tie1: number, tie2: number) => void;
  /**
   * Instead of onFlowEnd, for a sink that encodes records straight from flow state (sink/flow-json.ts): each ended
   * flow itself, with the same order key. The flow is valid only during the call (it is reused after). For an
   * intermediate report (active timeout) `report` is the record to write (the flow goes on); null otherwise.
   */
  onFlowEndState?: (flow: Flow, ordinal: number, tie1: number, tie2: number, report: FlowRecord | null) => void;
  /** Publish a snapshot on `feed` every this many ms of wall time; 0 = only at the end. @default 0 */
  snapshotIntervalMs?: number;
  /** How many recently ended flows stay visible in snapshots. @default 0 */
  keepEnded?: number;
  /** Pace a file replay on the capture clock. */
  replay?: ReplayControl;
  /** Stop early: open flows are flushed to onFlowEnd and the sources closed. */
  signal?: AbortSignal;
  /** Wall clock in ms. @default Date.now */
  clock?: () => number;
  /** Verify checksums as Zeek does (see DemuxOptions). @default false */
  verifyChecksums?: boolean;
  /**
   * Called after each batch of frames a source delivers (between packets: every ended flow so far is handed on); the
   * next batch waits for a returned promise.
   */
  afterPump?: () => void | Promise<void>;
  /**
   * Hand the packets to shards instead of demultiplexing them here (see DemuxOptions.dispatch): this pipeline then
   * reads, decodes, reassembles and follows tunnels, counts the packets that fit no flow, and holds no flows.
   */
  dispatch?: PacketDispatch;
  /** Called after each frame; returning false ends the current batch of frames early (see afterPump). */
  afterFrame?: () => boolean;
}

export interface RunSummary {
  stats: CaptureStats;
  /** The first malformed input met; everything before it was processed and flushed. */
  error?: CaptureError;
  /** Every malformed input met (one per source at most). */
  errors: CaptureError[];
}

/** Snapshot feed for `useSyncExternalStore`: `current()` is stable between publishes. */
class Feed implements SnapshotFeed {
  private snap: Snapshot;
  private readonly listeners = new Set<() => void>();
  constructor(initial: Snapshot) {
    this.snap = initial;
  }
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  current = (): Snapshot => this.snap;
  publish(s: Snapshot): void {
    this.snap = s;
    for (const l of [...this.listeners]) l();
  }
}

export class Pipeline {
  readonly feed: SnapshotFeed;
  private readonly feedImpl: Feed;
  private readonly opts: PipelineOptions;
  private readonly demux: Demux;
  private readonly defrag = new Defragmenter();
  private nextDefragExpirySec = 0;
  private readonly packet = new DecodedPacket();
  private readonly inner = new DecodedPacket();
  private readonly clock: () => number;
  /**
   * Recently ended flows shown in snapshots (keepEnded), held back from reuse until they drop out: their records are
   * built when a snapshot shows them (once: the flow no longer changes), not for every flow that ends.
   */
  private readonly ended: Flow[] = [];
  /** The flows of the layers around the tunnelled packet being demultiplexed (see tunnels()). */
  private readonly chain: TunnelChain = { flows: [], length: 0, shard: -1 };
  /** Orders ended flows as one pipeline's stream (shared with the shard workers). */
  private readonly order: EndOrder = new EndOrder((flow, ordinal, tie1, tie2, report) => {
    if (report === null) this.emitEnded(flow, ordinal, tie1, tie2);
    else this.emitReport(flow, report, ordinal, tie1, tie2);
  });
  private packetsRead = 0;
  private wireBytes = 0;
  private innerPackets = 0;
  private readonly unsupportedLinks: Record<number, number> = {};
  /** Numbers that stopped the decoder (unknown EtherTypes, GRE protocols, ...) and tunnel layers not followed. */
  private readonly undecoded = new UndecodedCounter();
  /** Wall time the last snapshot took to build and publish (listeners included), ms. */
  private publishCostMs = 0;
  private clockSec = 0;
  private firstSec = 0;
  private viewBytes: Uint8Array = new Uint8Array(0);
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private current: PacketSource | null = null;
  private sourceDone = 0;
  private done = false;
  constructor(opts: PipelineOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? Date.now;
    const demuxOpts: ConstructorParameters<typeof Demux>[2] = { verifyChecksums: opts.verifyChecksums === true };
    if (opts.dispatch !== undefined) demuxOpts.dispatch = opts.dispatch;
    // A long flow's intermediate report (active timeout) is its record as of now, handed on in order.
    demuxOpts.onActive = (flow: Flow) => this.order.reported(flow, flowRecord(flow, 'active'));
    this.demux = new Demux(opts.flowTable ?? {}, (flow: Flow) => this.order.ended(flow), demuxOpts);
    this.feedImpl = new Feed(this.snapshot());
    this.feed = this.feedImpl;
  }

  /** Reads every source to its end (or until aborted), then ends every open flow. */
  async run(): Promise<RunSummary> {
    const { signal, replay } = this.opts;
    const interval = this.opts.snapshotIntervalMs ?? 0;
    const errors: CaptureError[] = [];
    let lastPublish = this.clock();
    const onFrame = (frame: Frame): boolean => this.process(frame, captureSec(frame));
    // A file replayed on the capture clock (ReplayControl) is read through a PacedSource: while it waits for its next
    // packet, the time passing ends idle flows and shows on the screen.
    const pacing: PacingOptions = { clock: this.clock, signal, pace: new PaceClock(), onIdle: (sec) => this.idleUntil(sec) };
    // An abort must not wait for input that may never come (a pipe kept open, `tcpdump -w - | sockscope watch -`):
    // closing the source ends its pending read.
    const onAbort = (): void => void this.current?.close().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    /** Publishes a snapshot when the last is older than the interval, stretched for large tables (publishSpacing). */
    const publishIfDue = (): void => {
      if (this.clock() - lastPublish >= Math.max(interval, this.publishCostMs * this.publishSpacing())) {
        this.publish();
        lastPublish = this.clock();
      }
    };
    // While a pump waits for input (a pipe that is quiet, not ended), the loop below does not come round to publish:
    // the last packets read would stay off the screen until more arrive.
    const quiet = interval > 0 ? setInterval(publishIfDue, interval) : undefined;
    quiet?.unref();
    try {
      for (const raw of this.opts.sources) {
        if (signal?.aborted) break;
        this.current = replay === undefined || raw.live ? raw : new PacedSource(raw, replay, pacing);
        const source = this.current;
        try {
          let more = true;
          while (more) {
            if (signal?.aborted) break;
            more = await source.pump(onFrame);
            await this.opts.afterPump?.();
            if (source.live) {
              this.demux.expire(this.clock() / 1000);
              this.order.positionDone(this.packetsRead);
            }
            if (interval > 0) publishIfDue();
          }
        } catch (e) {
          if (!(e instanceof CaptureError)) throw e;
          if (!signal?.aborted) errors.push(e); // an input closed by the abort looks cut short: not an error
        } finally {
          this.sourceDone++;
          await source.close();
        }
      }
    } finally {
      clearInterval(quiet);
      signal?.removeEventListener('abort', onAbort);
      this.order.positionDone(this.packetsRead);
      await this.flushOpenFlows();
      this.defrag.flush();
      this.done = true;
      this.publish();
    }
    const summary: RunSummary = { stats: this.stats(), errors };
    if (errors[0] !== undefined) summary.error = errors[0];
    return summary;
  }

  /** Builds the current snapshot (allocates: called on the snapshot timer, never per packet). */
  snapshot(): Snapshot {
    const keep = this.opts.keepEnded ?? 0;
    const flows: FlowRecord[] = [];
    for (let i = Math.max(0, this.ended.length - keep); i < this.ended.length; i++) {
      const f = this.ended[i]!; // i < length
      flows.push(flowRecord(f, f.endReason));
    }
    for (const f of this.demux.table.flows()) flows.push(flowRecord(f, 'active'));
    const progress = this.progress();
    const r = this.opts.replay;
    return {
      flows,
      stats: this.stats(),
      source: this.opts.sources.map((s) => s.name).join(', '),
      progress,
      done: this.done,
      paused: r?.paused ?? false,
      speed: r?.speed ?? 0,
    };
  }

  /** Share of the input read, 0..1, when the sources know their size; undefined otherwise (stdin, live). */
  progress(): number | undefined {
    if (this.done) return 1;
    const src = this.current;
    if (src === null) return 0;
    const st = src.stats();
    const total = st.totalBytes;
    if (total === undefined || total <= 0) return undefined;
    const read = st.rawBytesRead ?? st.bytesRead;
    return Math.min(1, (this.sourceDone + Math.min(1, read / total)) / this.opts.sources.length);
  }

  /** Counters so far. */
  stats(): CaptureStats {
    const d = this.demux;
    const unassigned: Record<string, number> = {};
    let total = 0;
    for (let i = 0; i < REASON_COUNT; i++) {
      const n = d.unassigned[i]! + (i === FRAGMENT_INCOMPLETE ? this.defrag.incompleteFrames : 0);
      if (n > 0) {
        unassigned[REASON_NAME[i]!] = n;
        total += n;
      }
    }
    let truncated = 0;
    let cutLive = 0;
    let dropped: number | undefined;
    for (const s of this.opts.sources) {
      const st = s.stats();
      truncated += st.truncatedBySnaplen;
      if (s.live) cutLive += st.truncatedBySnaplen;
      if (st.dropped !== undefined) dropped = (dropped ?? 0) + st.dropped;
    }
    return {
      packetsRead: this.packetsRead,
      packetsAssigned: d.assigned - this.innerPackets,
      unassigned,
      packetsUnassigned: total,
      wireBytes: this.wireBytes,
      truncatedBySnaplen: truncated,
      cutWithoutWireLength: cutLive,
      activeFlows: d.table.size,
      totalFlows: d.table.created,
      evictedFlows: d.table.evicted,
      evictedForMemory: d.table.evictedForMemory,
      emergencyEnded: d.table.emergencyEnded,
      emergencies: d.table.emergencies,
      peakFlowMemory: d.table.peakMemory,
      memoryBudget: d.table.options.memoryBytes,
      activeReports: d.table.reported,
      closedEarly: d.table.closedEarly,
      unsupportedLinkTypes: { ...this.unsupportedLinks },
      tunnelledPackets: this.innerPackets,
      undecoded: this.undecoded.undecoded(),
      tunnelLayersCut: this.undecoded.tunnelLayersCut(),
      badChecksums: d.badChecksums,
      clockSec: this.clockSec,
      firstSec: this.firstSec,
      dropped,
    };
  }

  /**
   * How many times its own cost the wall time between two snapshots is at least. Snapshots of a huge table are not
   * free, and a file replayed as fast as possible has no idle time to build them in: there they may take a
   * seventeenth of the time at most (a 50,000-flow table is then shown about once a second); live and paced reads
   * wait for packets most of the time, so there a ninth.
   */
  private publishSpacing(): number {
    const r = this.opts.replay;
    const flatOut = this.current !== null && !this.current.live && (r === undefined || r.speed <= 0);
    return flatOut ? 16 : 8;
  }

  /** Hands on the record of an ended flow, then gives the flow back to the demultiplexer for reuse (or keeps it). */
  private emitEnded(flow: Flow, ordinal: number, tie1: number, tie2: number): void {
    const onEnd = this.opts.onFlowEnd;
    const keep = this.opts.keepEnded ?? 0;
    const onEndState = this.opts.onFlowEndState;
    if (onEndState !== undefined) onEndState(flow, ordinal, tie1, tie2, null);
    else if (onEnd !== undefined) onEnd(flowRecord(flow, flow.endReason), ordinal, tie1, tie2);
    if (keep === 0) {
      this.demux.recycle(flow);
      return;
    }
    const ended = this.ended;
    ended.push(flow);
    if (ended.length > keep * 2) {
      for (const old of ended.splice(0, ended.length - keep)) this.demux.recycle(old);
    }
  }

  /**
   * Ends every open flow (end of input), in flush order, FLUSH_BATCH at a time with `afterPump` awaited between
   * batches: a slow reader of the records then holds reading back here too, instead of a million records queueing.
   */
  private async flushOpenFlows(): Promise<void> {
    const table = this.demux.table;
    const all = table.beginFlush();
    for (let i = 0; i < all.length; i += FLUSH_BATCH) {
      const end = Math.min(all.length, i + FLUSH_BATCH);
      this.order.flushWith(() => {
        for (let j = i; j < end; j++) table.endFlushed(all[j]!, 'eof'); // j < end <= length
      });
      if (end < all.length) await this.opts.afterPump?.();
    }
  }

  /** Hands on an intermediate report of a flow that goes on (its record `report`); the flow stays in the table. */
  private emitReport(flow: Flow, report: FlowRecord, ordinal: number, tie1: number, tie2: number): void {
    const onEndState = this.opts.onFlowEndState;
    if (onEndState !== undefined) onEndState(flow, ordinal, tie1, tie2, report);
    else this.opts.onFlowEnd?.(report, ordinal, tie1, tie2);
  }

  private publish(): void {
    const started = this.clock();
    this.feedImpl.publish(this.snapshot());
    this.publishCostMs = this.clock() - started;
  }

  /**
   * The per-packet path: decodes and demultiplexes one frame stamped `ts` (captureSec), follows its tunnels. No
   * allocation. False when `afterFrame` asks the source to stop.
   */
  private process(frame: Frame, ts: number): boolean {
    const bytes = frame.bytes;
    if (bytes !== this.viewBytes) {
      this.viewBytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.packetsRead++;
    this.wireBytes += frame.wireLen;
    if (this.firstSec === 0) this.firstSec = ts;
    if (this.packetsRead === 1) this.seedUids(frame);
    if (ts > this.clockSec) this.clockSec = ts;
    const p = this.packet;
    if (decodeFrame(p, bytes, this.view, frame.offset, frame.caplen, frame.linkType) === Status.UNSUPPORTED_LINK) {
      this.unsupportedLinks[frame.linkType] = (this.unsupportedLinks[frame.linkType] ?? 0) + 1;
    }
    if (p.undecodedKind !== 0) this.undecoded.note(p);
    // Flows are numbered by the position of the packet that starts them (8 per packet: tunnel layers), so that a
    // flow's serial and uid do not depend on which other flows this pipeline holds.
    const serial = this.packetsRead * SERIALS_PER_FRAME;
    if (p.isFragment !== 0 && p.fragData >= 0) this.fragment(p, ts, frame.wireLen, serial);
    else {
      const flow = this.demux.packet(p, ts, frame.wireLen, 1, false, serial, p.innerOffset >= 0 ? this.carrier() : null);
      if (p.innerOffset >= 0 && p.status === Status.OK && this.demux.checksumsOk()) this.tunnels(ts, frame.wireLen, this.view, flow);
    }
    if (this.order.waiting) this.order.positionDone(this.packetsRead);
    const afterFrame = this.opts.afterFrame;
    return afterFrame === undefined || afterFrame();
  }

  /**
   * Derives the uids of this input's flows from its first frame too (uidSeedOf), so that captures do not share uids,
   * and hands the seed to the shards.
   */
  private seedUids(frame: Frame): void {
    const seed = uidSeedOf(frame.bytes, frame.offset, frame.caplen, frame.tsSec, frame.tsNsec, frame.wireLen);
    setUidSeed(seed);
    this.opts.dispatch?.seed(seed, this.packetsRead);
  }

  /** Reassembles IP fragments; a completed datagram is demultiplexed (with its tunnels) on the frame completing it. */
  private fragment(p: DecodedPacket, ts: number, wireLen: number, serial: number): void {
    // With checksum verification, a fragment whose own header checksum is wrong is counted and never reassembled.
    if (!this.demux.acceptFragment(p)) return;
    const defrag = this.defrag;
    if (ts >= this.nextDefragExpirySec) {
      defrag.expire(ts);
      this.nextDefragExpirySec = ts + 1;
    }
    const dg = defrag.add(p, ts, wireLen);
    if (dg === null) return;
    // The whole datagram counts once, on the frame that completed it (as tshark and Zeek count it).
    const view = new DataView(dg.bytes.buffer, dg.bytes.byteOffset, dg.bytes.byteLength);
    decodeFrame(p, dg.bytes, view, 0, dg.bytes.length, LinkType.RAW);
    if (p.undecodedKind !== 0) this.undecoded.note(p);
    const flow = this.demux.packet(p, ts, dg.wireBytes, dg.frames, false, serial, p.innerOffset >= 0 ? this.carrier() : null);
    if (p.innerOffset >= 0 && p.status === Status.OK && this.demux.checksumsOk()) this.tunnels(ts, dg.wireBytes, view, flow);
  }

  /** Decodes and demultiplexes the packets inside tunnels (each layer is its own flow, as Zeek logs them). */
  private tunnels(ts: number, wireLen: number, view: DataView<ArrayBufferLike>, outerFlow: Flow | null): void {
    // Each layer's flow gets the flows of the layers around it as tunnel parents (Zeek's tunnel_parents). A
    // dispatching pipeline holds no flows: every layer goes to the outermost packet's shard, whose worker chains them.
    const chain = this.carrier();
    if (outerFlow !== null) chain.flows[chain.length++] = outerFlow;
    // The two packets take turns: once a layer has been demultiplexed its fields are no longer needed.
    let outer = this.packet;
    let target = this.inner;
    for (let depth = 0; depth < MAX_TUNNEL_DEPTH && outer.innerOffset >= 0; depth++) {
      decodeFrame(target, outer.bytes, view, outer.innerOffset, outer.end - outer.innerOffset, outer.innerLinkType);
      if (target.undecodedKind !== 0) this.undecoded.note(target);
      if (target.status !== Status.OK) {
        this.undecoded.noteCut(target.status);
        return;
      }
      const demux = this.demux;
      const flow = demux.packet(target, ts, wireLen, 1, false, this.packetsRead * SERIALS_PER_FRAME + depth + 1, chain);
      if (flow !== null) chain.flows[chain.length++] = flow;
      this.innerPackets++;
      const t = outer;
      outer = target;
      target = t;
    }
    if (outer.innerOffset >= 0) this.undecoded.noteCut('depth_exceeded');
  }

  /** The chain of a packet that carries a tunnel, before its first layer: empty, and routed to the tunnel shard. */
  private carrier(): TunnelChain {
    const chain = this.chain;
    chain.length = 0;
    chain.shard = this.demux.tunnelShard;
    return chain;
  }

  /**
   * A replay waiting for its next packet reached capture time `sec` (PacedSource's onIdle): ends the flows idle by then
   * (never moving the clock back) and shows the time passing.
   */
  private idleUntil(sec: number): void {
    if (sec > this.clockSec) {
      this.clockSec = sec;
      this.demux.expire(sec);
      this.order.positionDone(this.packetsRead);
    }
    if ((this.opts.snapshotIntervalMs ?? 0) > 0) this.publish();
  }
}
