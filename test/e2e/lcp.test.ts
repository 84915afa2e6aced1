/**
 * Largest contentful paint of the console's first screens (issue 12, point 5): the login page and
 * the rules list, each loaded cold (a fresh browser profile: nothing cached) in Debian's Chromium with
 * the CPU slowed down 4× through CDP (`Emulation.setCPUThrottlingRate`), the way Lighthouse emulates
 * a mid-range phone. The goal is the Core Web Vitals "good" threshold, LCP ≤ 2.5 s. Each page is
 * loaded three times and the median is reported with the goal and its verdict on every run. The
 * verdict is printed, not asserted: on this 2-core VM the same build measures 2.3–3.0 s for the rules
 * list from one run to the next (and more while other test files run beside it), so an assertion
 * would fail on machine load, not on the console; the README gives the figures.
 *
 * LCP is read from the browser's own `largest-contentful-paint` entries (PerformanceObserver,
 * buffered) once the page shows what the user came for (the password field; the rules table with the
 * demo rules) and the load event has fired, so the entry that counts is already recorded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/cli/demo-seed.js';
import { ADMIN_TOKEN, startStack, type Stack } from '../stack.js';
import { openConsoleBrowser, STEP } from './browser.js';

/** Core Web Vitals: LCP within 2.5 s is "good". */
const LCP_GOAL_MS = 2500;
const CPU_SLOWDOWN = 4;

let stack: Stack;
const figures: string[] = [];

interface Paint {
  lcpMs: number;
  element: string;
  /** JavaScript and CSS the page downloaded (bytes on the wire, compressed). */
  scriptBytes: number;
  styleBytes: number;
  scripts: number;
}

/**
 * Opens `path` cold with the CPU throttled, waits for `ready` (what the user came for) and the load
 * event, and returns the last LCP entry the browser recorded.
 */
async function measure(path: string, ready: (page: Page) => Promise<unknown>, init?: string): Promise<Paint> {
  const browser = await openConsoleBrowser({ timezoneId: 'Asia/Shanghai' });
  try {
    const { page } = browser;
    if (init) await page.addInitScript(init);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    await page.goto(`${stack.url}${path}`, { waitUntil: 'load' });
    await ready(page);
    const paint = (await page.evaluate(`new Promise((resolve) => {
      new PerformanceObserver((list) => {
        const entries = list.getEntries();
        const last = entries[entries.length - 1];
        const el = last.element;
        const what = el ? el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/)[0] : '') : '(removed)';
        const res = performance.getEntriesByType('resource');
        const of = (re) => res.filter((r) => re.test(r.name));
        const bytes = (rs) => rs.reduce((n, r) => n + (r.transferSize || r.encodedBodySize || 0), 0);
        resolve({ lcpMs: last.startTime, element: what, scriptBytes: bytes(of(/\\.js($|\\?)/)), styleBytes: bytes(of(/\\.css($|\\?)/)), scripts: of(/\\.js($|\\?)/).length });
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    })`)) as Paint;
    if (process.env.E2E_DEBUG) {
      const timeline = (await page.evaluate(
        "performance.getEntriesByType('resource').map((r) => `${Math.round(r.startTime)}–${Math.round(r.responseEnd)} ms ${r.name.replace(location.origin, '')}`)",
      )) as string[];
      console.log(`[lcp] ${path} resources:\n  ${timeline.join('\n  ')}`);
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    expect(browser.pageErrors).toEqual([]);
    return paint;
  } finally {
    await browser.close();
  }
}

const report = (name: string, p: Paint & { all: number[] }) =>
  figures.push(
    `${name}: LCP median ${Math.round(p.lcpMs)} ms of ${p.all.join(' / ')} (goal ≤ ${LCP_GOAL_MS} ms: ${p.lcpMs <= LCP_GOAL_MS ? 'met' : 'NOT met'}, CPU ${CPU_SLOWDOWN}× slower; largest element ${p.element}); ` +
      `${p.scripts} scripts, ${(p.scriptBytes / 1024).toFixed(0)} KiB JS + ${(p.styleBytes / 1024).toFixed(0)} KiB CSS transferred`,
  );

describe('console largest contentful paint, 4× CPU throttling, cold cache', () => {
  beforeAll(async () => {
    stack = await startStack('sqlite');
    await seedDemo(stack.wr.store.db, stack.wr.materials);
    stack.wr.rules.invalidate();
  }, STEP);

  afterAll(async () => {
    for (const line of figures) console.log(`[lcp] ${line}`);
    await stack?.close();
  }, STEP);

  /** Three cold loads; the one with the median LCP. */
  async function median(path: string, ready: (page: Page) => Promise<unknown>, init?: string): Promise<Paint & { all: number[] }> {
    const runs: Paint[] = [];
    for (let i = 0; i < 3; i++) runs.push(await measure(path, ready, init));
    runs.sort((a, b) => a.lcpMs - b.lcpMs);
    return { ...runs[1]!, all: runs.map((r) => Math.round(r.lcpMs)) };
  }

  it('the login page: largest contentful paint measured and reported against 2.5 s', async () => {
    const p = await median('/login', (page) => page.getByLabel('密码', { exact: true }).waitFor()); // 账号密码 is the first tab
    report('login page', p);
    expect(p.lcpMs).toBeGreaterThan(0);
    expect(p.element).not.toBe('(removed)');
  }, 3 * STEP);

  it('the rules list (signed in): largest contentful paint measured and reported against 2.5 s', async () => {
    const p = await median('/rules', (page) => page.getByText('退货退款').first().waitFor(), `sessionStorage.setItem('wereply.token', ${JSON.stringify(ADMIN_TOKEN)});`);
    report('rules list', p);
    expect(p.lcpMs).toBeGreaterThan(0);
    // What counts is the rules table, not a spinner or the header.
    expect(p.element).toMatch(/^td/);
  }, 3 * STEP);
});
