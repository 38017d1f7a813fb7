/**
 * The order in which ended flows are handed on, shared by the pipeline and the shard workers so that their streams
 * merge into one pipeline's: the flows ended while the packets of one input position are processed go out together
 * once that position is done, by serial number, with the order key (ordinal, 0, serial); at end of input the flow
 * table hands every open flow over already in order (last activity, serial), and they go out at once with the key
 * (Infinity, last activity, serial). Merging several streams by key gives exactly the stream of one table.
 */
import type { Flow } from './flow.js';

/** Receives each ended flow with its order key; the flow is valid only during the call. */
export type EndedFlowHandler = (flow: Flow, ordinal: number, tie1: number, tie2: number) => void;

export class EndOrder {
  private readonly pending: Flow[] = [];
  private flushing = false;
  private readonly emit: EndedFlowHandler;

  constructor(emit: EndedFlowHandler) {
    this.emit = emit;
  }

  /** The flow table ended `flow` (its end handler). */
  ended(flow: Flow): void {
    if (this.flushing) this.emit(flow, Infinity, flow.lastSeenSec, flow.serial);
    else this.pending.push(flow);
  }

  /** Whether flows wait for their position to be done. */
  get waiting(): boolean {
    return this.pending.length > 0;
  }

  /** Every packet of input position `ordinal` is done: hands on the flows they ended, by serial number. */
  positionDone(ordinal: number): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    if (pending.length > 1) pending.sort((a, b) => a.serial - b.serial);
    for (let i = 0; i < pending.length; i++) {
      const f = pending[i]!; // i < length
      this.emit(f, ordinal, 0, f.serial);
    }
    pending.length = 0;
  }

  /** Runs `flush` (which ends every open flow, in order) with its flows handed on at once, keyed as end of input. */
  flushWith(flush: () => void): void {
    this.flushing = true;
    try {
      flush();
    } finally {
      this.flushing = false;
    }
  }
}
