/**
 * The record fields of this host's view (sink/fields.ts appends them to ALL_FIELDS): Zeek's local_orig and
 * local_resp, and for live capture each local end's process, user and kernel TCP state. Every field reads from a
 * record (`get`) or straight from a flow (`fromFlow`, for sink/flow-json.ts), through the per-flow side table of
 * attribution.ts; all are unset when the run configured nothing local.
 */
import type { Field, FieldValue, ZeekType } from '../sink/fields.js';
import { type FlowLocal, kernelStateOf, localOfFlow, localOfRecord } from './attribution.js';
import type { SocketEntry } from './local-sockets.js';

function field(name: string, type: ZeekType, pick: (l: FlowLocal) => FieldValue): Field {
  return {
    name,
    type,
    get: (r) => {
      const l = localOfRecord(r);
      return l === null ? undefined : pick(l);
    },
    fromFlow: (f) => {
      const l = localOfFlow(f);
      return l === null ? undefined : pick(l);
    },
  };
}

function end(side: 'orig' | 'resp', l: FlowLocal): SocketEntry | null {
  return side === 'orig' ? l.orig : l.resp;
}

function perEnd(side: 'orig' | 'resp'): Field[] {
  return [
    field(`${side}_pid`, 'count', (l) => end(side, l)?.owner?.pid),
    field(`${side}_process`, 'string', (l) => end(side, l)?.owner?.process),
    field(`${side}_user`, 'string', (l) => end(side, l)?.user()),
  ];
}

/** The fields, in their order at the end of ALL_FIELDS. */
export const LOCAL_FIELDS: readonly Field[] = [
  field('local_orig', 'bool', (l) => l.localOrig),
  field('local_resp', 'bool', (l) => l.localResp),
  ...perEnd('orig'),
  ...perEnd('resp'),
  field('orig_kernel_state', 'string', (l) => kernelStateOf(l.orig)),
  field('resp_kernel_state', 'string', (l) => kernelStateOf(l.resp)),
];
