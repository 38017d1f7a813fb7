/**
 * The netstat states of a connection's two sockets over time: each segment steps both ends' machines (state.ts), and
 * every change is kept in the ends' shared transition log (the first TRANSITION_CAPACITY per end; later ones replace
 * the newest, so the current state is always listed).
 */
import { EMPTY_TRANSITION_LOG, TRANSITION_CAPACITY, type TcpEnd } from './end.js';
import { step, stepInferred } from './state.js';
import type { SegClass, TcpRole, TcpState } from './state.js';

export function recordTransition(e: TcpEnd, tsSec: number, state: TcpState): void {
  const peer = e.peer;
  let log = e.transitionLog;
  if (log === null) {
    log = EMPTY_TRANSITION_LOG.slice();
    e.transitionLog = log;
    peer.transitionLog = log;
  }
  const code = e.tag * 16 + state;
  e.transitionCount++;
  let at: number;
  if (e.nTransitions === TRANSITION_CAPACITY) {
    at = e.lastTransitionAt; // full: the newest replaces this end's previous newest (the current state stays listed)
  } else {
    // The first unused pair: after the newest entry of either end.
    at = e.nTransitions > 0 ? e.lastTransitionAt + 2 : 0;
    if (peer.nTransitions > 0 && peer.lastTransitionAt + 2 > at) at = peer.lastTransitionAt + 2;
    e.nTransitions++;
    e.lastTransitionAt = at;
  }
  if (at < log.length) {
    log[at] = tsSec;
    log[at + 1] = code;
  } else {
    log.push(tsSec, code);
  }
}

export function netstatStep(e: TcpEnd, seg: SegClass, role: TcpRole, tsSec: number): void {
  const next = step(e.state, seg, role);
  if (next !== e.state) {
    e.stateInferred = stepInferred(e.state, seg, role);
    e.state = next;
    recordTransition(e, tsSec, next);
  }
}
