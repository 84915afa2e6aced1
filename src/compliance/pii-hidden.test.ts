/**
 * PII written to slip past a filter: zero-width characters, dots, underscores, spaces or dashes
 * between the digits. Found for masking and for hold_outbound_pii alike, with offsets in the text
 * as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTexts } from './outbound-check.js';
import { findPii, maskPii } from './pii.js';

const BRIDGES = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u202e', '\u2066', '.', '_', ' ', '-', '·', '．', '＿'];

/** Writes `digits` with 0..3 bridge characters after some of its digits. */
const hiddenDigits = (digits: string) =>
  fc.array(fc.array(fc.constantFrom(...BRIDGES), { maxLength: 3 }), { minLength: digits.length - 1, maxLength: digits.length - 1 }).map((gaps) => {
    let out = digits[0]!;
    for (let i = 1; i < digits.length; i++) out += gaps[i - 1]!.join('') + digits[i];
    return out;
  });

const mobile = fc.tuple(fc.constantFrom('3', '4', '5', '6', '7', '8', '9'), fc.stringMatching(/^\d{9}$/)).map(([b, rest]) => `1${b}${rest}`);
const around = fc.constantFrom('', '我的电话', '请打', '联系：', 'Tel ');
const after = fc.constantFrom('', '，谢谢', ' 找王经理', '。');

describe('hidden mobile numbers', () => {
  it('examples from the issue are found and masked', () => {
    for (const t of ['138\u200b1234\u200b5678', '138.1234.5678', '138_1234_5678', '1 3 8 1 2 3 4 5 6 7 8', '138\u200d.1234\u200d.5678']) {
      const found = findPii(`电话${t}。`);
      expect(found.map((f) => [f.kind, f.value])).toEqual([['mobile', t]]);
      expect(maskPii(`电话${t}。`)).not.toMatch(/1234/);
    }
  });

  it('any mobile number with bridges between digits: one finding spanning it exactly, middle digits masked', () => {
    fc.assert(
      fc.property(mobile.chain((m) => fc.tuple(fc.constant(m), hiddenDigits(m), around, after)), ([m, hidden, pre, post]) => {
        const text = pre + hidden + post;
        const found = findPii(text).filter((f) => f.kind === 'mobile');
        expect(found).toHaveLength(1);
        const f = found[0]!;
        expect(f.start).toBe(pre.length);
        expect(f.end).toBe(pre.length + hidden.length);
        expect(text.slice(f.start, f.end)).toBe(hidden);
        const masked = maskPii(text);
        const digits = masked.replace(/[^\d*]/g, '');
        expect(digits).toContain(`${m.slice(0, 3)}****${m.slice(7)}`);
        expect(findPii(masked)).toEqual([]);
        expect(maskPii(masked)).toBe(masked);
        // The text around the number is left as written.
        expect(masked.startsWith(pre)).toBe(true);
        expect(masked.endsWith(post)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the outbox check (hold_outbound_pii) sees the hidden number, with offsets into the text as sent', () => {
    const text = '加我微信或打 138\u200b1234\u200b5678 都行';
    const res = checkTexts({ scan: () => [] } as never, [{ field: 'reply[0].text', text }]);
    expect(res.pii).toEqual([{ field: 'reply[0].text', kind: 'mobile', start: 7, end: 20 }]);
    expect(text.slice(7, 20)).toBe('138\u200b1234\u200b5678');
  });

  it('hidden bank card and ID numbers are found too', () => {
    expect(findPii('卡号6222.0212.3456.7897').map((f) => f.kind)).toEqual(findPii('卡号6222021234567897').map((f) => f.kind));
    const id = '11010519491231002X';
    expect(findPii(`身份证 ${id.slice(0, 6)}\u200b${id.slice(6, 14)}\u200b${id.slice(14)}`).map((f) => f.kind)).toEqual(['id_card']);
  });

  it('ordinary numbers are not joined into one: prices, dates, versions, a list of counts', () => {
    for (const t of ['价格 13.8 元，库存 1234 件，5678 号仓', '2026-11-25 13:45', '版本 1.3.8', '第 1 2 3 项', '订单 2026112513812345678']) {
      expect(findPii(t)).toEqual([]);
    }
  });
});
