/**
 * The library an organisation scans with: the shipped words, with the organisation's own edits laid
 * over them. Pure functions; the store keeps `OrganisationWord` rows, the API validates with
 * `validateRiskWords` before saving. Called when building an organisation's `RiskScanner`.
 *
 * Why edits are stored as overlays keyed by id (not as a copy of the list): a new WeReply release can
 * add, fix or reword shipped entries, and an organisation's edits (a disabled word, its own
 * suggestions) still apply to the entry with the same id afterwards. Edits to an id that no longer
 * ships are kept as the organisation's own word when they carry a full entry, dropped otherwise.
 */
import { RISK_CATEGORIES, type RiskWord } from './risk-words.js';

/** One organisation row: an edit of a shipped entry (same id) or a word of its own (new id). */
export type OrganisationWord = Partial<Omit<RiskWord, 'id'>> & { id: string };

/** Shipped entries with the organisation's edits applied, then its own words (disabled ones kept, flagged). */
export function organisationLibrary(shipped: readonly RiskWord[], edits: readonly OrganisationWord[]): RiskWord[] {
  const byId = new Map(edits.map((e) => [e.id, e]));
  const out: RiskWord[] = shipped.map((w) => {
    const e = byId.get(w.id);
    return e === undefined ? { ...w } : { ...w, ...definedFields(e), id: w.id };
  });
  const shippedIds = new Set(shipped.map((w) => w.id));
  for (const e of edits) {
    if (shippedIds.has(e.id)) continue;
    if (isComplete(e)) out.push({ ...e });
  }
  return out;
}

function definedFields(e: OrganisationWord): Partial<RiskWord> {
  const r: Partial<RiskWord> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}

function isComplete(e: OrganisationWord): e is RiskWord {
  return (
    typeof e.word === 'string' &&
    typeof e.category === 'string' &&
    (e.severity === 'block' || e.severity === 'warn') &&
    typeof e.reason === 'string' &&
    Array.isArray(e.suggestions)
  );
}

/** A problem with one row of words being imported or saved; `row` is 1-based as a user counts. */
export interface RiskWordError {
  row: number;
  field: keyof RiskWord;
  message: string;
}

/** Longest word accepted (code units). */
export const MAX_WORD_LENGTH = 50;

/**
 * Checks rows before they are saved or imported; an empty answer means all rows are fine. Every
 * message names the row and field and says what to do. `existing` are the words already in the
 * organisation's library (a duplicate there is reported too). Words are compared as written, after
 * trimming; the scanner folds case, width and 繁体 anyway.
 */
export function validateRiskWords(rows: readonly Partial<RiskWord>[], existing: readonly RiskWord[] = []): RiskWordError[] {
  const errors: RiskWordError[] = [];
  const seen = new Map<string, number>();
  const existingWords = new Set(existing.map((w) => w.word.trim()));
  rows.forEach((r, i) => {
    const row = i + 1;
    const word = typeof r.word === 'string' ? r.word.trim() : '';
    if (word === '') errors.push({ row, field: 'word', message: `Row ${row}: the word is empty; write the risky word or phrase.` });
    else if (word.length > MAX_WORD_LENGTH)
      errors.push({ row, field: 'word', message: `Row ${row}: the word is ${word.length} characters long; the limit is ${MAX_WORD_LENGTH}.` });
    else if (seen.has(word))
      errors.push({ row, field: 'word', message: `Row ${row}: "${word}" is already on row ${seen.get(word)}; keep one of them.` });
    else if (existingWords.has(word))
      errors.push({ row, field: 'word', message: `Row ${row}: "${word}" is already in the library; edit that entry instead.` });
    if (word !== '' && !seen.has(word)) seen.set(word, row);
    if (r.severity !== 'block' && r.severity !== 'warn')
      errors.push({ row, field: 'severity', message: `Row ${row}: severity must be "block" or "warn", not ${JSON.stringify(r.severity ?? '')}.` });
    if (typeof r.category !== 'string' || r.category.trim() === '')
      errors.push({ row, field: 'category', message: `Row ${row}: the category is empty; use one of ${RISK_CATEGORIES.join('、')} or your own.` });
    if (typeof r.reason !== 'string' || r.reason.trim() === '')
      errors.push({ row, field: 'reason', message: `Row ${row}: the reason is empty; say in one sentence why the word is risky.` });
    if (!Array.isArray(r.suggestions) || r.suggestions.some((s) => typeof s !== 'string'))
      errors.push({ row, field: 'suggestions', message: `Row ${row}: suggestions must be a list of rewrites (it may be empty).` });
    for (const a of r.allow ?? []) {
      if (word !== '' && !a.includes(word))
        errors.push({ row, field: 'allow', message: `Row ${row}: the allowed phrase "${a}" does not contain "${word}", so it could never apply.` });
    }
  });
  return errors;
}
