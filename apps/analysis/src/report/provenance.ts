import type { LoadedRun } from './load.js';

export interface ProvenanceItem {
  label: string;
  value: string;
}

/** What the report was made from, so a reader can reproduce it. */
export function provenance(run: LoadedRun, opts: { command?: string; notes: ReadonlyArray<string> }): ProvenanceItem[] {
  const m = run.manifest;
  const versions = new Set([m.pagelab, ...run.designs.map((d) => d.summary.pagelab)]);
  const items: ProvenanceItem[] = [
    { label: 'pagelab version', value: [...versions].join(', ') },
    { label: 'designs', value: run.designs.map((d, i) => `${d.name}${i === 0 ? ' (baseline)' : ''} — ${run.manifest.designs[i]!.dir}/`).join('; ') },
    { label: 'workload', value: m.workload.name },
    { label: 'seed', value: String(m.workload.seed) },
    { label: 'workload params', value: JSON.stringify(m.workload.params) },
    { label: 'events', value: [...new Set(run.designs.map((d) => d.summary.events))].join(', ') },
    { label: 'log sha256', value: m.logSha256 },
    { label: 'command line', value: m.command },
  ];
  if (opts.command !== undefined && opts.command !== m.command) items.push({ label: 'report command', value: opts.command });
  for (const n of opts.notes) items.push({ label: 'warning', value: n });
  return items;
}

/** Inconsistencies between compare.json and the designs' summaries. */
export function manifestWarnings(run: LoadedRun): string[] {
  const out: string[] = [];
  for (const d of run.designs) {
    if (d.summary.logSha256 !== run.manifest.logSha256) out.push(`${d.name}: summary.json logSha256 ${d.summary.logSha256} differs from compare.json`);
    if (d.summary.expectations.failed > 0) out.push(`${d.name}: ${d.summary.expectations.failed} expectation(s) failed`);
    if (d.summary.invariantViolations > 0) out.push(`${d.name}: ${d.summary.invariantViolations} invariant violation(s)`);
  }
  const events = new Set(run.designs.map((d) => d.summary.events));
  if (events.size > 1) out.push(`designs replayed different numbers of events (${[...events].join(', ')}); they should share one log`);
  return out;
}
