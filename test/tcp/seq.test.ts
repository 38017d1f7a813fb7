import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt, SEQ_SPACE } from '../../src/tcp/seq.js';

const MAX = 0xffffffff;

describe('seqDiff', () => {
  it.each([
    [10, 3, 7],
    [3, 10, -7],
    [0, MAX, 1], // 0 comes one after 2^32-1
    [MAX, 0, -1],
    [5, MAX - 4, 10], // wrapped by 10
    [0x80000000, 0, -0x80000000], // exactly half way: the signed view says "before"
  ])('%d - %d = %d', (a, b, d) => expect(seqDiff(a, b)).toBe(d));
});

describe('seqAdd', () => {
  it('wraps past 2^32', () => expect(seqAdd(MAX - 1, 5)).toBe(3));
  it('wraps below 0 for negative steps', () => expect(seqAdd(2, -5)).toBe(MAX - 2));
  it('stays unsigned', () => expect(seqAdd(0x7fffffff, 1)).toBe(0x80000000));
});

describe('comparisons near 2^32', () => {
  it.each([
    [MAX, 0, true],
    [MAX - 100, 50, true],
    [50, MAX - 100, false],
    [7, 7, false],
    [1, 2, true],
  ])('seqLt(%d, %d) = %s', (a, b, lt) => {
    expect(seqLt(a, b)).toBe(lt);
    expect(seqGt(b, a)).toBe(lt);
    expect(seqGeq(a, b)).toBe(!lt);
  });
  it('seqLeq includes equality', () => {
    expect(seqLeq(MAX, MAX)).toBe(true);
    expect(seqLeq(0, MAX)).toBe(false);
    expect(seqLeq(MAX, 0)).toBe(true);
  });
  it('SEQ_SPACE is 2^32', () => expect(SEQ_SPACE).toBe(MAX + 1));
});
