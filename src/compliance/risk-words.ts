/**
 * RiskWord: one entry of the compliance library (shipped or added by an organisation).
 * The scanner (`scanner.ts`) reports every occurrence of `word` in an outbound text, after
 * folding evasions away, unless the occurrence sits inside one of the `allow` phrases.
 */

/** The categories shipped with WeReply; organisations may use their own strings too. */
export const RISK_CATEGORIES = [
  '绝对化用语',
  '虚假承诺',
  '医疗功效',
  '金融收益',
  '诱导分享',
  '迷信',
  '价格欺诈',
] as const;

export type RiskCategory = (typeof RISK_CATEGORIES)[number] | (string & {});

/** `block`: the text must not be sent as is. `warn`: sent, but the author sees the finding. */
export type RiskSeverity = 'block' | 'warn';

export interface RiskWord {
  /** Stable id (`<category code>:<word>` for shipped entries); user edits key on it. */
  id: string;
  /** The risky word or phrase, as written (simplified Chinese; case and width do not matter). */
  word: string;
  category: RiskCategory;
  severity: RiskSeverity;
  /** Why it is risky, in one short sentence a non-lawyer understands. */
  reason: string;
  /** Compliant rewrites to offer, best first (may be empty when the sentence should just go). */
  suggestions: string[];
  /**
   * Context phrases containing `word` in which it is harmless (e.g. 第一 in 第一次). An occurrence
   * lying entirely inside an occurrence of one of these phrases is not reported.
   */
  allow?: string[];
  /** False to switch a shipped entry off for an organisation without deleting it. */
  enabled?: boolean;
  /**
   * A phrase pattern instead of a plain word (shipped entries only, see `library/patterns.ts`): the
   * entry matches where one of these anchors occurs AND its `before`/`after` context matches; `word`
   * is then the pattern's name as shown to users (e.g. "保证+升学考试结果"), not something matched.
   */
  anchors?: string[];
  /**
   * Regular expression (source, over the skeleton: simplified, lower-case, no spaces or punctuation)
   * that must match the text right before the anchor; the finding then starts where it starts.
   * Written ending in `$`. Example: `(保证|确保|一定能)(您|孩子)?$` before 考上.
   */
  before?: string;
  /** Like `before`, right after the anchor, written starting with `^` (may be a lookahead only). */
  after?: string;
  /**
   * Speed only: the characters a matching `before` context can end with. A hit whose preceding
   * skeleton character is not one of them is rejected without running the expression (for anchors
   * that are frequent in ordinary text, such as 人 or 好友). Leave out when unsure.
   */
  beforeEnds?: string;
}

/** One occurrence of a risk word in a scanned text. */
export interface Finding {
  /** Offset of the first matched code unit in the ORIGINAL text (UTF-16 code units). */
  start: number;
  /** Offset just past the last matched code unit in the ORIGINAL text. */
  end: number;
  /** `text.slice(start, end)`: what the author actually wrote (spaces, symbols, 繁体 included). */
  matched: string;
  /** The library word it matched. */
  word: string;
  /** Id of the library entry. */
  id: string;
  category: RiskCategory;
  severity: RiskSeverity;
  reason: string;
  suggestions: string[];
}
