import { MiB } from '../metrics.js';

const group = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return group.format(Math.round(n));
}

const KiB = 1024;
const GiB = 1024 * MiB;

/** A binary unit for a range of byte values: the largest whose value is at least 1 at `maxBytes`. */
export interface ByteUnit {
  readonly name: 'B' | 'KiB' | 'MiB' | 'GiB';
  readonly bytes: number;
}

export function byteUnit(maxBytes: number): ByteUnit {
  const a = Math.abs(maxBytes);
  if (a >= GiB) return { name: 'GiB', bytes: GiB };
  if (a >= MiB) return { name: 'MiB', bytes: MiB };
  if (a >= KiB) return { name: 'KiB', bytes: KiB };
  return { name: 'B', bytes: 1 };
}

/** bytes in the unit that fits the value (B, KiB, MiB, GiB): three significant digits, whole bytes below 1 KiB */
export function fmtBytes(bytes: number): string {
  const u = byteUnit(bytes);
  if (u.bytes === 1) return `${Math.round(bytes)} B`;
  const v = bytes / u.bytes;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${u.name}`;
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
