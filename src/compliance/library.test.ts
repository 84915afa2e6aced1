import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import { organisationLibrary, validateRiskWords } from './library.js';
import { RiskScanner } from './scanner.js';

describe('organisationLibrary', () => {
  it('applies edits by id, keeps own words, and a disabled shipped word stops matching', () => {
    const lib = organisationLibrary(SHIPPED_RISK_WORDS, [
      { id: 'share:集赞', enabled: false },
      { id: 'price:原价', suggestions: ['日常价'] },
      { id: 'org:1', word: '秒杀', category: '价格欺诈', severity: 'warn', reason: '本店规定', suggestions: ['限时活动'] },
      { id: 'gone:x', severity: 'block' }, // edit of an id that no longer ships: dropped
    ]);
    expect(lib.length).toBe(SHIPPED_RISK_WORDS.length + 1);
    const s = new RiskScanner(lib);
    expect(s.scan('集赞的秒杀').map((f) => f.word)).toEqual(['秒杀']);
    expect(new RiskScanner(SHIPPED_RISK_WORDS).scan('集赞').length).toBe(1);
    expect(s.scan('原价99').map((f) => f.suggestions)).toEqual([['日常价']]);
    expect(SHIPPED_RISK_WORDS.find((w) => w.id === 'price:原价')!.suggestions).not.toEqual(['日常价']);
  });
});

describe('validateRiskWords', () => {
  it('accepts good rows', () => {
    expect(validateRiskWords([{ word: '秒杀', category: '价格欺诈', severity: 'warn', reason: 'r', suggestions: [] }])).toEqual([]);
  });

  it('names the row and field of every problem', () => {
    const errors = validateRiskWords(
      [
        { word: '秒杀', category: '价格欺诈', severity: 'warn', reason: 'r', suggestions: [] },
        { word: ' 秒杀 ', category: '价格欺诈', severity: 'warn', reason: 'r', suggestions: [] },
        { word: '', category: '', severity: 'stop' as never, reason: '', suggestions: 'x' as never },
        { word: '最优惠', category: 'c', severity: 'block', reason: 'r', suggestions: [] },
        { word: '第一', category: 'c', severity: 'warn', reason: 'r', suggestions: [], allow: ['首次'] },
      ],
      SHIPPED_RISK_WORDS.filter((w) => w.word === '最优惠'),
    );
    expect(errors.map((e) => [e.row, e.field])).toEqual([
      [2, 'word'],
      [3, 'word'],
      [3, 'severity'],
      [3, 'category'],
      [3, 'reason'],
      [3, 'suggestions'],
      [4, 'word'],
      [5, 'allow'],
    ]);
    expect(errors[0]!.message).toContain('row 1');
  });
});
