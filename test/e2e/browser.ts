/**
 * Debian's Chromium driven by playwright-core, the way every console e2e suite launches it: the flags
 * the project prescribes, a fresh user-data-dir, CSP violations and script errors collected, and
 * screenshots into docs/screenshots/ (UPDATE_SCREENSHOTS=1) or test-results/screenshots/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = path.resolve(import.meta.dirname, process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots' : '../../test-results/screenshots');
/** Per-step timeout of the e2e suites. */
export const STEP = 120_000;

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Console messages about Content-Security-Policy violations. */
  cspViolations: string[];
  /** Uncaught script errors in the page. */
  pageErrors: string[];
  /** A picture of the page once fonts are loaded and no spinner or toast is left. */
  shot(name: string): Promise<void>;
  /** Pixels the page is wider than the window (a layout that breaks on a narrow screen scrolls sideways). */
  horizontalOverflow(): Promise<number>;
  /** A picture of a failed step next to the temp folder (call from afterEach). */
  shotFailure(testName: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsoleBrowser(opts: { timezoneId: string; acceptDownloads?: boolean }): Promise<ConsoleBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`);
  if (!fs.existsSync(path.resolve(import.meta.dirname, '../../web/dist/index.html'))) throw new Error('web/dist is missing: run npm run build (npm test runs it first)');
  fs.mkdirSync(SHOTS, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wereply-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 720 },
    locale: 'zh-CN',
    timezoneId: opts.timezoneId,
    reducedMotion: 'reduce', // no antd animations: pictures are not taken mid-transition
    acceptDownloads: opts.acceptDownloads ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  if (process.env.E2E_DEBUG) page.on('console', (m) => console.log('[browser]', m.type(), m.text()));
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspViolations.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (process.env.E2E_DEBUG) page.on('pageerror', (e) => console.log('[pageerror]', e.stack));
  return {
    context,
    page,
    cspViolations,
    pageErrors,
    async shot(name) {
      // Never "network idle": the inbox keeps its event stream open.
      await page.evaluate('document.fonts.ready.then(() => undefined)');
      await page.locator('.ant-spin-spinning').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
      await page.locator('.ant-message-notice').first().waitFor({ state: 'detached', timeout: 6_000 }).catch(() => undefined);
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
    },
    horizontalOverflow: () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>,
    async shotFailure(testName) {
      await page.screenshot({ path: path.join(os.tmpdir(), `wereply-e2e-failed-${testName.slice(0, 40).replace(/[^\w]+/g, '-')}.png`) }).catch(() => undefined);
    },
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The login page opens on 企业微信登录 or 账号密码; API tokens (and the admin token) are the
 * secondary "API 令牌" tab. Call before filling 访问令牌.
 */
export async function openTokenSignIn(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'API 令牌' }).click();
  await page.getByLabel('访问令牌').waitFor();
}

/** Signs in on the login page (already open) with an API or operator token, on the "API 令牌" tab. */
export async function signInWithToken(page: Page, token: string): Promise<void> {
  await openTokenSignIn(page);
  await page.getByLabel('访问令牌').fill(token);
  await page.getByRole('button', { name: /登\s*录/ }).click();
}
