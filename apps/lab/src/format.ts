/** Numbers for the terminal: bytes in binary units, signed deltas, aligned tables. */

export function formatBytes(b: number): string {
  const a = Math.abs(b);
  if (a >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (a >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (a >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** `+1.00 MiB (+12%)` style delta against a baseline value. */
export function formatDelta(value: number, base: number, fmt: (n: number) => string): string {
  const d = value - base;
  if (d === 0) return '=';
  const sign = d > 0 ? '+' : '-';
  const rel = base !== 0 ? ` (${sign}${Math.abs((d / base) * 100).toFixed(0)}%)` : '';
  return `${sign}${fmt(Math.abs(d))}${rel}`;
}

/** Left-aligned first column, right-aligned others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A file-system-friendly piece of a directory name. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'run';
}
