import { describe, expect, it } from 'vitest';
import { kfReplyRules } from './reply-rules.js';

const H = 3600_000;

describe('kfReplyRules: what WeCom accepts from the API', () => {
  it('refuses in states 2, 3 and 4 (95018 / ended), naming the servicer; accepts 0, 1 and unknown', () => {
    expect(kfReplyRules.sessionRefusal(2, null)?.code).toBe('session_in_pool');
    expect(kfReplyRules.sessionRefusal(3, '小王')).toMatchObject({ code: 'session_with_servicer', reason: expect.stringContaining('小王') });
    expect(kfReplyRules.sessionRefusal(4, null)?.code).toBe('session_ended');
    for (const s of [0, 1, null]) expect(kfReplyRules.sessionRefusal(s, null)).toBeNull();
  });
  it('counts the 5 messages within 48 h after the customer wrote', () => {
    const now = 100 * H;
    expect(kfReplyRules.standing({ now, customerWroteAt: now - 7 * H, acceptedInAllowance: 2 })).toMatchObject({ messagesLeft: 3, messagesMax: 5, windowEndsAt: now + 41 * H, customerMustWrite: false, refusal: null });
    expect(kfReplyRules.standing({ now, customerWroteAt: now - H, acceptedInAllowance: 5 })).toMatchObject({ messagesLeft: 0, customerMustWrite: true, refusal: { code: 'allowance_used_up' } });
    expect(kfReplyRules.standing({ now, customerWroteAt: now - 49 * H, acceptedInAllowance: 0 })).toMatchObject({ customerMustWrite: true, refusal: { code: 'window_closed' } });
    expect(kfReplyRules.standing({ now, customerWroteAt: null, acceptedInAllowance: 0 })).toMatchObject({ customerMustWrite: true, refusal: { code: 'customer_must_write' } });
  });
});
