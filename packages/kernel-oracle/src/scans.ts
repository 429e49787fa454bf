/**
 * khugepaged, scan by scan: each mm_khugepaged_scan_pmd of a log process
 * (status and its none_or_zero, referenced and unmapped counts) beside the
 * model's khugepaged_scan observation of the same event and process, in
 * order; and, per event and process, the collapses mm_collapse_huge_page
 * reported beside the model's SCAN_SUCCEED scans.
 *
 * A disagreement fails `pagelab kernel diff` unless docs/kernel-differences.md
 * names it, as for the expect checks. The check column names what may
 * differ: `khugepaged_scan` (anything about the scans of that line, a scan
 * only one side made included), `khugepaged_scan.FIELD` (only that field:
 * result, none, referenced or unmapped), or `mm_collapse_huge_page` (the
 * number of collapses).
 *
 * What is compared, and why:
 * - Ranges the kernel found without a page table (SCAN_PMD_NONE or
 *   SCAN_PMD_NULL) are left out: the model reports only ranges it has a page
 *   table for, and a kernel pass walks every VMA of every registered process.
 * - On the kernel a khugepaged pass is one full scan of every registered
 *   process (run.ts wakes the thread until full_scans advances, so a range
 *   may be scanned twice in one event when the cursor stood mid-list), and
 *   it ignores the event's `pid`; the model's pass is `pages_to_scan` pages
 *   from its cursor. So the kernel's scans of one event and process are
 *   paired with the model's in order, and a kernel scan past the model's
 *   last one that refused its range (anything but SCAN_SUCCEED) has nothing
 *   to be compared with: its row says so (agree null) and never fails. A
 *   collapse there does fail, here and in the mm_collapse_huge_page rows; so
 *   does a scan only the model made.
 */
import type { KnownDifference } from './diff.js';

export interface ScanFacts {
  readonly result: string;
  readonly none: number;
  readonly referenced: number;
  /** The kernel's `unmapped` (swap PTEs); the model's `swap`. */
  readonly unmapped: number;
}

/** The fields of a scan that are compared, as a known difference names them (`khugepaged_scan.referenced`). */
export const SCAN_FIELDS = ['result', 'none', 'referenced', 'unmapped'] as const;
export type ScanField = (typeof SCAN_FIELDS)[number];

export interface ScanRow {
  readonly line: number;
  readonly pid: number;
  readonly kernel: ScanFacts | null;
  readonly model: ScanFacts | null;
  /** null: a refusal only the kernel's full scan made, nothing to compare it with. */
  readonly agree: boolean | null;
  /** The fields that differ; `scan` when only one side made the scan. */
  readonly differs: readonly (ScanField | 'scan')[];
  /** The known difference that names this disagreement (its reason and commit), if any. */
  readonly known?: string;
}

export interface CollapseRow {
  readonly line: number;
  readonly pid: number;
  /** mm_collapse_huge_page records with status succeeded. */
  readonly kernel: number;
  /** The model's khugepaged_scan observations with SCAN_SUCCEED. */
  readonly model: number;
  readonly agree: boolean;
  readonly known?: string;
}

/** One scan as either side lists it: its log line (null: between events, never compared) and process. */
export interface Scan extends ScanFacts {
  readonly line: number | null;
  readonly pid: number;
}

/** What the rows are judged against: the workload, the design, and docs/kernel-differences.md. */
export interface ScanVerdictContext {
  readonly workload: string;
  readonly design: string;
  readonly known: readonly KnownDifference[];
  /**
   * Fields the run's machine made unreliable, with why (a DAMON monitor
   * moving accessed bits makes `referenced` not the log's alone): a
   * difference in only those reads as known, with that reason.
   */
  readonly environmental?: Readonly<Partial<Record<ScanField, string>>>;
}

/** The scan fields a run's access-bit agents (run.ts accessAgents) make unreliable, with the reason. */
export function environmentalFields(accessAgents: readonly string[]): Partial<Record<ScanField, string>> {
  if (accessAgents.length === 0) return {};
  return {
    referenced: `${accessAgents.join('; ')} during the run: it clears PTE young bits and sets the folio's young flag, which khugepaged counts as referenced and the model does not keep`,
  };
}

const NO_TABLE = new Set(['SCAN_PMD_NONE', 'SCAN_PMD_NULL']);

/** The check names a known difference gives the scan comparison. */
export const SCAN_CHECK = 'khugepaged_scan';
export const COLLAPSE_CHECK = 'mm_collapse_huge_page';

const keyOf = (line: number, pid: number) => `${line}:${pid}`;

function byLineAndPid<T extends { line: number | null; pid: number }>(xs: readonly T[], keep: (x: T) => boolean): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    if (x.line === null || !keep(x)) continue;
    const k = keyOf(x.line, x.pid);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(x);
  }
  return m;
}

function sortedKeys(...maps: Map<string, unknown>[]): [number, number][] {
  const keys = new Set<string>();
  for (const m of maps) for (const k of m.keys()) keys.add(k);
  return [...keys].map((k) => k.split(':').map(Number) as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const facts = (s: Scan | undefined): ScanFacts | null => (s ? { result: s.result, none: s.none, referenced: s.referenced, unmapped: s.unmapped } : null);

function differences(k: ScanFacts | null, m: ScanFacts | null): (ScanField | 'scan')[] {
  if (k === null || m === null) return ['scan'];
  return SCAN_FIELDS.filter((f) => k[f] !== m[f]);
}

/** The known differences for this workload, line and design whose check starts with `check`. */
function matching(ctx: ScanVerdictContext | undefined, check: string, line: number): KnownDifference[] {
  if (!ctx) return [];
  return ctx.known.filter(
    (d) =>
      (d.workload === '*' || d.workload === ctx.workload) &&
      (d.lines === null || d.lines.has(line)) &&
      (d.designs === null || d.designs.has(ctx.design)) &&
      (d.check === '*' || d.check === check || d.check.startsWith(`${check}.`)),
  );
}

/** A scan row's differences are known when each differing field is named by a matching entry (a bare check names them all). */
function knownFor(ctx: ScanVerdictContext | undefined, line: number, differs: readonly string[]): string | undefined {
  const entries = matching(ctx, SCAN_CHECK, line);
  const covering = (f: string): string | undefined => {
    const d = entries.find((d) => d.check === '*' || d.check === SCAN_CHECK || d.check === `${SCAN_CHECK}.${f}`);
    if (d) return `${d.reason} (${d.commit})`;
    return ctx?.environmental?.[f as ScanField];
  };
  const used = differs.map(covering);
  if (used.some((d) => d === undefined)) return undefined;
  return [...new Set(used)].join('; ');
}

/**
 * Pairs the kernel's and the model's scans of each (log line, process) in
 * order. A row agrees when status and the three counts are equal; a
 * disagreement carries the known difference that names it, if `ctx` has one.
 */
export function compareScans(kernel: readonly Scan[], model: readonly Scan[], ctx?: ScanVerdictContext): ScanRow[] {
  const ks = byLineAndPid(kernel, (x) => !NO_TABLE.has(x.result));
  const ms = byLineAndPid(model, (x) => !NO_TABLE.has(x.result));
  const rows: ScanRow[] = [];
  for (const [line, pid] of sortedKeys(ks, ms)) {
    const k = ks.get(keyOf(line, pid)) ?? [];
    const m = ms.get(keyOf(line, pid)) ?? [];
    for (let i = 0; i < Math.max(k.length, m.length); i++) {
      const kf = facts(k[i]);
      const mf = facts(m[i]);
      if (mf === null && kf!.result !== 'SCAN_SUCCEED') {
        rows.push({ line, pid, kernel: kf, model: null, agree: null, differs: [] });
        continue;
      }
      const differs = differences(kf, mf);
      const agree = differs.length === 0;
      const known = agree ? undefined : knownFor(ctx, line, differs);
      rows.push({ line, pid, kernel: kf, model: mf, agree, differs, ...(known ? { known } : {}) });
    }
  }
  return rows;
}

/**
 * Per log line and process: the collapses the kernel traced
 * (mm_collapse_huge_page, succeeded) beside the model's SCAN_SUCCEED scans.
 */
export function compareCollapses(
  kernel: readonly { line: number | null; pid: number; result: string }[],
  model: readonly { line: number | null; pid: number; result: string }[],
  ctx?: ScanVerdictContext,
): CollapseRow[] {
  const ok = (x: { result: string }) => x.result === 'SCAN_SUCCEED';
  const ks = byLineAndPid(kernel, ok);
  const ms = byLineAndPid(model, ok);
  return sortedKeys(ks, ms).map(([line, pid]) => {
    const k = ks.get(keyOf(line, pid))?.length ?? 0;
    const m = ms.get(keyOf(line, pid))?.length ?? 0;
    const agree = k === m;
    const d = agree ? undefined : matching(ctx, COLLAPSE_CHECK, line).find((x) => x.check === '*' || x.check === COLLAPSE_CHECK);
    return { line, pid, kernel: k, model: m, agree, ...(d ? { known: `${d.reason} (${d.commit})` } : {}) };
  });
}

/** Scan and collapse rows that disagree and that no known difference names. */
export const unexplainedScans = <R extends { agree: boolean | null; known?: string }>(rows: readonly R[]): R[] =>
  rows.filter((r) => r.agree === false && r.known === undefined);
