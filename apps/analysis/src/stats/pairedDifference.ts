/**
 * A design against the baseline, seed by seed: the same log replayed under
 * both, so each seed gives one difference d_i = x_i − base_i and the seed's
 * own noise (how much fragmentation that random layout makes) cancels. The
 * test is the paired t-test (scipy.stats.ttest_rel): t = mean(d) / (sd(d)/√n),
 * n − 1 degrees of freedom, two-sided.
 */
import { mean, sampleSd } from './describe.js';
import { CI_LEVEL, meanCi, type Interval } from './meanCi.js';
import { tTwoSidedP } from './studentT.js';

export const PAIRED_TEST = 'paired t-test, two-sided (scipy.stats.ttest_rel)';

export interface PairedDifference {
  readonly n: number;
  readonly mean: number;
  /** undefined below two pairs */
  readonly ci: Interval | undefined;
  /**
   * Undefined below two pairs, and when every difference is zero (the
   * designs agree on every seed; the t statistic is 0/0). Zero when the
   * differences are equal and non-zero (t is infinite).
   */
  readonly p: number | undefined;
}

/** `values` and `baseline` are in the same seed order; both must have the same length. */
export function pairedDifference(values: readonly number[], baseline: readonly number[], level = CI_LEVEL): PairedDifference {
  if (values.length !== baseline.length)
    throw new RangeError(`paired difference: ${values.length} values against ${baseline.length} baseline values; each seed needs both`);
  const d = values.map((x, i) => x - baseline[i]!);
  const n = d.length;
  const m = mean(d);
  if (n < 2) return { n, mean: m, ci: undefined, p: undefined };
  const sd = sampleSd(d);
  const ci = meanCi(d, level);
  if (sd === 0) return { n, mean: m, ci, p: m === 0 ? undefined : 0 };
  return { n, mean: m, ci, p: tTwoSidedP(m / (sd / Math.sqrt(n)), n - 1) };
}
