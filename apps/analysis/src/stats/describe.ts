/** n, mean, sample standard deviation (n − 1) and median of the values of one metric across seeds. */

export interface Description {
  readonly n: number;
  readonly mean: number;
  /** sample standard deviation (Bessel's n − 1); NaN for one value */
  readonly sd: number;
  readonly median: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  // Shifted by the first value so that large equal-ish values (bytes) keep their low digits.
  const x0 = xs[0]!;
  let s = 0;
  for (const x of xs) s += x - x0;
  return x0 + s / xs.length;
}

/** Sample standard deviation: sqrt(Σ(x − mean)² / (n − 1)). */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function describe(xs: readonly number[]): Description {
  return { n: xs.length, mean: mean(xs), sd: sampleSd(xs), median: median(xs) };
}
