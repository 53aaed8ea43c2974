import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages, findExecutable } from '@pipeline/infra';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Driving the console's page in Chromium: shared by the browser test (fixture data) and the demo's
 * `--screenshots` (the demo's data), so both go through the pages the same way. Debian's Chromium
 * (installed with apt-get when missing, as the servers are) driven by playwright-core.
 */

/** The pages, in the navigation's order: each `nav a[data-page]` shows `#page-<name>`. */
export const CONSOLE_PAGES = ['live', 'decisions', 'models', 'monitoring', 'experiments', 'review', 'rules'] as const;
export type ConsolePage = (typeof CONSOLE_PAGES)[number];

/** The screenshots' viewport: the README's width. */
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 900 };

export interface ConsoleBrowser {
  browser: Browser;
  page: Page;
  /** Errors the page threw or logged, in order. */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium on one page of the given viewport, collecting the page's errors. */
export async function openBrowser(viewport = SCREENSHOT_VIEWPORT): Promise<ConsoleBrowser> {
  ensureDebianPackages([{ executable: 'chromium', pkg: 'chromium' }]);
  const browser = await chromium.launch({
    executablePath: findExecutable('chromium'),
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { browser, page, errors, close: () => browser.close() };
}

/** Shows a page through the navigation and waits until its section is the visible one. */
export async function openPage(page: Page, name: ConsolePage): Promise<void> {
  await page.click(`nav a[data-page="${name}"]`);
  await page.waitForSelector(`#page-${name}:not([hidden])`);
}

/** Pixels of a canvas in one colour (±12 per channel): a series drawn in it, beyond its legend box. */
export function pixelsOf(page: Page, id: string, hex: string): Promise<number> {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return page.evaluate(
    ([canvasId, [r, g, b]]) => {
      const canvas = document.getElementById(canvasId as string) as HTMLCanvasElement;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
        0,
        0,
        canvas.width,
        canvas.height,
      ).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near = (a: number, c: number) => Math.abs(a - c) <= 12;
        if (
          (data[i + 3] as number) > 200 &&
          near(data[i] as number, r as number) &&
          near(data[i + 1] as number, g as number) &&
          near(data[i + 2] as number, b as number)
        )
          n += 1;
      }
      return n;
    },
    [id, rgb] as const,
  );
}

/** Pixels of a canvas that are not blank: a chart drew something. */
export function paintedPixels(page: Page, id: string): Promise<number> {
  return page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
      0,
      0,
      canvas.width,
      canvas.height,
    ).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted += 1;
    return painted;
  }, id);
}

/** Opens one event's provenance on the decisions page (already shown). */
export async function showProvenance(page: Page, eventId: string): Promise<void> {
  await page.fill('#event-id', eventId);
  await page.click('#event-form button');
  await page.waitForSelector('#provenance');
}

/**
 * A full-page PNG of what the browser shows, as `<dir>/<name>.png`, cut at `maxHeight` pixels (a
 * long table's tail adds nothing to a picture); returns its path.
 */
export async function screenshot(page: Page, dir: string, name: string, maxHeight = 2_400): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.clientWidth,
    height: document.documentElement.scrollHeight,
  }));
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(height, maxHeight) } });
  return path;
}

/**
 * What each page shows once its data arrived (a summary line written, a table filled), or its error
 * line: a screenshot is taken then, never of a page still loading.
 */
const LOADED: Record<ConsolePage, string> = {
  live: "document.getElementById('connection')?.textContent === 'live' && document.getElementById('updated')?.textContent !== '–' && document.querySelectorAll('#latency-table tbody tr').length > 0",
  decisions:
    "document.getElementById('mix-summary')?.textContent !== '' || document.getElementById('mix-error')?.textContent !== ''",
  models:
    "(document.querySelectorAll('#models-table tbody tr[data-model]').length > 0 || document.getElementById('promote-error')?.textContent !== '') && (document.getElementById('models-summary')?.textContent !== '' || document.getElementById('models-error')?.textContent !== '')",
  monitoring:
    "document.getElementById('monitor-runs')?.textContent !== '–' || document.getElementById('monitor-error')?.textContent !== ''",
  experiments:
    "document.getElementById('exp-summary')?.textContent !== '' || document.getElementById('exp-error')?.textContent !== ''",
  review:
    "document.getElementById('review-summary')?.textContent !== '' || document.getElementById('review-error')?.textContent !== ''",
  rules:
    "document.querySelectorAll('#rules-table tbody tr').length > 0 || document.getElementById('rules-error')?.textContent !== ''",
};

/** The error lines a page shows when a source failed: a screenshot of one is no picture of the page. */
const ERROR_LINES: Record<ConsolePage, string[]> = {
  live: ['live-errors'],
  decisions: ['mix-error', 'event-error'],
  models: ['models-error', 'promote-error'],
  monitoring: ['monitor-error'],
  experiments: ['exp-error'],
  review: ['review-error'],
  rules: ['rules-error'],
};

/**
 * Each page's range (the `<select>` of its span) and how to blank what LOADED waits for, so a wait
 * after a change sees the new range's data, not the old one's.
 */
const RANGE: Partial<Record<ConsolePage, { select: string; blank: string }>> = {
  decisions: { select: '#mix-hours', blank: "document.getElementById('mix-summary').textContent = ''" },
  models: { select: '#models-hours', blank: "document.getElementById('models-summary').textContent = ''" },
  monitoring: { select: '#monitor-days', blank: "document.getElementById('monitor-runs').textContent = '–'" },
  rules: { select: '#rules-hours', blank: "document.querySelector('#rules-table tbody').replaceChildren()" },
};

/** Chooses the page's widest range (its select's last option) and waits for its data. */
export async function widestRange(page: Page, name: ConsolePage): Promise<void> {
  const range = RANGE[name];
  if (!range) return;
  const widest = await page.$eval(range.select, (s) => {
    const options = (s as HTMLSelectElement).options;
    return options[options.length - 1]?.value ?? '';
  });
  if ((await page.$eval(range.select, (s) => (s as HTMLSelectElement).value)) === widest) return;
  await page.evaluate(range.blank);
  await page.selectOption(range.select, widest);
  await waitForPage(page, name);
}

/** Waits until a page shows its data; throws with the page's own error line if it shows one instead. */
export async function waitForPage(page: Page, name: ConsolePage, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(LOADED[name], undefined, { timeout: timeoutMs });
  for (const id of ERROR_LINES[name]) {
    const text = (await page.textContent(`#${id}`))?.trim();
    if (text) throw new Error(`the ${name} page shows an error: ${text}`);
  }
}

/** Signs in through the console's sign-in form with `token`; resolves on the page it leads to. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(new URL('/login', url).href);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(new URL('/', url).href), page.click('#login button[type=submit]')]);
}

/**
 * Takes one screenshot of each of `pages` (default: all) of the console at `url` into `dir`
 * (`live.png` … `rules.png`), the decisions page with `eventId`'s provenance opened, at the
 * fixed viewport (SCREENSHOT_VIEWPORT). Returns the
 * files written; throws if a page shows an error line or the page logged an error.
 */
export async function screenshotPages(options: {
  url: string;
  /** A token with the read role: the pages are shown after signing in with it. */
  token: string;
  dir: string;
  eventId?: string;
  pages?: readonly ConsolePage[];
  /** Each page over its widest range (a run of simulated weeks shows whole). */
  widest?: boolean;
}): Promise<string[]> {
  const b = await openBrowser();
  try {
    const written: string[] = [];
    await signIn(b.page, options.url, options.token);
    for (const name of options.pages ?? CONSOLE_PAGES) {
      await openPage(b.page, name);
      await waitForPage(b.page, name);
      if (options.widest) await widestRange(b.page, name);
      if (name === 'decisions' && options.eventId) await showProvenance(b.page, options.eventId);
      // Charts draw without animation; one frame for the layout to settle after the data arrived.
      await b.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
      written.push(await screenshot(b.page, options.dir, name));
    }
    const errors = b.errors.filter((e) => !/status of 4\d\d/.test(e));
    if (errors.length > 0) throw new Error(`the console's page logged errors: ${errors.join('; ')}`);
    return written;
  } finally {
    await b.close();
  }
}
