/**
 * The join between flows and this host: for each flow, whether each end is local (Zeek's local_orig / local_resp)
 * and, on a live capture, the socket of each local end (its process, user and kernel state). It is a process-wide
 * setting of the run, as --names and the community ID seed are (configureLocal), read by the record fields of
 * sink/fields.ts from a record or straight from a flow.
 *
 * Each flow is looked up once and the answer kept in a side table keyed by the flow's uid, so that the fields of
 * one record cost one map lookup each, and so that a flow stays bound to the socket it was first found with (a later
 * socket on the same port pair is another flow's). An end not found yet is looked up again after the next refresh
 * of the socket tables. The side table holds the most recent `MAX_BOUND` flows.
 */
import type { Flow } from '../flow/flow.js';
import { parseAddressWords } from '../flow/community-id.js';
import type { FlowRecord } from '../flow/record.js';
import { flowUid } from '../flow/snapshot.js';
import type { Cidr, LocalNets } from './local-nets.js';
import type { LocalSockets, SocketEntry } from './local-sockets.js';

/** What is known of one flow's ends on this host. */
export interface FlowLocal {
  /** Zeek's local_orig / local_resp: undefined when there are no local networks (files without --local-nets). */
  localOrig: boolean | undefined;
  localResp: boolean | undefined;
  /** The socket of each end on this host (live capture), or null. */
  orig: SocketEntry | null;
  resp: SocketEntry | null;
  /** Refresh generation of the last lookup (an end that is local but not found is looked up again after it). */
  gen: number;
  /** Whether an end is still to be found: missing, or (TCP) only its listener found so far. */
  open: boolean;
}

/** An end whose own socket is still to be found: none yet, or a TCP listener standing in for the connection's. */
const provisional = (e: SocketEntry | null): boolean => e === null || (e.proto === 6 && e.listener);

interface Settings {
  nets: LocalNets | null;
  sockets: LocalSockets | null;
}

let settings: Settings = { nets: null, sockets: null };
const bound = new Map<string, FlowLocal>();
/** Flows kept in the side table (the oldest is dropped first; a dropped flow is looked up afresh if asked again). */
const MAX_BOUND = 1 << 17;

/**
 * Sets the local networks and the live socket tables for this run (both null: nothing is local, every field unset).
 * Clears what was bound to flows of a previous run.
 */
export function configureLocal(s: Partial<Settings> = {}): void {
  settings = { nets: s.nets ?? null, sockets: s.sockets ?? null };
  bound.clear();
}

/** The run's local networks (--local-nets), or null: what a shard worker is configured with (see ShardJob.records). */
export function localNetsSetting(): readonly Cidr[] | null {
  return settings.nets?.nets ?? null;
}

/** Whether any local field can be set in this run. */
export function localConfigured(): boolean {
  return settings.nets !== null || settings.sockets !== null;
}

const O = new Uint32Array(4);
const R = new Uint32Array(4);

function isLocal(version: number, w0: number, w1: number, w2: number, w3: number): boolean | undefined {
  const { nets, sockets } = settings;
  if (nets === null && sockets === null) return undefined;
  return (sockets !== null && sockets.isHostAddress(version, w0, w1, w2, w3)) || (nets !== null && nets.has(version, w0, w1, w2, w3));
}

/** Looks up (or looks up again) the ends of `b` from the key in O and R. */
function fill(b: FlowLocal, proto: number, version: number, origPort: number, respPort: number): void {
  const sockets = settings.sockets;
  const o0 = O[0]! | 0, o1 = O[1]! | 0, o2 = O[2]! | 0, o3 = O[3]! | 0; // Uint32Array(4)
  const r0 = R[0]! | 0, r1 = R[1]! | 0, r2 = R[2]! | 0, r3 = R[3]! | 0;
  b.localOrig = isLocal(version, o0, o1, o2, o3);
  b.localResp = isLocal(version, r0, r1, r2, r3);
  if (sockets === null) return;
  b.gen = sockets.gen;
  const origHere = sockets.isHostAddress(version, o0, o1, o2, o3);
  const respHere = sockets.isHostAddress(version, r0, r1, r2, r3);
  if (origHere && provisional(b.orig)) {
    b.orig = sockets.lookup(proto, version, o0, o1, o2, o3, origPort, r0, r1, r2, r3, respPort) ?? b.orig;
  }
  if (respHere && provisional(b.resp)) {
    b.resp = sockets.lookup(proto, version, r0, r1, r2, r3, respPort, o0, o1, o2, o3, origPort) ?? b.resp;
  }
  b.open = (proto === 6 || proto === 17) && ((origHere && provisional(b.orig)) || (respHere && provisional(b.resp)));
}

function remember(uid: string, b: FlowLocal): void {
  if (bound.size >= MAX_BOUND) bound.delete(bound.keys().next().value!); // size > 0
  bound.set(uid, b);
}

/** Whether `b` should be looked up again: an end is missing and the socket tables were read since. */
function stale(b: FlowLocal): boolean {
  const sockets = settings.sockets;
  return sockets !== null && b.open && b.gen !== sockets.gen;
}

/** What is known of `f`'s ends here, or null when nothing can be (no local networks, no live tables). */
export function localOfFlow(f: Flow): FlowLocal | null {
  if (settings.nets === null && settings.sockets === null) return null;
  if (f.uid === '') f.uid = flowUid(f.serial);
  let b = bound.get(f.uid);
  if (b !== undefined && !stale(b)) return b;
  if (b === undefined) {
    b = { localOrig: undefined, localResp: undefined, orig: null, resp: null, gen: -1, open: true };
    remember(f.uid, b);
  }
  O[0] = f.oa0; O[1] = f.oa1; O[2] = f.oa2; O[3] = f.oa3;
  R[0] = f.ra0; R[1] = f.ra1; R[2] = f.ra2; R[3] = f.ra3;
  fill(b, f.proto, f.ipVersion, f.origPort, f.respPort);
  return b;
}

/** The same from a record (addresses read back from their text once per flow). */
export function localOfRecord(r: FlowRecord): FlowLocal | null {
  if (settings.nets === null && settings.sockets === null) return null;
  let b = bound.get(r.uid);
  if (b !== undefined && !stale(b)) return b;
  if (!parseAddressWords(r.origAddr, r.ipVersion, O) || !parseAddressWords(r.respAddr, r.ipVersion, R)) return null;
  if (b === undefined) {
    b = { localOrig: undefined, localResp: undefined, orig: null, resp: null, gen: -1, open: true };
    remember(r.uid, b);
  }
  fill(b, r.ipProto, r.ipVersion, r.origPort, r.respPort);
  return b;
}

/** The kernel's state of a local end's own socket (TCP; a listener's state is not the connection's). */
export function kernelStateOf(e: SocketEntry | null): string | undefined {
  return e === null || e.listener ? undefined : e.kernelState();
}
