import { MiB } from '../metrics.js';

const group = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return group.format(Math.round(n));
}

/** bytes as MiB: one decimal, two below 1 MiB so small waste is not shown as 0.0 */
export function fmtMiB(bytes: number): string {
  const m = bytes / MiB;
  const digits = Math.abs(m) < 1 && m !== 0 ? 2 : 1;
  return `${m.toFixed(digits)} MiB`;
}

/** a rate with three significant digits, grouped: 12.3, 1,234 */
export function fmtRate(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return fmtInt(n);
  return n.toPrecision(3).replace(/\.?0+$/, '') || '0';
}

export function fmtPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function signed(s: string, negative: boolean, zero: boolean): string {
  if (zero) return `±${s}`;
  return negative ? `−${s}` : `+${s}`;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
