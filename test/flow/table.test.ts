import { describe, expect, it } from 'vitest';
import type { Flow } from '../../src/flow/flow.js';
import { TimeoutClass } from '../../src/flow/flow.js';
import { FlowTable, sentByOrig } from '../../src/flow/table.js';
import { udpPacket } from '../helpers/packets.js';

const udp = udpPacket;

const A = 0x0a000001, B = 0x0a000002, C = 0x0a000003;

describe('FlowTable', () => {
  it('finds the same flow from both directions and tells which way the packet went', () => {
    const t = new FlowTable({}, () => {});
    const p = udp(A, 40000, B, 53);
    expect(t.lookup(p)).toBeNull();
    const f = t.insert(p, false, 1, TimeoutClass.UDP);
    expect(t.lookup(p)).toBe(f);
    expect(sentByOrig(f, p)).toBe(true);
    const back = udp(B, 53, A, 40000);
    expect(t.lookup(back)).toBe(f);
    expect(sentByOrig(f, back)).toBe(false);
    expect(t.lookup(udp(A, 40001, B, 53))).toBeNull();
    expect(t.lookup(udp(B, 40000, A, 53))).toBeNull();
  });

  it('keeps a->a flows (same address and port on both ends) apart from others', () => {
    const t = new FlowTable({}, () => {});
    const same = t.insert(udp(A, 5000, A, 5000), false, 1, TimeoutClass.UDP);
    expect(t.lookup(udp(A, 5000, A, 5000))).toBe(same);
    expect(t.lookup(udp(B, 5000, B, 5000))).toBeNull();
  });

  it('one listening port serves many connections told apart by the client socket', () => {
    const t = new FlowTable({}, () => {});
    for (let port = 50000; port < 52000; port++) t.insert(udp(C, port, B, 443), false, 1, TimeoutClass.UDP);
    expect(t.size).toBe(2000);
    const reply = udp(B, 443, C, 51234);
    const f = t.lookup(reply)!;
    expect([f.origPort, f.respPort, sentByOrig(f, reply)]).toEqual([51234, 443, false]);
  });

  it('finds every flow held through inserts, removals and growth of the open-addressed slots', () => {
    // Thousands of flows in long clusters, removed in a scrambled order between inserts: a removal that shifted a
    // flow past its home (or left a hole in its cluster) would make a later lookup miss it.
    const t = new FlowTable({}, () => {});
    const held = new Map<number, Flow>();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3000; i++) {
        const port = 1 + rand(60000);
        if (held.has(port) || t.lookup(udp(A, port, B, 53)) !== null) continue;
        held.set(port, t.insert(udp(A, port, B, 53), false, 1, TimeoutClass.UDP));
      }
      for (const [port, f] of [...held].filter(() => rand(3) === 0)) {
        f.endReason = 'evicted';
        t.remove(f);
        held.delete(port);
        // Reused by a later insert: the slots name flows by id, and the id must not still find it under this key.
        if (rand(2) === 0) t.recycle(f);
      }
      expect(t.size).toBe(held.size);
      for (const [port, f] of held) {
        if (t.lookup(udp(B, 53, A, port)) !== f) expect.fail(`flow of port ${port} not found in round ${round}`);
      }
      for (let i = 0; i < 500; i++) {
        const port = 1 + rand(60000);
        if (!held.has(port)) expect(t.lookup(udp(A, port, B, 53))).toBeNull();
      }
    }
    expect(held.size).toBeGreaterThan(4000);
  });

  it('a lookup finds a flow due at its idle deadline, even when capture time stepped back before it', () => {
    const t = new FlowTable({ udpIdleSec: 60 }, () => {});
    const f = t.insert(udp(A, 1, B, 2), false, 100, TimeoutClass.UDP);
    expect(t.isDue(f, 159.9)).toBe(false);
    expect(t.isDue(f, 160)).toBe(true);
    t.touch(f, 150);
    expect(t.isDue(f, 209.5)).toBe(false);
    t.touch(f, 10); // a packet stamped 140 s earlier: the deadline is now 70 s
    expect(t.isDue(f, 69.9)).toBe(false);
    expect(t.isDue(f, 70)).toBe(true);
    expect(t.isDue(f, 100)).toBe(true);
    t.markClosing(f, 20, 'closed'); // closing: due at 25 s
    expect(t.isDue(f, 24.9)).toBe(false);
    expect(t.isDue(f, 25)).toBe(true);
  });

  it('expires a flow started after capture time stepped back at its deadline, however far the wheel had run', () => {
    // Two tables see the same expiry calls; one had run its wheel to 1000 s before the clock stepped back to 100 s
    // (a second file), the other starts there. Both must end the flow on the same call (sharded runs rely on it).
    const endedAt = (warm: boolean): number => {
      let ended = -1;
      let now = 0;
      const t = new FlowTable({ udpIdleSec: 60 }, (f) => { if (f.origPort === 1) ended = now; });
      if (warm) {
        t.insert(udp(A, 9, B, 9), false, 990, TimeoutClass.UDP);
        t.expire((now = 1000));
      }
      t.insert(udp(A, 1, B, 2), false, 100, TimeoutClass.UDP);
      for (now = 1001; now < 1100 && ended < 0; now++) t.expire(now);
      return ended;
    };
    expect(endedAt(false)).toBe(1001);
    expect(endedAt(true)).toBe(1001);
  });

  it('expires idle flows per protocol class, oldest first, and hands them to the end handler', () => {
    const ended: Flow[] = [];
    const t = new FlowTable({ udpIdleSec: 60, tcpIdleSec: 300 }, (f) => ended.push(f));
    const a = t.insert(udp(A, 1, B, 2), false, 100, TimeoutClass.UDP);
    const b = t.insert(udp(A, 3, B, 4), false, 100, TimeoutClass.TCP);
    t.touch(a, 130);
    expect(t.expire(189.9)).toBe(0);
    expect(t.expire(190)).toBe(1);
    expect(ended).toEqual([a]);
    expect(a.endReason).toBe('idle');
    expect(t.expire(401)).toBe(1);
    expect(ended[1]).toBe(b);
    expect(t.size).toBe(0);
  });

  it('ends a closing flow after the close delay even when late packets arrive', () => {
    const ended: Flow[] = [];
    const t = new FlowTable({ closeDelaySec: 5 }, (f) => ended.push(f));
    const f = t.insert(udp(A, 1, B, 2), false, 10, TimeoutClass.TCP);
    t.markClosing(f, 20, 'reset');
    t.touch(f, 24);
    t.expire(24.9);
    expect(ended).toEqual([]);
    t.expire(25);
    expect(ended).toEqual([f]);
    expect(f.endReason).toBe('reset');
  });

  it('evicts the least recently active flow when full, and counts it', () => {
    const ended: Flow[] = [];
    const t = new FlowTable({ maxFlows: 3 }, (f) => ended.push(f));
    const flows = [1, 2, 3].map((i) => t.insert(udp(A, i, B, 9), false, i, TimeoutClass.UDP));
    t.touch(flows[0]!, 10);
    t.insert(udp(A, 4, B, 9), false, 11, TimeoutClass.UDP);
    expect(ended).toEqual([flows[1]]);
    expect(ended[0]!.endReason).toBe('evicted');
    expect([t.size, t.evicted]).toEqual([3, 1]);
  });

  it('keeps finding flows after the bucket array grows', () => {
    const t = new FlowTable({}, () => {});
    for (let i = 0; i < 10000; i++) t.insert(udp(A + i, 1000, B, 53), false, 1, TimeoutClass.UDP);
    for (let i = 0; i < 10000; i += 997) expect(t.lookup(udp(B, 53, A + i, 1000))?.oa3).toBe(A + i);
    expect(t.flows().length).toBe(10000);
  });
});
