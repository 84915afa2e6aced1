/**
 * End to end (Chromium): a servicer writes a risky message from the WeCom client; the nav badge shows
 * the open alert, the alerts page lists it with who sent it, acknowledging it clears the badge, and
 * the inbox history labels the message with the servicer's name and a warning marker.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, openConsoleBrowser, signInWithToken, STEP } from './browser.js';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../stack.js';

const KF = 'wkMockKf0001';
let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;

describe('alerts in the console (Chromium)', () => {
  beforeAll(async () => {
    stack = await startStack('sqlite');
    const servicer = stack.mock.credentials.servicers[KF]![0]!;
    const now = Date.now();
    await stack.wr.store.db.insertInto('servicers').values({ userid: servicer, name: '王小明', open_kfids: JSON.stringify([KF]), groups: '[]', reception_cap: 10, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now }).execute();
    await stack.mock.customerSays({ external_userid: 'wm_e2e', text: '能提分吗' });
    stack.mock.setSessionState(KF, 'wm_e2e', 3, servicer);
    await stack.mock.servicerSays({ external_userid: 'wm_e2e', servicer_userid: servicer, text: '放心，我们保证提分' });
    await eventually(async () => (await stack.api('GET', '/api/alerts/summary')).body.open === 1, 15_000, 'the alert');
    browser = await openConsoleBrowser({ timezoneId: 'Asia/Shanghai' });
    page = browser.page;
  }, STEP);
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && browser) await browser.shotFailure(ctx.task.name);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, STEP);

  it('the badge shows the open alert; the page lists it with the servicer; acknowledging clears the badge', async () => {
    await page.goto(`${stack.url}/login`);
    await signInWithToken(page, ADMIN_TOKEN);
    const badge = page.getByTestId('alerts-badge');
    await badge.getByText('1').first().waitFor();
    await page.getByTestId('nav-alerts').click();
    const row = page.locator('tr[data-testid^="alert-"]').first();
    await row.getByTestId('alert-servicer').getByText('王小明').waitFor();
    await row.getByTestId('alert-findings').getByText('保证提分').waitFor();
    await browser.shot('alerts');
    await row.getByTestId('alert-ack').click();
    await page.getByLabel('处理说明（可选，写入审计日志）').fill('已提醒');
    await page.getByRole('dialog').getByRole('button', { name: /确\s*认/ }).click();
    await page.getByText('没有告警').waitFor();
    await eventually(async () => (await badge.textContent())?.includes('1') === false, 10_000, 'badge cleared');
    expect((await stack.api('GET', '/api/alerts?status=acknowledged')).body.items[0]).toMatchObject({ acknowledged_by: 'admin', ack_note: '已提醒' });
    expect(browser.pageErrors).toEqual([]);
  }, STEP);

  it('the inbox history labels the message with the servicer’s name and a warning marker', async () => {
    await page.getByRole('menuitem', { name: '会话工作台' }).click();
    await page.getByText('wm_e2e').first().click();
    const label = page.getByTestId('servicer-label').first();
    await label.getByText('王小明（企业微信客户端）').waitFor();
    await label.getByTestId('servicer-findings').getByText('合规告警').waitFor();
    await browser.shot('inbox-servicer-message');
    expect(browser.cspViolations).toEqual([]);
  }, STEP);
});
