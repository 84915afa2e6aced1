import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeDictionary, makeMessages } from '../../bench/corpus.js';
import { KeywordIndex } from './keyword-index.js';
import { normalizeText } from './normalize.js';

/** Brute force: every (keyword, end) pair found by indexOf at every position. */
function naiveMatches(keywords: readonly string[], text: string): string[] {
  const out: string[] = [];
  keywords.forEach((k, ki) => {
    if (k.length === 0) return;
    for (let at = text.indexOf(k); at !== -1; at = text.indexOf(k, at + 1)) out.push(`${ki}@${at + k.length}`);
  });
  return out.sort();
}

function scanMatches(index: KeywordIndex, text: string): string[] {
  const out: string[] = [];
  index.scan(text, (k, end) => out.push(`${k}@${end}`));
  return out.sort();
}

/** Both layouts: everything dense (default) and almost everything sparse (root row only). */
const build = {
  dense: (k: readonly string[]) => KeywordIndex.build(k),
  sparse: (k: readonly string[]) => KeywordIndex.build(k, { denseTableBytes: 1 }),
  halfDense: (k: readonly string[]) => KeywordIndex.build(k, { denseTableBytes: 4 * 4 * 8 }),
};

// Small alphabets make prefixes, suffixes and overlaps frequent.
const alphabet = fc.constantFrom(['退', '货', '款'], ['物', '流', '快', '递', '单'], ['a', 'b'], ['😊', '退', 'a']);
const scenario = alphabet.chain((chars) => {
  const ch = fc.constantFrom(...chars);
  const word = fc.array(ch, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
  return fc.record({
    keywords: fc.array(word, { maxLength: 12 }),
    text: fc.array(ch, { maxLength: 40 }).map((a) => a.join('')),
  });
});

describe.each(Object.entries(build))('KeywordIndex (%s layout)', (_layout, make) => {
  it('reports exactly the (keyword, end) pairs a brute-force indexOf finds', () => {
    fc.assert(
      fc.property(scenario, ({ keywords, text }) => {
        const index = make(keywords);
        expect(scanMatches(index, text)).toEqual(naiveMatches(keywords, text));
      }),
      { numRuns: 500 },
    );
  });

  it('matchedKeywords and hasAny agree with scan', () => {
    fc.assert(
      fc.property(scenario, ({ keywords, text }) => {
        const index = make(keywords);
        const distinct = [...new Set(naiveMatches(keywords, text).map((m) => Number(m.split('@')[0])))].sort((x, y) => x - y);
        expect([...index.matchedKeywords(text)].sort((x, y) => x - y)).toEqual(distinct);
        expect(index.hasAny(text)).toBe(distinct.length > 0);
      }),
      { numRuns: 300 },
    );
  });

  it('matchedKeywordsNormalizing(raw) equals matchedKeywords(normalizeText(raw)), order included', () => {
    // Raw text mixes the alphabet with what normalisation folds: case, full width, runs of spaces, Σ/İ (reference path).
    const rawScenario = fc.record({
      keywords: fc.array(fc.array(fc.constantFrom('退', '货', 'a', 'b', ' ', 'σ'), { minLength: 1, maxLength: 4 }).map((a) => a.join('')), { maxLength: 10 }),
      text: fc.array(fc.constantFrom('退', '货', 'a', 'A', 'ａ', 'Ｂ', 'b', ' ', '  ', '\u3000', '\t', 'Σ', 'σ', 'İ', '😊', '\ud83d'), { maxLength: 30 }).map((a) => a.join('')),
    });
    fc.assert(
      fc.property(rawScenario, ({ keywords, text }) => {
        const index = make(keywords.map(normalizeText));
        expect(index.matchedKeywordsNormalizing(text)).toEqual(index.matchedKeywords(normalizeText(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it('finds overlapping matches: 退货 and 货款 in 退货款', () => {
    const index = make(['退货', '货款', '退款']);
    expect(scanMatches(index, '退货款')).toEqual(['0@2', '1@3']);
    expect(index.matchedKeywords('我要退货款')).toEqual([0, 1]);
  });

  it('handles keywords that are prefixes and suffixes of each other', () => {
    const keywords = ['退', '退货', '退货款', '货款', '款'];
    const index = make(keywords);
    expect(scanMatches(index, '退货款')).toEqual(naiveMatches(keywords, '退货款'));
    expect(scanMatches(index, '退货款').length).toBe(5);
    // A long keyword's failure path must still report a shorter one ending inside it.
    const nested = make(['abcd', 'bc']);
    expect(scanMatches(nested, 'abcx')).toEqual(['1@3']);
  });

  it('reports every copy of a duplicated keyword (several rules may share one)', () => {
    const index = make(['退货', '物流', '退货']);
    expect(index.matchedKeywords('退货')).toEqual([0, 2]);
  });

  it('matches emoji keywords as whole surrogate pairs', () => {
    const index = make(['😊', '好评😊', '👍👍']);
    expect(index.matchedKeywords('给你好评😊👍👍')).toEqual([1, 0, 2]);
    // Same high surrogate, different low surrogate: no match.
    expect(index.hasAny('😋')).toBe(false);
  });

  it('an empty index (or only empty keywords) never matches', () => {
    for (const index of [make([]), make([''])]) {
      expect(index.hasAny('退货')).toBe(false);
      expect(index.matchedKeywords('退货')).toEqual([]);
      expect(scanMatches(index, '退货')).toEqual([]);
    }
  });

  it('finds nothing in an empty message', () => {
    expect(make(['退货']).matchedKeywords('')).toEqual([]);
  });
});

describe('KeywordIndex on the benchmark corpus', () => {
  const dictionary = makeDictionary(2300, 1);
  const messages = makeMessages(2000, 2, dictionary).map(normalizeText);

  it('agrees with brute force on realistic messages', () => {
    const index = KeywordIndex.build(dictionary);
    for (const m of messages) {
      const naive = [...new Set(naiveMatches(dictionary, m).map((x) => Number(x.split('@')[0])))].sort((a, b) => a - b);
      expect([...index.matchedKeywords(m)].sort((a, b) => a - b)).toEqual(naive);
    }
  });

  it('stays small: 2,300 keywords take well under 50 MB', () => {
    const index = KeywordIndex.build(dictionary);
    expect(index.denseStates).toBe(index.stateCount);
    expect(index.memoryBytes).toBeLessThan(50 * 1024 * 1024);
  });

  it('bounds memory with a small dense budget and still agrees', () => {
    const small = KeywordIndex.build(dictionary, { denseTableBytes: 64 * 1024 });
    const full = KeywordIndex.build(dictionary);
    expect(small.denseStates).toBeLessThan(small.stateCount);
    for (const m of messages) expect(small.matchedKeywords(m)).toEqual(full.matchedKeywords(m));
  });
});
