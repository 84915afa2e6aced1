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

export type ReplyItem =
  | { type: 'text'; text: string }
  | { type: 'image' | 'video' | 'file'; material_id: number }
  | { type: 'link'; title: string; desc?: string; url: string; thumb_material_id: number }
  | { type: 'miniprogram'; appid: string; title: string; pagepath: string; thumb_material_id: number }
  | { type: 'menu'; head?: string; items: MenuItem[]; tail?: string };

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
/** WeCom allows 5 messages within 48 h after the customer's last message; a rule may not use them all up and more. */
export const MAX_REPLIES_PER_RULE = 5;
