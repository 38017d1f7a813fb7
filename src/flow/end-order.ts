/**
 * The order in which ended flows are handed on, shared by the pipeline and the shard workers so that their streams
 * merge into one pipeline's: the flows ended while the packets of one input position are processed go out together
 * once that position is done, by serial number, with the order key (ordinal, 0, serial); at end of input the flow
 * table hands every open flow over already in order (last activity, serial), and they go out at once with the key
 * (Infinity, last activity, serial). Merging several streams by key gives exactly the stream of one table.
 *
 * Intermediate reports of long flows (the active timeout) go out the same way, among the flows ended at the same
 * position (before the flow's own end, should it end there too), with the record made when the report was due.
 */
import type { Flow } from './flow.js';
import type { FlowRecord } from './record.js';

/**
 * Receives each ended flow with its order key (the flow is valid only during the call), or with `report` set, an
 * intermediate report of a flow that goes on: its record as of the report (the flow may have changed since).
 */
export type EndedFlowHandler = (flow: Flow, ordinal: number, tie1: number, tie2: number, report: FlowRecord | null) => void;

export class EndOrder {
  private readonly pending: Flow[] = [];
  /** Per pending entry: the intermediate report's record, or null for a flow that ended. */
  private readonly reports: (FlowRecord | null)[] = [];
  /** Pending entries by serial (ties: in arrival order), reused. */
  private order: number[] = [];
  private flushing = false;
  private readonly emit: EndedFlowHandler;

  constructor(emit: EndedFlowHandler) {
    this.emit = emit;
  }

  /** The flow table ended `flow` (its end handler). */
  ended(flow: Flow): void {
    if (this.flushing) this.emit(flow, Infinity, flow.lastSeenSec, flow.serial, null);
    else {
      this.pending.push(flow);
      this.reports.push(null);
    }
  }

  /** `flow`, still open, is due for an intermediate report, whose record is `record` (made now). */
  reported(flow: Flow, record: FlowRecord): void {
    this.pending.push(flow);
    this.reports.push(record);
  }

  /** Whether flows wait for their position to be done. */
  get waiting(): boolean {
    return this.pending.length > 0;
  }

  /** Every packet of input position `ordinal` is done: hands on the flows they ended, by serial number. */
  positionDone(ordinal: number): void {
    const pending = this.pending;
    const n = pending.length;
    if (n === 0) return;
    const reports = this.reports;
    if (n === 1) this.emit(pending[0]!, ordinal, 0, pending[0]!.serial, reports[0]!); // n === 1
    else {
      // By serial; a flow's report before its end (entries of one serial keep their order: sort is stable).
      const order = this.order;
      order.length = n;
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => pending[a]!.serial - pending[b]!.serial); // a, b < n
      // A flow's serial is read just before it is handed on: only its own end reuses it (and resets the serial),
      // and a report of the same flow comes before that end.
      for (let k = 0; k < n; k++) {
        const i = order[k]!; // k < n
        const f = pending[i]!; // i < n
        this.emit(f, ordinal, 0, f.serial, reports[i]!);
      }
    }
    // Emptied only when it held more than one: setting an array's length is a call, and most positions end one flow.
    if (n === 1) {
      pending.pop();
      reports.pop();
    } else {
      pending.length = 0;
      reports.length = 0;
    }
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
