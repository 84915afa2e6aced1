import { describe, expect, it } from 'vitest';
import { KF_ALLOWANCE_MESSAGES, kfAllowance } from './allowance.js';
import { KfSender } from './sender.js';
import { WeComApiError, type WeComClient } from './api-client.js';

const HOUR = 3600_000;
const now = 1_800_000_000_000;

describe('微信客服 allowance: may I send now?', () => {
  it('allows up to 5 messages within 48 h of the customer’s last message', () => {
    for (let n = 0; n < KF_ALLOWANCE_MESSAGES; n++) expect(kfAllowance.maySend({ now, customerWroteAt: now - HOUR, acceptedInAllowance: n })).toEqual({ ok: true });
    const full = kfAllowance.maySend({ now, customerWroteAt: now - HOUR, acceptedInAllowance: 5 });
    expect(full).toEqual({ ok: false, reason: '5 messages already sent since the customer last wrote: WeCom allows 5 within 48 hours; waits for the customer to write again' });
  });

  it('waits when the 48 h after the customer’s last message have passed, or they never wrote', () => {
    expect(kfAllowance.maySend({ now, customerWroteAt: now - 48 * HOUR, acceptedInAllowance: 0 }).ok).toBe(true);
    const late = kfAllowance.maySend({ now, customerWroteAt: now - 49 * HOUR, acceptedInAllowance: 0 });
    expect(late).toMatchObject({ ok: false, reason: expect.stringMatching(/^the customer last wrote 49 h ago: WeCom allows replies only within 48 hours/) });
    expect(kfAllowance.maySend({ now, customerWroteAt: null, acceptedInAllowance: 0 }).ok).toBe(false);
  });
});

describe('what WeCom’s 95001 means', () => {
  const refusing = (errcode: number) =>
    ({
      sendMsg: async () => {
        throw new WeComApiError('kf/send_msg', errcode, 'refused');
      },
      sendMsgOnEvent: async () => {
        throw new WeComApiError('kf/send_msg_on_event', errcode, 'refused');
      },
    }) as unknown as WeComClient;
  const message = { outboxId: 1, channel: 'wecom-kf', accountId: 'wk', customerId: 'wm', msgid: 'm1', reply: { type: 'text' as const, text: 'hi' } };

  it('kf/send_msg refused with 95001: wait for the customer to write again, not a failure', async () => {
    const result = await new KfSender(refusing(95001), async () => 'media').send({ ...message, mode: 'send' });
    expect(result).toMatchObject({ kind: 'wait', errcode: 95001, reason: expect.stringMatching(/waits for the customer to write again/) });
  });

  it('other refusals stay final', async () => {
    expect(await new KfSender(refusing(95018), async () => 'media').send({ ...message, mode: 'send' })).toMatchObject({ kind: 'failed', errcode: 95018 });
  });
});
