import { describe, expect, it } from 'vitest';
import { afterFailure, lockedFor, NAME_POLICY, type FailureCount } from './sign-in-throttle.js';

describe('sign-in lockout', () => {
  it('allows 4 failures, then locks for 30 s, 1 min, 2 min … doubling up to 1 h', () => {
    let c: FailureCount | null = null;
    const now = 1_000_000;
    const locks: number[] = [];
    for (let i = 0; i < 14; i++) {
      c = afterFailure(NAME_POLICY, c, now);
      locks.push(lockedFor(c, now));
    }
    expect(locks.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(locks.slice(4, 9)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(locks.at(-1)).toBe(3600_000);
    expect(lockedFor(c, now + 3600_000)).toBe(0);
  });

  it('forgets a count after 24 h without failures', () => {
    let c: FailureCount | null = null;
    for (let i = 0; i < 6; i++) c = afterFailure(NAME_POLICY, c, 0);
    expect(afterFailure(NAME_POLICY, c, 25 * 3600_000).fails).toBe(1);
    expect(afterFailure(NAME_POLICY, c, 3600_000).fails).toBe(7);
  });
});
