import type { LoadedRun } from './load.js';
import { provenanceView, type Table } from './sections.js';

export interface ProvenanceItem {
  label: string;
  value: string;
}

export interface Provenance {
  /** the comparison as a whole (compare.json) and what every design's provenance.json agrees on */
  items: ProvenanceItem[];
  /** what tells the designs apart (their provenance.json), one column per design */
  perDesign: Table;
}

/** What the report was made from, so a reader can reproduce it. */
export function provenance(run: LoadedRun, opts: { command?: string; notes: ReadonlyArray<string> }): Provenance {
  const m = run.manifest;
  const view = provenanceView(run);
  const has = (label: string): boolean => view.common.some((c) => c.label === label) || view.perDesign.rows.some((r) => r.head === label);
  const items: ProvenanceItem[] = [
    { label: 'designs', value: run.designs.map((d, i) => `${d.name}${i === 0 ? ' (baseline)' : ''} — ${run.manifest.designs[i]!.dir}/`).join('; ') },
  ];
  // compare.json's view, where no provenance.json says it
  if (!has('pagelab version'))
    items.push({ label: 'pagelab version', value: [...new Set([m.pagelab, ...run.designs.map((d) => d.summary.pagelab)])].join(', ') });
  if (!has('workload')) items.push({ label: 'workload', value: m.workload.name });
  if (!has('workload seed')) items.push({ label: 'workload seed', value: String(m.workload.seed) });
  if (!has('workload params')) items.push({ label: 'workload params', value: JSON.stringify(m.workload.params) });
  if (!has('log events')) items.push({ label: 'log events', value: [...new Set(run.designs.map((d) => d.summary.events))].join(', ') });
  if (!has('log sha256')) items.push({ label: 'log sha256', value: m.logSha256 });
  items.push(...view.common);
  if (!has('command line') || view.common.find((c) => c.label === 'command line')?.value !== m.command)
    items.push({ label: 'compare command', value: m.command });
  if (opts.command !== undefined && opts.command !== m.command) items.push({ label: 'report command', value: opts.command });
  for (const n of opts.notes) items.push({ label: 'warning', value: n });
  return { items, perDesign: view.perDesign };
}

/** Inconsistencies between compare.json and the designs' summaries and provenance. */
export function manifestWarnings(run: LoadedRun): string[] {
  const out: string[] = [];
  for (const d of run.designs) {
    if (d.summary.logSha256 !== run.manifest.logSha256) out.push(`${d.name}: summary.json logSha256 ${d.summary.logSha256} differs from compare.json`);
    if (d.provenance === undefined) out.push(`${d.name}: no provenance.json in ${run.manifest.designs[d.index]!.dir}/`);
    else if (d.provenance.log?.sha256 !== undefined && d.provenance.log.sha256 !== run.manifest.logSha256)
      out.push(`${d.name}: provenance.json log sha256 ${d.provenance.log.sha256} differs from compare.json`);
    if (d.summary.expectations.failed > 0) out.push(`${d.name}: ${d.summary.expectations.failed} expectation(s) failed`);
    if (d.summary.invariantViolations > 0) out.push(`${d.name}: ${d.summary.invariantViolations} invariant violation(s)`);
  }
  const events = new Set(run.designs.map((d) => d.summary.events));
  if (events.size > 1) out.push(`designs replayed different numbers of events (${[...events].join(', ')}); they should share one log`);
  return out;
}
