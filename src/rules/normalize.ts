/**
 * Text normalisation for rule matching: what a keyword rule compares, on both sides
 * (every inbound message and every dictionary entry).
 *
 * What it does, in one pass over UTF-16 code units:
 * - full-width ASCII → half-width (U+FF01–U+FF5E → U+0021–U+007E), ideographic space U+3000 → space;
 *   so "ＶＩＰ" matches "vip" and "退货！" matches "退货!";
 * - lower-case: ASCII inline; other cased scripts (Latin-1 accents, Greek, Cyrillic, Deseret …)
 *   through one native `toLowerCase()` of the result, only when such a character is present;
 * - trim and collapse every run of whitespace (the same set `String.prototype.trim` uses, incl.
 *   U+3000, NBSP, line breaks) to a single space.
 *
 * Deliberately NOT Unicode NFKC: NFKC also rewrites CJK compatibility ideographs (U+F900…) to other
 * code points, expands ㈱/㍿ to several characters, turns ① into "1", "™" into "tm", half-width katakana
 * into full-width, superscripts into digits … Those rewrites surprise people who write a keyword and
 * see it match (or miss) text that does not look like it, and NFKC costs far more per message. The
 * folding above is the predictable subset customers actually produce with phone keyboards.
 *
 * Surrogate pairs (emoji, CJK extension B) are copied unchanged, never split; lone surrogates too.
 *
 * Two implementations with one meaning: `normalizeTextReference` is the definition (a direct pass
 * plus native `toLowerCase()`); `normalizeText` is the fast path the pipeline uses — one lookup in a
 * table built once (`FOLD`: width fold and lower case of every BMP code unit at once, or a marker for
 * white space and for the few code units whose lower case depends on context or is not one code unit,
 * which hand the message to the reference). A property test keeps the two equal. `foldCodeUnit`
 * exposes the same table to `KeywordIndex.matchedKeywordsNormalizing`, which normalises inside its scan.
 */

/** True for the code units `String.prototype.trim` treats as white space or line terminators. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Conservative: false only for ranges known to contain no character with a lower-case mapping
 * (CJK, kana, Hangul, CJK punctuation, general punctuation, arrows/box drawing/dingbats, emoji,
 * private use, the half/full-width block once full-width Latin is folded). Anything else triggers
 * the native `toLowerCase()` of the whole result, which is always correct, just a little slower.
 */
function mayHaveLowerCase(c: number): boolean {
  if (c >= 0x2e80 && c <= 0xa4cf) return false; // CJK radicals … CJK unified, Yi
  if (c >= 0xac00 && c <= 0xd7ff) return false; // Hangul syllables / jamo ext-B
  if (c >= 0xd800 && c <= 0xdfff) {
    // High surrogate decides: emoji planes (U+1F000–1FFFF) and CJK ext. B–F (U+20000–2FFFF) are caseless.
    if (c >= 0xdc00) return false;
    return !((c >= 0xd83c && c <= 0xd83f) || (c >= 0xd840 && c <= 0xd8bf));
  }
  if (c >= 0xe000) return false; // private use, CJK compat, variation selectors, FE/FF forms
  if (c >= 0x2000 && c <= 0x2bff) {
    // Letterlike symbols / number forms (K Kelvin sign, Ⅷ) and circled letters Ⓐ–Ⓩ have case.
    return (c >= 0x2100 && c <= 0x218f) || (c >= 0x24b6 && c <= 0x24e9);
  }
  return c >= 0xc0 || c === 0xb5; // Latin-1 letters and everything else non-ASCII
}

/**
 * Build a string from code units. A plain array + `fromCharCode.apply` measured ~2.5× faster than a
 * reused Uint16Array (subarray + apply) or TextDecoder (which would also replace lone surrogates).
 * Chunked because `apply` has an argument-count limit.
 */
function fromCodeUnits(units: number[]): string {
  const len = units.length;
  if (len <= 8192) return String.fromCharCode.apply(null, units);
  let out = '';
  for (let i = 0; i < len; i += 8192) out += String.fromCharCode.apply(null, units.slice(i, i + 8192));
  return out;
}

/**
 * Normalise a message for rule matching (see module comment). Idempotent. Returns `s` itself
 * (no allocation) when it is already normal, which is the common case for plain Chinese text.
 */
export function normalizeTextReference(s: string): string {
  const n = s.length;
  const buf: number[] = [];
  let changed = false;
  let needsLower = false;
  let pendingSpace = false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x41 && c <= 0x5a) {
        c += 0x20;
        changed = true;
      } else if (c <= 0x20 && (c === 0x20 || (c >= 0x09 && c <= 0x0d))) {
        // White space: drop at the start, remember in the middle (emitted before the next char).
        if (c !== 0x20 || pendingSpace || buf.length === 0) changed = true;
        if (buf.length !== 0) pendingSpace = true;
        continue;
      }
    } else if (c >= 0xff01 && c <= 0xff5e) {
      c -= 0xfee0;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      changed = true;
    } else if (isSpace(c)) {
      changed = true;
      if (buf.length !== 0) pendingSpace = true;
      continue;
    } else if (!needsLower && mayHaveLowerCase(c)) {
      needsLower = true;
    }
    if (pendingSpace) {
      buf.push(0x20);
      pendingSpace = false;
    }
    buf.push(c);
  }
  if (pendingSpace) changed = true; // trailing white space dropped
  const out = changed ? fromCodeUnits(buf) : s;
  return needsLower ? out.toLowerCase() : out;
}

// ------------------------------------------------------------------------------------ fast path

/** Marker in FOLD: the code unit is white space (dropped at the ends, runs collapse to one space). */
export const FOLD_SPACE = 0xffff;
/**
 * Marker in FOLD: the reference must handle this message (its lower case depends on context, like
 * final sigma Σ, or is not a single code unit, like İ; or it is a high surrogate of a plane with cased
 * letters, like Deseret). U+FFFF itself is a non-character and U+FFFE too; both map through the
 * reference, which leaves them unchanged.
 */
export const FOLD_SLOW = 0xfffe;

let FOLD: Uint16Array | undefined;

/** The table: every BMP code unit → its normalised code unit, or FOLD_SPACE / FOLD_SLOW. Built once (~65k one-character lower-casings, a few ms). */
function buildFold(): Uint16Array {
  const t = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      // Surrogates are copied; a high surrogate of a plane with case hands over to the reference.
      t[c] = mayHaveLowerCase(c) ? FOLD_SLOW : c;
      continue;
    }
    if (isSpace(c)) {
      t[c] = FOLD_SPACE;
      continue;
    }
    const w = c >= 0xff01 && c <= 0xff5e ? c - 0xfee0 : c;
    const lower = String.fromCharCode(w).toLowerCase();
    // The reference lower-cases only when some character may have case; a code unit it considers
    // caseless but that does change would make the result depend on its neighbours: slow path.
    const caseless = w < 0x80 ? !(w >= 0x41 && w <= 0x5a) : !mayHaveLowerCase(w);
    if (lower.length !== 1 || w === 0x3a3 || (caseless && lower.charCodeAt(0) !== w)) t[c] = FOLD_SLOW;
    else t[c] = lower.charCodeAt(0);
  }
  t[0xfffe] = FOLD_SLOW;
  t[0xffff] = FOLD_SLOW;
  return t;
}

/** The fold table (see FOLD_SPACE / FOLD_SLOW); built on first use. */
export function foldTable(): Uint16Array {
  return (FOLD ??= buildFold());
}

/**
 * Normalise a message for rule matching (see module comment); same result as
 * `normalizeTextReference`, faster. Returns `s` itself (no allocation) when it is already normal,
 * which is the common case for plain Chinese text: the first loop only reads.
 */
export function normalizeText(s: string): string {
  const fold = (FOLD ??= buildFold());
  const n = s.length;
  let start = 0;
  while (start < n && fold[s.charCodeAt(start)] === FOLD_SPACE) start++; // leading white space
  // The longest run from `start` that is already normal (single ASCII spaces between words allowed).
  let i = start;
  let prevSpace = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    const f = fold[c]!;
    if (f === c) prevSpace = false;
    else if (c === 0x20 && !prevSpace) prevSpace = true;
    else break;
  }
  if (i === n) {
    if (prevSpace) return s.slice(start, n - 1); // one trailing space
    return start === 0 ? s : s.slice(start);
  }
  // Build the whole result in one array (one flat string: a concatenation `head + rest` would be a
  // cons string, which every later charCodeAt — the keyword scan — pays an indirection for).
  const buf: number[] = [];
  let pendingSpace = false;
  for (i = start; i < n; i++) {
    const f = fold[s.charCodeAt(i)]!;
    if (f === FOLD_SPACE) {
      pendingSpace = true;
      continue;
    }
    if (f === FOLD_SLOW) return normalizeTextReference(s);
    if (pendingSpace) {
      buf.push(0x20);
      pendingSpace = false;
    }
    buf.push(f);
  }
  return fromCodeUnits(buf);
}

/** Normalise a dictionary entry (keyword) — exactly what `normalizeText` does to messages, so both sides agree. */
export const normalizeKeyword: (keyword: string) => string = normalizeText;
