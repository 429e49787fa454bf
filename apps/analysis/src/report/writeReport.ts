import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCharts, type RenderOptions } from '../charts/render.js';
import type { ChartId, RenderedChart } from '../charts/data.js';
import { writeChartFiles } from '../charts/png.js';
import { chartData, collectDesign, outcomeMismatches } from './collect.js';
import { summaryCsv } from './csv.js';
import { HEADLINE_COLUMNS, headlineNote, headlineRows, type HeadlineRow } from './headline.js';
import { pageHtml, pageMarkdown, type HeadlineTableView, type Page } from './page.js';
import { runTroubles, troubleAlerts } from './runAlerts.js';
import { loadRun, readJson } from './load.js';
import { isReplicateManifest, writeReplicateReport } from './replicateReport.js';
import { isSweepDir, writeSweepReport } from './sweepReport.js';
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

/** The comparison's headline: one row per design, each metric with its delta and note. */
function headlineTable(rows: ReadonlyArray<HeadlineRow>): HeadlineTableView {
  return {
    columns: HEADLINE_COLUMNS.map((c) => c.title),
    groups: [
      {
        rows: rows.map((row, index) => ({
          design: row.design,
          index,
          cells: HEADLINE_COLUMNS.map((c) => ({ ...row[c.key], note: headlineNote(row, c.key) })),
        })),
      },
    ],
  };
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

  const chartFiles = await writeChartFiles(join(runDir, 'charts'), charts);
  const pngs = new Map<string, string>(charts.map((c) => [c.id, `charts/${c.id}.png`]));

  const out: WrittenReport = {
    html: join(runDir, 'report.html'),
    markdown: join(runDir, 'report.md'),
    csv: join(runDir, 'summary.csv'),
    charts: chartFiles,
  };
  const page: Page = {
    title,
    lede,
    headline: headlineTable(rows),
    alerts: run.designs.flatMap((d) => troubleAlerts(d.name, [runTroubles(d.summary)])),
    method:
      'Deltas are against the baseline (first) design; green is better, red is worse. Waste is allocated minus ideal 4 KiB memory: "at end of run" is what the design still holds after the last event, "peak" the most it held at any point. Locked ops are atomic RMWs and lock acquisitions on page metadata.',
    sections: body,
    provenance: prov,
    pngs,
  };
  await writeFile(out.html, pageHtml(page));
  await writeFile(out.markdown, pageMarkdown(page));
  await writeFile(
    out.csv,
    summaryCsv(run.designs.map((d, i) => ({ design: d.name, summary: d.summary, isBaseline: i === 0, baseline: run.designs[0]!.summary }))),
  );
  return out;
}
