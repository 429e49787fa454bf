/**
 * The report of a sweep directory (`pagelab sweep`): a headline of each
 * design's mean ± 95 % t interval and paired delta per group (workload,
 * parameters, settings), and metric-against-parameter charts with a band
 * per design and a dot per seed. Read from results.csv and stats.csv, so the
 * report shows exactly what those files say.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepChart } from '../charts/sweepCharts.js';
import type { RenderedChart } from '../charts/data.js';
import { writeChartFiles } from '../charts/png.js';
import type { StatsRow } from '../stats/index.js';
import { csvRecords } from './csvRead.js';
import { pageHtml, pageMarkdown, type Page } from './page.js';
import { REPLICATE_CSS, REPLICATE_HEADLINE, REPLICATE_METHOD, replicateHeadline, replicateHeadlineTable } from './replicates.js';
import type { RunTroubles } from './runAlerts.js';
import { troubleAlerts } from './runAlerts.js';
import type { WriteReportOptions, WrittenReport } from './writeReport.js';

const CHART_METRICS = REPLICATE_HEADLINE.filter((h) =>
  ['waste_mean_bytes', 'peak_waste_bytes', 'huge_coverage_mean_percent', 'locked_ops_per_event'].includes(h.metric),
);

async function text(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); rerun pagelab sweep to write it`);
  }
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));

/** A results.csv row's OOM and incoherent-DMA counts (empty cells, as in a sweep from before those columns, read 0). */
function csvTroubles(r: Record<string, string>): RunTroubles {
  const n = (k: string): number => num(r[k]) ?? 0;
  return { oomFaults: n('oom_faults'), oomExpected: false, incoherentWrites: n('dma_write_incoherent'), missed: 0, leaked: 0, dmaWrites: n('dma_writes') };
}

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, 'sweep.json')) && !existsSync(join(dir, 'compare.json'));
}

export async function writeSweepReport(dir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const manifest = JSON.parse(await text(join(dir, 'sweep.json'))) as { designs: string[]; spec: string; command: string; cells: unknown[] };
  const statsText = await text(join(dir, 'stats.csv'));
  const stats = csvRecords(statsText);
  const results = csvRecords(await text(join(dir, 'results.csv')));
  const header = statsText.split('\n')[0]!.split(',');
  const groupCols = header.slice(0, header.indexOf('design'));
  const designs = manifest.designs;
  const groupKey = (r: Record<string, string>) => groupCols.map((g) => `${g}=${r[g] ?? ''}`).join(', ');
  const groups = [...new Set(stats.map(groupKey))];

  const toRow = (r: Record<string, string>): StatsRow => ({
    design: r['design']!,
    metric: r['metric']!,
    n: Number(r['n']),
    mean: Number(r['mean']),
    sd: num(r['sd']) ?? Number.NaN,
    median: Number(r['median']),
    ciLow: num(r['ci_low']),
    ciHigh: num(r['ci_high']),
    deltaMean: num(r['delta_mean']),
    deltaCiLow: num(r['delta_ci_low']),
    deltaCiHigh: num(r['delta_ci_high']),
    pValue: num(r['p_value']),
  });
  const heads = groups.map((g) => ({ group: g, rows: replicateHeadline(stats.filter((r) => groupKey(r) === g).map(toRow), designs) }));

  // charts: each numeric swept column with more than one value, against the headline metrics
  const varying = groupCols.filter(
    (g) => g !== 'workload' && new Set(stats.map((r) => r[g])).size > 1 && stats.every((r) => r[g] === '' || Number.isFinite(Number(r[g]))),
  );
  const charts: RenderedChart[] = [];
  for (const x of varying) {
    const others = groupCols.filter((g) => g !== x);
    const panelOf = (r: Record<string, string>) =>
      others
        .filter((g) => new Set(stats.map((s) => s[g])).size > 1)
        .map((g) => `${g}=${r[g]}`)
        .join(', ') || 'all';
    for (const h of CHART_METRICS) {
      const means = stats
        .filter((r) => r['metric'] === h.metric && r['n'] !== '0')
        .map((r) => ({
          design: r['design']!,
          x: Number(r[x]),
          panel: panelOf(r),
          mean: Number(r['mean']),
          ...(r['ci_low'] !== '' ? { low: Number(r['ci_low']), high: Number(r['ci_high']) } : {}),
        }));
      const dots = results
        .filter((r) => r[h.metric] !== '' && r[h.metric] !== undefined)
        .map((r) => ({ design: r['design']!, x: Number(r[x]), panel: panelOf(r), value: Number(r[h.metric]) }));
      if (means.length > 0) charts.push(sweepChart({ metric: h.metric, title: h.title, kind: h.kind, x, designs, dots, means }));
    }
  }

  const chartFiles = await writeChartFiles(join(dir, 'charts'), charts);
  const title = `pagelab sweep: ${manifest.spec}`;
  const lede = `${manifest.cells.length} cells: ${designs.length} designs (${designs.join(', ')}; the baseline is ${designs[0]}) over ${groups.length} group${groups.length === 1 ? '' : 's'} of ${groupCols.join(', ')}, each across its seeds.`;
  const method = `Each cell: ${REPLICATE_METHOD}. A delta whose interval contains 0 reads "no significant difference" (grey); only a significant delta is coloured. results.csv has every cell, stats.csv every metric.`;
  const page: Page = {
    title,
    lede,
    headline: replicateHeadlineTable(heads.map(({ group, rows }) => ({ label: group, rows }))),
    alerts: designs.flatMap((d) => troubleAlerts(d, results.filter((r) => r['design'] === d).map(csvTroubles), 'cells')),
    method,
    sections: [
      {
        id: 'against-parameters',
        title: 'Against the swept parameters',
        blocks:
          charts.length === 0
            ? [{ kind: 'text' as const, text: 'No numeric parameter or setting takes more than one value in this sweep.' }]
            : charts.map((chart) => ({ kind: 'chart' as const, chart })),
      },
    ],
    provenance: {
      items: [
        { label: 'spec', value: manifest.spec },
        { label: 'sweep command', value: manifest.command },
        ...(opts.command !== undefined ? [{ label: 'report command', value: opts.command }] : []),
        { label: 'cells', value: `${manifest.cells.length} (cells/KEY/ holds each one's run files)` },
      ],
    },
    css: REPLICATE_CSS,
  };
  const out: WrittenReport = { html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), csv: join(dir, 'results.csv'), charts: chartFiles };
  await writeFile(out.html, pageHtml(page));
  await writeFile(out.markdown, pageMarkdown(page));
  return out;
}
