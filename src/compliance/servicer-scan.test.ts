import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import { DEFAULT_COMPLIANCE_SETTINGS } from './outbound-check.js';
import { RiskScanner } from './scanner.js';
import { describeMessageFindings, scanSentMessage } from './servicer-scan.js';

const scanner = new RiskScanner(SHIPPED_RISK_WORDS);
const holdMobile = { ...DEFAULT_COMPLIANCE_SETTINGS, hold_outbound_pii: ['mobile' as const] };
const label = (k: string) => ({ mobile: '手机号' })[k] ?? k;

describe('scanSentMessage: the after-the-fact scan of a sent message', () => {
  it('clean: nothing to record', () => {
    expect(scanSentMessage(scanner, holdMobile, [{ field: 'text.content', text: '您好，马上为您处理' }])).toBeNull();
  });

  it('a block word raises a block alert, with the field it is in', () => {
    const f = scanSentMessage(scanner, DEFAULT_COMPLIANCE_SETTINGS, [{ field: 'link.desc', text: '保证提分' }])!;
    expect(f.alert).toBe('block');
    expect(f.risk[0]).toMatchObject({ field: 'link.desc', id: 'promise:保证提分', severity: 'block' });
    expect(describeMessageFindings(f, label)).toContain('「保证提分」');
  });

  it('warn findings are recorded without an alert', () => {
    expect(scanSentMessage(scanner, holdMobile, [{ field: 'text.content', text: '这是最好的课程' }])).toMatchObject({ alert: null, risk: [{ severity: 'warn' }] });
  });

  it('PII raises an alert only when the organisation holds that kind back; the number is stored masked, hidden digits too', () => {
    const texts = [{ field: 'text.content', text: '电话 138\u200b1234\u200b5678' }];
    const held = scanSentMessage(scanner, holdMobile, texts)!;
    expect(held.alert).toBe('pii');
    expect(held.pii[0]).toMatchObject({ kind: 'mobile', held: true });
    expect(held.pii[0]!.masked.replace(/\u200b/g, '')).toBe('138****5678');
    expect(describeMessageFindings(held, label)).toContain('手机号');
    const allowed = scanSentMessage(scanner, DEFAULT_COMPLIANCE_SETTINGS, texts)!;
    expect(allowed).toMatchObject({ alert: null, pii: [{ kind: 'mobile', held: false }] });
  });

  it('a matched risk word that itself holds personal data is stored masked', () => {
    const f = scanSentMessage(scanner, holdMobile, [{ field: 'text.content', text: '保证提分 13812345678' }])!;
    expect(JSON.stringify(f)).not.toContain('13812345678');
  });
});
