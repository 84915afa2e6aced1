/**
 * End to end (issue 11): the two desks in the console, in Chromium against the mock WeCom.
 * - WeReply desk: an agent goes 在线, a 转人工 is assigned to them, the status strip shows desk,
 *   holder and allowance, and their reply goes through 二次确认 out via the mock.
 * - WeCom-client desk: no reply box, the servicer holding the session named with why WeReply cannot
 *   send; 接管 ends the WeCom session and the inbox says the customer must write again.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COMPLAINT_PHRASES } from '../../src/routing/model.js';
import { saveRouting } from '../../src/store/routing-repo.js';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../stack.js';
import { type ConsoleBrowser, openConsoleBrowser, signInWithToken, STEP } from './browser.js';

const KF_A = 'wkMockKfDeskA';
const KF_B = 'wkMockKfDeskB';

let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;
let token = '';

describe('desks in the console (Chromium)', () => {
  beforeAll(async () => {
    stack = await startStack('sqlite', { mock: { openKfIds: [KF_A, KF_B] } });
    // The servicer sync run at start must be done first: it would mark servicers of accounts it did not know yet as departed.
    await eventually(async () => !!(await stack.wr.store.db.selectFrom('routing_state').select('key').where('key', '=', 'servicer-departments').executeTakeFirst()), 10_000, 'the start-up servicer sync');
    const now = Date.now();
    for (const [kf, users] of Object.entries(stack.mock.credentials.servicers)) {
      for (const userid of users) {
        await stack.wr.store.db.insertInto('servicers').values({ userid, name: `客服 ${userid}`, open_kfids: JSON.stringify([kf]), groups: '[]', reception_cap: 5, supervisor: 0, status: 'active', receiving: 1, timezone: 'Asia/Shanghai', shift: null, created_at: now, updated_at: now }).execute();
      }
    }
    const a = stack.mock.credentials.servicers[KF_A]!;
    const b = stack.mock.credentials.servicers[KF_B]!;
    await saveRouting(stack.wr.store.db, {
      groups: [
        { id: 'a', name: 'A', members: [...a], strategy: 'round_robin' },
        { id: 'b', name: 'B', members: [...b], strategy: 'round_robin' },
      ],
      tree: { timezone: 'Asia/Shanghai', nodes: [{ id: 'a', name: 'A', when: { kfAccounts: [KF_A] }, then: { group: 'a' } }, { id: 'b', name: 'B', when: {}, then: { group: 'b' } }] },
      complaintPhrases: DEFAULT_COMPLAINT_PHRASES,
    }, 'e2e', null);
    await stack.api('PUT', '/api/desks', { default: 'wecom', accounts: { [KF_A]: 'wereply' }, groups: {} });
    token = (await stack.api('POST', '/api/operators', { name: '小王', role: 'agent', servicer_userid: a[0] })).body.token;
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

  it('WeReply desk: the agent goes 在线, gets the 转人工 and answers in the inbox; it goes out via the mock', async () => {
    await page.goto(`${stack.url}/`);
    await signInWithToken(page, token);
    await page.getByTestId('whoami').getByText('小王').waitFor();
    await page.getByTestId('presence').click();
    await page.getByTestId('presence').getByText('在线').waitFor();
    expect((await stack.api('GET', '/api/me/presence', undefined, token)).body.present).toBe(true);

    await page.getByRole('menuitem', { name: '会话工作台' }).click();
    await page.getByText('实时').waitFor();
    await stack.mock.customerSays({ open_kfid: KF_A, external_userid: 'wmDeskE2E1', text: '耳机坏了 转人工' });
    await eventually(async () => (await stack.wr.store.db.selectFrom('assignments').select('id').where('kind', '=', 'assigned').where('desk', '=', 'wereply').execute()).length === 1, 15_000, 'assigned in WeReply');
    await page.getByTestId('conversation').filter({ hasText: 'wmDeskE2E1' }).click();
    const strip = page.getByTestId('desk-strip');
    await strip.getByText('WeReply 接待').waitFor();
    await strip.getByText('接待人：小王').waitFor();
    await strip.getByText(/还可发送 4\/5 条，窗口剩余 4[78] 小时/).waitFor();
    const reply = '您好，我是小王，请问是哪边耳机没有声音？';
    await page.getByLabel('人工回复').fill(reply);
    await page.getByTestId('agent-send').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByRole('button', { name: '确认发送' }).click();
    const sent = await stack.mock.waitForSent(1, 15_000, (r) => r.touser === 'wmDeskE2E1' && (r.body as { text?: { content?: string } }).text?.content === reply);
    expect(sent[0]!.errcode).toBe(0);
    await page.getByTestId('history').getByText(reply).waitFor();
    await strip.getByText(/还可发送 3\/5 条/).waitFor();
    await browser.shot('inbox-wereply-desk');
  }, STEP);

  it('WeCom-client desk: no reply box, the holder and why; 接管 ends the WeCom session and says the customer must write again', async () => {
    const [b1] = stack.mock.credentials.servicers[KF_B]!;
    await stack.mock.customerSays({ open_kfid: KF_B, external_userid: 'wmDeskE2E2', text: '转人工' });
    await eventually(() => stack.mock.sessionInfo(KF_B, 'wmDeskE2E2').service_state === 3, 15_000, 'with a WeCom servicer');
    await eventually(async () => (await stack.wr.store.db.selectFrom('conversations').select('service_state').where('external_userid', '=', 'wmDeskE2E2').executeTakeFirst())?.service_state === 3, 15_000, 'recorded');
    await page.getByTestId('conversation').filter({ hasText: 'wmDeskE2E2' }).click();
    const strip = page.getByTestId('desk-strip');
    await strip.getByText('企业微信客户端接待').waitFor();
    await strip.getByText(`接待人：客服 ${b1}`).waitFor();
    await page.getByTestId('wecom-holds').getByText(`接待人员 客服 ${b1} 正在企业微信客户端接待`, { exact: false }).waitFor();
    expect(await page.getByLabel('人工回复').count()).toBe(0);
    await browser.shot('inbox-wecom-desk');

    await page.getByTestId('desk-take-over').click();
    await page.getByTestId('desk-confirm').click();
    await eventually(() => stack.mock.sessionInfo(KF_B, 'wmDeskE2E2').service_state === 4, 15_000, 'the WeCom session ended');
    await strip.getByText('WeReply 接待').waitFor();
    await strip.getByText('接待人：小王').waitFor();
    await strip.getByText('客户需再次发消息后才能回复').waitFor();
    await page.getByTestId('reply-disabled').waitFor();
    expect(await page.getByTestId('agent-send').isDisabled()).toBe(true);
    const audit = (await stack.api('GET', '/api/compliance/audit?action=taken_over')).body as { actor: string }[];
    expect(audit[0]!.actor).toBe('小王');
  }, STEP);

  it('settings: the admin sets a kf account to the WeReply desk (接待方式)', async () => {
    await page.getByRole('button', { name: '退出' }).click();
    await signInWithToken(page, ADMIN_TOKEN);
    await page.getByRole('menuitem', { name: '设置' }).click();
    const card = page.getByTestId('desk-settings');
    await card.getByText(KF_B).waitFor();
    await card.getByLabel(`接待方式 ${KF_B}`).click();
    await page.locator('.ant-select-dropdown:visible').getByText('WeReply 接待').click();
    await card.getByTestId('desk-save').click();
    await page.getByText('接待方式已保存').waitFor();
    expect((await stack.api('GET', '/api/desks')).body.accounts).toMatchObject({ [KF_A]: 'wereply', [KF_B]: 'wereply' });
  }, STEP);

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(browser.pageErrors).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
  });
});
