/**
 * May an agent's message go out through kf/send_msg now? WeCom accepts it only while the session is in
 * state 0 (未处理) or 1 (智能助手): in 2 (待接入池) and 3 (人工接待) it answers 95018, and from 4
 * (已结束) nothing can be sent until the customer writes again. Within a session, at most 5 messages
 * within 48 h of the customer's last message (allowance.ts). Asked by the reply-options use case and
 * by the agent-message API before anything is queued, so a message WeCom would refuse is refused up
 * front, with the reason.
 */
import type { AllowanceFacts, AllowanceStanding, ReplyRefusal, ReplyRules } from '../../pipeline/types.js';
import { KF_ALLOWANCE_MESSAGES, KF_REPLY_WINDOW_MS, kfAllowance } from './allowance.js';

export const kfReplyRules: ReplyRules = {
  allowance: kfAllowance,

  standing(f: AllowanceFacts): AllowanceStanding {
    if (f.customerWroteAt === null) {
      return { messagesLeft: 0, messagesMax: KF_ALLOWANCE_MESSAGES, windowEndsAt: null, customerMustWrite: true, refusal: { code: 'customer_must_write', reason: 'the customer has not written yet: WeCom allows messages only after the customer writes' } };
    }
    const windowEndsAt = f.customerWroteAt + KF_REPLY_WINDOW_MS;
    const left = Math.max(0, KF_ALLOWANCE_MESSAGES - f.acceptedInAllowance);
    if (f.now > windowEndsAt) {
      return { messagesLeft: 0, messagesMax: KF_ALLOWANCE_MESSAGES, windowEndsAt, customerMustWrite: true, refusal: { code: 'window_closed', reason: "the customer last wrote more than 48 hours ago: WeCom allows messages only within 48 hours of the customer's last message; the customer must write again" } };
    }
    if (left === 0) {
      return { messagesLeft: 0, messagesMax: KF_ALLOWANCE_MESSAGES, windowEndsAt, customerMustWrite: true, refusal: { code: 'allowance_used_up', reason: `${KF_ALLOWANCE_MESSAGES} messages already sent since the customer last wrote: WeCom allows ${KF_ALLOWANCE_MESSAGES} within 48 hours; the customer must write again` } };
    }
    return { messagesLeft: left, messagesMax: KF_ALLOWANCE_MESSAGES, windowEndsAt, customerMustWrite: false, refusal: null };
  },

  sessionRefusal(state: number | null, holder: string | null): ReplyRefusal | null {
    if (state === 2) return { code: 'session_in_pool', reason: "the session is in WeCom's waiting pool (state 2 待接入池): WeCom refuses API messages (95018) until a servicer takes it or it is taken over" };
    if (state === 3) {
      return { code: 'session_with_servicer', reason: `servicer ${holder ?? '(unknown)'} holds the session in the WeCom client (state 3 人工接待): WeCom refuses API messages (95018); they answer in the WeCom client, or take the conversation over into WeReply` };
    }
    if (state === 4) return { code: 'session_ended', reason: 'the WeCom session has ended (state 4 已结束): nothing can be sent until the customer writes again' };
    return null;
  },
};
