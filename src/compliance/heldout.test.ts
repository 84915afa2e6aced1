/**
 * The held-out measurements: test/fixtures/compliance/heldout/, heldout-2/ and heldout-3/ were each written by a reviewer
 * who never saw the scanner, its library, the tuning set or the other held-out set, and they are never used to
 * change the library. Nothing here may be
 * tuned on: when a figure drops, fix the library from the 广告法 families and the tuning set, not from these
 * sentences.
 *
 * A risky sentence counts as caught when the scanner reports any finding (block or warn: either way the
 * agent sees the word before it is sent); the held-out categories are the reviewer's own, so they are not
 * compared with the library's. A clean sentence is a false positive when anything at all is reported.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import { RiskScanner } from './scanner.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/compliance');
const lines = (dir: string, file: string) =>
  readFileSync(join(fixtures, dir, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/**
 * Each held-out set, by a different reviewer, with floors under the figures measured when this file last
 * changed (README, Compliance guard): a change to the library that loses held-out recall or adds held-out
 * false positives fails here.
 */
const SETS = [
  // 339/394, 6/405 with the claim model (issue 10 pt 13); words and patterns alone: 295/394, 6/405.
  { dir: 'heldout', recallFloor: 0.855, falsePositiveCeiling: 0.015 },
  // 326/421, 15/446 with the claim model; words and patterns alone: 271/421, 13/446. The ceiling rose from
  // 0.03: the model reports two ordinary replies of this set that the rules did not (its threshold allows
  // 0.4 % of ordinary text out of fold on the tuning material; these were not looked at).
  { dir: 'heldout-2', recallFloor: 0.77, falsePositiveCeiling: 0.034 },
  // Written after the claim model was finished and measured here only once it was merged: 407/541, 13/521 with
  // the model; words and patterns alone: 379/541, 13/521. The freshest figure of the three.
  { dir: 'heldout-3', recallFloor: 0.75, falsePositiveCeiling: 0.025 },
];

describe.each(SETS)('held-out evaluation set test/fixtures/compliance/$dir/', ({ dir, recallFloor, falsePositiveCeiling }) => {
  const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
  const risky = lines(dir, 'risky.txt').map((l) => {
    const at = l.indexOf('|');
    return { category: l.slice(0, at), text: l.slice(at + 1) };
  });
  const clean = lines(dir, 'clean.txt');

  it('reports recall and false positives on text the library was not tuned on', () => {
    expect(risky.length).toBeGreaterThanOrEqual(300);
    expect(clean.length).toBeGreaterThanOrEqual(300);
    const missed = risky.filter((r) => scanner.scan(r.text).length === 0);
    const blockMissed = risky.filter((r) => !scanner.scan(r.text).some((f) => f.severity === 'block'));
    const flagged = clean.filter((t) => scanner.scan(t).length > 0);
    const recall = 1 - missed.length / risky.length;
    const fpRate = flagged.length / clean.length;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `compliance held-out (${dir}): recall ${pct(recall)} (${risky.length - missed.length}/${risky.length}; ` +
        `block-level ${risky.length - blockMissed.length}/${risky.length}), ` +
        `false positives ${pct(fpRate)} (${flagged.length}/${clean.length})`,
    );
    const byCategory = new Map<string, [number, number]>();
    for (const r of risky) {
      const [caught, all] = byCategory.get(r.category) ?? [0, 0];
      byCategory.set(r.category, [caught + (missed.includes(r) ? 0 : 1), all + 1]);
    }
    console.log(`  by family: ${[...byCategory].map(([c, [k, n]]) => `${c} ${k}/${n}`).join(', ')}`);
    for (const m of missed) console.log(`  missed [${m.category}] ${JSON.stringify(m.text)}`);
    for (const t of flagged) console.log(`  flagged ${JSON.stringify(t)} → ${scanner.scan(t).map((f) => f.word).join(',')}`);
    expect(recall).toBeGreaterThanOrEqual(recallFloor);
    expect(fpRate).toBeLessThanOrEqual(falsePositiveCeiling);
  });
});
