/**
 * Sends outbox rows through kf/send_msg (or send_msg_on_event for welcome messages) and classifies
 * WeCom's answer for the outbox: retry (busy, rate limit, network) or final (session, quota, payload).
 */
import type { ChannelSender, OutboundMessage, SendResult, TransferRequest, TransferResult } from '../../pipeline/types.js';
import { WeComApiError, WeComNetworkError, type WeComClient } from './api-client.js';
import { MaterialMissing } from '../../materials/material-store.js';
import { type MediaIdFor, toKfMessage } from './messages.js';
import { KF_SEND_LIMIT_ERRCODE, kfAllowance } from './allowance.js';

/** errcodes worth trying again later. */
const RETRYABLE = new Map<number, string>([
  [-1, 'WeCom busy (-1)'],
  [45009, 'WeCom API call frequency exceeded (45009)'],
  [40014, 'access token rejected again after a refresh (40014)'],
  [42001, 'access token expired again after a refresh (42001)'],
]);

/** The allowance after the customer's last message is used up or its 48 h have passed: wait for the customer. */
const WAIT = new Map<number, string>([
  [KF_SEND_LIMIT_ERRCODE, `WeCom answered ${KF_SEND_LIMIT_ERRCODE}: no more messages allowed since the customer last wrote (5 within 48 h); waits for the customer to write again`],
]);

/** Final errcodes and what they mean to an operator. */
const FINAL = new Map<number, string>([
  [95018, "session is not in a state the bot may answer (95018): a servicer took it over or it has ended"],
  [40058, 'WeCom rejected a parameter (40058)'],
  [95000, 'unknown kf account (95000)'],
  [40008, 'WeCom does not accept this message type (40008)'],
]);

/** service_state/trans refusals worth explaining. */
const TRANSFER_REFUSALS = new Map<number, string>([
  [95013, 'the session has ended (95013): the customer must write again before it can be handed over'],
  [95014, 'the servicer is not an active 接待人员 of this account or is not receiving (95014)'],
  [95016, 'WeCom does not allow this change of session state (95016)'],
]);

export class KfSender implements ChannelSender {
  readonly allowance = kfAllowance;

  constructor(
    private readonly client: WeComClient,
    private readonly mediaIdFor: MediaIdFor,
  ) {}

  /**
   * kf/service_state/trans: to a servicer (state 3), the waiting pool (state 2), the API (state 1,
   * WeReply's desk) or the end of the session (state 4).
   */
  async transfer(t: TransferRequest): Promise<TransferResult> {
    const servicer = t.to ? undefined : t.servicer;
    const state = t.to === 'api' ? 1 : t.to === 'end' ? 4 : servicer ? 3 : 2;
    try {
      const res = await this.client.serviceStateTrans({ open_kfid: t.accountId, external_userid: t.customerId, service_state: state, ...(servicer ? { servicer_userid: servicer } : {}) });
      return { kind: 'sent', ...(res.msg_code && t.message ? { followUp: { code: res.msg_code, message: t.message } } : {}) };
    } catch (err) {
      if (err instanceof WeComNetworkError) return { kind: 'retry', reason: `network: ${err.message}` };
      if (!(err instanceof WeComApiError)) throw err;
      const retry = RETRYABLE.get(err.errcode);
      if (retry) return { kind: 'retry', errcode: err.errcode, reason: retry };
      // A call repeated after a crash finds the session already moved: that is the success it reports.
      const now = await this.client.serviceStateGet(t.accountId, t.customerId).catch(() => undefined);
      if (now && now.service_state === state && (!servicer || now.servicer_userid === servicer)) return { kind: 'sent' };
      return { kind: 'failed', errcode: err.errcode, reason: TRANSFER_REFUSALS.get(err.errcode) ?? `WeCom refused the handoff: ${err.errcode} ${err.errmsg}` };
    }
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    for (let renew = false; ; renew = true) {
      try {
        const body = await toKfMessage(m.reply, this.mediaIdFor, renew);
        if (m.mode === 'event') {
          await this.client.sendMsgOnEvent({ code: m.eventCode, msgid: m.msgid, ...body });
        } else {
          await this.client.sendMsg({ touser: m.customerId, open_kfid: m.accountId, msgid: m.msgid, ...body });
        }
        return { kind: 'sent' };
      } catch (err) {
        if (err instanceof WeComApiError) {
          // media_id expired or unknown: upload the material again, once.
          if (err.errcode === 40007 && !renew) continue;
          const retry = RETRYABLE.get(err.errcode);
          if (retry) return { kind: 'retry', errcode: err.errcode, reason: retry };
          // Only kf/send_msg has the allowance; an event code's own limits are final.
          const wait = m.mode === 'send' ? WAIT.get(err.errcode) : undefined;
          if (wait) return { kind: 'wait', errcode: err.errcode, reason: wait };
          return { kind: 'failed', errcode: err.errcode, reason: FINAL.get(err.errcode) ?? `WeCom refused the message: ${err.errcode} ${err.errmsg}` };
        }
        if (err instanceof WeComNetworkError) return { kind: 'retry', reason: `network: ${err.message}` };
        if (err instanceof MaterialMissing) return { kind: 'failed', reason: err.message };
        throw err;
      }
    }
  }
}
