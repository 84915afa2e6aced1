/**
 * Signing in as oneself in Chromium: with a password an admin set in Settings → 账号, and with the
 * mock WeCom's 扫码 page (企业微信扫码登录) — start, "scan" as the member, back to the console signed in.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, openConsoleBrowser, signInWithToken, STEP } from './browser.js';
import { ADMIN_TOKEN, startStack, type Stack } from '../stack.js';
import { freePort } from '../child.js';

let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;


describe('signing in as oneself in Chromium', () => {
  beforeAll(async () => {
    const port = await freePort();
    stack = await startStack('sqlite', { env: { PORT: String(port), WEREPLY_PUBLIC_URL: `http://127.0.0.1:${port}`, WECOM_AGENT_ID: '1000002' } });
    await stack.api('POST', '/api/operators', { name: 'xiaowang', role: 'agent', servicer_userid: 'mock_servicer_1a' });
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

  it('the admin sets a password in Settings → 账号; the agent signs in with it (a wrong one is refused)', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByTestId('wecom-login').waitFor(); // WeCom sign-in is configured: offered first
    await signInWithToken(page, ADMIN_TOKEN);
    await page.getByRole('menuitem', { name: '设置' }).click();
    const ops = page.getByTestId('operators');
    await ops.getByText('mock_servicer_1a').waitFor();
    await page.getByTestId('set-password-xiaowang').click();
    await page.getByLabel('新密码').fill('password123');
    await page.getByTestId('operator-save').click();
    await page.getByText(/most used passwords/).waitFor(); // the server's reason, under the field
    await page.getByLabel('新密码').fill('tea with lemon at four');
    await page.getByTestId('operator-save').click();
    await ops.getByText('已设置').waitFor();
    await browser.shot('operators');
    await page.getByRole('button', { name: '退出' }).click();

    await page.getByRole('tab', { name: '账号密码' }).click();
    await page.getByLabel('账号', { exact: true }).fill('xiaowang');
    await page.getByLabel('密码', { exact: true }).fill('tea with lemon at five');
    await page.getByTestId('password-login').click();
    await page.getByRole('alert').getByText(/账号或密码不正确/).waitFor();
    await page.getByLabel('密码', { exact: true }).fill('tea with lemon at four');
    await page.getByTestId('password-login').click();
    await page.getByTestId('whoami').getByText('xiaowang').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('wereply.token')")).toMatch(/^ws_/);
    await page.getByRole('button', { name: '退出' }).click();
  }, STEP);

  it('企业微信扫码登录: the mock’s page, "scan" as the member, back in the console as their operator', async () => {
    await page.getByTestId('wecom-login').waitFor();
    await browser.shot('login-wecom');
    await page.getByTestId('wecom-login').click();
    // The mock WeCom's 扫码 page (another origin), listing the corp's members.
    await page.waitForURL((u) => u.href.startsWith(`${stack.mock.url}/wwlogin/sso/login`));
    await page.locator('a[data-userid="mock_servicer_1a"]').click();
    await page.getByTestId('whoami').getByText('xiaowang').waitFor();
    // The one-use code is gone from the address bar; the session token is an expiring one.
    expect(page.url()).not.toContain('wecom_code');
    expect(await page.evaluate("sessionStorage.getItem('wereply.token')")).toMatch(/^ws_/);
    await page.getByRole('button', { name: '退出' }).click();
    // A member with no WeReply operator gets a clear page.
    await page.getByTestId('wecom-login').click();
    await page.locator('a[data-userid="mock_servicer_1b"]').click();
    await page.getByText(/没有对应的 WeReply 账号/).waitFor();
    await page.getByRole('link', { name: /返回登录/ }).click();
    await page.getByTestId('wecom-login').waitFor();
  }, STEP);
});
