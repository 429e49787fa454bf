import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCharts, type RenderOptions } from '../charts/charts.js';
import type { ChartId, RenderedChart } from '../charts/data.js';
import { svgToPng } from '../charts/png.js';
import { chartData, collectDesign, outcomeMismatches } from './collect.js';
import { summaryCsv } from './csv.js';
import { headlineRows } from './headline.js';
import { reportHtml } from './html.js';
import { loadRun, readJson } from './load.js';
import { isReplicateManifest, writeReplicateReport } from './replicateReport.js';
import { isSweepDir, writeSweepReport } from './sweepReport.js';
import { reportMarkdown } from './markdown.js';
import { manifestWarnings, provenance } from './provenance.js';
import { lockingTable, sharednessTable, vmstatTable, type Block, type Section } from './sections.js';
import { pinnedMigrationSection } from './pinnedSection.js';
import { balloonSection } from './balloonSection.js';

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

/** The report body: charts and tables grouped by question, empty groups left out. */
function sections(
  charts: ReadonlyArray<RenderedChart>,
  tables: { sharedness: ReturnType<typeof sharednessTable>; locking: ReturnType<typeof lockingTable>; vmstat: ReturnType<typeof vmstatTable> },
): Section[] {
  const byId = new Map<ChartId, RenderedChart>(charts.map((c) => [c.id, c]));
  const chart = (id: ChartId): Block[] => {
    const c = byId.get(id);
    return c === undefined ? [] : [{ kind: 'chart', chart: c }];
  };
  const out: Section[] = [
    { id: 'waste', title: 'Memory waste', blocks: [...chart('waste'), ...chart('waste-peak-end')] },
    {
      id: 'locked-ops',
      title: 'Locked operations',
      blocks: [...chart('locked-ops-per-event'), ...chart('locked-ops-by-site'), { kind: 'table', table: tables.locking }],
    },
    {
      id: 'sharedness-khugepaged',
      title: 'khugepaged and sharedness',
      blocks: [...(tables.sharedness ? [{ kind: 'table' as const, table: tables.sharedness }] : []), ...chart('khugepaged-scans')],
    },
    { id: 'outcomes', title: 'Outcomes and failures', blocks: [...chart('outcomes'), ...chart('failure-reasons')] },
    { id: 'vmstat-counters', title: 'vmstat counters', blocks: tables.vmstat ? [{ kind: 'table' as const, table: tables.vmstat }] : [] },
    { id: 'coverage', title: 'Huge-page coverage', blocks: chart('huge-coverage') },
  ];
  return out.filter((s) => s.blocks.length > 0);
}

/**
 * Reads a comparison run directory (compare.json, and per design summary.json,
 * observations.jsonl and provenance.json) and writes report.html
 * (self-contained), report.md with PNG charts in charts/, and summary.csv into it.
 */
export async function writeReport(runDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  if (isSweepDir(runDir)) return writeSweepReport(runDir, opts);
  const raw = await readJson(join(runDir, 'compare.json'));
  if (isReplicateManifest(raw)) return writeReplicateReport(runDir, raw, opts);
  const run = await loadRun(runDir);
  const series = await Promise.all(run.designs.map((d) => collectDesign(d)));
  const rows = headlineRows(run.designs).map((r, i) => {
    const peak = series[i]!.peakEnd.peak;
    return peak !== undefined && peak.totalBytes > 0 ? { ...r, peakSeq: peak.seq } : r;
  });
  const charts = renderCharts(chartData(run, series), opts.charts);
  const notes = [...manifestWarnings(run), ...run.designs.flatMap((d, i) => outcomeMismatches(d, series[i]!.outcomes))];
  const prov = provenance(run, { ...(opts.command !== undefined ? { command: opts.command } : {}), notes });
  const body = sections(charts, { sharedness: sharednessTable(run.designs), locking: lockingTable(run.designs), vmstat: vmstatTable(run.designs) });
  body.push(...pinnedMigrationSection(run.designs));
  body.push(...balloonSection(run.designs));

  const w = run.manifest.workload;
  const title = `pagelab comparison: ${w.name} (seed ${w.seed})`;
  const names = run.designs.map((d) => d.name);
  const events = run.designs[0]!.summary.events;
  const lede = `${names.length} design${names.length === 1 ? '' : 's'} replayed on one workload log of ${events.toLocaleString('en-US')} event${events === 1 ? '' : 's'}: ${names.join(', ')}; the baseline is ${names[0]}.`;

  const chartDir = join(runDir, 'charts');
  await mkdir(chartDir, { recursive: true });
  const chartFiles: string[] = [];
  const pngs = new Map<string, string>();
  for (const c of charts) {
    const svgPath = join(chartDir, `${c.id}.svg`);
    const pngPath = join(chartDir, `${c.id}.png`);
    await writeFile(svgPath, c.svg);
    await writeFile(pngPath, svgToPng(c.svg));
    chartFiles.push(svgPath, pngPath);
    pngs.set(c.id, `charts/${c.id}.png`);
  }

  const out: WrittenReport = {
    html: join(runDir, 'report.html'),
    markdown: join(runDir, 'report.md'),
    csv: join(runDir, 'summary.csv'),
    charts: chartFiles,
  };
  await writeFile(out.html, reportHtml({ title, lede, rows, sections: body, provenance: prov }));
  await writeFile(out.markdown, reportMarkdown({ title, lede, rows, sections: body, pngs, provenance: prov }));
  await writeFile(
    out.csv,
    summaryCsv(run.designs.map((d, i) => ({ design: d.name, summary: d.summary, isBaseline: i === 0, baseline: run.designs[0]!.summary }))),
  );
  return out;
}
