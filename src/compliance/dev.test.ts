/**
 * The dev set (test/fixtures/compliance/dev/, written for issue 10 point 13, split by split.mjs into tune/
 * and check/ before any tuning). The library and the claim grammar were tuned on tune/ only; check/ is the
 * estimate of unseen text among the sets in the repository (the held-out sets are the figure that counts).
 * A risky sentence counts as caught when any finding is reported (as in heldout.test.ts); a clean one is a
 * false positive when anything is reported.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import { RiskScanner } from './scanner.js';

const dev = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/compliance/dev');
const lines = (half: string, file: string) =>
  readFileSync(join(dev, half, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/**
 * Floors under the figures measured when this file last changed (README, Compliance guard). Before the
 * claim model, words and patterns alone: tune 117/175 and 3/159, check 120/171 and 7/159.
 */
const HALVES = [
  { half: 'tune', recallFloor: 0.97, falsePositiveCeiling: 0.019 }, // 171/175, 3/159 (the model was trained on this half)
  { half: 'check', recallFloor: 0.84, falsePositiveCeiling: 0.045 }, // 144/171, 7/159
];

describe.each(HALVES)('dev set test/fixtures/compliance/dev/$half/', ({ half, recallFloor, falsePositiveCeiling }) => {
  const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
  const risky = lines(half, 'risky.txt').map((l) => ({ category: l.slice(0, l.indexOf('|')), text: l.slice(l.indexOf('|') + 1) }));
  const clean = lines(half, 'clean.txt');
  it('reports recall and false positives', () => {
    const missed = risky.filter((r) => scanner.scan(r.text).length === 0);
    const flagged = clean.filter((t) => scanner.scan(t).length > 0);
    const recall = 1 - missed.length / risky.length;
    const fpRate = flagged.length / clean.length;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`compliance dev (${half}): recall ${pct(recall)} (${risky.length - missed.length}/${risky.length}), false positives ${pct(fpRate)} (${flagged.length}/${clean.length})`);
    if (half === 'tune' && process.env.DEV_SHOW === '1') {
      for (const m of missed) console.log(`  missed [${m.category}] ${m.text}`);
      for (const t of flagged) console.log(`  flagged ${t} → ${scanner.scan(t).map((f) => `${f.word}(${f.matched})`).join(',')}`);
    }
    expect(recall).toBeGreaterThanOrEqual(recallFloor);
    expect(fpRate).toBeLessThanOrEqual(falsePositiveCeiling);
  });
});
