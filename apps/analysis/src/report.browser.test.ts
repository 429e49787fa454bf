import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeReport } from './report/writeReport.js';
import { ARTIFACTS, SKIP_BROWSER, useChromium } from './testing/chromium.js';
import { writeFixtureRun } from './testing/fixture.js';
import { writeFixtureReplicates } from './testing/replicates.js';

const DATA_MARKS = ['bar', 'rect', 'area', 'line']
  .map((m) => `g[aria-label="${m}"] ${m === 'area' || m === 'line' ? 'path' : 'rect'}`)
  .concat('g[aria-label="dot"] circle')
  .join(', ');

describe.skipIf(SKIP_BROWSER)('report.html in headless Chromium', () => {
  const browser = useChromium();

  it('renders every chart and one headline row per design, fetching nothing', async () => {
    const runDir = writeFixtureRun();
    const out = await writeReport(runDir, { command: 'pagelab report ' + runDir });
    const url = pathToFileURL(out.html).href;

    const page = await browser().newPage();
    await page.setViewportSize({ width: 1024, height: 900 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });

    const charts = page.locator('figure.chart');
    expect(await charts.count()).toBe(8);
    for (const fig of await charts.all()) {
      const svg = fig.locator('svg').first();
      const box = await svg.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(300);
      expect(box?.height ?? 0).toBeGreaterThan(150);
      // data marks (not axes or grid): bars and single-sample waste as rect, areas and lines as path, single coverage samples as circle
      const marks = fig.locator(DATA_MARKS);
      expect(await marks.count()).toBeGreaterThan(0);
      const drawn = await marks.evaluateAll(
        (els) =>
          els.filter((e) => {
            const b = (e as SVGGraphicsElement).getBBox();
            return b.width > 0 || b.height > 0;
          }).length,
      );
      expect(drawn).toBeGreaterThan(0);
      expect(await fig.locator('g.legend rect').count()).toBeGreaterThan(0);
      expect((await fig.locator('figcaption').innerText()).length).toBeGreaterThan(20);
    }

    const rows = page.locator('#headline tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.locator('th').allInnerTexts()).toEqual(['linux-3.13', 'linux-4.5', 'linux-6.10']);
    // the sharedness and locking tables fit the page: no cell is cut off
    for (const id of ['sharedness', 'locking']) {
      const t = page.locator(`table#${id}`);
      expect(await t.locator('tbody tr').count()).toBe(3);
      const [tw, bw] = await t.evaluate((el) => [el.scrollWidth, el.ownerDocument.body.clientWidth]);
      expect(tw).toBeLessThanOrEqual(bw);
    }

    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('renders a replicated comparison: a mean ± interval headline row per design and a dot per seed in every chart', async () => {
    const runDir = writeFixtureReplicates([1, 2, 3, 4, 5]);
    const out = await writeReport(runDir);
    const url = pathToFileURL(out.html).href;
    const page = await browser().newPage();
    await page.setViewportSize({ width: 1024, height: 900 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
    const rows = page.locator('#headline tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().locator('td').first().innerText()).toContain('±');
    const charts = page.locator('figure.chart');
    expect(await charts.count()).toBeGreaterThanOrEqual(5);
    for (const fig of await charts.all()) {
      // 5 seeds x 3 designs
      expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(15);
      expect((await fig.locator('svg').first().boundingBox())?.width ?? 0).toBeGreaterThan(300);
    }
    // neutral grey for a delta inside the noise: the class carries no green or red
    const nsd = page.locator('.delta.nsd');
    if ((await nsd.count()) > 0) expect(await nsd.first().evaluate((e) => getComputedStyle(e).color)).toBe('rgb(102, 102, 102)');
    expect(requests).toEqual([url]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-replicates.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
