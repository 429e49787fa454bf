import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCharts, type RenderOptions } from '../charts/charts.js';
import { svgToPng } from '../charts/png.js';
import { chartData, collectDesign, outcomeMismatches } from './collect.js';
import { summaryCsv } from './csv.js';
import { headlineRows } from './headline.js';
import { reportHtml } from './html.js';
import { loadRun } from './load.js';
import { reportMarkdown } from './markdown.js';
import { manifestWarnings, provenance } from './provenance.js';

export interface WriteReportOptions {
  /** the command line that made this report (e.g. `pagelab report RUN_DIR`), added to the provenance */
  command?: string;
  charts?: RenderOptions;
}

export interface WrittenReport {
  html: string;
  markdown: string;
  csv: string;
  /** runDir/charts/<id>.svg and .png */
  charts: string[];
}

/**
 * Reads a comparison run directory (compare.json, and per design summary.json
 * and observations.jsonl) and writes report.html (self-contained), report.md
 * with PNG charts in charts/, and summary.csv into it.
 */
export async function writeReport(runDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const run = await loadRun(runDir);
  const series = await Promise.all(run.designs.map((d) => collectDesign(d)));
  const rows = headlineRows(run.designs);
  const charts = renderCharts(chartData(run, series), opts.charts);
  const notes = [...manifestWarnings(run), ...run.designs.flatMap((d, i) => outcomeMismatches(d, series[i]!.outcomes))];
  const prov = provenance(run, { ...(opts.command !== undefined ? { command: opts.command } : {}), notes });

  const w = run.manifest.workload;
  const title = `pagelab comparison: ${w.name} (seed ${w.seed})`;
  const names = run.designs.map((d) => d.name);
  const lede = `${names.length} design${names.length === 1 ? '' : 's'} replayed on one workload log of ${run.designs[0]!.summary.events.toLocaleString('en-US')} events: ${names.join(', ')}; the baseline is ${names[0]}.`;

  const chartDir = join(runDir, 'charts');
  await mkdir(chartDir, { recursive: true });
  const chartFiles: string[] = [];
  for (const c of charts) {
    const svgPath = join(chartDir, `${c.id}.svg`);
    const pngPath = join(chartDir, `${c.id}.png`);
    await writeFile(svgPath, c.svg);
    await writeFile(pngPath, svgToPng(c.svg));
    chartFiles.push(svgPath, pngPath);
  }

  const out: WrittenReport = {
    html: join(runDir, 'report.html'),
    markdown: join(runDir, 'report.md'),
    csv: join(runDir, 'summary.csv'),
    charts: chartFiles,
  };
  await writeFile(out.html, reportHtml({ title, lede, rows, charts, provenance: prov }));
  await writeFile(out.markdown, reportMarkdown({ title, lede, rows, charts: charts.map((c) => ({ title: c.title, caption: c.caption, png: `charts/${c.id}.png` })), provenance: prov }));
  await writeFile(out.csv, summaryCsv(run.designs, rows));
  return out;
}
