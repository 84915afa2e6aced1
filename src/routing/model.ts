/**
 * Routing vocabulary, in the user's words. Plain serialisable data only: the store loads these,
 * the domain functions in this folder take them and return decisions with a trace.
 */

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** A local time range "HH:MM"–"HH:MM". End before start crosses midnight and belongs to the start day. */
export interface TimeRange {
  start: string;
  end: string;
}

/** A shift schedule (排班): weekly ranges, holidays and 调休 workdays, all in one timezone. */
export interface WeeklySchedule {
  /** IANA timezone the ranges and dates are written in, e.g. "Asia/Shanghai". */
  timezone: string;
  /** Ranges per weekday; a missing or empty weekday is off all day. */
  weekly: Partial<Record<Weekday, TimeRange[]>>;
  /** Local dates "YYYY-MM-DD" that are off all day (节假日), whatever the weekday. */
  holidays?: string[];
  /** 调休: local dates worked with another weekday's ranges (e.g. a Sunday worked like a Monday). */
  extraWorkdays?: { date: string; like: Weekday }[];
}

/** 接待人员: one person who can receive customers on one or more kf accounts. */
export interface Servicer {
  userid: string;
  name: string;
  /** Group ids (skills) this servicer belongs to; the store keeps it in step with `Group.members`, which routing reads for order. */
  groups: string[];
  /** 接待上限: most concurrent open sessions. */
  receptionCap: number;
  /** Takes complaints (投诉) first, within the group's `supervisorCap`. */
  supervisor: boolean;
  /** 离职 servicers are never chosen. */
  status: 'active' | 'departed';
  /** 接待中 (true) or 停止接待 (false), from `servicer_status_change` events. */
  receiving: boolean;
  /** The servicer's home timezone (shown in the console; the shift carries its own). */
  timezone: string;
  /** Personal shift; absent means always on shift. */
  shift?: WeeklySchedule;
  /** WeReply desk only: no operator linked to this servicer is present in the console (在线) now. */
  away?: boolean;
}

/** How a group hands out conversations. */
export type Strategy = 'round_robin' | 'least_busy' | 'sticky';

/** 接待组: servicers sharing a skill, with a reception order and a strategy. */
export interface Group {
  id: string;
  name: string;
  /** Member userids in 接待顺序 (reception order): round-robin and tie-breaks follow it. */
  members: string[];
  strategy: Strategy;
  /** The group's business hours; absent means always on duty. */
  shift?: WeeklySchedule;
  /** Most open complaints per supervisor of this group, on top of (not instead of) the 接待上限. */
  supervisorCap?: number;
}

/** Customer tags a node requires: any of them, and/or all of them. */
export interface TagCondition {
  any?: string[];
  all?: string[];
}

/** Keywords matched with the rule matcher (normalised, substring). */
export interface KeywordCondition {
  any?: string[];
  all?: string[];
  none?: string[];
}

/** Every present field must hold (AND); an empty condition always holds. */
export interface Condition {
  keywords?: KeywordCondition;
  kfAccounts?: string[];
  channels?: string[];
  customerTags?: TagCondition;
  /** Local time of the message; timezone defaults to the tree's. */
  timeOfDay?: { ranges: TimeRange[]; weekdays?: Weekday[]; timezone?: string };
  /** The customer's own timezone (e.g. overseas customers) is one of these. */
  customerTimezones?: string[];
}

export type Target = { group: string; strategy?: Strategy } | { servicer: string };

export interface RoutingNode {
  id: string;
  name: string;
  when: Condition;
  /** A target, or children tried in order (the node matches only if one of them does). */
  then: Target | { children: RoutingNode[] };
}

/** 路由树: ordered nodes, the first that leads to a target wins. */
export interface RoutingTree {
  /** Default timezone for `timeOfDay` conditions (the corp's). */
  timezone: string;
  nodes: RoutingNode[];
}

/** What routing knows about the conversation being assigned. */
export interface RoutingContext {
  /** Message text (the one that triggered the handoff). */
  text: string;
  kfAccount: string;
  channel: string;
  customerTags: string[];
  customerTimezone?: string;
  /** When (ms since epoch); every time-dependent check uses this, never the clock. */
  at: number;
  /** The message matched a complaint phrase (投诉/差评/举报). */
  complaint?: boolean;
  /** The servicer this customer last talked to (for sticky groups). */
  lastServicer?: string;
}

/** Current load: open sessions per servicer, and the complaints among them. */
export interface Load {
  open: Record<string, number>;
  openComplaints?: Record<string, number>;
}

/** Why a servicer could not take this conversation (shown in the sandbox trace). */
export type SkipReason =
  | 'unknown_servicer'
  | 'departed'
  | 'not_receiving'
  /** WeReply desk: nobody linked to this servicer is online in the console. */
  | 'away'
  | 'off_shift'
  | 'at_cap'
  | 'at_supervisor_cap'
  /** WeCom refused `kf/service_state/trans` to this servicer for this conversation (e.g. not on duty there). */
  | 'trans_refused';

/** Everything an operator configures for routing, saved as one version (who/when; earlier ones restorable). */
export interface RoutingConfig {
  groups: Group[];
  tree: RoutingTree;
  /** Where conversations go when the target group has nobody on duty (夜间值班). Absent: the waiting pool. */
  dutyFallback?: Target;
  /** Messages containing one of these are complaints (投诉): supervisors first. */
  complaintPhrases: string[];
}

export const DEFAULT_COMPLAINT_PHRASES = ['投诉', '差评', '举报', '12315', '曝光', '维权'];
