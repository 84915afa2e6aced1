/**
 * End to end: the compliance pages of the console (合规词库 and 合规审计) in Debian's Chromium
 * (playwright-core) against a WeReply with the mock WeCom, over real HTTP. Same launch flags and
 * screenshot rule as console.test.ts: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else
 * test-results/screenshots/.
 *
 * The steps run in order in one browser page, as an operations team would use the pages.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, openConsoleBrowser, signInWithToken, STEP } from './browser.js';
import { ADMIN_TOKEN, startStack, type Stack } from '../stack.js';

let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;
let analystToken = '';

interface Word {
  id: string;
  word: string;
  category: string;
  severity: string;
  enabled: boolean;
  origin: string;
}
const library = async (q = '') => (await stack.api('GET', `/api/compliance/words${q ? `?q=${encodeURIComponent(q)}` : ''}`)).body as Word[];

const shot = (name: string) => browser.shot(name);
const horizontalOverflow = () => browser.horizontalOverflow();

/** Picks a file in the open import dialog. */
async function chooseFile(name: string, content: string): Promise<void> {
  await page.locator('.ant-modal input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(`\ufeff${content}`, 'utf8') });
}

describe('compliance pages in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack('sqlite');
    // Something in the audit log besides word changes: a refused save (with a phone number, masked)
    // and an override with its reason.
    const rule = { name: '低价宣传', match: { any: ['便宜'] }, reply: [{ type: 'text', text: '我们是全网最便宜的，详询 13812345678' }] };
    expect((await stack.api('POST', '/api/rules', rule)).status).toBe(422);
    const champion = { name: '冠军', match: { any: ['冠军'] }, reply: [{ type: 'text', text: '我们是全国第一的品牌（2025年行业协会认证）' }] };
    expect((await stack.api('POST', '/api/rules', { ...champion, compliance_override: { reason: '有行业协会2025年认证证书，法务已审' } })).status).toBe(201);
    analystToken = ((await stack.api('POST', '/api/operators', { name: '运营小周', role: 'analyst' })).body as { token: string }).token;

    browser = await openConsoleBrowser({ timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    page = browser.page;
  }, STEP);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && browser) await browser.shotFailure(ctx.task.name);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, STEP);

  it('shows the library with counts per category and filters', async () => {
    await page.goto(`${stack.url}/`);
    await signInWithToken(page, ADMIN_TOKEN);
    await page.getByRole('menuitem', { name: '合规词库' }).click();
    const counts = page.getByTestId('category-counts');
    await counts.getByRole('button', { name: /绝对化用语/ }).waitFor();
    await page.getByText(/共 \d+ 条，启用 \d+ 条/).waitFor();
    // A category button filters the table; pressing it again shows all.
    await counts.getByRole('button', { name: /迷信/ }).click();
    await page.locator('tr[data-row-key] td:nth-child(2)', { hasText: '迷信' }).first().waitFor();
    await expect.poll(async () => new Set(await page.locator('tr[data-row-key] td:nth-child(2)').allTextContents())).toEqual(new Set(['迷信']));
    await counts.getByRole('button', { name: /迷信/ }).click();
    await page.getByLabel('搜索词语或原因').fill('最便宜');
    await page.locator('tr[data-row-key]').filter({ hasText: '最便宜' }).first().waitFor();
    await page.getByLabel('搜索词语或原因').fill('');
  }, STEP);

  it('adds an own word (a refused one shows the error at the field) and the Try-it box flags it', async () => {
    const tryIt = page.getByLabel('输入一段回复，检查其中的风险词');
    await tryIt.fill('报名七日燃脂训练营，全网最便宜');
    await page.locator('mark.risk.block', { hasText: '最便宜' }).waitFor();
    expect(await page.locator('mark.risk', { hasText: '七日燃脂' }).count()).toBe(0);

    await page.getByRole('button', { name: '添加风险词' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('词语').fill('最便宜'); // already shipped: the server refuses it
    await dialog.getByLabel('分类').fill('医疗功效');
    await dialog.getByLabel('原因').click();
    await dialog.getByLabel('原因').fill('暗示减肥功效，属于未经批准的功效宣传');
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    await dialog.locator('.ant-form-item', { hasText: '词语' }).locator('.ant-form-item-explain-error').getByText(/already in the library/).waitFor();
    await dialog.getByLabel('词语').fill('七日燃脂');
    await dialog.getByLabel('建议改写').click();
    await page.keyboard.type('科学运动营');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: /保\s*存/ }).click();
    await page.getByText('已添加“七日燃脂”').waitFor();
    await dialog.waitFor({ state: 'detached' });

    const own = (await library('七日燃脂')).find((w) => w.word === '七日燃脂');
    expect(own).toMatchObject({ category: '医疗功效', severity: 'block', origin: 'own', enabled: true });
    // The Try-it box checks the same text again against the changed library.
    await page.locator('mark.risk.block', { hasText: '七日燃脂' }).waitFor();
    await page.getByTestId('try-it').getByTestId('finding').filter({ hasText: '暗示减肥功效' }).waitFor();
    await shot('risk-words');
  }, STEP);

  it('switches a shipped word off and restores the shipped version', async () => {
    await page.getByLabel('搜索词语或原因').fill('最便宜');
    const row = page.locator('tr[data-row-key]').filter({ has: page.getByTestId('word').getByText('最便宜', { exact: true }) });
    await row.getByRole('switch', { name: '启用“最便宜”' }).click();
    await expect.poll(async () => (await library('最便宜')).find((w) => w.word === '最便宜')).toMatchObject({ enabled: false, origin: 'shipped_edited' });
    await row.getByText('内置（已修改）').waitFor();
    await expect.poll(() => page.locator('mark.risk', { hasText: '最便宜' }).count()).toBe(0); // no longer flagged

    await row.getByRole('button', { name: '恢复内置版本 最便宜' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: '恢复内置版本' }).click();
    await page.getByText('“最便宜”已恢复内置版本').waitFor();
    await expect.poll(async () => (await library('最便宜')).find((w) => w.word === '最便宜')).toMatchObject({ enabled: true, origin: 'shipped' });
    await page.locator('mark.risk.block', { hasText: '最便宜' }).waitFor();
    await page.getByLabel('搜索词语或原因').fill('');
  }, STEP);

  it('refuses a CSV with a bad row: each problem is listed by row and nothing changes', async () => {
    const before = await library();
    await page.getByRole('button', { name: /导\s*入/ }).click();
    await chooseFile('bad-words.csv', '词语,分类,级别,原因,建议改写\n包瘦十斤,虚假承诺,禁止,承诺减重效果,科学管理体重\n燃脂神器,虚假承诺,严重,承诺效果永久,\n');
    const problems = page.getByTestId('import-problems');
    await problems.getByText('“bad-words.csv”未导入').waitFor();
    const bad = problems.locator('tbody tr').filter({ hasText: 'severity' });
    await bad.first().waitFor();
    expect(await bad.first().locator('td').first().textContent()).toBe('3');
    expect(await page.getByTestId('import-confirm').isDisabled()).toBe(true);
    await page.getByRole('button', { name: /取\s*消/ }).click();
    expect((await library()).length).toBe(before.length);
    expect((await library('包瘦十斤')).length).toBe(0);
  }, STEP);

  it('imports a good CSV: a dry run first ("将新增 2 条，更新 1 条"), then the confirmed import', async () => {
    const own = (await library('七日燃脂')).find((w) => w.word === '七日燃脂')!;
    const csv = ['词语,分类,级别,原因,建议改写,允许语境,启用,id', '包瘦十斤,虚假承诺,禁止,承诺减重效果,科学管理体重,,是,', '燃脂神器,虚假承诺,提示,承诺效果永久,,,是,', `七日燃脂,医疗功效,禁止,暗示减肥功效，属于未经批准的功效宣传,科学运动营｜七日运动营,,是,${own.id}`].join('\n');
    await page.getByRole('button', { name: /导\s*入/ }).click();
    await chooseFile('good-words.csv', csv + '\n');
    await page.getByTestId('import-plan').getByText('将新增 2 条，更新 1 条').waitFor();
    expect((await library('包瘦十斤')).length).toBe(0); // the dry run changed nothing
    await page.getByTestId('import-confirm').click();
    await page.getByText('已导入：新增 2 条，更新 1 条').waitFor();
    expect((await library('包瘦十斤'))[0]).toMatchObject({ origin: 'own', severity: 'block' });
    expect((await library('燃脂神器'))[0]).toMatchObject({ origin: 'own', severity: 'warn' });
    await page.getByLabel('来源').click();
    await page.locator('.ant-select-item-option', { hasText: '自定义' }).click();
    await expect.poll(async () => (await page.getByTestId('word').allTextContents()).sort()).toEqual(['七日燃脂', '包瘦十斤', '燃脂神器'].sort());
  }, STEP);

  it('exports the library as CSV with the Authorization header (a blob download)', async () => {
    await page.getByRole('button', { name: /导\s*出/ }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'CSV（UTF-8）' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^risk-words-.*\.csv$/);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    expect(text).toContain('七日燃脂');
    expect(text).toContain('最便宜');
  }, STEP);

  it('shows the import and the other decisions in the audit log', async () => {
    await page.getByRole('menuitem', { name: '合规审计' }).click();
    const rows = page.locator('tr[data-row-key]');
    await rows.filter({ hasText: '导入词库' }).filter({ hasText: 'good-words.csv' }).waitFor();
    await rows.filter({ hasText: '例外放行' }).filter({ hasText: '有行业协会2025年认证证书' }).waitFor();
    const blocked = rows.filter({ hasText: '拦截保存' });
    await blocked.getByText('138****5678', { exact: false }).waitFor(); // masked in the log
    await blocked.locator('.ant-tag-red', { hasText: '最便宜' }).waitFor();
    await shot('audit');
    await page.getByLabel('操作', { exact: true }).click();
    await page.locator('.ant-select-item-option', { hasText: '导入词库' }).click();
    await expect.poll(async () => new Set(await page.getByTestId('audit-action').allTextContents())).toEqual(new Set(['导入词库']));
    expect(await rows.count()).toBe(1); // the refused file imported nothing
  }, STEP);

  it('works in English at 390×844 without horizontal scrolling (and the pages can be opened by their address)', async () => {
    await page.goto(`${stack.url}/compliance/audit`); // a reload or a bookmark
    await page.getByRole('heading', { name: '合规审计' }).or(page.getByText('合规审计').first()).first().waitFor();
    await page.getByText('EN', { exact: true }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [item, text] of [['Risk words', 'Entries per category'], ['Audit log', 'Load older entries|No older entries']] as const) {
      await page.getByRole('button', { name: 'Open menu' }).click();
      await page.getByRole('menuitem', { name: item }).click();
      await page.getByText(new RegExp(text)).first().waitFor();
      await page.locator('.ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
      expect(await horizontalOverflow(), `${item} at 390×844`).toBeLessThanOrEqual(0);
    }
    await page.getByText('中文', { exact: true }).click();
    await page.setViewportSize({ width: 1280, height: 720 });
  }, STEP);

  it('an analyst reads both pages but gets no write controls', async () => {
    await page.getByRole('button', { name: '退出' }).click();
    await signInWithToken(page, analystToken);
    await page.getByTestId('whoami').getByText('运营小周').waitFor();
    await page.getByRole('menuitem', { name: '合规词库' }).click();
    await page.getByText('您的角色只能查看词库').waitFor();
    await page.getByTestId('word').first().waitFor();
    expect(await page.getByRole('button', { name: '添加风险词' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /导\s*入/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /编\s*辑/ }).count()).toBe(0);
    expect(await page.getByRole('switch').first().isDisabled()).toBe(true);
    // The Try-it box is a read: it works for every role.
    await page.getByLabel('输入一段回复，检查其中的风险词').fill('七日燃脂');
    await page.locator('mark.risk.block', { hasText: '七日燃脂' }).waitFor();
    await page.getByRole('menuitem', { name: '合规审计' }).click();
    await page.locator('tr[data-row-key]').filter({ hasText: '导入词库' }).first().waitFor();
  }, STEP);

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(browser.pageErrors).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
  });
});
