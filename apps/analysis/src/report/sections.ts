/**
 * The report's tables beyond the headline: sharedness (summary.json
 * `sharedness`), locking (kinds, depth, nesting violations) and the
 * provenance of each design directory. Each is a plain table model the HTML
 * and Markdown writers render the same way.
 */
import { fmtBytes, fmtInt, fmtRate } from '../charts/format.js';
import type { Summary } from '@pagelab/events';
import type { DesignProvenance } from './load.js';
import type { DesignRun, LoadedRun } from './load.js';
import { VMSTAT_COLUMNS } from './summaryColumns.js';

export interface TableRow {
  /** the design's name and colour slot; undefined for a row that is not a design (e.g. a provenance field) */
  design?: string;
  index?: number;
  head: string;
  cells: string[];
  /** cells (by column index) to show as a problem */
  warn?: number[];
}

export interface Table {
  id: string;
  /** title of the first column (the row heads) */
  headTitle: string;
  title: string;
  /** one or two sentences saying what the table shows */
  intro: string;
  columns: string[];
  rows: TableRow[];
  /** text below the table */
  note?: string;
  /** wrap long cells (provenance) instead of keeping numbers on one line */
  wrap?: boolean;
}

const pct = (n: number, of: number): string => (of > 0 ? ` (${((100 * n) / of).toFixed(n > 0 && (100 * n) / of < 1 ? 2 : 1)}%)` : '');
const bytes = (b: number): string => (b === 0 ? '0' : `${fmtBytes(b)} (${fmtInt(b / 4096)} pages)`);

function policyOf(summary: Summary, axis: string): string | undefined {
  const d = summary.design as { policies?: Record<string, { id?: string }> } | null;
  return d?.policies?.[axis]?.id;
}

/**
 * Sharedness: every "is this page shared?" question khugepaged asked, the
 * design's policy against the precise rule, and the collapses only the
 * policy allowed. Undefined when no design asked a question or has the block.
 */
export function sharednessTable(designs: ReadonlyArray<DesignRun>): Table | undefined {
  const any = designs.some((d) => d.summary.sharedness !== undefined && Object.values(d.summary.sharedness).some((v) => v !== 0));
  if (!any) return undefined;
  return {
    id: 'sharedness',
    headTitle: 'design',
    title: 'Sharedness: the policy against the precise rule',
    intro:
      'Each time khugepaged asked whether a page in a candidate range is shared (for khugepaged/max_ptes_shared), the design\u2019s sharedness policy answered and the precise rule (exact per-page mapcount) was asked too. ' +
      'A false negative calls a shared page exclusive, so khugepaged may collapse a range it should have left alone: the collapse copies the shared pages (duplicated) and fills the empty PTEs with zeroed memory (zero-filled).',
    columns: [
      'policy',
      'questions asked',
      'false negatives: said exclusive, was shared',
      'false positives: said shared, was exclusive',
      'collapses only the policy allowed',
      'duplicated by those collapses',
      'zero-filled by those collapses',
    ],
    rows: designs.map((d) => {
      const s = d.summary.sharedness;
      if (s === undefined)
        return { design: d.name, index: d.index, head: d.name, cells: [policyOf(d.summary, 'sharedness') ?? '?', 'not in summary.json', '', '', '', '', ''] };
      return {
        design: d.name,
        index: d.index,
        head: d.name,
        cells: [
          policyOf(d.summary, 'sharedness') ?? '?',
          fmtInt(s.questions),
          fmtInt(s.falseNegatives) + pct(s.falseNegatives, s.questions),
          fmtInt(s.falsePositives) + pct(s.falsePositives, s.questions),
          fmtInt(s.collapsesOnlyByPolicy),
          bytes(s.duplicatedBytes),
          bytes(s.zeroFilledBytes),
        ],
        warn: [...(s.falseNegatives > 0 ? [2] : []), ...(s.collapsesOnlyByPolicy > 0 ? [4, 5, 6] : [])],
      };
    }),
    note: 'Percentages are of the questions asked. False positives cost huge pages (a collapse refused, SCAN_EXCEED_SHARED_PTE); false negatives cost memory (the duplicated and zero-filled bytes, part of the duplicated-shared and collapse-bloat waste).',
  };
}

/** Locked operations by kind per event, lock acquisitions, nesting depth and violations. */
export function lockingTable(designs: ReadonlyArray<DesignRun>): Table {
  const kinds = [
    ...new Set(
      designs.flatMap((d) =>
        Object.entries(d.summary.metrics.lockedOpsByKind)
          .filter(([, v]) => v > 0)
          .map(([k]) => k),
      ),
    ),
  ].sort();
  const depths = new Set(designs.map((d) => d.summary.metrics.maxLockDepth));
  const violations = designs.some((d) => (d.summary.metrics.nestingViolations?.length ?? 0) > 0);
  const perEvent = (n: number, events: number): string => (events > 0 ? fmtRate(n / events) : '–');
  return {
    id: 'locking',
    headTitle: 'design',
    title: 'Locking: kinds, depth and nesting',
    intro:
      'Locked operations per workload event by kind (atomic read-modify-writes, spinlocks, bit spinlocks, ...), lock acquisitions per event, the deepest lock nesting reached and the nesting rules broken (lock depth above MAX_LOCK_DEPTH, preempt_count nesting).' +
      (violations
        ? ''
        : depths.size === 1
          ? ` Every design nested at most ${[...depths][0]} lock${[...depths][0] === 1 ? '' : 's'} deep and broke no nesting rule.`
          : ' No design broke a nesting rule.'),
    columns: [...kinds.map((k) => `${k} / event`), 'acquisitions / event', 'max lock depth', 'nesting violations'],
    rows: designs.map((d) => {
      const m = d.summary.metrics;
      const v = m.nestingViolations ?? [];
      return {
        design: d.name,
        index: d.index,
        head: d.name,
        cells: [
          ...kinds.map((k) => perEvent(m.lockedOpsByKind[k] ?? 0, d.summary.events)),
          perEvent(m.lockAcquisitions, d.summary.events),
          String(m.maxLockDepth),
          v.length === 0 ? 'none' : v.join('; '),
        ],
        warn: v.length > 0 ? [kinds.length + 2] : [],
      };
    }),
  };
}

/**
 * The run's counters under their /proc/vmstat names, one row per design, so a
 * kernel developer can set them beside `grep thp_ /proc/vmstat` from a real
 * machine. Counters every design left at zero are left out (and listed in the note).
 */
export function vmstatTable(designs: ReadonlyArray<DesignRun>): Table | undefined {
  const have = designs.filter((d) => d.summary.vmstat !== undefined);
  if (have.length === 0) return undefined;
  const used = VMSTAT_COLUMNS.filter((c) => have.some((d) => (d.summary.vmstat?.[c] ?? 0) !== 0));
  const zero = VMSTAT_COLUMNS.filter((c) => !used.includes(c));
  return {
    id: 'vmstat',
    headTitle: 'design',
    title: 'vmstat counters',
    intro:
      'What the model did, counted under the names of /proc/vmstat: THP faults and fallbacks, collapses, splits, compaction, migration (base pages) and CMA. ' +
      'Each comes from the model\u2019s own outcomes and observations; the model compacts only on a compact event, which counts as one compaction stall.',
    columns: used,
    rows: designs.map((d) => ({
      design: d.name,
      index: d.index,
      head: d.name,
      cells: used.map((c) => (d.summary.vmstat === undefined ? '–' : fmtInt(d.summary.vmstat[c] ?? 0))),
    })),
    ...(zero.length > 0 ? { note: `Zero in every design: ${zero.join(', ')}.` } : {}),
  };
}

const json = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const kv = (o: Record<string, unknown> | undefined, sep = ', '): string =>
  o === undefined
    ? ''
    : Object.keys(o).length === 0
      ? '(none)'
      : Object.entries(o)
          .map(([k, v]) => `${k}=${json(v)}`)
          .join(sep);

function policies(p: DesignProvenance['design']): string {
  const pol = p?.policies;
  if (pol === undefined) return '';
  return Object.entries(pol)
    .map(([axis, x]) => `${axis}: ${x?.id ?? '?'}${x?.params && Object.keys(x.params).length ? ` {${kv(x.params)}}` : ''}`)
    .join('\n');
}

/** The fields of one provenance.json the report shows, in order. */
export function provenanceFields(p: DesignProvenance | undefined): Array<{ label: string; value: string }> {
  if (p === undefined) return [];
  const w = p.log?.header?.workload;
  const fields: Array<{ label: string; value: string }> = [
    { label: 'pagelab version', value: json(p.pagelab) },
    { label: 'git commit', value: json(p.gitCommit) },
    { label: 'node', value: json(p.node) },
    { label: 'design preset', value: json(p.design?.preset ?? p.design?.name) },
    { label: 'design policies', value: policies(p.design) },
    { label: 'design params', value: kv(p.design?.params, '\n') },
    { label: 'workload', value: json(w?.name) },
    { label: 'workload seed', value: json(w?.seed) },
    { label: 'workload params', value: kv(w?.params) },
    {
      label: 'log source',
      value: [p.log?.source, p.log?.kind && `(${p.log.kind})`, p.log?.params && Object.keys(p.log.params).length ? kv(p.log.params) : '']
        .filter(Boolean)
        .join(' '),
    },
    { label: 'log events', value: p.log?.events !== undefined ? fmtInt(p.log.events) : '' },
    { label: 'log sha256', value: json(p.log?.sha256) },
    { label: 'machine', value: kv(p.log?.header?.machine) },
    { label: 'settings', value: kv(p.log?.header?.settings) },
    { label: 'replay', value: kv(p.replay as Record<string, unknown> | undefined) },
    { label: 'command line', value: json(p.command) },
    { label: 'created', value: json(p.createdAt) },
    { label: 'replay time', value: p.elapsedMs !== undefined ? `${fmtInt(p.elapsedMs)} ms` : '' },
  ];
  return fields.filter((f) => f.value !== '');
}

/** Fields that describe the design (always shown per design, even when equal). */
const PER_DESIGN = new Set(['design preset', 'design policies', 'design params']);
/** Fields that legitimately differ between the designs of one comparison and say nothing about it. */
const VOLATILE = new Set(['created', 'replay time']);

export interface ProvenanceView {
  /** fields every design's provenance.json agrees on */
  common: Array<{ label: string; value: string }>;
  /** fields that describe or differ between designs: one row per field, one column per design */
  perDesign: Table;
}

/** Splits the designs' provenance.json into what they share and what tells them apart. */
export function provenanceView(run: LoadedRun): ProvenanceView {
  const per = run.designs.map((d) => provenanceFields(d.provenance));
  const labels: string[] = [];
  for (const f of per) for (const x of f) if (!labels.includes(x.label)) labels.push(x.label);
  const valueOf = (i: number, label: string): string => per[i]!.find((f) => f.label === label)?.value ?? '—';
  const common: Array<{ label: string; value: string }> = [];
  const rows: TableRow[] = [];
  for (const label of labels) {
    const values = run.designs.map((_, i) => valueOf(i, label));
    const same = values.every((v) => v === values[0]) && run.designs.every((d) => d.provenance !== undefined);
    if (same && !PER_DESIGN.has(label)) common.push({ label, value: values[0]! });
    else if (VOLATILE.has(label)) common.push({ label, value: values.map((v, i) => `${run.designs[i]!.name}: ${v}`).join('; ') });
    else
      rows.push({
        head: label,
        cells: values,
        warn:
          same || PER_DESIGN.has(label) ? [] : label === 'log sha256' || label === 'git commit' || label === 'pagelab version' ? values.map((_, i) => i) : [],
      });
  }
  return {
    common,
    perDesign: {
      id: 'provenance-designs',
      headTitle: 'field',
      title: 'Per design',
      intro: 'What each design directory\u2019s provenance.json says where the designs differ, and the design itself (preset, policy per axis, era params).',
      columns: run.designs.map((d, i) => `${d.name}${i === 0 ? ' (baseline)' : ''} — ${run.manifest.designs[i]!.dir}/`),
      rows,
      wrap: true,
    },
  };
}

/** A block of the report body: a chart or a table. */
export type Block = { kind: 'chart'; chart: import('../charts/data.js').RenderedChart } | { kind: 'table'; table: Table } | { kind: 'text'; text: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}
