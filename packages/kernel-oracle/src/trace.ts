/**
 * The tracepoints of a run's private tracefs instance, parsed: khugepaged's
 * per-PMD scan results (mm_khugepaged_scan_pmd, and the file variant) and
 * collapses (mm_collapse_huge_page), attributed to the log's processes by
 * their mm (each process's mm is learnt from a probe MADV_COLLAPSE it makes
 * when it starts; see run.ts). The instance uses trace_clock=mono, so a
 * record's time compares with the driver's CLOCK_MONOTONIC event times.
 */

export interface TraceRecord {
  /** CLOCK_MONOTONIC nanoseconds. */
  readonly ns: number;
  /** The task that hit the tracepoint and its pid (khugepaged, or a worker doing MADV_COLLAPSE). */
  readonly task: string;
  readonly taskPid: number;
  readonly event: string;
  readonly fields: Readonly<Record<string, string>>;
}

const LINE = /^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+)\.(\d+): (\w+): (.*)$/;

export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const fields: Record<string, string> = {};
    for (const part of m[6]!.split(', ')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const frac = m[4]!.padEnd(9, '0').slice(0, 9);
    out.push({ ns: Number(m[3]!) * 1e9 + Number(frac), task: m[1]!, taskPid: Number(m[2]!), event: m[5]!, fields });
  }
  return out;
}

/** mm_khugepaged_scan_pmd's status strings (SCAN_STATUS in mm/khugepaged.c) as the model's SCAN_* codes. */
export function scanResultOf(status: string): string {
  return `SCAN_${status.toUpperCase()}`;
}
