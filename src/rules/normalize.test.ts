import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeKeyword, normalizeText, normalizeTextReference } from './normalize.js';

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Text a customer could send: CJK, ASCII, full-width forms, all kinds of spaces, emoji. */
const messageChar = fc.oneof(
  fc.constantFrom('退', '货', '款', '物', '流', '发', '票', '会', '员', '。', '、', '《', '》'),
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xff01, max: 0xff5e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(' ', '\t', '\n', '\r', '\u3000', '\u00a0', '\u2003', '\ufeff'),
  fc.constantFrom('😊', '👍', '🙏', '❤️', '👨‍👩‍👧', '𠀀'),
  fc.constantFrom('É', 'Σ', 'ΑΣ', 'Д', 'İ', 'K', 'Ⅷ', 'Ⓐ', '𐐀'),
);
const message = fc.string({ unit: messageChar, maxLength: 40 });

/** Reference with the same semantics, written the slow obvious way. */
function reference(s: string): string {
  return s
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

describe('normalizeText', () => {
  it('folds full-width, lower-cases, trims and collapses white space', () => {
    expect(normalizeText('  ＃退货 ')).toBe('#退货');
    expect(normalizeText('ＶＩＰ会员')).toBe('vip会员');
    expect(normalizeText('iPhone\u3000\u300015  Pro')).toBe('iphone 15 pro');
    expect(normalizeText('退货，谢谢！')).toBe('退货,谢谢!');
    expect(normalizeText('\n\t 在吗？\r\n')).toBe('在吗?');
    expect(normalizeText('ÉCOLE Привет')).toBe('école привет');
    expect(normalizeText('')).toBe('');
    expect(normalizeText(' \u3000 ')).toBe('');
  });

  it('keeps CJK punctuation and compatibility characters as they are (no NFKC)', () => {
    expect(normalizeText('①㈱ｶ。')).toBe('①㈱ｶ。');
  });

  it('returns the very same string when nothing changes', () => {
    const s = '我想退货😊';
    expect(normalizeText(s)).toBe(s);
  });

  it('keeps emoji and surrogate pairs intact', () => {
    expect(normalizeText(' 👨‍👩‍👧 ＯＫ 𠀀 ')).toBe('👨‍👩‍👧 ok 𠀀');
  });

  it('agrees with a slow reference implementation', () => {
    fc.assert(fc.property(message, (s) => normalizeText(s) === reference(s)));
  });

  it('is idempotent', () => {
    fc.assert(fc.property(message, (s) => normalizeText(normalizeText(s)) === normalizeText(s)));
    fc.assert(
      fc.property(fc.string({ unit: codeUnit, maxLength: 30 }), (s) => normalizeText(normalizeText(s)) === normalizeText(s)),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => normalizeText(normalizeText(s)) === normalizeText(s)),
    );
  });

  it('makes full-width ASCII equal to its half-width form', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });
    fc.assert(
      fc.property(ascii, (s) => {
        const full = [...s].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('');
        return normalizeText(full) === normalizeText(s);
      }),
    );
  });

  it('never breaks a surrogate pair', () => {
    const isPaired = (s: string): boolean => {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff) {
          const d = s.charCodeAt(i + 1);
          if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
          i++;
        } else if (c >= 0xdc00 && c <= 0xdfff) return false;
      }
      return true;
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const out = normalizeText(s);
        // Well-formed in, well-formed out, and every astral code point survives (lower-cased when cased).
        const astral = (x: string) => [...x].filter((ch) => ch.length === 2);
        return isPaired(out) && astral(out).join('') === astral(s.toLowerCase()).join('');
      }),
    );
  });

  it('normalises dictionary entries exactly like messages', () => {
    fc.assert(fc.property(message, (s) => normalizeKeyword(s) === normalizeText(s)));
  });
});

describe('normalizeText (fast path) equals normalizeTextReference', () => {
  /** Mixed text: CJK (incl. traditional), ASCII, full-width, every kind of space, emoji, astral CJK, cased scripts, lone surrogates. */
  const anyChar = fc.oneof(
    messageChar,
    fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('們', '貨', '退貨', '發票', '會員', '運費'),
    fc.integer({ min: 0x80, max: 0x24ff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0xfe00, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
    fc.constantFrom('\ud83d', '\ude0a', '\ud801', '\udc00'),
    codeUnit,
  );

  it('on random strings including CJK, full-width, emoji and surrogate pairs', () => {
    fc.assert(fc.property(fc.string({ unit: anyChar, maxLength: 60 }), (s) => normalizeText(s) === normalizeTextReference(s)), { numRuns: 5000 });
  });

  it('on arbitrary code units', () => {
    fc.assert(fc.property(fc.string({ unit: codeUnit, maxLength: 40 }), (s) => normalizeText(s) === normalizeTextReference(s)), { numRuns: 5000 });
  });

  it('on every single BMP code unit, alone and between a cased letter and a space', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const s of [ch, `A${ch} b`, ` ${ch}${ch}\u3000Σ`]) {
        if (normalizeText(s) !== normalizeTextReference(s)) throw new Error(`differs on U+${c.toString(16)} in ${JSON.stringify(s)}`);
      }
    }
  });

  it('returns the very same string when nothing changes', () => {
    const s = '我想退货 请问运费多少😊';
    expect(normalizeText(s)).toBe(s);
  });
});
