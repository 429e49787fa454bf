/**
 * Confidence interval of a mean, t-based: mean ± t_{0.975, n−1} · sd / √n.
 * The replicates are seeds of one workload generator, independent draws of
 * the same process, so Student's t is the textbook interval; with 5 seeds
 * it is 2.78 standard errors wide each side, not the normal 1.96.
 */
import { mean, sampleSd } from './describe.js';
import { tCritical } from './studentT.js';

export const CI_LEVEL = 0.95;
export const CI_METHOD = 'Student t interval of the mean (mean ± t(0.975, n−1)·sd/√n)';

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Undefined below two values (no spread to estimate). */
export function meanCi(xs: readonly number[], level = CI_LEVEL): Interval | undefined {
  if (xs.length < 2) return undefined;
  const m = mean(xs);
  const half = (tCritical(level, xs.length - 1) * sampleSd(xs)) / Math.sqrt(xs.length);
  return { low: m - half, high: m + half };
}

/** Whether an interval contains zero: the difference is not significant at its level. */
export function containsZero(ci: Interval): boolean {
  return ci.low <= 0 && ci.high >= 0;
}
