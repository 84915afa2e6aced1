import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldName, imitationProblem, invisibleCharacters } from './names.js';

describe('operator names that imitate others', () => {
  const existing = ['admin', 'zhangsan', 'Mary Li', '王小明'];
  it.each([
    ['аdmin', 'Cyrillic а'],
    ['ΑDMIN', 'Greek capitals'],
    ['ａｄｍｉｎ', 'full width'],
    ['ᴀdmin', 'small capital'],
    ['zhаngsаn', 'mixed scripts'],
    ['ZhangSan', 'case'],
    ['zhang_san', 'separator'],
    ['zhang.san', 'dot'],
    ['rnary li', 'rn for m'],
    ['Mary L1', '1 for i'],
    ['王小明 ', 'trailing space'],
  ])('refuses %s (%s)', (name) => {
    expect(imitationProblem(name, existing)).toMatch(/looks the same/);
  });

  it.each([['zhang\u200bsan'], ['adm\u200din'], ['\u202eadmin'], ['li\u2066si'], ['王\ufe0f小明'], ['tab\there']])('refuses %j (invisible characters)', (name) => {
    expect(imitationProblem(name, existing)).toMatch(/invisible characters \(U\+/);
  });

  it('accepts names people can tell apart', () => {
    for (const name of ['lisi', '王小红', 'Mary Lin', 'zhangsan2', '客服-小张']) expect(imitationProblem(name, existing)).toBeNull();
  });

  it('folding is stable and ignores anything invisible (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u2066'), fc.nat(12), (name, zw, at) => {
        const i = Math.min(at, name.length);
        const hidden = name.slice(0, i) + zw + name.slice(i);
        expect(foldName(hidden)).toBe(foldName(name));
        expect(foldName(foldName(name))).toBe(foldName(name));
        expect(invisibleCharacters(hidden).length).toBeGreaterThan(0);
      }),
    );
  });
});
