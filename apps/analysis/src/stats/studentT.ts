/**
 * Student's t distribution, from jstat (a well-kept, dependency-free
 * statistics library; its incomplete-beta inverse agrees with scipy.stats.t
 * to about 3e-9, see stats.test.ts).
 */
import { createRequire } from 'node:module';

/** The two functions of jstat the statistics use (jstat ships no types; it is CommonJS). */
interface StudentT {
  /** inverse CDF: the x with P(T <= x) = p for `dof` degrees of freedom */
  inv(p: number, dof: number): number;
  cdf(x: number, dof: number): number;
}
const jStat = createRequire(import.meta.url)('jstat') as { studentt: StudentT };

/** The two-sided critical value t_{1-(1-level)/2, dof}: 2.776 for a 95 % interval from 5 values (dof 4). */
export function tCritical(level: number, dof: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level ${level}: expected a fraction between 0 and 1`);
  if (!(dof >= 1)) throw new RangeError(`degrees of freedom ${dof}: expected at least 1`);
  return jStat.studentt.inv(1 - (1 - level) / 2, dof);
}

/** Two-sided p-value of a t statistic: P(|T| >= |t|) with `dof` degrees of freedom. */
export function tTwoSidedP(t: number, dof: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  const tail = jStat.studentt.cdf(-Math.abs(t), dof);
  return Math.min(1, 2 * tail);
}
