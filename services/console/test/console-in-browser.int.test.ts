import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_PAGES,
  type ConsoleBrowser,
  openBrowser,
  openPage,
  paintedPixels as painted,
  pixelsOf as pixels,
  screenshot,
  showProvenance,
  signIn,
  waitForPage,
} from '../browser/pages.js';
import { ANA, type ConsoleFixture, DRIFTING_FEATURE, eventually, startConsoleFixture } from './fixture.js';

/**
 * The console in a real browser: Debian's Chromium (installed with apt-get when missing, as the
 * servers are) driven by playwright-core through `browser/pages.ts` (the demo's screenshots go the
 * same way), against the console on real Kafka and ClickHouse. Pages are screenshotted into
 * CONSOLE_SCREENSHOTS (default: a folder in the temporary directory).
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const screenshots = process.env.CONSOLE_SCREENSHOTS ?? join(tmpdir(), 'console-screenshots');

let f: ConsoleFixture;
let b: ConsoleBrowser;
let page: Page;
let traffic: NodeJS.Timeout | undefined;

beforeAll(async () => {
  // The page is the built bundle (services/console/dist/web), as a deployed console serves it.
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  f = await startConsoleFixture();
  b = await openBrowser({ width: 1440, height: 1000 });
  page = b.page;
});

afterEach(() => {
  // Errors the page threw or logged fail the test. Failed requests the tests make on purpose answer
  // 4xx: the browser logs those, they are expected.
  expect(b.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
});

afterAll(async () => {
  clearInterval(traffic);
  await b?.close();
  await f?.stop();
});

const pixelsOf = (id: string, hex: string) => pixels(page, id, hex);
const paintedPixels = (id: string) => painted(page, id);

describe('the console in Chromium', () => {
  it('sign-in: the form takes a token, and the page names who is signed in', async () => {
    await page.goto(f.url);
    expect(await page.isVisible('#login #token')).toBe(true);
    await page.fill('#token', 'not-a-token');
    await page.click('#login button[type=submit]');
    expect(await page.textContent('#login-error')).toBe('That token is not known.');
    await signIn(page, f.url, f.principals.named[ANA] as string);
    await page.waitForFunction(() => document.getElementById('principal')?.textContent !== '');
    expect(await page.textContent('#principal')).toBe('ana.lima (read, operate)');
  });

  it('live page: numbers update as traffic flows, charts and tables render', async () => {
    traffic = setInterval(() => void f.traffic(25).catch(() => undefined), 300);
    await page.goto(f.url);
    await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'live');
    const first = await eventually('a positive events-in figure', async () => {
      const text = await page.textContent('#events-in');
      return text && text !== '–' && Number(text.replace(/,/g, '')) > 0 ? text : undefined;
    });
    const updated = await page.textContent('#updated');
    await eventually('the live figures to move', async () =>
      (await page.textContent('#updated')) !== updated ? true : undefined,
    );
    expect(Number(first.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await page.textContent('#decisions-out')).not.toBe('–');
    // the decision API's panel: how its requests were answered, and their latency
    const api = await eventually('the decision API row', async () => {
      const text = await page.textContent('#api-table tbody tr[data-service="api"]');
      return text?.includes('10.0 %') ? text : undefined;
    });
    expect(api).toContain('90.0 %');
    expect(await page.isHidden('#api-panel')).toBe(false);
    await eventually('a latency row with a p99', async () => {
      const cells = await page.$$eval('#latency-table tbody tr td:nth-child(3)', (tds) =>
        tds.map((td) => td.textContent),
      );
      return cells.length === 3 && cells.every((c) => c?.endsWith('ms')) ? cells : undefined;
    });
    // The series themselves, not only axes and legend: events in (blue) and the features hop (teal)
    // drawn as lines, well beyond their 12-pixel legend boxes.
    await eventually('the throughput line', async () =>
      (await pixelsOf('chart-throughput', '#1565c0')) > 600 ? true : undefined,
    );
    await eventually('the latency lines', async () =>
      (await pixelsOf('chart-latency', '#00897b')) > 600 ? true : undefined,
    );
    const services = await page.$$eval('#services-table tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-service'), tr.querySelector('.badge')?.textContent]),
    );
    expect(services).toEqual([
      ['features', 'ready'],
      ['scorer', 'not ready'],
      ['decision', 'unreachable'],
      ['api', 'ready'],
    ]);
    expect(await page.textContent('#lag-table tbody')).toContain(f.lagGroup);
    await eventually('dead letters by reason', async () =>
      (await page.textContent('#dead-table tbody'))?.includes('MalformedMessageError') ? true : undefined,
    );
    clearInterval(traffic);
    await screenshot(page, screenshots, 'live');
  });

  it('decisions page: the mix charts render and one event’s provenance shows', async () => {
    await openPage(page, 'decisions');
    await page.waitForFunction(() => document.getElementById('mix-summary')?.textContent?.startsWith('9 decisions'));
    await eventually('the action chart drawn', async () =>
      (await paintedPixels('chart-action')) > 2_000 ? true : undefined,
    );
    expect(await paintedPixels('chart-variant')).toBeGreaterThan(2_000);
    const event = f.events.find((e) => e.id.endsWith('-r2'));
    await showProvenance(page, event?.id ?? '');
    expect(await page.textContent('#provenance-action')).toBe('REVIEW');
    const text = await page.textContent('#provenance');
    for (const expected of ['fraud_gbdt@2', 'large_online_fallback', '1,250.00 EUR', 'deciding', 'NaN']) {
      expect(text).toContain(expected);
    }
    await screenshot(page, screenshots, 'decisions');
    await page.fill('#event-id', 'no-such-event');
    await page.click('#event-form button');
    await page.waitForFunction(() => document.getElementById('event-error')?.textContent !== '');
    expect(await page.textContent('#event-error')).toBe('no decision for event no-such-event');
  });

  it('rules page: the active rule set with hits per rule', async () => {
    await openPage(page, 'rules');
    await page.waitForSelector('#rules-table tbody tr[data-rule="large_online_fallback"]');
    expect(await page.textContent('#rules-version')).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    const cells = await page.$$eval('#rules-table tbody tr[data-rule="large_online_fallback"] td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(cells[4]).toBe('3');
    expect(cells[5]).toBe('33.3 %');
    expect(await page.textContent('#versions-table tbody')).toContain('test.1');
    await eventually('the hits chart drawn', async () =>
      (await paintedPixels('chart-rules')) > 1_000 ? true : undefined,
    );
    await screenshot(page, screenshots, 'rules');
  });

  it('models page: the registry, champion vs shadow on live traffic, promote and roll back with a reason', async () => {
    await openPage(page, 'models');
    await page.waitForSelector('#models-table tbody tr[data-model="fraud_gbdt@3"]');
    expect(await page.textContent('#alias-champion')).toBe('fraud_gbdt@2');
    expect(await page.textContent('#alias-shadow')).toBe('fraud_gbdt@3');
    expect(await page.textContent('#models-table tbody tr[data-model="fraud_gbdt@1"]')).toContain(
      'the scorer refuses it',
    );
    expect(await page.textContent('#history-table tbody')).toContain('compare on live traffic');
    // The seeded week: champion and shadow, both labelled; the shadow agrees on half the events.
    await page.waitForSelector('#realized-table tbody tr[data-model="fraud_gbdt@3"]');
    const realized = await page.$$eval('#realized-table tbody tr[data-model="fraud_gbdt@2"] td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(realized.slice(0, 2)).toEqual(['fraud_gbdt@2', 'decidingnow champion']);
    expect(realized.slice(4, 8)).toEqual(['6', '1', '1.000', '1.000']);
    const agreement = await page.$$eval('#agreement-table tbody tr[data-model="fraud_gbdt@3"] td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(agreement.slice(1, 4)).toEqual(['fraud_gbdt@2', '8', '50.0 %']);
    // both distributions drawn: the champion's line in its blue, the shadow's in purple
    await eventually('the champion’s distribution', async () =>
      (await pixelsOf('chart-scores', '#1565c0')) > 300 ? true : undefined,
    );
    expect(await pixelsOf('chart-scores', '#8e24aa')).toBeGreaterThan(150);

    // Without a reason the promotion is refused, with the reason on the page; the registry is unchanged.
    await page.selectOption('#promote-ref', 'fraud_gbdt@3');
    await page.selectOption('#promote-alias', 'champion');
    await page.fill('#promote-why', '');
    await page.click('#promote');
    await page.waitForFunction(() => document.getElementById('promote-error')?.textContent !== '');
    expect(await page.textContent('#promote-error')).toContain('a reason is required');
    expect(f.aliases().champion).toBe('fraud_gbdt@2');

    await page.fill('#promote-why', 'shadow AP 0.70 vs 0.60 over a week');
    await page.click('#promote');
    await page.waitForFunction(() => document.getElementById('alias-champion')?.textContent === 'fraud_gbdt@3');
    expect(await page.textContent('#promote-message')).toContain('fraud_gbdt@3 is now champion');
    expect(f.aliases()).toMatchObject({ champion: 'fraud_gbdt@3', archived: ['fraud_gbdt@1', 'fraud_gbdt@2'] });
    expect(f.aliases().history.at(-1)).toMatchObject({ by: ANA, why: 'shadow AP 0.70 vs 0.60 over a week' });
    await page.waitForFunction(() =>
      document.querySelector('#history-table tbody tr')?.textContent?.includes('shadow AP 0.70'),
    );
    await screenshot(page, screenshots, 'models');

    await page.fill('#promote-why', 'decline rate doubled');
    await page.click('#rollback');
    await page.waitForFunction(() => document.getElementById('alias-champion')?.textContent === 'fraud_gbdt@2');
    expect(f.aliases().history.at(-1)).toMatchObject({
      action: 'rollback',
      ref: 'fraud_gbdt@2',
      why: 'decline rate doubled',
    });
  });

  it('monitoring page: drift, quality and performance charts, alerts with evidence and retrainings', async () => {
    await openPage(page, 'monitoring');
    await page.waitForSelector('#alerts-table tbody tr[data-alert="alert-drift"]');
    expect(await page.textContent('#monitor-runs')).toBe('3');
    expect(await page.textContent('#drift-feature-name')).toBe(DRIFTING_FEATURE);
    expect(await page.$eval('#monitor-series', (s) => (s as HTMLSelectElement).value)).toBe('fraud_gbdt@2 control');
    const alert = await page.textContent('#alerts-table tbody tr[data-alert="alert-drift"]');
    for (const expected of [
      'DRIFT',
      'OPEN',
      'psi(score) 0.31 >= 0.25',
      `psi(${DRIFTING_FEATURE})`,
      '0.460',
      'trigger-drift',
      'REGISTERED_SHADOW',
    ]) {
      expect(alert).toContain(expected);
    }
    expect(await page.textContent('#retrainings-table tbody')).toContain('fraud_gbdt@3');
    expect(await page.textContent('#episodes-table tbody')).toContain('fraud_gbdt@2 control');
    // PSI lines in blue, breached points in red; the per-feature bars with the breached one red
    await eventually('the score drift chart', async () =>
      (await pixelsOf('chart-drift-score', '#1565c0')) > 300 ? true : undefined,
    );
    expect(await pixelsOf('chart-drift-feature', '#c62828')).toBeGreaterThan(30);
    expect(await pixelsOf('chart-drift-features', '#c62828')).toBeGreaterThan(300);
    for (const id of ['chart-quality', 'chart-perf-roc_auc', 'chart-perf-average_precision', 'chart-perf-card']) {
      expect(await paintedPixels(id)).toBeGreaterThan(2_000);
    }
    expect(await page.textContent('#card-precision-title')).toBe('Card precision@100');
    await screenshot(page, screenshots, 'monitoring');

    // another feature: its drift charted instead
    const other = await page.$eval('#subjects-table tbody tr:last-child', (tr) => tr.getAttribute('data-subject'));
    await page.selectOption('#monitor-feature', other ?? '');
    await page.waitForFunction((name) => document.getElementById('drift-feature-name')?.textContent === name, other);
  });

  it('experiments page: where the challenger stands, its figures with both intervals, a chart per judged metric', async () => {
    await openPage(page, 'experiments');
    await page.waitForSelector('#exp-standings tbody tr[data-variant="strict"]');
    const standing = await page.textContent('#exp-standings tbody tr[data-variant="strict"]');
    for (const expected of [
      'gbdt_v3',
      'strict vs control',
      'fraud_gbdt@3 vs fraud_gbdt@2',
      'CHALLENGER_WINS',
      'PROMOTE',
      'recommended',
    ])
      expect(standing).toContain(expected);
    const primary = await page.textContent('#exp-figures tbody tr[data-metric="fraud_caught_per_txn"]');
    expect(primary).toContain('0.600 €');
    expect(primary).toContain('[0.050 €, 0.950 €]');
    expect(await page.getAttribute('#exp-figures tbody tr[data-metric="decline_rate"]', 'class')).toBe('breached');
    expect(await page.$$eval('#exp-looks tbody tr', (trs) => trs.length)).toBe(3);
    // the difference in blue on each judged metric's chart
    await eventually('the primary metric chart', async () =>
      (await pixelsOf('chart-exp-0', '#1565c0')) > 200 ? true : undefined,
    );
    expect(await paintedPixels('chart-exp-1')).toBeGreaterThan(1_000);
    await screenshot(page, screenshots, 'experiments');
  });

  it('review queue: oldest first; a verdict publishes a label and leaves the queue', async () => {
    await openPage(page, 'review');
    await page.waitForSelector('#review-table tbody tr[data-event]');
    const ids = await page.$$eval('#review-table tbody tr[data-event]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-event')),
    );
    const expected = ['r1', 'r2', 'r3'].map((n) => f.events.find((e) => e.id.endsWith(`-${n}`))?.id);
    expect(ids).toEqual(expected);

    await page.click(`tr[data-event="${expected[0]}"] button[data-verdict="fraud"]`);
    await page.waitForFunction(() => document.getElementById('review-message')?.hidden === false);
    expect(await page.textContent('#review-message')).toContain('marked fraud');
    await page.waitForFunction(
      (id) =>
        !document.querySelector(`tr[data-event="${id}"]`) && document.querySelectorAll('tr[data-event]').length === 2,
      expected[0],
    );
    const labels = await eventually('the label on the labels topic', async () => {
      const l = await f.labels();
      return l.length > 0 ? l : undefined;
    });
    expect(labels.map((l) => [l.transaction_id, l.is_fraud])).toEqual([[expected[0], true]]);

    await page.click(`tr[data-event="${expected[1]}"] button[data-verdict="genuine"]`);
    await page.waitForFunction(() => document.querySelectorAll('tr[data-event]').length === 1);
    await screenshot(page, screenshots, 'review');
    const all = await eventually('both labels', async () => {
      const l = await f.labels();
      return l.length === 2 ? l : undefined;
    });
    // two partitions: no order between them
    expect(all.map((l) => [l.transaction_id, l.is_fraud]).sort()).toEqual([
      [expected[0], true],
      [expected[1], false],
    ]);
  });

  it('a viewer: every page renders, no write control shows, and a write sent anyway is refused', async () => {
    const viewer = await b.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const errors: string[] = [];
    viewer.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    try {
      await signIn(viewer, f.url, f.principals.only.read);
      await viewer.waitForFunction(() => document.getElementById('principal')?.textContent !== '');
      expect(await viewer.textContent('#principal')).toBe('test-read (read)');
      for (const name of CONSOLE_PAGES) {
        await openPage(viewer, name);
        await waitForPage(viewer, name);
      }
      await openPage(viewer, 'models');
      await viewer.waitForSelector('#models-table tbody tr[data-model="fraud_gbdt@3"]');
      expect(await viewer.isHidden('#promote-form')).toBe(true);
      expect(await viewer.isVisible('.read-only-note')).toBe(true);
      await openPage(viewer, 'review');
      await viewer.waitForSelector('#review-table tbody tr[data-event]');
      expect(await viewer.$$eval('button[data-verdict]', (bs) => bs.filter((b) => b.checkVisibility()).length)).toBe(0);
      const status = await viewer.evaluate(async () => {
        const r = await fetch('/api/models/rollback', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ why: 'not mine to do' }),
        });
        return r.status;
      });
      expect(status).toBe(403);
      expect(errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    } finally {
      await viewer.close();
    }
  });
});
