/** A held frame (replay pacing) is a whole copy: Frame.copyOf sets every field a frame has. */
import { describe, expect, it } from 'vitest';
import { Frame } from '../../src/source/types.js';

describe('Frame.copyOf', () => {
  it('copies every field but the bytes, which it takes as given from offset 0', () => {
    const f = new Frame();
    const o = f as unknown as Record<string, unknown>;
    let v = 3;
    for (const k of Object.keys(f)) if (typeof o[k] === 'number') o[k] = v++;
    f.bytes = Uint8Array.of(9, 9, 1, 2, 3);
    const bytes = Uint8Array.of(1, 2, 3);
    const h = new Frame();
    h.copyOf(f, bytes);
    expect({ ...h }).toEqual({ ...f, bytes, offset: 0 });
  });
});
