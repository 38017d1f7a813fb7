/**
 * Wrapping 32-bit TCP sequence arithmetic (RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be
 * performed modulo 2**32"). Sequence numbers are plain JS numbers holding unsigned 32-bit values (0 .. 2^32-1);
 * comparisons use the signed 32-bit difference, as smoltcp's `SeqNumber` and Zeek's `seq_delta` do, so they are
 * correct whenever the two numbers are less than 2^31 apart.
 */

/** Signed distance `a - b` modulo 2^32, in -2^31 .. 2^31-1 (Zeek's `seq_delta`). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a + n` modulo 2^32, as an unsigned 32-bit number. `n` may be negative. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** True when `a` comes strictly before `b` in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** True when `a` comes before or equals `b` in sequence space. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** True when `a` comes strictly after `b` in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** True when `a` comes after or equals `b` in sequence space. */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** 2^32: one full turn of the sequence space (the weight of one wrap in 64-bit sequence positions). */
export const SEQ_SPACE = 4294967296;
