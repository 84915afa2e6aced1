import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateFigures, judge, spread, type Figure } from './aggregate.js';

describe('spread', () => {
  it('gives min, median and max; the median of an even count is the mean of the middle two', () => {
    expect(spread([3, 1, 2])).toEqual({ n: 3, min: 1, median: 2, max: 3 });
    expect(spread([10, 40, 20, 30])).toEqual({ n: 4, min: 10, median: 25, max: 40 });
    expect(spread([7])).toEqual({ n: 1, min: 7, median: 7, max: 7 });
  });

  it('leaves out runs without a finite value, and is all NaN when none has one', () => {
    expect(spread([5, Number.NaN, 1, Number.POSITIVE_INFINITY])).toEqual({ n: 2, min: 1, median: 3, max: 5 });
    const empty = spread([Number.NaN]);
    expect(empty.n).toBe(0);
    expect(Number.isNaN(empty.median)).toBe(true);
  });

  it('min ≤ median ≤ max, at least half the values on each side of the median, order-independent', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 30 }), (xs) => {
        const s = spread(xs);
        expect(s.min).toBe(Math.min(...xs));
        expect(s.max).toBe(Math.max(...xs));
        expect(s.min <= s.median && s.median <= s.max).toBe(true);
        expect(xs.filter((x) => x <= s.median).length * 2).toBeGreaterThanOrEqual(xs.length);
        expect(xs.filter((x) => x >= s.median).length * 2).toBeGreaterThanOrEqual(xs.length);
        expect(spread([...xs].reverse())).toEqual(s);
      }),
    );
  });
});

describe('aggregateFigures', () => {
  const fig = (id: string, value: number, extra: Partial<Figure> = {}): Figure => ({ id, benchmark: '(c) reply latency', label: id, unit: 'ms', value, dependsOnLoad: true, ...extra });

  it('keeps every run and judges the goal on the median, not the best run', () => {
    const goal = { op: '<=' as const, value: 25 };
    const runs = [[fig('p99', 20, { goal })], [fig('p99', 40, { goal })], [fig('p99', 30, { goal })]];
    const [p99] = aggregateFigures(runs);
    expect(p99!.values).toEqual([20, 40, 30]);
    expect(p99!.spread).toEqual({ n: 3, min: 20, median: 30, max: 40 });
    // The best run (20 ms) meets the goal; the median (30 ms) does not.
    expect(p99!.verdict).toBe('NOT met');
  });

  it('keeps the order figures first appear in and marks runs that did not report one', () => {
    const out = aggregateFigures([[fig('a', 1), fig('b', 2)], [fig('b', 4), fig('c', 9)]]);
    expect(out.map((f) => f.id)).toEqual(['a', 'b', 'c']);
    expect(out[0]!.values[1]).toBeNaN();
    expect(out[1]!.spread.median).toBe(3);
  });

  it('judges ≥ goals and never passes a figure no run reported', () => {
    expect(judge(6, { op: '>=', value: 5 })).toBe('met');
    expect(judge(4.9, { op: '>=', value: 5 })).toBe('NOT met');
    expect(judge(Number.NaN, { op: '<=', value: 5 })).toBe('NOT met');
    expect(judge(1, undefined)).toBeNull();
  });
});
