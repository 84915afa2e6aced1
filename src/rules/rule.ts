/**
 * The auto-reply rule model as users write it (API, console, demo seed) and as it is stored.
 */

/** How a rule's keywords are compared with a customer's message (after normalisation). */
export interface RuleMatch {
  /** The whole message equals one of these. */
  exact?: string[];
  /** The message contains at least one of these. */
  any?: string[];
  /** The message contains every one of these. */
  all?: string[];
  /** The message contains none of these (only together with a positive condition). */
  none?: string[];
  /** "#退货"-style commands: the message starts with "#" and one of these words. */
  command?: string[];
  /** JavaScript regular expressions (validated, run with a time limit). */
  regex?: string[];
}

export const MATCH_KINDS = ['exact', 'any', 'all', 'none', 'command', 'regex'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** Times in the corp's timezone (or the given one) when a rule may fire. */
export interface ActiveHours {
  timezone?: string;
  /** ISO weekdays 1 (Monday) … 7 (Sunday); all days when absent. */
  weekdays?: number[];
  /** "HH:MM" ranges; end before start means the range crosses midnight. All day when absent. */
  ranges?: { start: string; end: string }[];
  /** True: the rule fires OUTSIDE these hours (the off-hours variant). */
  invert?: boolean;
}

export type MenuItem =
  | { type: 'click'; id?: string; content: string }
  | { type: 'view'; url: string; content: string }
  | { type: 'miniprogram'; appid: string; pagepath: string; content: string }
  | { type: 'text'; content: string };

/** Where a handoff goes: a servicer group, or one servicer (接待人员 userid). Absent: the routing rules decide. */
export type HandoffRoute = { group: string } | { servicer: string };

/** The message items a rule sends, plus the handoff action (转人工), which sends nothing itself. */
export type ReplyItem =
  | { type: 'text'; text: string }
  | { type: 'handoff'; route?: HandoffRoute }
  | { type: 'image' | 'video' | 'file'; material_id: number }
  | { type: 'link'; title: string; desc?: string; url: string; thumb_material_id: number }
  | { type: 'miniprogram'; appid: string; title: string; pagepath: string; thumb_material_id: number }
  | { type: 'menu'; head?: string; items: MenuItem[]; tail?: string };

/** One WeCom message (everything a rule replies except the handoff action). */
export type MessageItem = Exclude<ReplyItem, { type: 'handoff' }>;

export const RULE_KINDS = ['keyword', 'any_message', 'welcome'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface Rule {
  id: number;
  name: string;
  /** keyword: fires on matching messages; any_message: 收到消息回复 when no keyword rule answered; welcome: on enter_session. */
  kind: RuleKind;
  match: RuleMatch | null;
  reply: ReplyItem[];
  /** Higher first; ties by id. */
  priority: number;
  /** Stop evaluating lower-priority keyword rules after this one fired. */
  stop: boolean;
  active_hours: ActiveHours | null;
  /** any_message only: at most one such reply per customer within this many seconds. */
  cooldown_seconds: number | null;
  enabled: boolean;
  /** draft rules fire only for customers marked as test accounts (测试账号). */
  status: 'live' | 'draft';
  hit_count: number;
  created_at: number;
  updated_at: number;
}

/** WeCom text messages are limited to 2048 bytes of UTF-8. */
export const MAX_TEXT_BYTES = 2048;

/** Handoff to a human (转人工): phrases customers use, after how many unanswered messages, and what they are told. */
export interface HandoffSettings {
  /** A message containing one of these (after normalisation) asks for a person. */
  phrases: string[];
  /** Hand off after this many customer messages in a row that no keyword rule matched (0 = never). */
  after_unmatched: number;
  /** Sent to the customer when the session moves to the waiting pool / a servicer. */
  waiting_message: string;
}

export const DEFAULT_HANDOFF: HandoffSettings = {
  phrases: ['转人工', '人工客服', '人工服务', '找人工', '真人客服', '接人工'],
  after_unmatched: 3,
  waiting_message: '正在为您转接人工客服，请稍候，我们会尽快回复您。',
};
/** WeCom allows 5 messages within 48 h after the customer's last message; a rule may not use them all up and more. */
export const MAX_REPLIES_PER_RULE = 5;
