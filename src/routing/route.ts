/**
 * routeConversation: who gets this conversation now, and the full reasoning for the sandbox trace.
 *
 * Order of decisions:
 * 1. The routing tree names a target (a group with a strategy, or a servicer).
 * 2. Complaints (投诉) go to supervisors first: the target group's supervisors in reception order,
 *    then any other supervisor, least busy by open complaints, within the separate supervisor cap
 *    (and their 接待上限). If none can, the complaint skips the target's ordinary members (so it
 *    does not land on a junior), goes to the duty fallback and is flagged for follow-up.
 * 3. Otherwise the target picks by strategy among eligible members.
 * 4. If nobody of the target is on duty (the group's business hours are over, or every member has
 *    left, is in 停止接待 or off shift), the duty fallback (值班兜底) is tried.
 * 5. Anyone still unassigned waits in the pool (等待队列, WeCom service state 2), with the reason
 *    and, when the target is off shift, when it is next on duty.
 * A departed (离职) servicer is never chosen: every path goes through `servicerEligibility`.
 *
 * Pure: time comes from `ctx.at`, load and round-robin state from the input; the caller stores
 * the returned round-robin updates together with the assignment.
 */
import { describeSkip, isOffDutyReason, servicerEligibility } from './eligibility.js';
import type { Group, Load, RoutingContext, RoutingTree, Servicer, SkipReason, Strategy, Target } from './model.js';
import { initialRoundRobin, pickLeastBusy, pickRoundRobin, pickSticky, type Eligibility, type Pick, type RoundRobinState } from './round-robin.js';
import { nextOnDutyAt, isOnDuty } from './schedule.js';
import { evaluateTree, type TreeEvaluation } from './tree.js';

export interface RouteInput {
  tree: RoutingTree;
  groups: readonly Group[];
  servicers: readonly Servicer[];
  /** Open sessions (and complaints among them) per servicer, right now. */
  load: Load;
  /** Stored round-robin state per group id; missing groups start fresh. */
  roundRobin: Readonly<Record<string, RoundRobinState>>;
  ctx: RoutingContext;
  /** 值班兜底: who takes conversations when the target is off duty, and complaints no supervisor can take. */
  dutyFallback?: Target;
  /**
   * Servicers WeCom already refused for this conversation (trans failed). The caller retries with
   * the refused one added: each retry excludes one more servicer, so retries end in the pool.
   */
  refused?: readonly string[];
}

export type Stage = 'complaint' | 'target' | 'fallback';

export interface CandidateTrace {
  userid: string;
  stage: Stage;
  /** The group the candidate was considered through, if any. */
  group?: string;
  eligible: boolean;
  reason: SkipReason | null;
}

export interface RouteDecision {
  /** The tree branch that matched and every condition checked. */
  branch: TreeEvaluation;
  /** Every servicer considered, in the order considered, with why they could or could not take it. */
  candidates: CandidateTrace[];
  chosen: string | null;
  /** The stage that chose, and how ('supervisor' for complaints, 'servicer' for a named target). */
  chosenBy: { stage: Stage; how: Strategy | 'supervisor' | 'servicer' } | null;
  /** True: no one can take it now; it waits in the pool. */
  pool: boolean;
  /** One sentence for the trace and the conversation's assignment log. */
  reason: string;
  fallbackUsed: boolean;
  /** A complaint no supervisor could take (flag for follow-up, 待跟进). */
  followUp: boolean;
  /** When the off-duty target is next on duty (for the "expected wait" message), if known. */
  expectedOnDutyAt: number | null;
  /** Round-robin states that changed, by group id: store them with the assignment, once WeCom accepted it. */
  roundRobin: Record<string, RoundRobinState>;
}

interface Attempt {
  chosen: string | null;
  how: Strategy | 'supervisor' | 'servicer';
  /** Nobody of this target is working now (so the duty fallback applies rather than the pool). */
  offDuty: boolean;
  /** When the off-shift target (group or servicer) is next on duty. */
  opensAt: number | null;
  detail: string;
}

export function routeConversation(input: RouteInput): RouteDecision {
  const { ctx, load } = input;
  // Built per decision, not cached per list: a cached map could miss an in-place edit (a servicer
  // just marked 离职) and that must never be routed to.
  const byId = new Map(input.servicers.map((s) => [s.userid, s]));
  const groupById = new Map(input.groups.map((g) => [g.id, g]));
  const candidates: CandidateTrace[] = [];
  const roundRobin: Record<string, RoundRobinState> = {};
  const branch = evaluateTree(input.tree, ctx);
  const refused = new Set(input.refused);
  const eligible: Eligibility = (u) => servicerEligibility(byId.get(u), load, ctx.at) ?? (refused.has(u) ? 'trans_refused' : null);

  const record = (stage: Stage, userids: readonly string[], check: Eligibility, group?: string) => {
    for (const userid of userids) {
      const reason = check(userid);
      candidates.push({ userid, stage, ...(group !== undefined && { group }), eligible: reason === null, reason });
    }
  };

  /** Tries one target; records its candidates and any round-robin move. */
  const attempt = (target: Target, stage: Stage): Attempt => {
    if ('servicer' in target) {
      record(stage, [target.servicer], eligible);
      const reason = eligible(target.servicer);
      const shift = byId.get(target.servicer)?.shift;
      return {
        chosen: reason === null ? target.servicer : null,
        how: 'servicer',
        offDuty: reason !== null && isOffDutyReason(reason),
        opensAt: reason === 'off_shift' && shift ? nextOnDutyAt(shift, ctx.at) : null,
        detail: `servicer ${target.servicer}${reason === null ? '' : ` ${describeSkip(reason)}`}`,
      };
    }
    const group = groupById.get(target.group);
    const strategy = target.strategy ?? group?.strategy ?? 'round_robin';
    if (!group) return { chosen: null, how: strategy, offDuty: true, opensAt: null, detail: `group ${target.group} does not exist` };
    const hours = group.shift;
    const groupOff = hours !== undefined && !isOnDuty(hours, ctx.at);
    const check = memo(groupOff ? outsideHours(eligible) : eligible);
    record(stage, group.members, check, group.id);
    const pick = pickByStrategy(group, strategy, input, byId, check);
    if (pick.nextState !== (input.roundRobin[group.id] ?? initialRoundRobin)) roundRobin[group.id] = pick.nextState;
    if (pick.chosen !== null) return { chosen: pick.chosen, how: strategy, offDuty: false, opensAt: null, detail: `group ${group.name} (${strategy})` };
    if (hours && groupOff) return { chosen: null, how: strategy, offDuty: true, opensAt: nextOnDutyAt(hours, ctx.at), detail: `group ${group.name} is outside its business hours` };
    const offDuty = group.members.every((u) => isOffDutyReason(check(u) ?? 'at_cap'));
    if (!offDuty) return { chosen: null, how: strategy, offDuty, opensAt: null, detail: `everyone on duty in group ${group.name} is at their 接待上限` };
    return { chosen: null, how: strategy, offDuty, opensAt: firstShiftStart(group.members, byId, ctx.at), detail: `nobody in group ${group.name} is on duty` };
  };

  const result = (chosen: string | null, chosenBy: RouteDecision['chosenBy'], reason: string, extra: Partial<RouteDecision>): RouteDecision => ({
    branch,
    candidates,
    chosen,
    chosenBy,
    pool: chosen === null,
    reason,
    fallbackUsed: false,
    followUp: false,
    expectedOnDutyAt: null,
    roundRobin,
    ...extra,
  });

  const assign = (chosen: string, stage: Stage, how: Attempt['how'], reason: string, extra: Partial<RouteDecision> = {}): RouteDecision =>
    result(chosen, { stage, how }, reason, extra);
  const toPool = (reason: string, extra: Partial<RouteDecision> = {}): RouteDecision => result(null, null, `${reason}: waiting pool`, extra);

  /** The duty fallback, or the pool when there is none or it cannot take the conversation either. */
  const fallback = (why: string, opensAt: number | null, followUp: boolean): RouteDecision => {
    if (!input.dutyFallback) return toPool(`${why}; no duty fallback configured`, { followUp, expectedOnDutyAt: opensAt });
    const f = attempt(input.dutyFallback, 'fallback');
    if (f.chosen !== null) return assign(f.chosen, 'fallback', f.how, `${why}; duty fallback: ${f.detail}`, { fallbackUsed: true, followUp });
    return toPool(`${why}; duty fallback unavailable (${f.detail})`, {
      fallbackUsed: true,
      followUp,
      expectedOnDutyAt: opensAt ?? f.opensAt,
    });
  };

  const target = branch.target;

  if (ctx.complaint) {
    const chosen = pickSupervisor(target, input, byId, groupById, refused, record);
    if (chosen !== null) return assign(chosen, 'complaint', 'supervisor', `complaint (投诉): supervisor ${chosen}`);
    return fallback('complaint (投诉): no supervisor can take it', null, true);
  }

  if (!target) return toPool('no branch of the routing tree matched');

  const t = attempt(target, 'target');
  if (t.chosen !== null) return assign(t.chosen, 'target', t.how, `branch ${branch.path.map((p) => p.name).join(' › ')}: ${t.detail}`);
  if (t.offDuty) return fallback(t.detail, t.opensAt, false);
  return toPool(t.detail);
}

/** Outside a group's business hours its members are off shift, unless they are already gone or paused. */
function outsideHours(check: Eligibility): Eligibility {
  return (u) => {
    const reason = check(u);
    return reason !== null && isOffDutyReason(reason) ? reason : 'off_shift';
  };
}

/** Each member's eligibility computed once per decision (it may read shift schedules). */
function memo(check: Eligibility): Eligibility {
  const seen = new Map<string, SkipReason | null>();
  return (u) => {
    let reason = seen.get(u);
    if (reason === undefined) {
      reason = check(u);
      seen.set(u, reason);
    }
    return reason;
  };
}

/** When the first off-shift member's shift starts (for the "expected wait" message), if any has a shift. */
function firstShiftStart(members: readonly string[], byId: ReadonlyMap<string, Servicer>, at: number): number | null {
  let first: number | null = null;
  for (const u of members) {
    const s = byId.get(u);
    if (!s?.shift || s.status !== 'active' || !s.receiving) continue;
    const next = nextOnDutyAt(s.shift, at);
    if (next !== null && (first === null || next < first)) first = next;
  }
  return first;
}

function pickByStrategy(group: Group, strategy: Strategy, input: RouteInput, byId: ReadonlyMap<string, Servicer>, eligible: Eligibility): Pick {
  const state = input.roundRobin[group.id] ?? initialRoundRobin;
  switch (strategy) {
    case 'round_robin':
      return pickRoundRobin(group.members, state, eligible);
    case 'least_busy':
      return pickLeastBusy(group.members, state, eligible, (u) => ({ open: input.load.open[u] ?? 0, cap: byId.get(u)?.receptionCap ?? 0 }));
    case 'sticky':
      return pickSticky(group.members, state, eligible, input.ctx.lastServicer);
  }
}

/**
 * The complaint cap of a supervisor: the target group's `supervisorCap` when found through it,
 * else the first of their own groups that sets one; undefined means only the 接待上限 applies.
 */
function complaintCap(s: Servicer, via: Group | undefined, groupById: ReadonlyMap<string, Group>): number | undefined {
  if (via?.supervisorCap !== undefined) return via.supervisorCap;
  for (const g of s.groups) {
    const cap = groupById.get(g)?.supervisorCap;
    if (cap !== undefined) return cap;
  }
  return undefined;
}

/** Supervisors of the target group first, then any other supervisor; least busy by open complaints. */
function pickSupervisor(
  target: Target | null,
  input: RouteInput,
  byId: ReadonlyMap<string, Servicer>,
  groupById: ReadonlyMap<string, Group>,
  refused: ReadonlySet<string>,
  record: (stage: Stage, userids: readonly string[], check: Eligibility, group?: string) => void,
): string | null {
  const { load, ctx } = input;
  const targetGroup = target && 'group' in target ? groupById.get(target.group) : undefined;
  const own = (targetGroup?.members ?? []).filter((u) => byId.get(u)?.supervisor);
  const others = input.servicers.filter((s) => s.supervisor && !own.includes(s.userid)).map((s) => s.userid);
  for (const [userids, via] of [[own, targetGroup], [others, undefined]] as const) {
    const within: Eligibility = (u) => {
      const s = byId.get(u);
      const reason = servicerEligibility(s, load, ctx.at, s && complaintCap(s, via, groupById)) ?? (refused.has(u) ? 'trans_refused' : null);
      // Supervisors count as off shift outside their groups' business hours: the target group's
      // when found through it, else all of their own groups'.
      if (!s || (reason !== null && isOffDutyReason(reason))) return reason;
      const groups = via ? [via] : s.groups.flatMap((g) => groupById.get(g) ?? []);
      const closed = groups.length > 0 && groups.every((g) => g.shift !== undefined && !isOnDuty(g.shift, ctx.at));
      return closed ? 'off_shift' : reason;
    };
    const check = memo(within);
    record('complaint', userids, check, via?.id);
    const pick = pickLeastBusy(userids, initialRoundRobin, check, (u) => {
      const s = byId.get(u);
      return { open: load.openComplaints?.[u] ?? 0, cap: (s && complaintCap(s, via, groupById)) ?? s?.receptionCap ?? 0 };
    });
    if (pick.chosen !== null) return pick.chosen;
  }
  return null;
}
