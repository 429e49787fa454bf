/**
 * Check by check: the log's expected value, the kernel's value and the
 * model's value under one design. A model/kernel disagreement is known when
 * docs/kernel-differences.md lists it (workload, lines, check, designs) with
 * a reason and a kernel commit; any other disagreement fails the diff.
 */
import type { JsonValue, KernelCheck } from './run.js';

export interface ModelCheck {
  readonly line: number;
  readonly check: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface DiffRow {
  readonly line: number;
  readonly label?: string;
  readonly check: string;
  readonly expected: JsonValue;
  readonly kernel: JsonValue | null;
  readonly model: JsonValue | null;
  /** null where the kernel cannot answer. */
  readonly agree: boolean | null;
  /** The known difference that names this disagreement (its reason), if any. */
  readonly known?: string;
}

export interface KnownDifference {
  readonly workload: string;
  /** Line numbers, or null for every line. */
  readonly lines: ReadonlySet<number> | null;
  readonly check: string;
  /** Design names, or null for every design. */
  readonly designs: ReadonlySet<string> | null;
  readonly reason: string;
  readonly commit: string;
}

/** Bounds such as lockedOpsMax ("<= N") hold the model's number as the check's value; compare numbers then. */
function value(v: unknown): JsonValue | null {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : null;
}

export function diffChecks(
  kernel: readonly KernelCheck[],
  model: readonly ModelCheck[],
  workload: string,
  design: string,
  known: readonly KnownDifference[] = [],
): DiffRow[] {
  const byKey = new Map<string, ModelCheck[]>();
  for (const m of model) {
    const k = `${m.line}:${m.check}`;
    byKey.set(k, [...(byKey.get(k) ?? []), m]);
  }
  return kernel.map((c) => {
    const m = byKey.get(`${c.line}:${c.check}`)?.shift();
    const modelValue = m ? value(m.actual) : null;
    const agree = c.kernel === null || modelValue === null ? null : c.kernel === modelValue;
    const row: DiffRow = {
      line: c.line,
      ...(c.label !== undefined ? { label: c.label } : {}),
      check: c.check,
      expected: c.expected,
      kernel: c.kernel,
      model: modelValue,
      agree,
    };
    if (agree !== false) return row;
    const k = known.find(
      (d) =>
        (d.workload === '*' || d.workload === workload) &&
        (d.check === '*' || d.check === c.check) &&
        (d.lines === null || d.lines.has(c.line)) &&
        (d.designs === null || d.designs.has(design)),
    );
    return k ? { ...row, known: `${k.reason} (${k.commit})` } : row;
  });
}

/** Disagreements no known difference names. */
export const unexplained = (rows: readonly DiffRow[]) => rows.filter((r) => r.agree === false && r.known === undefined);

function lineSet(text: string): ReadonlySet<number> | null {
  if (text === '*' || text === '') return null;
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`lines "${text}": expected *, N, or N-M separated by commas`);
    for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) out.add(n);
  }
  return out;
}

/**
 * The table of docs/kernel-differences.md whose header is
 * `| workload | lines | check | designs | reason | commit |`. Rows without a
 * reason or a commit are refused: an unexplained entry explains nothing.
 */
export function parseKnownDifferences(markdown: string): KnownDifference[] {
  const out: KnownDifference[] = [];
  let inTable = false;
  markdown.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line.startsWith('|')) {
      inTable = false;
      return;
    }
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim().replace(/^`|`$/g, ''));
    if (cells[0]?.toLowerCase() === 'workload' && cells[2]?.toLowerCase() === 'check') {
      inTable = true;
      return;
    }
    if (!inTable || /^-+$/.test(cells[0]?.replace(/:/g, '') ?? '')) return;
    const [workload, lines, check, designs, reason, commit] = cells;
    if (!workload || !check || !reason || !commit) throw new Error(`kernel-differences line ${i + 1}: a row needs workload, check, reason and commit`);
    out.push({
      workload,
      check,
      reason,
      commit,
      lines: lineSet(lines ?? '*'),
      designs: !designs || designs === '*' ? null : new Set(designs.split(',').map((s) => s.trim())),
    });
  });
  return out;
}
