/**
 * Can this servicer take one more conversation at `at`? The single place that says why not,
 * so the sandbox trace and the real assignment give the same reason.
 */
import type { Load, Servicer, SkipReason } from './model.js';
import { isOnDuty } from './schedule.js';

/** Reasons meaning "not working now" (as opposed to "working but full"): these send a conversation to the duty fallback. */
const OFF_DUTY: ReadonlySet<SkipReason> = new Set(['unknown_servicer', 'departed', 'not_receiving', 'away', 'off_shift', 'trans_refused']);

const WORDS: Record<SkipReason, string> = {
  unknown_servicer: 'is not a known servicer',
  departed: 'has left (离职)',
  not_receiving: 'stopped receiving (停止接待)',
  away: 'is not online in the WeReply console (离开)',
  off_shift: 'is off shift',
  at_cap: 'is at their 接待上限',
  at_supervisor_cap: 'is at their complaint cap',
  trans_refused: 'was refused by WeCom for this conversation',
};

/** The reason as words for the trace: "is off shift". */
export function describeSkip(reason: SkipReason): string {
  return WORDS[reason];
}

export function isOffDutyReason(reason: SkipReason): boolean {
  return OFF_DUTY.has(reason);
}

/**
 * Null when the servicer can take the conversation, else the first reason they cannot, checked in
 * the order a person would explain it: exists, not 离职, 接待中, on shift, under 接待上限 and,
 * for complaints, under the separate complaint cap.
 */
export function servicerEligibility(servicer: Servicer | undefined, load: Load, at: number, complaintCap?: number): SkipReason | null {
  if (!servicer) return 'unknown_servicer';
  if (servicer.status === 'departed') return 'departed';
  if (!servicer.receiving) return 'not_receiving';
  if (servicer.away) return 'away';
  if (servicer.shift && !isOnDuty(servicer.shift, at)) return 'off_shift';
  if ((load.open[servicer.userid] ?? 0) >= servicer.receptionCap) return 'at_cap';
  if (complaintCap !== undefined && (load.openComplaints?.[servicer.userid] ?? 0) >= complaintCap) return 'at_supervisor_cap';
  return null;
}
