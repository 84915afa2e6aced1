import { describe, expect, it } from 'vitest';
import { renderModelFile, train } from './claim-model-train.js';
import { organisationLibrary } from './library.js';
import { CLAIM_MODEL_DATA } from './library/claim-model-data.js';
import { CLAIM_MODEL_ENTRY, SHIPPED_RISK_WORDS } from './library/shipped.js';
import { RISK_CATEGORIES } from './risk-words.js';
import { CLAIM_MODEL_ID, RiskScanner } from './scanner.js';

const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
const withoutModel = new RiskScanner(SHIPPED_RISK_WORDS.filter((w) => w.id !== CLAIM_MODEL_ID));
const modelFindings = (s: RiskScanner, t: string) => s.scan(t).filter((f) => f.id === CLAIM_MODEL_ID);

// A consequence phrased with no library word or pattern (checked below: the rules alone report nothing).
const CLAIM = '喝了我们的茶，浑身的毛病都没了。';

describe('claim model', () => {
  it('reports a claim the word library misses, as warn, with its family and the evidence it weighed', () => {
    expect(withoutModel.scan(CLAIM)).toEqual([]);
    const [f, ...rest] = modelFindings(scanner, CLAIM);
    expect(rest).toEqual([]);
    expect(f).toBeDefined();
    expect(f!.severity).toBe('warn');
    expect(RISK_CATEGORIES).toContain(f!.category);
    expect(f!.word).toBe(`${CLAIM_MODEL_ENTRY.word}：${f!.category}`);
    expect(f!.matched).toBe(CLAIM.slice(f!.start, f!.end));
    // Each piece of evidence is text the author wrote, inside the finding's span.
    const evidence = [...f!.reason.matchAll(/「([^」]+)」/g)].map((m) => m[1]!);
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) expect(f!.matched).toContain(e);
    expect(f!.reason).toMatch(/把握 \d+%/);
  });

  it('keeps offsets into the original text through evasions (spaces, symbols, 繁体)', () => {
    const evaded = '喝了 我們的茶，渾身的*毛病都沒了。';
    const found = modelFindings(scanner, evaded);
    expect(found.length).toBe(1);
    expect(found[0]!.matched).toBe(evaded.slice(found[0]!.start, found[0]!.end));
  });

  it('is switched off by id like any entry, and never blocks even when an organisation sets block', () => {
    const off = new RiskScanner(organisationLibrary(SHIPPED_RISK_WORDS, [{ id: CLAIM_MODEL_ID, enabled: false }]));
    expect(modelFindings(off, CLAIM)).toEqual([]);
    const block = new RiskScanner(organisationLibrary(SHIPPED_RISK_WORDS, [{ id: CLAIM_MODEL_ID, severity: 'block' }]));
    expect(modelFindings(block, CLAIM).map((f) => f.severity)).toEqual(['warn']);
  });

  it('adds nothing to a sentence a rule already reports (one explanation per sentence)', () => {
    const text = '这款是全网最低价，喝了我们的茶，浑身的毛病都没了。';
    const rules = withoutModel.scan(text);
    expect(rules.length).toBeGreaterThan(0);
    // The first sentence (up to the comma) is not a sentence end: the whole text is one sentence, covered.
    expect(modelFindings(scanner, text)).toEqual([]);
    const two = '这款是全网最低价。喝了我们的茶，浑身的毛病都没了。';
    expect(modelFindings(scanner, two).length).toBe(1);
    expect(modelFindings(scanner, two)[0]!.start).toBeGreaterThan(two.indexOf('。'));
  });

  it('does not report disclaimers and ordinary replies', () => {
    for (const t of ['不保证录取或提分', '我们不承诺任何收益，请您理性投资。', '您好，您的快递明天上午送到。', '这款茶是普通食品，不能代替药物治疗。']) {
      expect(modelFindings(scanner, t)).toEqual([]);
    }
  });

  it('the committed model is exactly what the trainer produces from tuning/ and dev/tune/', () => {
    const { data } = train();
    expect(renderModelFile(data)).toBe(renderModelFile(CLAIM_MODEL_DATA));
    expect(data.threshold).toBeGreaterThanOrEqual(0.5);
    expect(data.provenance).toContain('out-of-fold');
  }, 180_000);
});
