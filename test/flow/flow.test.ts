import { describe, expect, it } from 'vitest';
import { FLOW_NUMBERS, Flow, swapDirections } from '../../src/flow/flow.js';
import { FlowTable } from '../../src/flow/table.js';
import { TimeoutClass } from '../../src/flow/flow.js';
import { DecodedPacket, IpProto } from '../../src/decode/packet.js';

/** The numbers that live outside the object, in its block of `nums`, behind accessors. */
const NUMBERS = FLOW_NUMBERS.map(([name]) => name);

/** Sets every own field of `f` (but its block's place) and every number of its block to a value no initializer uses. */
function scribble(f: Flow): void {
  const o = f as unknown as Record<string, unknown>;
  for (const t of NUMBERS) f[t] = 7.5;
  for (const k of Object.keys(o)) {
    if (k === 'numsAt' || k === 'nums') continue;
    const v = o[k];
    o[k] = typeof v === 'number' ? 7.5 : typeof v === 'boolean' ? !v : typeof v === 'string' ? 'scribbled' : { scribbled: true };
  }
}

describe('Flow.reset', () => {
  it('puts back every field as a new Flow has it (a pooled flow carries nothing over)', () => {
    const f = new Flow();
    // Its block of numbers and its id in the table that made it are its own for life: reset keeps them.
    const fresh = (g: Flow) => ({ ...g, numsAt: 0, nums: null, id: 0, ...Object.fromEntries(NUMBERS.map((t) => [t, g[t]])) });
    scribble(f);
    expect(fresh(f)).not.toEqual(fresh(new Flow()));
    f.reset();
    expect(fresh(f)).toEqual(fresh(new Flow()));
    expect(Object.keys(f)).toEqual(Object.keys(new Flow())); // same fields, same order: one hidden class
    // Each flow has a block of numbers of its own.
    const g = new Flow();
    g.lastSeenSec = 42;
    expect(f.lastSeenSec).toBe(0);
  });

  it('reads and writes each number of FLOW_NUMBERS at its place in the block, starting from its initial value', () => {
    // Flows enough to fill a page of blocks and start the next.
    const flows = Array.from({ length: 5000 }, () => new Flow());
    const initial = FLOW_NUMBERS.map(([name, v]) => [name, v]);
    const written = FLOW_NUMBERS.map(([name], i) => [name, 1000 + i]);
    for (const f of flows) {
      expect(FLOW_NUMBERS.map(([name]) => [name, f[name]])).toEqual(initial);
      FLOW_NUMBERS.forEach(([name], i) => (f[name] = 1000 + i));
    }
    for (const f of flows) expect(FLOW_NUMBERS.map(([name], i) => [name, f.nums[f.numsAt + i]])).toEqual(written);
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
    const other = new FlowTable({}, () => {});
    expect(() => other.recycle(new Flow())).toThrow(/another table/);
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

describe('swapDirections', () => {
  it('swaps every per-direction counter and time (each o* field with its r* field), and nothing else', () => {
    const f = new Flow();
    const o = f as unknown as Record<string, number>;
    // Every numeric field (own, or in the block) named o<Upper>... with an r<Upper>... twin, but the key's address
    // words (flipKey's).
    const all = [...Object.keys(f), ...NUMBERS]
      .filter((k) => /^o[A-Z]/.test(k) && `r${k.slice(1)}` in f && typeof o[k] === 'number')
      .map((k) => [k, `r${k.slice(1)}`] as const);
    expect(all.length).toBeGreaterThan(12);
    let v = 1;
    for (const [a, b] of all) {
      o[a] = v++;
      o[b] = v++;
    }
    const others = Object.fromEntries([...Object.keys(f), ...NUMBERS].filter((k) => !all.some(([a, b]) => a === k || b === k)).map((k) => [k, o[k]]));
    swapDirections(f);
    v = 1;
    for (const [a, b] of all) {
      expect([a, o[a]]).toEqual([a, v + 1]);
      expect([b, o[b]]).toEqual([b, v]);
      v += 2;
    }
    expect(Object.fromEntries(Object.keys(others).map((k) => [k, o[k]]))).toEqual(others);
  });
});

