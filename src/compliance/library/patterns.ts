/**
 * Phrase patterns of the shipped library: risky claims that a word list cannot cover because a part
 * of them varies (a number, a person, a product). Each pattern is one `RiskWord` with `anchors` (the
 * fixed part, found by the scanner's automaton like any word) and a `before`/`after` context that must
 * surround the anchor (a regular expression over the skeleton: simplified, lower-case, spaces and
 * punctuation dropped; digits, %, and sentence ends 。！？； kept). Only an anchor hit pays for the
 * context check, so a text without anchors costs nothing extra.
 *
 * The patterns live in one file per group of families (`patterns-promises.ts`, `patterns-health-money.ts`,
 * `patterns-claims.ts`), built from the shared parts in `pattern-parts.ts`.
 *
 * Sources (what each family covers, see src/compliance/README.md):
 * - 《广告法》第二十四条 (教育培训: 升学、通过考试、取得证书、培训效果的保证性承诺; 考试机构/命题人员参与)
 * - 《广告法》第四条、第二十八条 (虚假承诺: 功效、效果、期限的断言), 第十六~十八条 (医疗、保健: 疾病治疗功能、
 *   功效断言、与药品比较), 第二十五条 (投资收益: 保本、保收益、无风险、收益承诺)
 * - 《广告法》第九条第三项 and 市场监管总局《广告绝对化用语执法指南》(2023): 与同类比较的绝对优越
 * - 微信平台运营规范 (诱导分享: 以奖励诱导分享给 N 位好友、转发到 N 个群、集赞)
 *
 * Context rules keep ordinary replies quiet: a guarantee word must come right before the outcome (only a
 * person or "能/可以/一次" may stand between), so "确保您的包裹安全" or "保证金" never match; a time span
 * must be followed by an effect, not by 发货/到账/有效期; negation still applies ("不保证录取").
 */
import type { RiskWord } from '../risk-words.js';
import { toRiskWords } from './pattern-parts.js';
import { CLAIM_PATTERNS } from './patterns-claims.js';
import { HEALTH_MONEY_PATTERNS } from './patterns-health-money.js';
import { FAMILY_PATTERNS } from './patterns-families.js';
import { LAW_PATTERNS } from './patterns-law.js';
import { PROMISE_PATTERNS } from './patterns-promises.js';

/** The pattern entries, in library order (an identical span found by two entries is reported as the first). */
export const SHIPPED_PATTERNS: readonly RiskWord[] = toRiskWords([...PROMISE_PATTERNS, ...HEALTH_MONEY_PATTERNS, ...CLAIM_PATTERNS, ...LAW_PATTERNS, ...FAMILY_PATTERNS]);
