/**
 * Broad-keyword warnings: "价格" alone answers every message that mentions a price. When a rule is
 * saved, each keyword is measured against the customers' real messages of the last 30 days, and a
 * compound keyword (all: [价格, <a word that often comes with it>]) is suggested.
 */
import { normalizeText } from './normalize.js';
import type { RuleMatch } from './rule.js';
import { segment } from './segment.js';

export interface BroadKeywordWarning {
  keyword: string;
  field: string;
  reason: string;
  /** Share of the sampled customer messages containing it (0..1). */
  share: number;
  sample_size: number;
  suggestion: string;
}

/** Words that occur in a large part of any customer-service conversation. */
const GENERIC_WORDS = new Set(
  ['价格', '多少钱', '价钱', '钱', '你好', '您好', '在吗', '在不在', '请问', '怎么', '怎么办', '为什么', '什么', '谢谢', '好的', '可以', '吗', '呢', '哦', '嗯', '问题', '咨询', '客服', '这个', '那个', '有没有', '能不能', 'hi', 'hello', 'ok'].map(normalizeText),
);
const STOP_WORDS = new Set(['的', '了', '吗', '呢', '吧', '啊', '我', '你', '您', '是', '有', '在', '和', '就', '都', '也', '还', '这', '那', '个', '一个', '请问', '怎么', '什么', '可以', '一下', '多少']);

/** A keyword matching more than this share of messages is too broad. */
export const BROAD_SHARE = 0.05;
/** Below this many messages, shares say little; only the static checks apply. */
const MIN_SAMPLE_FOR_SHARE = 50;

export function broadKeywordWarnings(match: RuleMatch | null | undefined, customerMessages: readonly string[]): BroadKeywordWarning[] {
  if (!match) return [];
  const sample = customerMessages.map(normalizeText);
  const warnings: BroadKeywordWarning[] = [];
  const fields: (keyof RuleMatch)[] = ['any', 'all'];
  for (const field of fields) {
    const list = match[field];
    // An "all" list narrows itself; only a single-word "all" is as broad as the word.
    if (!list || (field === 'all' && list.length > 1)) continue;
    list.forEach((raw, i) => {
      const word = normalizeText(raw);
      if (!word) return;
      const hits = sample.filter((m) => m.includes(word));
      const share = sample.length ? hits.length / sample.length : 0;
      const reasons: string[] = [];
      if ([...word].length === 1) reasons.push('a one-character keyword matches far more messages than intended');
      if (GENERIC_WORDS.has(word)) reasons.push(`"${raw}" appears in all kinds of questions`);
      if (sample.length >= MIN_SAMPLE_FOR_SHARE && share > BROAD_SHARE) {
        reasons.push(`it matches ${(share * 100).toFixed(1)}% of the last 30 days' customer messages`);
      }
      if (reasons.length === 0) return;
      warnings.push({ keyword: raw, field: `match.${field}[${i}]`, reason: reasons.join('; '), share, sample_size: sample.length, suggestion: suggestCompound(raw, word, hits, sample) });
    });
  }
  return warnings;
}

/** Suggests all: [word, companion] using the word that most often accompanies it in real messages. */
function suggestCompound(raw: string, word: string, hits: string[], sample: string[]): string {
  const counts = new Map<string, number>();
  for (const m of hits.slice(0, 2000)) {
    const seen = new Set<string>();
    for (const token of segment(m)) {
      const t = token.trim();
      if (t.length < 2 || t === word || word.includes(t) || t.includes(word) || STOP_WORDS.has(t) || /^[\d\p{P}\p{S}]+$/u.test(t)) continue;
      seen.add(t);
    }
    for (const t of seen) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const companions = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  if (companions.length === 0) {
    return `combine it with the product or topic it is about, e.g. {"all": ["${raw}", "<产品名>"]}, or use "exact" for a message that is only "${raw}"`;
  }
  const parts = companions.map(([c]) => {
    const n = sample.filter((m) => m.includes(word) && m.includes(c)).length;
    return `{"all": ["${raw}", "${c}"]} (${((n / Math.max(1, sample.length)) * 100).toFixed(1)}%)`;
  });
  return `use a compound keyword instead, e.g. ${parts.join(', ')}`;
}
