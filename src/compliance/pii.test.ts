import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findPii, maskPii, PII_KINDS, type PiiKind } from './pii.js';

// ---------------------------------------------------------------- independent oracles

/** GB 11643 check character, written here independently of pii.ts. */
function idCheckChar(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(first17[i]) * w[i]!;
  return '10X98765432'[s % 11]!;
}
function makeId(region: string, yyyymmdd: string, seq: string): string {
  const first17 = region + yyyymmdd + seq;
  return first17 + idCheckChar(first17);
}
function luhnCheckDigit(body: string): string {
  // Digit that makes body + d Luhn-valid.
  let s = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    s += d;
  }
  return String((10 - (s % 10)) % 10);
}
function luhnOk(n: string): boolean {
  return luhnCheckDigit(n.slice(0, -1)) === n.slice(-1);
}
const toFullWidth = (s: string) => s.replace(/[0-9+X@]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const kinds = (t: string) => findPii(t).map((f) => f.kind);

const ID = makeId('110101', '19900307', '123'); // 11010119900307123x
const CARD = '622202123456789' + luhnCheckDigit('622202123456789'); // 16 digits
const CARD19 = '621700000000000000' + luhnCheckDigit('621700000000000000');

describe('mobile numbers', () => {
  it.each([
    ['手机13812345678谢谢', '手机138****5678谢谢'],
    ['电话 138 1234 5678', '电话 138 **** 5678'],
    ['电话:138-1234-5678', '电话:138-****-5678'],
    ['+86 13812345678', '+86 138****5678'],
    ['+8613812345678', '+86138****5678'],
    ['0086-139-8765-4321', '0086-139-****-4321'],
    ['(+86)19912345678', '(+86)199****5678'],
    ['全角１３８１２３４５６７８', '全角１３８****５６７８'],
    ['＋８６ １５０１２３４５６７８', '＋８６ １５０****５６７８'],
  ])('masks %s', (input, masked) => {
    expect(kinds(input)).toEqual(['mobile']);
    expect(maskPii(input)).toBe(masked);
  });

  it.each([
    ['订单号20261125138123456789'], // mobile-looking digits inside an order number
    ['时间20261125123045'], // timestamp
    ['12812345678'], // 12x is not a mobile prefix
    ['1381234567'], // 10 digits
    ['138123456789'], // 12 digits
    ['价格¥13800.00'],
    ['138 1234 5678 9012'], // a longer grouped number
  ])('leaves %s alone', (input) => {
    expect(findPii(input).filter((f) => f.kind === 'mobile')).toEqual([]);
    expect(maskPii(input)).toBe(input);
  });

  it('reports offsets into the original text', () => {
    const t = '您好，我的电话是 +86 138-1234-5678，请回电';
    const [f] = findPii(t);
    expect(f).toMatchObject({ kind: 'mobile', value: '+86 138-1234-5678' });
    expect(t.slice(f!.start, f!.end)).toBe(f!.value);
  });
});

describe('resident ID numbers (身份证)', () => {
  it('masks a checksum-valid ID keeping region code and last 4', () => {
    expect(maskPii(`身份证${ID}。`)).toBe(`身份证110101********${ID.slice(14)}。`);
    expect(findPii(ID)).toEqual([{ start: 0, end: 18, kind: 'id_card', value: ID }]);
  });

  it('accepts X / x check characters and full-width digits', () => {
    // find a sequence whose check char is X
    let withX = '';
    for (let s = 0; s < 1000 && !withX; s++) {
      const id = makeId('440305', '19851231', String(s).padStart(3, '0'));
      if (id.endsWith('X')) withX = id;
    }
    expect(withX).not.toBe('');
    expect(maskPii(withX)).toBe(`440305********${withX.slice(14)}`);
    expect(maskPii(withX.toLowerCase())).toBe(`440305********${withX.slice(14).toLowerCase()}`);
    expect(kinds(toFullWidth(withX))).toEqual(['id_card']);
  });

  it('accepts 6-8-4 grouping with spaces or dashes', () => {
    const spaced = `${ID.slice(0, 6)} ${ID.slice(6, 14)} ${ID.slice(14)}`;
    expect(maskPii(spaced)).toBe(`110101 ******** ${ID.slice(14)}`);
    const dashed = `${ID.slice(0, 6)}-${ID.slice(6, 14)}-${ID.slice(14)}`;
    expect(kinds(dashed)).toEqual(['id_card']);
  });

  it.each([
    ['wrong checksum', ID.slice(0, 17) + ((Number(ID[17] === 'X' ? 0 : ID[17]) + 1) % 10)],
    ['impossible birth date 0230', makeId('110101', '19900230', '123')],
    ['birth date in the future', makeId('110101', '20991231', '123')],
    ['birth year before 1900', makeId('110101', '18991231', '123')],
    ['unknown province 99', makeId('990101', '19900307', '123')],
    ['inside a longer digit run', `9${ID}`],
    ['15-digit legacy ID (not detected, documented)', '110101900307123'],
  ])('does not report %s', (_why, input) => {
    expect(findPii(input).filter((f) => f.kind === 'id_card')).toEqual([]);
  });
});

describe('bank card numbers', () => {
  it('masks a Luhn-valid card keeping first 4 and last 4', () => {
    expect(maskPii(`卡号${CARD}`)).toBe(`卡号6222********${CARD.slice(-4)}`);
    expect(maskPii(CARD19)).toBe(`6217***********${CARD19.slice(-4)}`);
  });

  it('keeps the separators of grouped cards', () => {
    const grouped = CARD.replace(/(\d{4})(?=\d)/g, '$1 ');
    expect(maskPii(grouped)).toBe(`6222 **** **** ${CARD.slice(-4)}`);
    const dashed = CARD19.replace(/(\d{4})(?=\d)/g, '$1-');
    expect(maskPii(dashed)).toBe(`6217-****-****-***${CARD19.slice(-4, -3)}-${CARD19.slice(-3)}`);
    expect(kinds(toFullWidth(grouped))).toEqual(['bank_card']);
  });

  it.each([
    ['non-Luhn 16 digits', CARD.slice(0, 15) + ((Number(CARD[15]) + 1) % 10)],
    ['order-number context', `订单号：${CARD}`],
    ['tracking context', `tracking no. ${CARD}`],
    ['date-like prefix (order numbers start with the year)', (() => {
      const body = '202611251234567';
      return body + luhnCheckDigit(body);
    })()],
    ['inside a longer digit run', `12${CARD}`],
    ['15 digits', CARD.slice(0, 15)],
    ['no card-network prefix (starts with 1, 7, 8, 90)', (() => {
      const body = '900012345678901';
      return body + luhnCheckDigit(body);
    })()],
  ])('does not report %s', (_why, input) => {
    expect(findPii(input).filter((f) => f.kind === 'bank_card')).toEqual([]);
  });
  it('reports mixed separators (a way of hiding a card number, see pii-hidden.test.ts)', () => {
    const input = `${CARD.slice(0, 4)} ${CARD.slice(4, 8)}-${CARD.slice(8, 12)} ${CARD.slice(12)}`;
    expect(findPii(input).filter((f) => f.kind === 'bank_card').map((f) => f.value)).toEqual([input]);
  });
});

describe('e-mail addresses', () => {
  it.each([
    ['联系 zhang.san@example.com 谢谢', '联系 z***@example.com 谢谢'],
    ['12345678@qq.com', '1***@qq.com'],
    ['a@b.cn', 'a***@b.cn'],
    ['邮箱：ｌｉｓｉ＠ｍａｉｌ．ｃｏｍ', '邮箱：ｌ***＠ｍａｉｌ．ｃｏｍ'],
  ])('masks %s', (input, masked) => {
    expect(kinds(input)).toEqual(['email']);
    expect(maskPii(input)).toBe(masked);
  });

  it('a mobile number used as a QQ-style local part is masked once, as e-mail', () => {
    expect(findPii('13812345678@163.com').map((f) => f.kind)).toEqual(['email']);
  });

  it.each(['@someone 你好', 'a@b', 'user@localhost', '价格@50元'])('leaves %s alone', (input) => {
    expect(findPii(input)).toEqual([]);
  });
});

describe('detailed addresses (详细地址)', () => {
  it.each([
    ['北京市朝阳区建国路88号3栋2单元501室', '北京市朝阳区建国路****'],
    ['收货地址：广东省深圳市南山区科技园路1号2栋301室，谢谢', '收货地址：广东省深圳市南山区科技园路****，谢谢'],
    ['上海市浦东新区张江镇祖冲之路888弄5号1202室', '上海市浦东新区张江镇祖冲之路****'],
    ['我住在南山区幸福小区3栋501室', '我住在南山区幸福小区****'],
    ['寄到杭州市西湖区文三路100号', '寄到杭州市西湖区文三路****'],
    ['建国路88号3栋2单元501室', '建国路****'],
    ['浙江省杭州市余杭区五常街道文一西路969号', '浙江省杭州市余杭区五常街道文一西路****'],
    ['地址：江苏省南京市鼓楼区中山北路30号苏宁大厦5楼', '地址：江苏省南京市鼓楼区中山北路****'],
    ['送到天河区体育西路191号中石化大厦B座2305', '送到天河区体育西路****'],
    ['成都市武侯区人民南路四段9号', '成都市武侯区人民南路四段****'],
    ['长沙市岳麓区麓谷街道青山路668号绿地小区7栋1单元1202', '长沙市岳麓区麓谷街道青山路****'],
  ])('masks %s', (input, masked) => {
    expect(kinds(input)).toEqual(['address']);
    expect(maskPii(input)).toBe(masked);
  });

  it.each([
    '我在北京',
    '朝阳区的门店',
    '朝阳区有3家门店',
    '坐地铁10号线到朝阳区',
    '朝阳区3号线',
    '建国路88号店今天营业',
    '第3栋',
    '北京市朝阳区',
    '今天是11月25号',
    '价格88元，3件起',
    '第一次购买送2号礼包',
    '门店在朝阳大悦城3层',
    '快递到了3号柜',
    '我们在朝阳区建国路有门店，欢迎光临',
  ])('leaves %s alone', (input) => {
    expect(findPii(input)).toEqual([]);
    expect(maskPii(input)).toBe(input);
  });

  it('reports the masked part as the finding', () => {
    const t = '北京市朝阳区建国路88号3栋2单元501室';
    expect(findPii(t)).toEqual([{ start: 9, end: t.length, kind: 'address', value: '88号3栋2单元501室' }]);
  });
});

describe('options and mixed text', () => {
  const text = `张三 13812345678 zhang@example.com 身份证${ID} 卡${CARD} 北京市朝阳区建国路88号3栋`;

  it('finds every kind in order, without overlaps', () => {
    expect(kinds(text)).toEqual(['mobile', 'email', 'id_card', 'bank_card', 'address']);
    expect(maskPii(text)).toBe(
      `张三 138****5678 z***@example.com 身份证110101********${ID.slice(14)} 卡6222********${CARD.slice(-4)} 北京市朝阳区建国路****`,
    );
  });

  it('masks only the requested kinds', () => {
    expect(maskPii(text, { kinds: ['mobile'] })).toBe(text.replace('13812345678', '138****5678'));
    expect(findPii(text, { kinds: ['email', 'address'] }).map((f) => f.kind)).toEqual(['email', 'address']);
    expect(maskPii(text, { kinds: [] })).toBe(text);
  });

  it('masks PII hidden under an overlapping finding in a second round', () => {
    // The mobile number sits in the e-mail's domain: the e-mail wins the overlap, then the
    // mobile is masked too, so the masked text never shows a full number.
    const t = 'a@13812345678.com';
    expect(kinds(t)).toEqual(['email']);
    expect(maskPii(t)).toBe('a***@138****5678.com');
    expect(findPii(maskPii(t))).toEqual([]);
  });

  // Speed belongs in bench/, not here (no timing thresholds in unit tests): this checks the
  // result on a long text only.
  it('finds every item in a long text', () => {
    const big = `北京市朝阳区建国路88号3栋2单元501室 13812345678 a@b.com 订单20261125138123456789 `.repeat(1000);
    expect(findPii(big)).toHaveLength(3000);
  });

  it('leaves ordinary customer-service text untouched', () => {
    for (const t of [
      '您好，订单20261125138123456789已发货，预计3天到达',
      '活动时间2026-11-25 12:30:45，满300减30',
      '请在2026年11月25日前付款，金额1380.00元',
      '您的验证码是123456',
      '快递单号SF1234567890123',
    ]) {
      expect(findPii(t)).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------- properties

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

const mobileArb = fc
  .tuple(fc.constantFrom(...'3456789'), digits(9), fc.constantFrom('compact', 'space', 'dash', 'fullwidth'), fc.constantFrom('', '+86 ', '+86', '0086-', '86'))
  .map(([second, rest, style, prefix]) => {
    const n = `1${second}${rest}`;
    const body =
      style === 'space' ? `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`
      : style === 'dash' ? `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`
      : style === 'fullwidth' ? toFullWidth(n)
      : n;
    return { kind: 'mobile' as PiiKind, value: prefix + body };
  });

const idArb = fc
  .tuple(
    fc.constantFrom('110101', '310115', '440305', '320102', '510104', '650102', '820000'),
    fc.date({ min: new Date('1930-01-01T00:00:00Z'), max: new Date('2020-12-31T00:00:00Z'), noInvalidDate: true }),
    digits(3),
    fc.boolean(),
  )
  .map(([region, d, seq, lower]) => {
    const id = makeId(region, d.toISOString().slice(0, 10).replace(/-/g, ''), seq);
    return { kind: 'id_card' as PiiKind, value: lower ? id.toLowerCase() : id };
  });

const cardArb = fc
  .tuple(fc.constantFrom('6222', '6217', '6228', '4367', '5187', '6212', '3568'), fc.integer({ min: 16, max: 19 }), digits(15), fc.constantFrom('', ' ', '-'))
  .map(([iin, len, rest, sep]) => {
    const body = (iin + rest).slice(0, len - 1);
    const n = body + luhnCheckDigit(body);
    return { kind: 'bank_card' as PiiKind, value: sep ? n.replace(/(\d{4})(?=\d)/g, `$1${sep}`) : n, digits: n };
  })
  // An 18-digit card number that is also a well-formed ID number (622881 19820224 694 5: a region, a
  // date and a matching check character) is reported as an ID — rightly, it is one — so it is no
  // example of a card.
  .filter((c) => !(c.digits.length === 18 && idCheckChar(c.digits.slice(0, 17)) === c.digits[17]))
  .map(({ kind, value }) => ({ kind, value }));

const emailArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/), fc.constantFrom('example.com', 'qq.com', '163.com', 'corp.example.com.cn'))
  .map(([local, domain]) => ({ kind: 'email' as PiiKind, value: `${local}@${domain}` }));

const addressArb = fc
  .tuple(
    fc.constantFrom('北京市朝阳区建国路', '广东省深圳市南山区科技园路', '杭州市西湖区文三路', '上海市徐汇区漕溪北路', '成都市武侯区幸福小区'),
    fc.integer({ min: 1, max: 999 }),
    fc.constantFrom('号', '栋'),
    fc.constantFrom('', '3栋', '2单元501室', '1202室'),
  )
  .map(([lead, n, mark, tail]) => ({ kind: 'address' as PiiKind, value: `${lead}${n}${mark}${tail}` }));

const piiArb = fc.oneof(mobileArb, idArb, cardArb, emailArb, addressArb);
/** Context that cannot glue onto a number (no digits at the edges) and names no order number. */
const contextArb = fc.constantFrom('', ' ', '，', '您好 ', '电话：', '请联系', '谢谢。', ' ok ', '\n');
/** Noise for mixed texts: words, short numbers, punctuation (may glue to neighbours). */
const noiseArb = fc.oneof(
  contextArb,
  fc.constantFrom('价格', '元', '件', '年', '月', '号', '第', '订单', '区', '路', '*', '-', '@', 'x', 'X'),
  fc.string({ unit: fc.constantFrom(...'0123456789 -'), maxLength: 8 }),
);

/** Maximal digit runs (ASCII or full-width), converted to ASCII; with a trailing X/x when present. */
function digitRuns(text: string): string[] {
  const ascii = text.replace(/[０-９Ｘｘ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  return [...ascii.matchAll(/\d+[Xx]?/g)].map((m) => m[0]);
}
function isStillSensitive(run: string): boolean {
  if (/^1[3-9]\d{9}$/.test(run)) return true;
  if (/^\d{17}[\dXx]$/.test(run) && idCheckChar(run.slice(0, 17)) === run[17]!.toUpperCase()) return true;
  return /^\d{16,19}$/.test(run) && /^[3-6]/.test(run) && luhnOk(run);
}

describe('properties', () => {
  it('generated PII in context is found with exact offsets and masked', () => {
    fc.assert(
      fc.property(contextArb, piiArb, contextArb, (before, pii, after) => {
        const text = before + pii.value + after;
        const found = findPii(text);
        expect(found.map((f) => f.kind)).toEqual([pii.kind]);
        const f = found[0]!;
        expect(text.slice(f.start, f.end)).toBe(f.value);
        if (pii.kind !== 'address') expect(f).toMatchObject({ start: before.length, value: pii.value });
        const masked = maskPii(text);
        expect(masked).not.toBe(text);
        expect(masked.startsWith(before)).toBe(true);
        expect(masked.endsWith(after)).toBe(true);
        expect(findPii(masked)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('masks mobiles as 3 + **** + 4 digits, cards as first 4 + last 4, IDs as 6 + last 4', () => {
    fc.assert(
      fc.property(fc.oneof(mobileArb, cardArb, idArb), (pii) => {
        const masked = maskPii(pii.value);
        const keptDigits = masked.replace(/[^0-9０-９Xx]/g, '');
        const allDigits = pii.value.replace(/[^0-9０-９Xx]/g, '');
        if (pii.kind === 'mobile') {
          expect(masked.match(/\*/g)).toHaveLength(4);
          expect(keptDigits.slice(-4)).toBe(allDigits.slice(-4));
        } else if (pii.kind === 'bank_card') {
          expect(keptDigits).toBe(allDigits.slice(0, 4) + allDigits.slice(-4));
        } else {
          expect(keptDigits).toBe(allDigits.slice(0, 6) + allDigits.slice(-4));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('masking is idempotent and leaves no detectable PII in mixed text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(piiArb.map((p) => p.value), noiseArb), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const masked = maskPii(text);
        expect(maskPii(masked)).toBe(masked);
        expect(findPii(masked)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('no digit run in masked text is still a valid mobile, ID or card', () => {
    // Noise here never names an order number, so every valid number must be masked.
    const parts = fc.array(fc.oneof(piiArb.map((p) => p.value), contextArb, fc.constantFrom('价格', '元', '*', 'x')), { maxLength: 10 });
    fc.assert(
      fc.property(parts, fc.constantFrom(' ', '，', '：'), (ps, sep) => {
        const masked = maskPii(ps.join(sep));
        for (const run of digitRuns(masked)) expect(isStillSensitive(run), `${run} in ${masked}`).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('offsets always slice back to the value, findings are ordered and disjoint', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(piiArb.map((p) => p.value), noiseArb), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const found = findPii(text);
        let last = 0;
        for (const f of found) {
          expect(PII_KINDS).toContain(f.kind);
          expect(text.slice(f.start, f.end)).toBe(f.value);
          expect(f.start).toBeGreaterThanOrEqual(last);
          expect(f.end).toBeGreaterThan(f.start);
          last = f.end;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random digit strings are never reported unless they pass the checks', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 }), (n) => {
        for (const f of findPii(`#${n}#`)) {
          if (f.kind === 'mobile') expect(n).toMatch(/^1[3-9]\d{9}$/);
          else if (f.kind === 'bank_card') expect(luhnOk(n)).toBe(true);
          else if (f.kind === 'id_card') expect(idCheckChar(n.slice(0, 17))).toBe(n[17]);
          else expect.unreachable(`unexpected ${f.kind} in ${n}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
