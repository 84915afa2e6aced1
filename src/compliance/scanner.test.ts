import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import { RISK_CATEGORIES, type RiskWord } from './risk-words.js';
import { MAX_SCAN_LENGTH, RiskScanner } from './scanner.js';
import { buildSkeleton, originsOf, skeletonText } from './skeleton.js';

const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
const words = (text: string): string[] => scanner.scan(text).map((f) => f.word);

describe('shipped library', () => {
  it('has at least 300 entries, unique ids and words, every field filled', () => {
    expect(SHIPPED_RISK_WORDS.length).toBeGreaterThanOrEqual(300);
    expect(new Set(SHIPPED_RISK_WORDS.map((w) => w.id)).size).toBe(SHIPPED_RISK_WORDS.length);
    expect(new Set(SHIPPED_RISK_WORDS.map((w) => w.word)).size).toBe(SHIPPED_RISK_WORDS.length);
    for (const w of SHIPPED_RISK_WORDS) {
      expect(RISK_CATEGORIES).toContain(w.category);
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
    expect(words('涨幅2100%')).toEqual([]);
    expect(words('进入top10')).toEqual([]);
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
  ])('does not flag the harmless "%s"', (text) => {
    expect(scanner.scan(text)).toEqual([]);
  });

  it('still flags the risky use next to a harmless one', () => {
    expect(words('第一次来的顾客都说我们是第一品牌')).toEqual(['第一品牌']);
    expect(words('质量最好，最好先试用')).toEqual(['质量最好']);
    expect(words('这款是最好的，您最好先试用')).toEqual(['最好的']);
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

describe('skeleton', () => {
  it('property: the fast skeleton equals the mapped one, and every mapped position points at its source', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom('最', '優', '惠', ' ', '*', '\u200b', '🔥', 'Ｏ', 'О', '１', '%', '\ud83d', '\ude00', '⼀'),
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

describe('evaluation set (test/fixtures/compliance/tuning/eval.jsonl)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const items: EvalItem[] = readFileSync(join(here, '../../test/fixtures/compliance/tuning/eval.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EvalItem);

  it('recall ≥ 0.99 and false-positive rate ≤ 0.01', () => {
    const risky = items.filter((i) => i.risky);
    const clean = items.filter((i) => !i.risky);
    expect(risky.length).toBeGreaterThanOrEqual(150);
    expect(clean.length).toBeGreaterThanOrEqual(300);
    // A risky sentence counts as caught when a finding of its labelled category is reported.
    const missed = risky.filter((i) => !scanner.scan(i.text).some((f) => f.category === i.category));
    const flagged = clean.filter((i) => scanner.scan(i.text).length > 0);
    const recall = 1 - missed.length / risky.length;
    const fpRate = flagged.length / clean.length;
    console.log(
      `compliance eval: recall ${(recall * 100).toFixed(2)}% (${risky.length - missed.length}/${risky.length}), ` +
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
    const heldOut = readFileSync(join(here, '../../test/fixtures/compliance/tuning/clean-heldout.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const heldOutFlagged = heldOut.filter((t) => scanner.scan(t).length > 0);
    console.log(`compliance held-out clean set (clean-heldout.txt, not asserted): flagged ${heldOutFlagged.length}/${heldOut.length}`);
    for (const t of heldOutFlagged) console.log(`  held-out flagged ${JSON.stringify(t)} → ${scanner.scan(t).map((x) => x.word).join(',')}`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(fpRate).toBeLessThanOrEqual(0.01);
  });
});
