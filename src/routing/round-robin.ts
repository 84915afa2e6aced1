/**
 * Group strategies: round-robin in reception order (按成员接待顺序分配), least-busy, sticky.
 *
 * Each picker takes the group's members in reception order and an `eligible` check (the caller
 * decides: departed, 停止接待, off shift, at 接待上限 …) and returns who was chosen, who was skipped
 * and why, and the next round-robin state. Pickers never read the clock or the database.
 *
 * Fairness of round-robin (tested as properties in round-robin.test.ts):
 * - A pointer moves to the member just chosen; the next pick scans from the member after it, in
 *   reception order, wrapping around. Skipped members do not move the pointer, so a skip never
 *   changes whose turn comes after the chosen one.
 * - Guarantee: if member m is chosen at pick i and next at pick j, every other member that was
 *   eligible at every pick from i+1 to j was chosen at least once in between. Consequently any two
 *   members eligible throughout a window of picks get counts within that window differing by at
 *   most 1, whatever happened before the window: a member skipped while ineligible gets no
 *   catch-up burst when it comes back (its missed turns are lost, not owed). With everyone always
 *   eligible (equal caps never reached), counts over any run differ by at most 1.
 */
import type { SkipReason } from './model.js';

/**
 * Round-robin state for one group, serialisable as-is (JSON column). `lastIndex` heals the order
 * when the last chosen member has since left the group: the scan resumes at the member now in
 * that slot, which was the next one in the old order.
 */
export interface RoundRobinState {
  last: string | null;
  lastIndex: number;
}

export const initialRoundRobin: RoundRobinState = { last: null, lastIndex: -1 };

/** Says why a servicer cannot take this conversation, or null when they can. */
export type Eligibility = (userid: string) => SkipReason | null;

export interface Skipped {
  userid: string;
  reason: SkipReason;
}

export interface Pick {
  /** The chosen servicer, or null when every member was skipped. */
  chosen: string | null;
  /** Members looked at and passed over, in the order they were looked at. */
  skipped: Skipped[];
  /** State to store for the next pick (unchanged when nobody was chosen, or on a sticky hit). */
  nextState: RoundRobinState;
}

/** Where the next scan starts: after the last chosen member, or in its old slot if it has left. */
function scanStart(members: readonly string[], state: RoundRobinState): number {
  if (members.length === 0) return 0;
  const at = state.last === null ? -1 : members.indexOf(state.last);
  if (at >= 0) return (at + 1) % members.length;
  if (state.last === null) return 0;
  return Math.max(0, state.lastIndex) % members.length;
}

/** Next eligible member in reception order after the last chosen one (wrapping once). */
export function pickRoundRobin(members: readonly string[], state: RoundRobinState, eligible: Eligibility): Pick {
  const skipped: Skipped[] = [];
  const start = scanStart(members, state);
  for (let k = 0; k < members.length; k++) {
    const index = (start + k) % members.length;
    const userid = members[index]!;
    const reason = eligible(userid);
    if (reason === null) return { chosen: userid, skipped, nextState: { last: userid, lastIndex: index } };
    skipped.push({ userid, reason });
  }
  return { chosen: null, skipped, nextState: state };
}

/**
 * The eligible member with the lowest open/cap ratio; ties go to the earlier member in reception
 * order. Members at or over their cap are skipped as 'at_cap'. Does not touch round-robin state.
 */
export function pickLeastBusy(
  members: readonly string[],
  state: RoundRobinState,
  eligible: Eligibility,
  load: (userid: string) => { open: number; cap: number },
): Pick {
  const skipped: Skipped[] = [];
  let best: { userid: string; open: number; cap: number } | null = null;
  for (const userid of members) {
    const reason = eligible(userid);
    if (reason !== null) {
      skipped.push({ userid, reason });
      continue;
    }
    const { open, cap } = load(userid);
    if (cap <= 0 || open >= cap) {
      skipped.push({ userid, reason: 'at_cap' });
      continue;
    }
    // open/cap < best.open/best.cap without floating point.
    if (best === null || open * best.cap < best.open * cap) best = { userid, open, cap };
  }
  return { chosen: best?.userid ?? null, skipped, nextState: state };
}

/**
 * Sticky (老客户找回熟悉的人): the servicer this customer last talked to, if they are a member and
 * eligible; otherwise round-robin. A sticky hit does not consume a round-robin turn.
 */
export function pickSticky(
  members: readonly string[],
  state: RoundRobinState,
  eligible: Eligibility,
  lastServicer: string | undefined,
): Pick {
  if (lastServicer !== undefined && members.includes(lastServicer)) {
    const reason = eligible(lastServicer);
    if (reason === null) return { chosen: lastServicer, skipped: [], nextState: state };
    const fallback = pickRoundRobin(members, state, eligible);
    // The last servicer may be scanned again by round-robin; list them once.
    return { ...fallback, skipped: [{ userid: lastServicer, reason }, ...fallback.skipped.filter((s) => s.userid !== lastServicer)] };
  }
  return pickRoundRobin(members, state, eligible);
}
