/**
 * The report of a replicated comparison (`pagelab compare SCENARIO --seeds`):
 * the headline is each design's mean with its 95 % t interval across seeds
 * and the paired difference against the baseline, neutral grey where the
 * interval contains 0; one chart per headline metric with a dot per seed;
 * the vmstat counters as means. Same files as a single comparison:
 * report.html (self-contained), report.md with charts/*.png, summary.csv,
 * and stats.csv.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { replicateChart } from '../charts/replicates.js';
import type { RenderedChart } from '../charts/data.js';
import { fmtInt } from '../charts/format.js';
import { writeChartFiles } from '../charts/png.js';
import type { Summary } from '@pagelab/events';
import { mean } from '../stats/describe.js';
import { readJson, summaryFrom } from './load.js';
import { pageHtml, pageMarkdown, type Page } from './page.js';
import { REPLICATE_CSS, REPLICATE_HEADLINE, REPLICATE_METHOD, replicateHeadline, replicateHeadlineTable, replicateTables } from './replicates.js';
import { runTroubles, troubleAlerts } from './runAlerts.js';
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
  // every seed's and design's summary.json read at once; the order stays seed by seed, design by design
  const runs: Loaded['runs'] = await Promise.all(
    manifest.replicates.flatMap((r) =>
      manifest.designs.map(async (d) => {
        const p = join(runDir, r.dir, d.dir, 'summary.json');
        return { seed: r.seed, design: d.name, summary: summaryFrom(await readJson(p), p) };
      }),
    ),
  );
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

  const chartFiles = await writeChartFiles(join(runDir, 'charts'), charts);

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

  const page: Page = {
    title,
    lede,
    headline: replicateHeadlineTable([{ rows: head }]),
    alerts: designs.flatMap((d) =>
      troubleAlerts(
        d,
        runs.filter((r) => r.design === d).map((r) => runTroubles(r.summary)),
      ),
    ),
    method: `${method} Waste is allocated minus ideal 4 KiB memory; "mean over the run" is its time-weighted mean over the metric samples. stats.csv has every metric.`,
    sections: [
      { id: 'seeds', title: 'Across the seeds', blocks: charts.map((chart) => ({ kind: 'chart' as const, chart })) },
      ...(vm ? [{ id: 'vmstat-counters', title: 'vmstat counters', blocks: [{ kind: 'table' as const, table: vm }] }] : []),
    ],
    provenance: { items: prov.map(([label, value]) => ({ label, value })) },
    css: REPLICATE_CSS,
  };
  const out: WrittenReport = { html: join(runDir, 'report.html'), markdown: join(runDir, 'report.md'), csv: join(runDir, 'summary.csv'), charts: chartFiles };
  await writeFile(out.html, pageHtml(page));
  await writeFile(out.markdown, pageMarkdown(page));
  await writeFile(out.csv, tables.summaryCsv);
  await writeFile(join(runDir, 'stats.csv'), tables.statsCsv);
  return out;
}
