/**
 * Each channel's send allowance by channel name, for code that decides before a reply is queued
 * (the console's agent messages). The outbox asks the channel's sender (ChannelSender.allowance).
 */
import type { ReplyRules, SendAllowance } from '../pipeline/types.js';
import { kfAllowance } from './wecom-kf/allowance.js';
import { kfReplyRules } from './wecom-kf/reply-rules.js';
import { CHANNEL as KF_CHANNEL } from './wecom-kf/messages.js';

const ALLOWANCES: Record<string, SendAllowance> = { [KF_CHANNEL]: kfAllowance };

export function allowanceOf(channel: string): SendAllowance | undefined {
  return ALLOWANCES[channel];
}

const REPLY_RULES: Record<string, ReplyRules> = { [KF_CHANNEL]: kfReplyRules };

/** The channel's rules for an agent's message (session states, allowance in numbers). */
export function replyRulesOf(channel: string): ReplyRules | undefined {
  return REPLY_RULES[channel];
}
