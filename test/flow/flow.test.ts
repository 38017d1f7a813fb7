import { describe, expect, it } from 'vitest';
import { Flow } from '../../src/flow/flow.js';
import { FlowTable } from '../../src/flow/table.js';
import { TimeoutClass } from '../../src/flow/flow.js';
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';

/** The capture times, which live outside the object (flow.ts TIMES) behind accessors. */
const TIMES = ['lastSeenSec', 'lastSec', 'oFirstSec', 'oLastSec', 'rFirstSec', 'rLastSec', 'closeAtSec', 'startSec', 'recordSeenSec'] as const;

/** Sets every own field of `f` (but its slot of times) and every time to a value no initializer uses. */
function scribble(f: Flow): void {
  const o = f as unknown as Record<string, unknown>;
  for (const t of TIMES) f[t] = 7.5;
  for (const k of Object.keys(o)) {
    if (k === 'times') continue;
    const v = o[k];
    o[k] = typeof v === 'number' ? 7.5 : typeof v === 'boolean' ? !v : typeof v === 'string' ? 'scribbled' : { scribbled: true };
  }
}

describe('Flow.reset', () => {
  it('puts back every field as a new Flow has it (a pooled flow carries nothing over)', () => {
    const f = new Flow();
    const fresh = (g: Flow) => ({ ...g, times: 0, ...Object.fromEntries(TIMES.map((t) => [t, g[t]])) });
    scribble(f);
    expect(fresh(f)).not.toEqual(fresh(new Flow()));
    f.reset();
    expect(fresh(f)).toEqual(fresh(new Flow()));
    expect(Object.keys(f)).toEqual(Object.keys(new Flow())); // same fields, same order: one hidden class
    // Each flow has a slot of times of its own.
    const g = new Flow();
    g.lastSeenSec = 42;
    expect(f.lastSeenSec).toBe(0);
  });

  it('the table reuses a recycled flow, as good as new, and refuses one still in the table', () => {
    const t = new FlowTable({}, () => {});
    const p = new DecodedPacket();
    p.ipVersion = 4;
    p.proto = IpProto.UDP;
    p.src4 = 0x0a000001;
    p.dst4 = 0x0a000002;
    p.srcPort = 40000;
    p.dstPort = 53;
    const f = t.insert(p, false, 1, TimeoutClass.UDP);
    expect(() => t.recycle(f)).toThrow(/still in the table/);
    f.oPkts = 3;
    f.endReason = 'closed';
    t.remove(f);
    t.recycle(f);
    p.srcPort = 40001;
    const g = t.insert(p, false, 2, TimeoutClass.UDP);
    expect(g).toBe(f);
    expect([g.oPkts, g.endReason, g.origPort, g.startSec]).toEqual([0, 'active', 40001, 2]);
  });
});
