/**
 * 微信客服's send allowance, as WeCom documents it: after the customer's last message the account may
 * send at most 5 messages within 48 hours (kf/send_msg); beyond that WeCom answers 95001 until the
 * customer writes again, which opens a new allowance. The outbox asks this module "may I send now?"
 * and never sees these numbers itself (called by the outbox worker before every kf/send_msg).
 */
import type { AllowanceFacts, AllowanceAnswer, SendAllowance } from '../../pipeline/types.js';

/** At most this many kf/send_msg within the window after the customer's last message. */
export const KF_ALLOWANCE_MESSAGES = 5;
/** The window after the customer's last message in which kf/send_msg is allowed at all. */
export const KF_REPLY_WINDOW_MS = 48 * 3600_000;
/** WeCom's answer when the allowance is used up or the 48 h window has closed (发送消息数超过限制). */
export const KF_SEND_LIMIT_ERRCODE = 95001;
/**
 * sync_msg's send_time is in whole seconds: a customer message stamped second S was written at some
 * moment within [S, S+1 s). A send started within that second (and before WeReply pulled the message)
 * may have been accepted before the message, so it is not charged to the new allowance. Erring this
 * way costs at most one call that WeCom answers with 95001 (the reply then waits, see the outbox);
 * erring the other way would hold a reply WeCom would have accepted.
 */
export const KF_SEND_TIME_RESOLUTION_MS = 1000;

export const kfAllowance: SendAllowance = {
  uncertaintyMs: KF_SEND_TIME_RESOLUTION_MS,
  maySend(f: AllowanceFacts): AllowanceAnswer {
    if (f.customerWroteAt === null) {
      return { ok: false, reason: 'the customer has not written yet: WeCom allows replies only after a customer message; waits for the customer to write' };
    }
    const hours = Math.floor((f.now - f.customerWroteAt) / 3600_000);
    if (f.now - f.customerWroteAt > KF_REPLY_WINDOW_MS) {
      return { ok: false, reason: `the customer last wrote ${hours} h ago: WeCom allows replies only within 48 hours of the customer's last message; waits for the customer to write again` };
    }
    if (f.acceptedInAllowance >= KF_ALLOWANCE_MESSAGES) {
      return { ok: false, reason: `${f.acceptedInAllowance} messages already sent since the customer last wrote: WeCom allows ${KF_ALLOWANCE_MESSAGES} within 48 hours; waits for the customer to write again` };
    }
    return { ok: true };
  },
};
