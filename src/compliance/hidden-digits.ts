/**
 * Digits written apart to slip a number past a filter (138\u200b1234\u200b5678, 138.1234.5678,
 * 138_1234_5678): a view of the text with the characters between digits removed, and where each
 * remaining code unit stood in the text as written, so findings map back. Pure; used by pii.ts.
 */

/**
 * Characters written between digits to slip a number past a filter: invisible ones (zero-width
 * space/joiners, word joiner, BOM, soft hyphen, bidi marks and isolates) and the visible separators
 * . _ space - · ・ / (full-width forms are already ASCII after `normalize`).
 */
const BRIDGE = /[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e\u202a-\u202e\u2066-\u2069._ \-\u00b7\u30fb/]/;
/** At most this many such characters between two digits are bridged (more is a list, not a number). */
const MAX_BRIDGE = 3;

/**
 * The text with every short run of bridge characters between two digits removed, and for each kept
 * code unit its offset in the original; null when nothing was removed (the plain view says it all).
 */
export function bridgeDigits(norm: string): { text: string; at: number[] } | null {
  let out = '';
  const at: number[] = [];
  let removed = false;
  for (let i = 0; i < norm.length; i++) {
    const c = norm.charCodeAt(i);
    if (isDigit(c)) {
      let j = i + 1;
      while (j < norm.length && j - i - 1 < MAX_BRIDGE && BRIDGE.test(norm[j]!)) j++;
      out += norm[i];
      at.push(i);
      if (j > i + 1 && j < norm.length && isDigit(norm.charCodeAt(j))) {
        removed = true;
        i = j - 1; // skip the bridge; the next digit is read by the loop
      }
      continue;
    }
    out += norm[i];
    at.push(i);
  }
  return removed ? { text: out, at } : null;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
