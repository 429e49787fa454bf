/**
 * The report of a sweep directory (`pagelab sweep`): a headline of each
 * design's mean ± 95 % t interval and paired delta per group (workload,
 * parameters, settings), and metric-against-parameter charts with a band
 * per design and a dot per seed. Read from results.csv and stats.csv, so the
 * report shows exactly what those files say.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepChart } from '../charts/sweepCharts.js';
import type { RenderedChart } from '../charts/data.js';
import { escapeXml } from '../charts/format.js';
import { svgToPng } from '../charts/png.js';
import type { StatsRow } from '../stats/index.js';
import { csvRecords } from './csvRead.js';
import { CSS, inlineSvg, swatch } from './html.js';
import { cellText } from './markdown.js';
import { REPLICATE_HEADLINE, REPLICATE_METHOD, replicateHeadline } from './replicates.js';
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

  const chartDir = join(dir, 'charts');
  await mkdir(chartDir, { recursive: true });
  const chartFiles: string[] = [];
  for (const c of charts) {
    await writeFile(join(chartDir, `${c.id}.svg`), c.svg);
    await writeFile(join(chartDir, `${c.id}.png`), svgToPng(c.svg));
    chartFiles.push(join(chartDir, `${c.id}.svg`), join(chartDir, `${c.id}.png`));
  }
  const title = `pagelab sweep: ${manifest.spec}`;
  const lede = `${manifest.cells.length} cells: ${designs.length} designs (${designs.join(', ')}; the baseline is ${designs[0]}) over ${groups.length} group${groups.length === 1 ? '' : 's'} of ${groupCols.join(', ')}, each across its seeds.`;
  const method = `Each cell: ${REPLICATE_METHOD}. A delta whose interval contains 0 reads "no significant difference" (grey); only a significant delta is coloured. results.csv has every cell, stats.csv every metric.`;
  const cols = REPLICATE_HEADLINE;
  const headHtml = cols.map((h) => `<th scope="col">${escapeXml(h.title)}</th>`).join('');
  const body = heads
    .flatMap(({ group, rows }) => [
      `<tr class="group"><th colspan="${cols.length + 1}" scope="rowgroup">${escapeXml(group)}</th></tr>`,
      ...rows.map(
        (row, i) =>
          `<tr data-design="${escapeXml(row.design)}" data-group="${escapeXml(group)}"><th scope="row">${swatch(i)}${escapeXml(row.design)}<span class="note">n = ${row.n} seeds</span></th>${cols
            .map((h) => {
              const c = row.cells[h.metric];
              return `<td>${escapeXml(c.text)}<span class="delta ${c.verdict}">${escapeXml(c.deltaText)}</span></td>`;
            })
            .join('')}</tr>`,
      ),
    ])
    .join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${CSS}
th .note { display: block; font-weight: normal; font-size: .75rem; color: #666; }
td { white-space: normal; min-width: 7.5em; }
tr.group th { background: #fafafa; font-family: "DejaVu Sans Mono", monospace; font-size: .8rem; text-align: left; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="lede">${escapeXml(lede)}</p>
<h2>Headline</h2>
<table id="headline">
<thead><tr><th scope="col">design</th>${headHtml}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<p class="lede" style="font-size:.85rem">${escapeXml(method)}</p>
<section id="against-parameters">
<h2>Against the swept parameters</h2>
${charts.length === 0 ? '<p class="intro">No numeric parameter or setting takes more than one value in this sweep.</p>' : charts.map((c) => `<figure id="chart-${c.id}" class="chart">\n${inlineSvg(c.svg)}\n<figcaption>${escapeXml(c.caption)}</figcaption>\n</figure>`).join('\n')}
</section>
<section id="provenance">
<h2>Provenance</h2>
<dl class="prov">
<dt>spec</dt><dd>${escapeXml(manifest.spec)}</dd>
<dt>sweep command</dt><dd>${escapeXml(manifest.command)}</dd>
${opts.command !== undefined ? `<dt>report command</dt><dd>${escapeXml(opts.command)}</dd>` : ''}
<dt>cells</dt><dd>${manifest.cells.length} (cells/KEY/ holds each one's run files)</dd>
</dl>
</section>
</body>
</html>
`;
  const md: string[] = [`# ${title}`, '', lede, '', '## Headline', ''];
  md.push(`| group | design | ${cols.map((h) => h.title).join(' | ')} |`, `|---|---|${cols.map(() => '---:').join('|')}|`);
  for (const { group, rows } of heads)
    for (const row of rows)
      md.push(
        `| ${cellText(group)} | ${cellText(row.design)} (n = ${row.n}) | ${cols.map((h) => cellText(`${row.cells[h.metric].text}; ${row.cells[h.metric].deltaText}`)).join(' | ')} |`,
      );
  md.push('', method, '', '## Against the swept parameters', '');
  for (const c of charts) md.push(`### ${c.title}`, '', `![${c.title}](charts/${c.id}.png)`, '', c.caption, '');
  const out: WrittenReport = { html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), csv: join(dir, 'results.csv'), charts: chartFiles };
  await writeFile(out.html, html);
  await writeFile(out.markdown, md.join('\n') + '\n');
  return out;
}
