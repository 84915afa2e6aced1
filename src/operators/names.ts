/**
 * Operator names that imitate others: "аdmin" with a Cyrillic а, "ｚｈａｎｇｓａｎ" in full width,
 * "zhang\u200bsan" with a zero-width space, "rnary" for "mary". Names are compared by a folded form
 * (NFKC, invisible characters removed, Unicode confusables mapped to their Latin look-alike by the
 * `confusables` package, lower case, separators dropped, and the few ASCII look-alikes 0/o, 1/l/i/|,
 * rn/m, vv/w made one), and a name containing invisible characters is refused outright. Pure.
 */
import { remove as removeConfusables } from 'confusables';

/** Characters that show nothing or change how text around them is shown (format, bidi, fillers, variation selectors, controls). */
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Co}\p{Cn}\u115f\u1160\u3164\uffa0\u034f\u180b-\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}]|[^\S ]/u;

/** The invisible characters of a name, as U+XXXX, for the error message; empty when it has none. */
export function invisibleCharacters(name: string): string[] {
  const out: string[] = [];
  for (const ch of name) if (INVISIBLE.test(ch)) out.push(`U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return [...new Set(out)];
}

/** The form two names share when a person could not tell them apart. */
export function foldName(name: string): string {
  let s = name.normalize('NFKC');
  s = [...s].filter((ch) => !INVISIBLE.test(ch)).join('');
  s = removeConfusables(s).normalize('NFKC').toLowerCase();
  s = s.replace(/[\s._\-·・'’"]+/gu, '');
  return s.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[0]/g, 'o').replace(/[1i|!]/g, 'l');
}

/** Why `name` may not be used next to `existing` names, or null when it may. */
export function imitationProblem(name: string, existing: readonly string[]): string | null {
  const hidden = invisibleCharacters(name);
  if (hidden.length) return `the name contains invisible characters (${hidden.join(', ')}); type it again without them`;
  const folded = foldName(name);
  if (!folded) return 'the name has no visible letters';
  const twin = existing.find((e) => foldName(e) === folded);
  return twin === undefined ? null : `"${name}" looks the same as the existing name "${twin}" (look-alike letters, full-width or mixed scripts); choose a name people can tell apart`;
}
