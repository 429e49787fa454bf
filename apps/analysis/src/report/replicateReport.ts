/**
 * The report of a replicated comparison (`pagelab compare SCENARIO --seeds`):
 * the headline is each design's mean with its 95 % t interval across seeds
 * and the paired difference against the baseline, neutral grey where the
 * interval contains 0; one chart per headline metric with a dot per seed;
 * the vmstat counters as means. Same files as a single comparison:
 * report.html (self-contained), report.md with charts/*.png, summary.csv,
 * and stats.csv.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { replicateChart } from '../charts/replicates.js';
import type { RenderedChart } from '../charts/data.js';
import { escapeXml, fmtInt } from '../charts/format.js';
import { svgToPng } from '../charts/png.js';
import type { Summary } from '../types.js';
import { mean } from '../stats/describe.js';
import { CSS, inlineSvg, swatch, tableHtml } from './html.js';
import { readJson, summaryFrom } from './load.js';
import { cellText, tableMd } from './markdown.js';
import { REPLICATE_HEADLINE, REPLICATE_METHOD, replicateHeadline, replicateTables } from './replicates.js';
import type { Table } from './sections.js';
import { METRIC_COLUMNS, VMSTAT_COLUMNS } from './summaryColumns.js';
import type { WriteReportOptions, WrittenReport } from './writeReport.js';

/** compare.json of a replicated comparison. */
export const ReplicateManifestC = t.type({
  pagelab: t.string,
  kind: t.literal('replicates'),
  workload: t.type({ name: t.string, params: t.UnknownRecord }),
  seeds: t.array(t.number),
  settings: t.UnknownRecord,
  command: t.string,
  designs: t.array(t.type({ name: t.string, dir: t.string })),
  replicates: t.array(t.type({ seed: t.number, dir: t.string, logSha256: t.string, events: t.number })),
});
export type ReplicateManifest = t.TypeOf<typeof ReplicateManifestC>;

export function isReplicateManifest(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'replicates';
}

interface Loaded {
  manifest: ReplicateManifest;
  runs: Array<{ seed: number; design: string; summary: Summary }>;
}

async function loadReplicates(runDir: string, raw: unknown): Promise<Loaded> {
  const path = join(runDir, 'compare.json');
  const m = ReplicateManifestC.decode(raw);
  if (isLeft(m)) throw new Error(`${path}: not the expected shape:\n  ${PathReporter.report(m).join('\n  ')}`);
  const manifest = m.right;
  const runs: Loaded['runs'] = [];
  for (const r of manifest.replicates) {
    for (const d of manifest.designs) {
      const p = join(runDir, r.dir, d.dir, 'summary.json');
      runs.push({ seed: r.seed, design: d.name, summary: summaryFrom(await readJson(p), p) });
    }
  }
  return { manifest, runs };
}

function vmstatMeans(designs: ReadonlyArray<string>, runs: Loaded['runs']): Table | undefined {
  const used = VMSTAT_COLUMNS.filter((c) => runs.some((r) => (r.summary.vmstat?.[c] ?? 0) !== 0));
  if (used.length === 0) return undefined;
  return {
    id: 'vmstat',
    headTitle: 'design',
    title: 'vmstat counters (mean over the seeds)',
    intro: 'What the model did, under the names of /proc/vmstat, averaged over the seeds; summary.csv has every seed and stats.csv the intervals.',
    columns: used,
    rows: designs.map((d, index) => ({
      design: d,
      index,
      head: d,
      cells: used.map((c) => {
        const xs = runs.filter((r) => r.design === d).map((r) => r.summary.vmstat?.[c] ?? 0);
        const m = mean(xs);
        return Number.isInteger(m) || m >= 100 ? fmtInt(m) : m.toFixed(1);
      }),
    })),
  };
}

/** Writes the replicated comparison's report into runDir; `raw` is its compare.json. */
export async function writeReplicateReport(runDir: string, raw: unknown, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const { manifest, runs } = await loadReplicates(runDir, raw);
  const designs = manifest.designs.map((d) => d.name);
  const tables = replicateTables(runs, designs);
  const head = replicateHeadline(tables.stats, designs);
  const col = (name: string) => METRIC_COLUMNS.find((c) => c.name === name)!;

  const charts: RenderedChart[] = REPLICATE_HEADLINE.filter((h) => h.metric !== 'waste_bytes').map((h) =>
    replicateChart({
      id: h.metric,
      title: h.title,
      label: h.title,
      kind: h.kind,
      designs,
      values: runs.flatMap((r) => {
        const v = col(h.metric).get(r.summary);
        return v === undefined ? [] : [{ design: r.design, seed: r.seed, value: v }];
      }),
      means: designs.flatMap((d) => {
        const s = tables.stats.find((x) => x.design === d && x.metric === h.metric);
        return s === undefined || s.n === 0
          ? []
          : [{ design: d, mean: s.mean, ...(s.ciLow !== undefined && s.ciHigh !== undefined ? { low: s.ciLow, high: s.ciHigh } : {}) }];
      }),
    }),
  );
  const vm = vmstatMeans(designs, runs);

  const events = [...new Set(manifest.replicates.map((r) => r.events))];
  const title = `pagelab replicated comparison: ${manifest.workload.name} (${manifest.seeds.length} seeds)`;
  const params = Object.entries(manifest.workload.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const sets = Object.entries(manifest.settings)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const lede =
    `${designs.length} designs replayed on ${manifest.seeds.length} logs of ${manifest.workload.name} (seeds ${manifest.seeds.join(', ')}; ${events.map((e) => e.toLocaleString('en-US')).join('/')} events each` +
    `${params ? `; ${params}` : ''}${sets ? `; --set ${sets}` : ''}): ${designs.join(', ')}; the baseline is ${designs[0]}.`;
  const method = `Each cell: ${REPLICATE_METHOD}. A delta whose interval contains 0 reads "no significant difference" (grey); only a significant delta is coloured, green better and red worse.`;

  const chartDir = join(runDir, 'charts');
  await mkdir(chartDir, { recursive: true });
  const chartFiles: string[] = [];
  for (const c of charts) {
    await writeFile(join(chartDir, `${c.id}.svg`), c.svg);
    await writeFile(join(chartDir, `${c.id}.png`), svgToPng(c.svg));
    chartFiles.push(join(chartDir, `${c.id}.svg`), join(chartDir, `${c.id}.png`));
  }

  const prov: Array<[string, string]> = [
    ['pagelab version', manifest.pagelab],
    ['workload', manifest.workload.name],
    ['seeds', manifest.seeds.join(', ')],
    ['workload params', params || '(none)'],
    ['settings overridden', sets || '(none)'],
    ['log sha256 per seed', manifest.replicates.map((r) => `${r.seed}: ${r.logSha256}`).join('\n')],
    ['designs', manifest.designs.map((d, i) => `${d.name}${i === 0 ? ' (baseline)' : ''} — seed-N/${d.dir}/`).join('; ')],
    ['compare command', manifest.command],
    ...(opts.command !== undefined && opts.command !== manifest.command ? [['report command', opts.command] as [string, string]] : []),
    ['per-seed reports', `pagelab report ${'<dir>'}/seed-N (each seed directory is a plain comparison)`],
  ];

  const headHtml = REPLICATE_HEADLINE.map((h) => `<th scope="col">${escapeXml(h.title)}</th>`).join('');
  const bodyHtml = head
    .map((row, i) => {
      const cells = REPLICATE_HEADLINE.map((h) => {
        const c = row.cells[h.metric];
        return `<td>${escapeXml(c.text)}<span class="delta ${c.verdict}">${escapeXml(c.deltaText)}</span>${c.note ? `<span class="note">${escapeXml(c.note)}</span>` : ''}</td>`;
      }).join('');
      return `<tr data-design="${escapeXml(row.design)}"><th scope="row">${swatch(i)}${escapeXml(row.design)}<span class="note">n = ${row.n} seeds</span></th>${cells}</tr>`;
    })
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
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="lede">${escapeXml(lede)}</p>
<h2>Headline</h2>
<table id="headline">
<thead><tr><th scope="col">design</th>${headHtml}</tr></thead>
<tbody>
${bodyHtml}
</tbody>
</table>
<p class="lede" style="font-size:.85rem">${escapeXml(method)} Waste is allocated minus ideal 4 KiB memory; "mean over the run" is its time-weighted mean over the metric samples. stats.csv has every metric.</p>
<section id="seeds">
<h2>Across the seeds</h2>
${charts.map((c) => `<figure id="chart-${c.id}" class="chart">\n${inlineSvg(c.svg)}\n<figcaption>${escapeXml(c.caption)}</figcaption>\n</figure>`).join('\n')}
</section>
${vm ? `<section id="vmstat-counters">\n<h2>vmstat counters</h2>\n${tableHtml(vm)}\n</section>` : ''}
<section id="provenance">
<h2>Provenance</h2>
<dl class="prov">
${prov.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('\n')}
</dl>
</section>
</body>
</html>
`;

  const md: string[] = [`# ${title}`, '', lede, '', '## Headline', ''];
  md.push(`| design | ${REPLICATE_HEADLINE.map((h) => h.title).join(' | ')} |`);
  md.push(`|---|${REPLICATE_HEADLINE.map(() => '---:').join('|')}|`);
  for (const row of head)
    md.push(
      `| ${cellText(row.design)} (n = ${row.n}) | ${REPLICATE_HEADLINE.map((h) => cellText(`${row.cells[h.metric].text}; ${row.cells[h.metric].deltaText}`)).join(' | ')} |`,
    );
  md.push('', method, '', '## Across the seeds', '');
  for (const c of charts) md.push(`### ${c.title}`, '', `![${c.title}](charts/${c.id}.png)`, '', c.caption, '');
  if (vm) md.push('## vmstat counters', '', ...tableMd(vm));
  md.push('## Provenance', '');
  for (const [k, v] of prov) md.push(`- **${k}**: \`${v.replace(/`/g, "'").replace(/\n/g, '; ')}\``);
  md.push('');

  const out: WrittenReport = { html: join(runDir, 'report.html'), markdown: join(runDir, 'report.md'), csv: join(runDir, 'summary.csv'), charts: chartFiles };
  await writeFile(out.html, html);
  await writeFile(out.markdown, md.join('\n') + '\n');
  await writeFile(out.csv, tables.summaryCsv);
  await writeFile(join(runDir, 'stats.csv'), tables.statsCsv);
  return out;
}
