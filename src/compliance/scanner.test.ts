import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandCompounds, SHIPPED_RISK_WORDS } from './library/shipped.js';
import { RISK_CATEGORIES, type RiskWord } from './risk-words.js';
import { CLAIM_MODEL_ID, MAX_SCAN_LENGTH, RiskScanner } from './scanner.js';
import { buildSkeleton, originsOf, skeletonText } from './skeleton.js';

const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
const words = (text: string): string[] => scanner.scan(text).map((f) => f.word);

describe('shipped library', () => {
  it('has at least 300 entries, unique ids and words, every field filled', () => {
    expect(SHIPPED_RISK_WORDS.length).toBeGreaterThanOrEqual(300);
    expect(new Set(SHIPPED_RISK_WORDS.map((w) => w.id)).size).toBe(SHIPPED_RISK_WORDS.length);
    expect(new Set(SHIPPED_RISK_WORDS.map((w) => w.word)).size).toBe(SHIPPED_RISK_WORDS.length);
    for (const w of SHIPPED_RISK_WORDS) {
      if (w.id !== CLAIM_MODEL_ID) expect(RISK_CATEGORIES).toContain(w.category);
      expect(['block', 'warn']).toContain(w.severity);
      expect(w.reason.length).toBeGreaterThan(5);
      expect(w.suggestions.length).toBeGreaterThan(0);
      for (const a of w.allow ?? []) expect(a, `${w.word} allow ${a}`).toContain(w.word);
    }
    for (const c of RISK_CATEGORIES) expect(SHIPPED_RISK_WORDS.some((w) => w.category === c)).toBe(true);
  });

  it('never lists a single character as a word (they would flood ordinary replies)', () => {
    for (const w of SHIPPED_RISK_WORDS) expect([...w.word].length, w.word).toBeGreaterThan(1);
  });
});

describe('RiskScanner.scan', () => {
  it('reports offsets into the original text, with reason, severity and suggestions', () => {
    const text = '亲，这是我们最优惠的套餐';
    const [f, ...rest] = scanner.scan(text);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ start: 6, end: 9, matched: '最优惠', word: '最优惠', category: '绝对化用语', severity: 'block' });
    expect(text.slice(f!.start, f!.end)).toBe(f!.matched);
    expect(f!.suggestions).toContain('优惠力度大');
    expect(f!.reason).toContain('广告法');
  });

  it.each([
    ['spaces', '我们是最 优 惠的', '最 优 惠'],
    ['symbols', '我们是最*优~惠的', '最*优~惠'],
    ['zero-width', '我们是最\u200b优\u200d惠的', '最\u200b优\u200d惠'],
    ['ideographic space and newline', '我们是最\u3000优\n惠的', '最\u3000优\n惠'],
    ['emoji', '我们是最🔥优惠的', '最🔥优惠'],
    ['traditional', '我們是最優惠的', '最優惠'],
    ['traditional + symbols', '我們是最·優·惠的', '最·優·惠'],
  ])('folds %s and points at what was written', (_kind, text, matched) => {
    const f = scanner.scan(text);
    expect(f.map((x) => x.word)).toEqual(['最优惠']);
    expect(f[0]!.matched).toBe(matched);
    expect(text.slice(f[0]!.start, f[0]!.end)).toBe(matched);
  });

  it('folds full-width, letter case and homoglyphs', () => {
    expect(words('ＮＯ．１品牌')).toEqual(['no.1']);
    expect(words('nO.1品牌')).toEqual(['no.1']);
    expect(words('NО.l品牌')).toEqual(['no.1']); // Cyrillic О, letter l
    expect(words('１００％有效')).toEqual(['100%有效']);
    expect(words('1OO%有效')).toEqual(['100%有效']);
    expect(words('第壹品牌')).toEqual(['第一品牌']);
    expect(words('第⼀品牌')).toEqual(['第一品牌']); // Kangxi radical one
    expect(words('TOP1的销量')).toEqual(['top1']);
    expect(words('穩賺不賠')).toEqual(['稳赚不赔']);
    expect(words('轉發有獎')).toEqual(['转发有奖']);
  });

  it('keeps ASCII words whole: "100%" is not inside "2100%", "top1" not inside "top10"', () => {
    // About the word list: the claim model reads 涨幅N% as a return claim, which is another question.
    const listed = (t: string) => scanner.scan(t).filter((f) => f.id !== CLAIM_MODEL_ID).map((f) => f.word);
    expect(listed('涨幅2100%')).toEqual([]);
    expect(listed('进入top10')).toEqual([]);
  });

  it.each([
    '最近物流比较慢',
    '第一次购买可以领券',
    '第一步请打开订单详情',
    '我们会第一时间处理',
    '唯一的问题是颜色缺货',
    '这是唯一的办法',
    '最后一步是确认地址',
    '最好先拍照留存',
    '开封后最好吃完',
    '清洗时最好用温水',
    '最有效的办法是重启一下',
    '面料是100%纯棉的',
    '本产品不保本，投资有风险',
    '我们无法保证100%有效，效果因人而异',
    '这款产品不能根治，只能辅助护理',
    '我们承诺不做虚假宣传，也不是全网最低价',
    '包裹到达转运中心',
    '退款按原价退回',
    '100%退款到原账户',
    // second pass (library2): negations that name a run of terms, product nouns, quotes
    '我们不承诺保本保收益',
    '不保证录取或提分',
    '这款按摩仪不能代替治疗',
    '本店不提供算命服务，只卖饰品',
    '本品为普通食品，不具有治疗作用',
    '您说的"保证录取"这种话我们不能承诺的',
    '开封后最好吃完，不要放太久',
    '用完就好了记得关电源',
  ])('does not flag the harmless "%s"', (text) => {
    expect(scanner.scan(text)).toEqual([]);
  });

  it('still flags the risky use next to a harmless one', () => {
    expect(words('第一次来的顾客都说我们是第一品牌')).toEqual(['第一品牌']);
    expect(words('质量最好，最好先试用')).toEqual(['质量最好']);
    expect(words('这款是最好的，您最好先试用')).toEqual(['最好的']);
  });

  it('a negation covers a run of same-category terms, but not across a comma', () => {
    expect(words('本产品不保本，稳赚不赔')).toEqual(['稳赚不赔']);
    expect(words('不是全网最低价，保证收益')).toEqual(['保证+收益/回本']);
  });

  it('a negation only covers the word right after it', () => {
    expect(words('不是保本，是稳赚')).toEqual(['稳赚']);
    expect(words('保证100%有效')).toEqual(['100%有效']);
  });

  it('never joins two sentences into one word', () => {
    expect(words('这款是最。优惠券在首页领取')).toEqual([]);
    expect(words('这款是最！优惠券在首页领取')).toEqual([]);
    expect(words('这款是最，优惠')).toEqual(['最优惠']);
  });

  it('reports a word once, as the longest overlapping entry', () => {
    expect(words('全网最低价')).toEqual(['全网最低价']);
  });

  it('reports several findings in order of position', () => {
    const f = scanner.scan('转发有奖！这款理财保本，还能治愈失眠');
    expect(f.map((x) => [x.word, x.category, x.matched])).toEqual([
      ['转发有奖', '诱导分享', '转发有奖'],
      ['保本', '金融收益', '保本'],
      ['治/根治/预防+病症', '医疗功效', '治愈失眠'],
    ]);
  });

  it('ignores disabled entries and uses custom entries', () => {
    const custom: RiskWord[] = [
      { id: 'x:a', word: '秒杀', category: '价格欺诈', severity: 'warn', reason: 'r', suggestions: ['限时'] },
      { id: 'x:b', word: '保本', category: '金融收益', severity: 'block', reason: 'r', suggestions: [], enabled: false },
    ];
    const s = new RiskScanner(custom);
    expect(s.scan('秒 杀 保本').map((f) => f.word)).toEqual(['秒杀']);
  });

  it('works with an empty library and empty text', () => {
    expect(new RiskScanner([]).scan('最优惠')).toEqual([]);
    expect(scanner.scan('')).toEqual([]);
    expect(scanner.scan(' * \u200b ')).toEqual([]);
  });

  it('refuses oversized text with a clear error', () => {
    expect(() => scanner.scan('好'.repeat(MAX_SCAN_LENGTH + 1))).toThrow(/limit is 100000/);
  });

  it('property: offsets always slice the original text, whatever is inserted around and inside a word', () => {
    const filler = fc.constantFrom(' ', '*', '\u200b', '·', '～', '🔥', '\n');
    fc.assert(
      fc.property(fc.string(), fc.array(filler, { minLength: 2, maxLength: 2 }), fc.string(), (before, seps, after) => {
        const text = `${before}。最${seps[0]}优${seps[1]}惠。${after}`;
        for (const f of scanner.scan(text)) {
          expect(f.start).toBeGreaterThanOrEqual(0);
          expect(f.end).toBeLessThanOrEqual(text.length);
          expect(text.slice(f.start, f.end)).toBe(f.matched);
        }
        expect(scanner.scan(text).some((f) => f.word === '最优惠' && f.matched === `最${seps[0]}优${seps[1]}惠`)).toBe(true);
      }),
    );
  });
});

describe('phrase patterns (anchor + context)', () => {
  const found = (text: string): string[] => scanner.scan(text).map((f) => f.matched);

  it.each([
    ['保证录取理想院校', '保证录取'],
    ['孩子一定能考上', '一定能考上'],
    ['保证您一次通过雅思', '保证您一次通过'],
    ['一对一辅导保证提高30分', '保证提高30分'],
    ['7天瘦10斤', '7天瘦'],
    ['坚持一个月瘦20斤', '瘦20斤'],
    ['这款精华7日见效', '7日见效'],
    ['喷剂用了立刻见效', '用了立刻见效'],
    ['喝一个月血压就正常了', '血压就正常'],
    ['贴三天就不咳嗽了', '三天就不咳嗽'],
    ['每个月固定拿10%的分红', '每个月固定拿10%的分红'],
    ['本金绝对安全', '本金绝对安全'],
    ['分享给3个好友就能领', '分享给3个好友'],
    ['转发到5个群领红包', '转发到5个群'],
    ['集满20个赞送面膜', '集满20个赞'],
    ['吸力超越所有同类产品', '超越所有同类'],
    ['这个价格秒杀同行', '秒杀同行'],
    ['别家都比不上我们的品质', '别家都比不上'],
    ['这个锅永远不会坏', '永远不会坏'],
  ])('finds the claim in "%s" and points at the whole phrase', (text, matched) => {
    expect(found(text)).toContain(matched);
  });

  it.each([
    '保证金会在7天内原路退还',
    '我们会确保您的包裹安全送达',
    '包裹已经通过海关查验',
    '资料审核通过后马上发货',
    '恭喜孩子考上了理想的学校',
    '优惠券领取后7天内有效',
    '3天内发货',
    '衣服穿了就不能退了',
    '血压正常的人也可以喝',
    '我拉您进群，群里有3位客服',
    '秒杀活动明天开始',
    '超过7天就不能无理由退货了',
    '比其他颜色更耐脏',
    '天花板漏水可以预约师傅',
    '您的永久地址会用于开票',
    '账号注销后数据会永久删除',
    '全国包邮，偏远地区除外',
    '本产品符合国家标准GB 4806.7-2016',
    '可以申请以旧换新的国家补贴',
    '最近降温，第一次使用请先充满电',
    '我们不承诺录取，只提供咨询',
  ])('leaves the ordinary "%s" alone', (text) => {
    expect(scanner.scan(text)).toEqual([]);
  });

  it('a negation before the whole phrase disarms it; context never crosses a sentence end', () => {
    expect(words('我们不保证录取')).toEqual([]);
    expect(words('我们无法保证提高30分')).toEqual([]);
    expect(words('我们保证。录取结果以学校公布为准')).toEqual([]);
  });

  it('a term named as forbidden is not a claim; one span is reported once, as the entry listed first', () => {
    expect(words('好评返现是违规的，我们不做')).toEqual([]);
    expect(words('保本属于违规宣传')).toEqual([]);
    expect(scanner.scan('五星好评返现5元').map((f) => [f.id, f.matched])).toEqual([['share:五星好评返现', '五星好评返现']]);
    expect(scanner.scan('瘦下来永不反弹').map((f) => f.category)).toEqual(['虚假承诺']);
  });

  it('beforeEnds (a speed-only prefilter) never changes a finding on the tuning set', () => {
    const plain = new RiskScanner(SHIPPED_RISK_WORDS.map(({ beforeEnds: _ends, ...w }) => w));
    const texts = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/compliance/tuning/eval.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    for (const t of texts) expect(scanner.scan(t), t).toEqual(plain.scan(t));
  });

  it('names the entry whose context pattern is not a valid regular expression', () => {
    const bad: RiskWord = { id: 'x:bad', word: '坏规则', category: '虚假承诺', severity: 'block', reason: 'r', suggestions: [], anchors: ['考上'], before: '(保证$' };
    expect(() => new RiskScanner([bad])).toThrow(/x:bad.*before pattern/);
  });

  it('an organisation can switch a pattern off by id like any word', () => {
    const off = SHIPPED_RISK_WORDS.map((w) => (w.id === 'share:pattern:分享给N个好友' ? { ...w, enabled: false } : w));
    expect(new RiskScanner(off).scan('分享给3个好友就能领').map((f) => f.id)).not.toContain('share:pattern:分享给N个好友');
  });
});

describe('compound lines and look-alikes', () => {
  it('expands [a/b] groups into every combination', () => {
    expect(expandCompounds('[全球/世界][领先/一流]')).toEqual(['全球领先', '全球一流', '世界领先', '世界一流']);
    expect(expandCompounds('没有之一')).toEqual(['没有之一']);
    expect(SHIPPED_RISK_WORDS.some((w) => w.word === '世界一流')).toBe(true);
  });

  it.each([
    ['第ー品牌', '第一品牌'], // katakana long vowel for 一
    ['ロ碑第一', '口碑第一'], // katakana ro for 口
    ['〇风险', '零风险'],
    ['0风险', '零风险'],
    ['叁天见效', 'N天/N次+见效'], // 大写 numeral
    ['坚持一个月能⻓⾼5厘米', '瘦/减N斤'], // CJK radical supplement + Kangxi radical
    ['Νο.1品牌', 'no.1'], // Greek capital Nu, omicron
    ['тоp1', 'top1'], // Cyrillic te, o
    ['𝟏𝟎𝟎%有效', '100%有效'], // mathematical bold digits (astral)
    ['𝐍𝐨.𝟏品牌', 'no.1'],
    ['第㊀品牌', '第一品牌'], // enclosed ideograph
    ['❶00%有效', '100%有效'], // dingbat circled digit
    ['三夭见效', 'N天/N次+见效'], // 形近字 夭 for 天 (hand-picked, not in TR39)
  ])('folds the look-alikes in "%s" (Unicode TR39 confusables)', (text, word) => {
    expect(words(text)).toContain(word);
  });

  it('maps a finding on astral look-alikes back to what was written', () => {
    const text = '这款𝟏𝟎𝟎%有效';
    const [f] = scanner.scan(text);
    expect(f!.matched).toBe('𝟏𝟎𝟎%有效');
    expect(text.slice(f!.start, f!.end)).toBe(f!.matched);
  });

  it('does not merge distinct everyday ideographs that TR39 lists as look-alikes (士/土, 胶)', () => {
    expect(skeletonText('博士')).toBe('博士');
    expect(skeletonText('胶水')).toBe('胶水');
  });
});

describe('skeleton', () => {
  it('property: the fast skeleton equals the mapped one, and every mapped position points at its source', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('最', '優', '惠', ' ', '*', '\u200b', '🔥', 'Ｏ', 'О', '１', '%', '\ud83d', '\ude00', '⼀', '𝟏', '𝐍', '\ud835', 'ロ', '⻓', '㊀'),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        const sk = buildSkeleton(text);
        expect(skeletonText(text)).toBe(sk.text);
        expect(sk.origin.length).toBe(sk.text.length);
        for (let k = 1; k < sk.origin.length; k++) expect(sk.origin[k]!).toBeGreaterThan(sk.origin[k - 1]!);
        const all = [...sk.origin.keys()];
        expect(originsOf(text, all)).toEqual([...sk.origin]);
      }),
    );
  });
});

interface EvalItem {
  id: string;
  risky: boolean;
  category?: string;
  word?: string;
  evasion?: string;
  text: string;
}

describe('tuning set (test/fixtures/compliance/tuning/eval.jsonl; the held-out set in heldout/ is measured separately)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const items: EvalItem[] = readFileSync(join(here, '../../test/fixtures/compliance/tuning/eval.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EvalItem);

  it('tuning set: recall 100 % and false-positive rate ≤ 0.5 % (printed)', () => {
    const risky = items.filter((i) => i.risky);
    const clean = items.filter((i) => !i.risky);
    expect(risky.length).toBeGreaterThanOrEqual(550);
    expect(clean.length).toBeGreaterThanOrEqual(580);
    // A risky sentence counts as caught when a finding of its labelled category is reported.
    const missed = risky.filter((i) => !scanner.scan(i.text).some((f) => f.category === i.category));
    const flagged = clean.filter((i) => scanner.scan(i.text).length > 0);
    const recall = 1 - missed.length / risky.length;
    const fpRate = flagged.length / clean.length;
    console.log(
      `compliance tuning set: recall ${(recall * 100).toFixed(2)}% (${risky.length - missed.length}/${risky.length}), ` +
        `false positives ${(fpRate * 100).toFixed(2)}% (${flagged.length}/${clean.length})`,
    );
    for (const m of missed) console.log(`  missed ${m.id} [${m.category}/${m.evasion}] ${JSON.stringify(m.text)}`);
    for (const f of flagged) console.log(`  flagged ${f.id} ${JSON.stringify(f.text)} → ${scanner.scan(f.text).map((x) => x.word).join(',')}`);
    // Probe sentences written to find the library's gaps: printed so the gap stays visible, not asserted.
    const hard = readFileSync(join(here, '../../test/fixtures/compliance/tuning/hard-risky.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => {
        const [category = '', text = ''] = l.split('|');
        return { category, text };
      });
    const hardCaught = hard.filter((h) => scanner.scan(h.text).some((f) => f.category === h.category));
    console.log(`compliance probe set (hard-risky.txt, not asserted): caught ${hardCaught.length}/${hard.length}`);
    const probeClean = readFileSync(join(here, '../../test/fixtures/compliance/tuning/clean-probe.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const probeFlagged = probeClean.filter((t) => scanner.scan(t).length > 0);
    console.log(`compliance probe clean set (clean-probe.txt, formerly held out, not asserted): flagged ${probeFlagged.length}/${probeClean.length}`);
    for (const t of probeFlagged) console.log(`  probe flagged ${JSON.stringify(t)} → ${scanner.scan(t).map((x) => x.word).join(',')}`);
    expect(missed.map((m) => m.id)).toEqual([]);
    expect(recall).toBe(1);
    expect(fpRate).toBeLessThanOrEqual(0.005);
  });
});
