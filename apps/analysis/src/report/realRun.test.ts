/**
 * A report from a REAL comparison: runs the `pagelab` CLI (apps/lab, which
 * imports this app, so it is spawned rather than imported) on the S1 scenario
 * under linux-5.8 (precise mapcount) and linux-6.10 (folio_likely_mapped_shared),
 * then builds the report from what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCharts } from '../charts/render.js';
import { chartData, collectDesign } from './collect.js';
import { loadRun } from './load.js';
import { writeReport } from './writeReport.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const CLI = join(ROOT, 'apps/lab/bin/pagelab.js');

describe('a report from a real `pagelab compare s1-false-negative` run', () => {
  let tmp = '';
  let runDir = '';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'pagelab-real-'));
    runDir = join(tmp, 'run');
    const r = spawnSync(process.execPath, [CLI, 'compare', 's1-false-negative', '--designs', 'linux-5.8,linux-6.10', '--out', runDir, '--force'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (r.status !== 0) throw new Error(`pagelab compare exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  }, 180_000);

  afterAll(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('has a headline per design, the sharedness table and no cross-check warning', async () => {
    const out = await writeReport(runDir, { command: 'pagelab report RUN' });
    const html = readFileSync(out.html, 'utf8');
    const headline = /<table id="headline">[\s\S]*?<\/table>/.exec(html)![0];
    expect([...headline.matchAll(/<tr data-design="([^"]+)"/g)].map((m) => m[1])).toEqual(['linux-5.8', 'linux-6.10']);

    const s58 = JSON.parse(readFileSync(join(runDir, 'linux-5.8', 'summary.json'), 'utf8'));
    const s610 = JSON.parse(readFileSync(join(runDir, 'linux-6.10', 'summary.json'), 'utf8'));
    // S1: likely-mapped-shared misses the sharing that precise mapcount sees, and khugepaged collapses
    expect(s610.sharedness.falseNegatives).toBeGreaterThan(0);
    expect(s58.sharedness.falseNegatives).toBe(0);
    const table = /<table id="sharedness"[\s\S]*?<\/table>/.exec(html)![0];
    const row = (design: string): string[] =>
      [...(new RegExp(`<tr data-design="${design}">([\\s\\S]*?)</tr>`).exec(table)?.[1] ?? '').matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!);
    const fmt = (n: number): string => n.toLocaleString('en-US');
    expect(row('linux-5.8')[0]).toBe('precise-mapcount');
    expect(row('linux-6.10')[0]).toBe('likely-mapped-shared');
    expect(row('linux-6.10')[1]).toBe(fmt(s610.sharedness.questions));
    expect(row('linux-6.10')[2]).toMatch(new RegExp(`^${fmt(s610.sharedness.falseNegatives)} \\(`));
    expect(row('linux-6.10')[4]).toBe(fmt(s610.sharedness.collapsesOnlyByPolicy));
    expect(row('linux-5.8')[2]).toMatch(/^0 /);

    // provenance.json of each design: commit, policies, workload, log hash, command line
    const prov = JSON.parse(readFileSync(join(runDir, 'linux-6.10', 'provenance.json'), 'utf8'));
    expect(html).toContain(prov.log.sha256);
    expect(html).toContain('sharedness: likely-mapped-shared');
    if (typeof prov.gitCommit === 'string') expect(html).toContain(prov.gitCommit);
    expect(html).toContain('pagelab compare s1-false-negative --designs linux-5.8,linux-6.10');

    // the outcome mapping reproduces summary.json from the observation log
    expect(html).not.toMatch(/<dt class="warn">warning<\/dt>/);
  });

  it('draws marks in every chart, and the khugepaged chart shows SCAN_EXCEED_SHARED_PTE against SCAN_SUCCEED', async () => {
    const run = await loadRun(runDir);
    const series = await Promise.all(run.designs.map((d) => collectDesign(d)));
    const charts = renderCharts(chartData(run, series));
    expect(charts.map((c) => c.id)).toContain('khugepaged-scans');
    for (const c of charts) {
      // data marks: bars, areas and lines, dots
      const marks = [...c.svg.matchAll(/aria-label="(bar|area|line|dot)"[\s\S]*?<\/g>/g)].map((m) => m[0]).join('');
      expect((marks.match(/<(rect|path|circle)\b/g) ?? []).length, c.id).toBeGreaterThan(0);
      expect(c.svg, c.id).not.toMatch(/NaN|undefined/);
    }
    const scans = charts.find((c) => c.id === 'khugepaged-scans')!.svg;
    expect(scans).toContain('SCAN_SUCCEED');
    expect(scans).toContain('SCAN_EXCEED_SHARED_PTE');
    // 13 events, sampled after every one: whole event numbers on the time axes
    const waste = charts.find((c) => c.id === 'waste')!.svg;
    const ticks = [...(/aria-label="x-axis tick label"[^>]*>([\s\S]*?)<\/g>/.exec(waste)?.[1] ?? '').matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(ticks.every((t) => /^\d+$/.test(t))).toBe(true);
    expect(new Set(ticks).size).toBe(ticks.length);
  });
});
