/**
 * Leases: how long claimed work (a pull job, an outbox row) is one worker's before another instance
 * may take it over. Short, and renewed by a heartbeat while the work runs, so a killed instance's work
 * is taken over within about `leaseMs` + one poll, while live work is never taken away.
 *
 * Takeover bound: a dead worker renewed last at most `heartbeatMs` before it died; its lease ends
 * `leaseMs` after that renewal; another worker's poll finds it within `pollMs`. So work waits at most
 * leaseMs + pollMs after the kill (plus the claim itself). A live worker misses its lease only if its
 * event loop or its database connection stalls for longer than leaseMs − heartbeatMs.
 */

export interface LeaseTiming {
  /** How long a claim holds without renewal (ms). */
  leaseMs: number;
  /** How often running work renews its claims (ms); well below leaseMs. */
  heartbeatMs: number;
}

export const DEFAULT_LEASE: LeaseTiming = { leaseMs: 5_000, heartbeatMs: 1_000 };

/** What a worker knows about one of its claims. */
export interface LeaseState {
  /** Until when the claim is ours, as last written (ms, this instance's clock). */
  until: number;
  /** Another worker holds it now (a renewal or a fenced write found it taken). */
  lost: boolean;
}

export function leaseTiming(partial?: Partial<LeaseTiming>): LeaseTiming {
  const leaseMs = partial?.leaseMs ?? DEFAULT_LEASE.leaseMs;
  const heartbeatMs = partial?.heartbeatMs ?? Math.max(1, Math.min(DEFAULT_LEASE.heartbeatMs, Math.floor(leaseMs / 3)));
  if (heartbeatMs * 2 > leaseMs) throw new Error(`lease heartbeat (${heartbeatMs} ms) must be at most half the lease (${leaseMs} ms), or a short stall loses live work`);
  return { leaseMs, heartbeatMs };
}
