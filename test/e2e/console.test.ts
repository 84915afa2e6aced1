/**
 * End to end: the console in Debian's Chromium (playwright-core) against a WeReply with the mock
 * WeCom and the demo data, over real HTTP. Screenshots of the main pages are taken on every run; they
 * go to docs/screenshots/ (the README's) with UPDATE_SCREENSHOTS=1, to test-results/screenshots/
 * otherwise, so a test run leaves the working tree as it found it.
 *
 * The steps run in order in one browser page, as an operator would use the console.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, openConsoleBrowser, openTokenSignIn, signInWithToken, STEP } from './browser.js';
import { seedDemo } from '../../src/cli/demo-seed.js';
import { saveServicerDepartments } from '../../src/store/routing-repo.js';
import { ADMIN_TOKEN, eventually, startStack, type Stack } from '../stack.js';

let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;
let agentToken = '';

const shot = (name: string) => browser.shot(name);
const horizontalOverflow = () => browser.horizontalOverflow();

describe('web console in Chromium', () => {
  beforeAll(async () => {
    const t0 = Date.now();
    stack = await startStack('sqlite');
    await seedDemo(stack.wr.store.db, stack.wr.materials);
    stack.wr.rules.invalidate();
    // A little traffic, so hit counts, the inbox and the outbox have something to show.
    for (const [user, text] of [['wmShopper01', '我想退货'], ['wmShopper02', '快递到哪了'], ['wmShopper01', '物流怎么还没更新'], ['wmShopper03', '会员价格是多少'], ['wmAfterSales', '耳机坏了 转人工']] as const) {
      await stack.mock.customerSays({ external_userid: user, text });
    }
    await eventually(async () => ((await stack.api('GET', '/api/rules')).body as { hit_count: number }[]).reduce((n, r) => n + r.hit_count, 0) >= 4, 15_000, 'the demo traffic to be answered');
    // Not the corp's timezone: times typed in the console are the corp's.
    browser = await openConsoleBrowser({ timezoneId: 'Europe/London' });
    page = browser.page;
    if (process.env.E2E_DEBUG) console.log(`started in ${Date.now() - t0} ms`);
  }, STEP);

  // A failed step leaves a picture of the page next to the test output's temp folder.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && browser) await browser.shotFailure(ctx.task.name);
  });

  afterAll(async () => {
    const t0 = Date.now();
    await browser?.close();
    const t1 = Date.now();
    await stack?.close();
    if (process.env.E2E_DEBUG) console.log(`closing: browser ${t1 - t0} ms, stack ${Date.now() - t1} ms`);
  }, STEP);

  it('is served at / with caching headers; the API docs stay at /docs', async () => {
    const index = await fetch(`${stack.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(`${stack.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // Pre-compressed at build time, picked by what the browser accepts.
    expect((await fetch(`${stack.url}${asset}`, { headers: { 'accept-encoding': 'br' } })).headers.get('content-encoding')).toBe('br');
    expect((await fetch(`${stack.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding')).toBe('gzip');
    expect((await fetch(`${stack.url}/inbox/12`)).status).toBe(200); // client route → index.html
    expect((await fetch(`${stack.url}/docs/json`)).status).toBe(200);
    expect((await fetch(`${stack.url}/api/rules`)).status).toBe(401);
  });

  it('logs in with the admin token (kept out of localStorage without 记住我)', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('密码', { exact: true }).waitFor(); // 账号密码 first; tokens are the secondary tab
    await shot('login');
    await signInWithToken(page, 'wrong-token');
    await page.getByText('令牌不正确').waitFor();
    await page.getByLabel('访问令牌').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByRole('menuitem', { name: '自动回复规则' }).waitFor();
    await page.getByText('退货退款').first().waitFor();
    expect(await page.evaluate("localStorage.getItem('wereply.token')")).toBeNull();
    expect(await page.evaluate("sessionStorage.getItem('wereply.token')")).toBe(ADMIN_TOKEN);
    await shot('rules');
  }, STEP);

  it('creates a keyword rule in the editor (keyboard only for the keyword)', async () => {
    await page.getByRole('button', { name: /新建规则/ }).click();
    await page.getByLabel('规则名称').fill('保修期查询');
    const any = page.locator('.ant-form-item').filter({ hasText: '包含任一' }).locator('input');
    await any.click();
    await page.keyboard.type('保修期');
    await page.keyboard.press('Enter');
    await page.locator('textarea#reply_0_text').fill('本店商品保修期为一年，凭订单号即可申请售后。');
    await page.getByLabel('优先级').fill('200'); // above the demo's 售后菜单 (保修)
    await shot('rule-editor');
    await page.keyboard.press('Control+s');
    await page.getByText('规则“保修期查询”已保存').waitFor();
    await page.getByTestId('rule-link').filter({ hasText: '保修期查询' }).waitFor();
    const rules = (await stack.api('GET', '/api/rules')).body as { name: string; match: { any?: string[] } }[];
    expect(rules.find((r) => r.name === '保修期查询')?.match.any).toEqual(['保修期']);
  }, STEP);

  it('warns in the rules list and the editor when a regex rule was cut off on messages', async () => {
    const rule = ((await stack.api('GET', '/api/rules')).body as { id: number; name: string }[]).find((r) => r.name === '保修期查询')!;
    await stack.wr.store.db.insertInto('regex_rule_stats').values({ rule_id: rule.id, timeouts: 2, budget_skips: 3, last_at: Date.now() }).execute();
    await page.goto(`${stack.url}/rules`);
    const tag = page.getByTestId('regex-health').filter({ hasText: '正则超时/跳过 5' });
    await tag.waitFor();
    await tag.hover();
    await page.getByText('该正则在 2 条消息上超时，在 3 条消息上因该消息的正则总时长用尽被跳过').first().waitFor();
    await page.goto(`${stack.url}/rules/${rule.id}`);
    await page.getByTestId('regex-health').filter({ hasText: '该正则在 2 条消息上超时' }).waitFor();
    await stack.wr.store.db.deleteFrom('regex_rule_stats').execute();
    await page.goto(`${stack.url}/rules`);
    await page.getByTestId('rule-link').first().waitFor();
  }, STEP);

  it('opens and saves every demo rule unchanged (every match kind and the reply types they use)', async () => {
    type R = { id: number; name: string; kind: string; match: unknown; reply: unknown; priority: number; stop: boolean; active_hours: unknown; cooldown_seconds: unknown; status: string; enabled: boolean };
    const essentials = (r: R) => ({ kind: r.kind, match: r.match, reply: r.reply, priority: r.priority, stop: r.stop, active_hours: r.active_hours, cooldown_seconds: r.cooldown_seconds, status: r.status, enabled: r.enabled });
    const before = (await stack.api('GET', '/api/rules')).body as R[];
    for (const rule of before) {
      await page.goto(`${stack.url}/rules/${rule.id}`);
      await expect.poll(() => page.getByLabel('规则名称').inputValue()).toBe(rule.name);
      await page.getByTestId('save-rule').click();
      await page.getByText(`规则“${rule.name}”已保存`).waitFor();
      const after = (await stack.api('GET', `/api/rules/${rule.id}`)).body as R;
      expect(essentials(after), rule.name).toEqual(essentials(rule));
    }
  }, STEP);

  it('shows the measured hit rate of a broad keyword before saving', async () => {
    // A month of customer messages to measure on (stored as pulled messages; 12 of 60 mention 快递).
    const now = Date.now();
    const texts = Array.from({ length: 60 }, (_, i) => (i % 5 === 0 ? `我的快递${i}号还没到` : `第${i}个问题：怎么开发票`));
    await stack.wr.store.db
      .insertInto('messages')
      .values(texts.map((text, i) => ({ msgid: `hist-${i}`, conversation_id: 0, open_kfid: 'wkMockKf0001', external_userid: 'wmHistory', origin: 3, msgtype: 'text', text, raw: '{}', decision: null, send_time: now - i * 3600_000, received_at: now - i * 3600_000 })))
      .execute();
    await page.goto(`${stack.url}/rules/new`);
    const any = page.locator('.ant-form-item').filter({ hasText: '包含任一' }).locator('input');
    await any.click();
    await page.keyboard.type('快递');
    await page.keyboard.press('Enter');
    const warning = page.getByTestId('broad-warnings');
    await warning.getByText(/命中率 \d+(\.\d)?%/).first().waitFor(); // about 12 of the 60+ recent customer messages
    await shot('broad-keyword');
  }, STEP);

  it('highlights a risk word while typing and applies the suggested rewrite', async () => {
    await page.goto(`${stack.url}/rules/new`);
    const text = page.locator('textarea#reply_0_text');
    await text.fill('这款耳机是全网最便宜的，欢迎选购。');
    const mark = page.locator('mark.risk.block');
    await mark.waitFor();
    expect(await mark.textContent()).toBe('最便宜');
    await page.getByTestId('finding').first().getByText('广告法').waitFor();
    await shot('risk-word');
    await page.getByTestId('rewrite').first().click();
    await expect.poll(() => text.inputValue()).not.toContain('最便宜');
    expect(await text.inputValue()).toContain('价格实惠');
    await expect.poll(() => mark.count()).toBe(0);
  }, STEP);

  it('refuses to save a reply with a block finding and says why', async () => {
    await page.getByLabel('规则名称').fill('低价宣传');
    const any = page.locator('.ant-form-item').filter({ hasText: '包含任一' }).locator('input');
    await any.click();
    await page.keyboard.type('便宜');
    await page.keyboard.press('Enter');
    await page.locator('textarea#reply_0_text').fill('我们是全网最便宜的');
    await page.locator('mark.risk.block').waitFor();
    await page.getByTestId('save-rule').click();
    const refused = page.getByTestId('refused');
    await refused.waitFor();
    await refused.getByText('最便宜').first().waitFor();
    await page.getByRole('button', { name: '返回修改' }).click();
    const rules = (await stack.api('GET', '/api/rules')).body as { name: string }[];
    expect(rules.some((r) => r.name === '低价宣传')).toBe(false);
  }, STEP);

  it('checks link titles and menu texts too: the field turns red and offers the rewrite', async () => {
    const invoice = ((await stack.api('GET', '/api/rules')).body as { id: number; name: string }[]).find((r) => r.name === '发票')!;
    await page.goto(`${stack.url}/rules/${invoice.id}`);
    const title = page.locator('input#reply_0_title');
    await title.fill('全国第一的电子发票服务');
    await expect.poll(() => title.getAttribute('class')).toContain('ant-input-status-error');
    const finding = page.getByTestId('finding').filter({ hasText: '全国第一' });
    await finding.waitFor();
    await finding.getByTestId('rewrite').first().click();
    await expect.poll(() => title.inputValue()).not.toContain('全国第一');
  }, STEP);

  it('sandbox: a customer message shows the reply and the full trace', async () => {
    await page.getByRole('menuitem', { name: '测试沙盒' }).click();
    const input = page.getByTestId('sandbox-input');
    await input.fill('请问保修期多久');
    await input.press('Enter');
    await page.getByTestId('sandbox-reply').getByText('本店商品保修期为一年').waitFor();
    const trace = page.getByTestId('sandbox-trace').last();
    await trace.getByText('保修期查询').first().waitFor();
    await trace.locator('.ant-tag', { hasText: '保修期' }).first().waitFor();
    await shot('sandbox');
    await input.fill('双十一有什么活动');
    await input.press('Enter');
    await page.getByTestId('sandbox-trace').nth(1).getByText('草稿').first().waitFor(); // the draft rule, skipped with its reason
    // 08:30 in the corp's timezone (Asia/Shanghai), whatever the browser's: before the 09:00–21:00 hours.
    await page.locator('#sb-time').fill('2026-11-26T08:30');
    await input.fill('在吗');
    await input.press('Enter');
    await page.getByTestId('sandbox-trace').nth(2).getByText('收到消息回复（非工作时间）').first().waitFor();
  }, STEP);

  it('materials: uploads a PDF with progress and refuses a renamed .exe', async () => {
    await page.getByRole('menuitem', { name: '素材库' }).click();
    const input = page.locator('input[type=file]');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
    await input.setInputFiles({ name: '保修政策.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByText('已上传“保修政策.pdf”').waitFor();
    await page.getByTestId('material-name').filter({ hasText: '保修政策.pdf' }).waitFor();
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(512, 1)]);
    await input.setInputFiles({ name: '价目表.pdf', mimeType: 'application/pdf', buffer: exe });
    const error = page.getByTestId('upload-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('价目表.pdf');
    const list = (await stack.api('GET', '/api/materials')).body as { filename: string }[];
    expect(list.filter((m) => m.filename === '价目表.pdf')).toHaveLength(1); // only the demo's real PDF
    await page.locator('img.material-thumb[src^="blob:"]').first().waitFor(); // the demo image's thumbnail
    await shot('materials');
    await page.locator('tr', { hasText: '保修政策.pdf' }).getByRole('button', { name: /预\s*览/ }).click();
    await page.locator('.ant-modal iframe[src^="blob:"]').waitFor(); // the PDF preview
    await page.keyboard.press('Escape');
    await page.locator('.ant-modal iframe').waitFor({ state: 'detached' });
  }, STEP);

  it('routing: servicers, groups and the routing tree', async () => {
    await page.getByRole('menuitem', { name: '分配规则' }).click();
    await page.getByText(/分配树（版本 \d+）/).waitFor();
    await page.getByTestId('tree-node').filter({ hasText: '售后' }).first().waitFor();
    await shot('routing');
    // Empty the 售后组: the branch that sends conversations there can no longer be served.
    const row = page.locator('tr', { hasText: 'after-sales' });
    const removes = row.locator('[aria-label="close"]');
    while ((await removes.count()) > 0) await removes.first().click();
    await page.getByTestId('save-routing').click();
    const error = page.getByTestId('tree-node').filter({ hasText: '售后' }).getByTestId('node-error');
    await error.first().waitFor(); // shown at the node that causes it
    await shot('routing-error');
    expect((await stack.api('GET', '/api/routing')).body.version).toBe(1); // nothing saved
    await page.getByRole('button', { name: '撤销修改' }).click();
    await expect.poll(() => page.getByTestId('node-error').count()).toBe(0);
  }, STEP);

  it('routing: a department WeCom lists as 接待人员 but the app may not read is shown with the reason', async () => {
    await saveServicerDepartments(stack.wr.store.db, [
      { department_id: 7, open_kfids: ['wkMockKf0001'], expanded: false, members: [], reason: 'WeCom answered 60011: the app may not view department 7 (outside its 可见范围 / visible range).' },
    ]);
    await page.reload();
    const shown = page.getByTestId('servicer-departments');
    await shown.getByText('部门 7 · 未能展开成员').waitFor();
    await expect.poll(() => shown.getByText(/60011/).count()).toBe(1);
  }, STEP);

  it('inbox: a new conversation appears live; the agent reply goes through 二次确认 to WeCom', async () => {
    await page.getByRole('menuitem', { name: '会话工作台' }).click();
    await page.getByText('实时').waitFor(); // the event stream is connected
    await stack.mock.customerSays({ external_userid: 'wmE2ECustomer', text: '耳机左边没有声音了' });
    const item = page.getByTestId('conversation').filter({ hasText: 'wmE2ECustomer' });
    await item.waitFor(); // arrived without a reload
    await item.click();
    await page.getByTestId('history').getByText('耳机左边没有声音了').waitFor();
    // A photo the customer sends shows in the history (fetched from WeCom's media/get and kept).
    const photo = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/screenshots/login.png'));
    await stack.mock.customerSays({ external_userid: 'wmE2ECustomer', msgtype: 'image', content: { media_id: stack.mock.customerMedia('image', photo) } });
    await page.getByTestId('customer-image').waitFor();
    await expect.poll(() => page.evaluate("document.querySelector('[data-testid=customer-image]').naturalWidth")).toBe(1280);
    const reply = '您好，请把订单号发给我，我帮您登记维修。';
    await page.getByLabel('人工回复').fill(reply);
    await page.getByTestId('agent-send').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await dialog.getByText('合规检查结果').waitFor();
    await shot('inbox-confirm');
    await page.getByRole('button', { name: '确认发送' }).click();
    const sent = await stack.mock.waitForSent(1, 15_000, (r) => r.touser === 'wmE2ECustomer' && (r.body as { text?: { content?: string } }).text?.content === reply);
    expect(sent[0]!.errcode).toBe(0);
    await page.getByTestId('history').getByText(reply).waitFor();
    await page.getByTestId('out-status').filter({ hasText: '已发送' }).last().waitFor();
    await shot('inbox');
  }, STEP);

  it('inbox: a conversation handed to a person shows its assignment history', async () => {
    await eventually(async () => {
      const [c] = (await stack.api('GET', '/api/conversations?q=wmAfterSales')).body as { id: number }[];
      return c && ((await stack.api('GET', `/api/conversations/${c.id}/assignments`)).body as { kind: string }[]).some((a) => a.kind === 'assigned');
    }, 15_000, 'the handoff to be assigned');
    await page.getByTestId('conversation').filter({ hasText: 'wmAfterSales' }).click();
    await page.getByRole('tab', { name: /分配记录/ }).click();
    const panel = page.getByRole('tabpanel');
    await panel.getByText('分配', { exact: true }).first().waitFor();
    await panel.getByText('小王（售后）').first().waitFor();
    await shot('inbox-assignments');
    await page.getByRole('tab', { name: '消息记录' }).click();
  }, STEP);

  it('inbox API: an agent (no pii:view) sees personal data masked, the admin sees it', async () => {
    await stack.mock.customerSays({ external_userid: 'wmE2EPii', text: '我的手机号是13812345678' });
    await stack.mock.customerSays({ external_userid: 'wmE2EPii', msgtype: 'location', content: { latitude: 31.23, longitude: 121.47, name: '王女士 139\u200b1234\u200b5678', address: '上海市浦东新区世纪大道100号5栋1201室' } });
    const agent = (await stack.api('POST', '/api/operators', { name: '客服小李', role: 'agent' })).body as { token: string };
    agentToken = agent.token;
    const as = async (token: string, p: string) => (await fetch(`${stack.url}${p}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;
    const conv = (await eventually(async () => ((await as(ADMIN_TOKEN, '/api/conversations?q=wmE2EPii')) as { id: number }[])[0], 10_000, 'the conversation')) as { id: number };
    const admin = await eventually(async () => {
      const h = await as(ADMIN_TOKEN, `/api/conversations/${conv.id}/messages`);
      return h.items.some((m: { text: string | null }) => m.text?.includes('13812345678')) && h;
    }, 10_000, 'the message');
    expect(admin.pii_masked).toBe(false);
    const masked = await as(agent.token, `/api/conversations/${conv.id}/messages`);
    expect(masked.pii_masked).toBe(true);
    const texts = masked.items.map((m: { text: string | null }) => m.text ?? '').join('\n');
    expect(texts).toContain('138****5678');
    expect(texts).not.toContain('13812345678');
    const list = (await as(agent.token, '/api/conversations?q=wmE2EPii')) as { last_message: { text: string } | null }[];
    expect(JSON.stringify(list)).not.toContain('13812345678');
  }, STEP);

  it('settings: test connection, callback URL, outbox states', async () => {
    // A reply waiting for the customer to write again (微信客服's 5 messages / 48 h used up) is shown with its reason.
    const conv = await stack.wr.store.db
      .insertInto('conversations')
      .values({ channel: 'wecom-kf', open_kfid: 'wkMockKf0001', external_userid: 'wmE2EWaiting', last_customer_msg_at: Date.now(), sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, created_at: Date.now(), updated_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const reason = '5 messages already sent since the customer last wrote: WeCom allows 5 within 48 hours; waits for the customer to write again';
    await stack.wr.store.db
      .insertInto('outbox')
      .values({ conversation_id: Number(conv.id), api: 'send_msg', msgid: 'e2e-waiting-1', payload: JSON.stringify({ reply: { type: 'text', text: '稍后发送' } }), status: 'waiting_allowance', priority: 0, attempts: 1, next_attempt_at: 0, locked_by: null, locked_until: null, last_errcode: null, reason, source_msgid: null, rule_id: null, caused_at: Date.now(), created_at: Date.now(), sent_at: null, allowance_after: Number.MAX_SAFE_INTEGER })
      .execute();
    await page.getByRole('menuitem', { name: '设置' }).click();
    await page.getByTestId('waiting-allowance').getByText(reason).waitFor();
    await page.getByTestId('callback-url').getByText('/wecom/kf/callback').waitFor();
    await page.getByRole('button', { name: /测试连接/ }).click();
    await page.getByTestId('test-result').getByText('连接成功').waitFor();
    await shot('settings');
  }, STEP);

  it('switches to English and stays usable at 390×844', async () => {
    await page.getByText('EN', { exact: true }).click();
    await page.getByText('Test connection').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.url}/inbox`);
    await page.getByRole('button', { name: 'Open menu' }).waitFor();
    const overflow = await horizontalOverflow();
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('mobile-inbox');
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('menuitem', { name: 'Rules' }).click();
    await page.getByText('Most-hit rules').waitFor();
    const overflow2 = await horizontalOverflow();
    expect(overflow2).toBeLessThanOrEqual(0);
    await shot('mobile-rules');
    for (const [path, text] of [['/rules/new', 'Rule name'], ['/sandbox', 'Write as a customer'], ['/materials', 'Library'], ['/routing', 'Servicers'], ['/settings', 'Outbox']] as const) {
      await page.goto(`${stack.url}${path}`);
      await page.getByText(text).first().waitFor();
      expect(await horizontalOverflow(), `${path} at 390×844`).toBeLessThanOrEqual(0);
    }
    await page.getByText('中文', { exact: true }).click();
  }, STEP);

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(browser.pageErrors).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
  });

  it('an agent signs in with 记住我: sees personal data masked and cannot change rules', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByRole('button', { name: '退出' }).click();
    await openTokenSignIn(page);
    await page.getByLabel('访问令牌').fill(agentToken);
    await page.getByLabel(/记住我/).check();
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('whoami').getByText('客服小李').waitFor();
    // Only the expiring session token is kept, never the operator token itself.
    expect(await page.evaluate("localStorage.getItem('wereply.token')")).toMatch(/^ws_/);
    expect(await page.evaluate("localStorage.getItem('wereply.token')")).not.toBe(agentToken);
    await page.getByRole('menuitem', { name: '会话工作台' }).click();
    await page.getByTestId('conversation').filter({ hasText: 'wmE2EPii' }).click();
    await page.getByTestId('history').getByText('138****5678').waitFor();
    await page.getByText('个人信息已脱敏').waitFor();
    expect(await page.getByTestId('history').textContent()).not.toContain('13812345678');
    // A location's name and address are shown masked too (the console shows what the API answers).
    await page.getByTestId('history').getByText(/王女士/).waitFor();
    const history = (await page.getByTestId('history').textContent()) ?? '';
    expect(history.replace(/[\u200b-\u200d]/g, '')).not.toContain('13912345678');
    expect(history).not.toContain('1201');
    await page.getByRole('menuitem', { name: '自动回复规则' }).click();
    await page.getByTestId('rule-link').first().waitFor();
    expect(await page.getByRole('button', { name: /新建规则/ }).count()).toBe(0);
    await page.getByRole('button', { name: '退出' }).click();
    await openTokenSignIn(page);
    expect(await page.evaluate("localStorage.getItem('wereply.token')")).toBeNull(); // signing out forgets it
  }, STEP);
});
