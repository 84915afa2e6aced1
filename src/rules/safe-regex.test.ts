import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileUserRegex, MAX_INPUT_LENGTH, SafeRegex, testWithTimeLimit } from './safe-regex.js';

function accept(pattern: string, flags = 'iu'): SafeRegex {
  const r = compileUserRegex(pattern, flags);
  if (!r.ok) throw new Error(`expected ${pattern} to be accepted, got: ${r.error}`);
  return r.regex;
}

function reject(pattern: string, flags = 'iu'): string {
  const r = compileUserRegex(pattern, flags);
  if (r.ok) throw new Error(`expected ${pattern} to be rejected`);
  return r.error;
}

describe('compileUserRegex: what a rule author is told', () => {
  it('accepts ordinary customer-service patterns', () => {
    expect(accept('^\\d{11}$').test('13812345678')).toBe(true);
    expect(accept('退(货|款)').test('我要退款')).toBe(true);
    expect(accept('退(货|款)').test('我要换货')).toBe(false);
    expect(accept('(退货|退款)+').test('退货退款')).toBe(true);
    expect(accept('(\\d+-)+\\d+').test('电话 010-1234-5678')).toBe(true);
    expect(accept('VIP', 'i').test('vip会员')).toBe(true);
    expect(accept('\\p{Script=Han}{2}', 'u').test('ab退货')).toBe(true);
  });

  it('explains syntax errors', () => {
    expect(reject('(退货')).toMatch(/invalid syntax: Unterminated group/);
    expect(reject('a{2,1}')).toMatch(/invalid syntax: numbers out of order/);
    expect(reject('[z-a]')).toMatch(/invalid syntax/);
  });

  it('rejects long patterns, empty patterns and other flags', () => {
    expect(reject('a'.repeat(501))).toMatch(/501 characters long; the limit is 500/);
    expect(accept('a'.repeat(500)).test('a'.repeat(500))).toBe(true);
    expect(reject('')).toMatch(/empty/);
    expect(reject('abc', 'g')).toMatch(/flag "g" is not allowed/);
    expect(reject('abc', 'y')).toMatch(/flag "y" is not allowed/);
    expect(reject('abc', 'ii')).toMatch(/given twice/);
    for (const flags of ['', 'i', 'm', 's', 'u', 'imsu']) expect(compileUserRegex('abc', flags).ok).toBe(true);
  });

  it("rejects nested quantifiers such as '(a+)+$' and names the culprit", () => {
    expect(reject('(a+)+$')).toMatch(/exponential time \(nested quantifier '\(a\+\)\+'\)/);
    expect(reject('(\\w+\\s?)+$')).toMatch(/nested quantifier/);
    expect(reject('(a*)*b')).toMatch(/nested quantifier/);
    expect(reject('(x+x+)+y')).toMatch(/nested quantifier/);
    expect(reject('(?=(a+)+b)')).toMatch(/nested quantifier/);
  });

  it("rejects overlapping alternatives under a quantifier such as '(a|aa)*b'", () => {
    expect(reject('(a|aa)*b')).toMatch(/exponential time \(alternatives in 'a\|aa'/);
    expect(reject('^(a|a)*$')).toMatch(/alternatives/);
    expect(reject('(\\w|\\d)+$')).toMatch(/alternatives/);
    expect(reject('(A|a)+$', 'i')).toMatch(/alternatives/);
  });

  it('rejects patterns that are slow on its probes even when their shape looks fine', () => {
    // Polynomial (cubic), ~26 s on 4,096 characters: no nesting, caught by the probes.
    expect(reject('.*a.*b')).toMatch(/too slow: checking a \d+-character message/);
    expect(reject('.*退.*款')).toMatch(/too slow/);
  });
});

describe('SafeRegex.test: a time limit on the path every message takes', () => {
  it("returns 'timeout' instead of hanging (the vm guard on a raw exponential regex)", () => {
    // Unguarded this runs for minutes; the test's own timeout would catch a guard that did not work.
    expect(testWithTimeLimit(/(a+)+$/, 'a'.repeat(40) + '!', 20)).toBe('timeout');
    // The guard is reusable after a timeout.
    expect(testWithTimeLimit(/退(货|款)/, '退货', 20)).toBe(true);
  });

  it("a validated pattern that is slow on one long message returns 'timeout' at its limit", () => {
    // '退.*款' passes validation (quadratic: ~6 ms on 1,024 characters, under the 100 ms probe
    // limit) but takes 100+ ms on 4,096 '退': a message the static check and probes let through.
    const r = compileUserRegex('退.*款', 'iu', { timeoutMs: 5 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const slow = '退'.repeat(MAX_INPUT_LENGTH);
    expect(r.regex.test(slow)).toBe('timeout');
    expect(r.regex.test('我要退一下款')).toBe(true);
  });

  it('answers false without running the regex when no required literal is present', () => {
    const re = accept('退(货|款)');
    expect(re.requiredLiterals).toEqual(['退']);
    expect(re.test('x'.repeat(MAX_INPUT_LENGTH))).toBe(false);
    expect(accept('(退货|退款)+').requiredLiterals).toEqual(['退货', '退款']);
    expect(accept('订单.{0,4}\\d{6,}').requiredLiterals).toEqual(['订单']);
    // An optional part or an alternative that needs nothing gives no shortcut.
    expect(accept('(退货)?\\d+').requiredLiterals).toBeNull();
    expect(accept('退货|\\d+').requiredLiterals).toBeNull();
    // Under i, a literal with case is not used as a shortcut (ſ/K fold to s/k in Unicode mode).
    expect(accept('vip\\d+', 'iu').requiredLiterals).toBeNull();
    expect(accept('vip\\d+', '').requiredLiterals).toEqual(['vip']);
  });

  it('caps input at 4,096 code units without splitting an emoji', () => {
    const re = accept('😊$', 'u');
    expect(re.test('a'.repeat(MAX_INPUT_LENGTH - 2) + '😊' + 'tail')).toBe(true);
    expect(re.test('a'.repeat(MAX_INPUT_LENGTH - 1) + '😊')).toBe(false);
  });

  it('runs short messages directly only when a step bound proves it cheap', () => {
    expect(accept('^\\d{11}$').directMaxLength).toBe(MAX_INPUT_LENGTH);
    expect(accept('退(货|款)').directMaxLength).toBe(MAX_INPUT_LENGTH);
    expect(accept('退.*款').directMaxLength).toBeGreaterThan(0);
    // Loops over pieces with choices, backreferences, lookarounds: always the vm guard.
    expect(accept('(\\d+-)+\\d+').directMaxLength).toBe(-1);
    expect(accept('(?<y>\\d{4})-\\k<y>').directMaxLength).toBe(-1);
    expect(accept('退(?=货)').directMaxLength).toBe(-1);
  });

  // How cheap the direct path is gets measured in bench/keyword-matching (regex overhead), not
  // asserted here: no timing thresholds in unit tests. This checks it answers (never 'timeout').
  it('the direct path answers at its length bound (adversarial inputs)', () => {
    for (const pattern of ['\\d+x', '退.*款', '[a-z]+@[a-z]+\\.com', '^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$', '\\s+$']) {
      const re = accept(pattern, '');
      const n = re.directMaxLength;
      expect(n).toBeGreaterThan(0);
      const runs = ['1', 'a', '退', 'a@', ' '].map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n));
      for (const input of [...runs, ...runs.map((r) => r.slice(0, -1) + '!')]) {
        expect(typeof re.regex.test(input)).toBe('boolean');
      }
    }
  });

  it('agrees with plain RegExp on ordinary text (both paths)', () => {
    const patterns = ['退(货|款)', '^\\d{11}$', '(\\d+-)+\\d+', '订单.{0,4}\\d{6,}', 'vip|会员', '(退货|退款)+'];
    const text = fc.string({
      unit: fc.constantFrom('退', '货', '款', '订', '单', '1', '3', '-', 'v', 'i', 'p', '会', '员', ' ', '😊'),
      maxLength: 60,
    });
    for (const p of patterns) {
      // A generous limit: this compares answers, and a loaded machine must not turn one into 'timeout'.
      const compiled = compileUserRegex(p, 'iu', { timeoutMs: 5_000 });
      if (!compiled.ok) throw new Error(compiled.error);
      const safe = compiled.regex;
      const plain = new RegExp(p, 'iu');
      fc.assert(fc.property(text, (s) => safe.test(s) === plain.test(s)), { numRuns: 200 });
    }
  });

  it('caches compilation: rule sets are rebuilt often', () => {
    const a = compileUserRegex('缓存(测试)?', 'iu');
    const b = compileUserRegex('缓存(测试)?', 'iu');
    expect(a).toBe(b);
    // …except "too slow" verdicts, which depend on the machine's load at that moment.
    expect(compileUserRegex('.*x.*y', '')).not.toBe(compileUserRegex('.*x.*y', ''));
  });
});
