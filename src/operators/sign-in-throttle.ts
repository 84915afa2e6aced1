/**
 * The lockout after failed password sign-ins, as a pure rule: counted per name (whether or not the
 * name exists, so a lockout tells nothing about which names do) and per address. From the 5th failure
 * of a name (the 20th of an address) each further failure locks it for twice as long as the one
 * before: 30 s, 1 min, 2 min … at most 1 h (an address: 15 min). A name's count forgets itself after
 * 24 h without failures, an address's after 1 h.
 * Called by api/sign-in-routes.ts before and after checking a password.
 */

export interface ThrottlePolicy {
  /** Failures allowed before the first lockout. */
  freeFailures: number;
  firstLockMs: number;
  maxLockMs: number;
  /** A count without failures for this long starts again from zero. */
  forgetAfterMs: number;
}

export const NAME_POLICY: ThrottlePolicy = { freeFailures: 4, firstLockMs: 30_000, maxLockMs: 3600_000, forgetAfterMs: 24 * 3600_000 };
/**
 * An office behind one address has many people: more room before the address is locked, shorter
 * locks (at most 15 min) and a count forgotten after an hour without failures.
 */
export const ADDRESS_POLICY: ThrottlePolicy = { freeFailures: 19, firstLockMs: 30_000, maxLockMs: 15 * 60_000, forgetAfterMs: 3600_000 };

export interface FailureCount {
  fails: number;
  lockedUntil: number;
  lastAt: number;
}

/** The count after one more failure at `now`. */
export function afterFailure(policy: ThrottlePolicy, before: FailureCount | null, now: number): FailureCount {
  const fails = (before && now - before.lastAt < policy.forgetAfterMs ? before.fails : 0) + 1;
  const over = fails - policy.freeFailures;
  const lock = over > 0 ? Math.min(policy.maxLockMs, policy.firstLockMs * 2 ** (over - 1)) : 0;
  return { fails, lockedUntil: lock ? now + lock : 0, lastAt: now };
}

/** Milliseconds until `count` may try again (0: now). */
export function lockedFor(count: FailureCount | null, now: number): number {
  return count && count.lockedUntil > now ? count.lockedUntil - now : 0;
}
