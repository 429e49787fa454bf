import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeReport } from './report/writeReport.js';
import { ARTIFACTS, SKIP_BROWSER, useChromium } from './testing/chromium.js';
import { SWEEP_DESIGNS, SWEEP_MAX_PTES_NONE, SWEEP_SEEDS, writeFixtureSweep } from './testing/sweep.js';

const GREY = 'rgb(102, 102, 102)';

describe.skipIf(SKIP_BROWSER)('a sweep report in headless Chromium', () => {
  const browser = useChromium();

  it('heads with mean ± interval and paired deltas per setting, grey where no difference is significant, and draws every metric against max_ptes_none with bands and a dot per seed', async () => {
    const dir = writeFixtureSweep();
    const out = await writeReport(dir, { command: 'pagelab report DIR' });
    const url = pathToFileURL(out.html).href;
    const page = await browser().newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
    const requests: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url, { waitUntil: 'load' });

    // headline: one group per max_ptes_none value, one row per design in each
    const groups = page.locator('#headline tr.group');
    expect(await groups.allInnerTexts()).toEqual(SWEEP_MAX_PTES_NONE.map((x) => `workload=mixed, khugepaged_max_ptes_none=${x}`));
    const rows = page.locator('#headline tbody tr[data-design]');
    expect(await rows.count()).toBe(SWEEP_MAX_PTES_NONE.length * SWEEP_DESIGNS.length);
    for (const row of await rows.all()) {
      expect(await row.locator('th').innerText()).toContain(`n = ${SWEEP_SEEDS.length} seeds`);
      expect(await row.locator('td').first().innerText()).toMatch(/±/);
    }
    // the baseline rows say baseline; linux-6.10's mean waste over the run is a significant paired delta, coloured
    const base = page.locator(`#headline tr[data-design="${SWEEP_DESIGNS[0]}"] td:first-of-type .delta`);
    expect(await base.allInnerTexts()).toEqual(SWEEP_MAX_PTES_NONE.map(() => 'baseline'));
    const other = page.locator(`#headline tr[data-design="${SWEEP_DESIGNS[1]}"]`);
    for (const row of await other.all()) {
      const waste = row.locator('td').first().locator('.delta');
      expect(await waste.getAttribute('class')).toBe('delta worse');
      expect(await waste.innerText()).toMatch(/^Δ \+2\.\d+ MiB \[\+[\d.]+ MiB, \+[\d.]+ MiB\], p [<=] [\d.]+$/);
      expect(await waste.evaluate((e) => getComputedStyle(e).color)).not.toBe(GREY);
    }
    // peak waste differs by noise only: "no significant difference", in the neutral grey, never green or red
    const nsd = page.locator('#headline .delta.nsd');
    const nsdTexts = await nsd.allInnerTexts();
    expect(nsdTexts.filter((t) => /^no significant difference \(Δ /.test(t)).length).toBeGreaterThanOrEqual(SWEEP_MAX_PTES_NONE.length);
    for (const d of await nsd.all()) expect(await d.evaluate((e) => getComputedStyle(e).color)).toBe(GREY);

    // metric-against-parameter charts: a band and a line per design, one dot per cell
    const charts = page.locator('#against-parameters figure.chart');
    expect(await charts.count()).toBe(4);
    for (const fig of await charts.all()) {
      expect(await fig.locator('figcaption').innerText()).toContain('against khugepaged_max_ptes_none');
      const box = await fig.locator('svg').first().boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(300);
      expect(box?.height ?? 0).toBeGreaterThan(150);
      const bands = fig.locator('g[aria-label="area"] path');
      expect(await bands.count()).toBe(SWEEP_DESIGNS.length);
      const bandHeights = await bands.evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().height));
      for (const h of bandHeights) expect(h).toBeGreaterThan(0);
      expect(await fig.locator('g[aria-label="line"] path').count()).toBe(SWEEP_DESIGNS.length);
      expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(SWEEP_MAX_PTES_NONE.length * SWEEP_SEEDS.length * SWEEP_DESIGNS.length);
      expect(await fig.locator('g.legend rect').count()).toBeGreaterThan(0);
    }

    // nothing fetched but the page itself, nothing failed, no script error
    expect(requests).toEqual([url]);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    expect(readFileSync(out.markdown, 'utf8')).toContain('| group | design |');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report-sweep.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
