// The two functions of jstat (1.9.6, no bundled types) the statistics use.
declare module 'jstat' {
  interface StudentT {
    /** inverse CDF: the x with P(T <= x) = p for `dof` degrees of freedom */
    inv(p: number, dof: number): number;
    cdf(x: number, dof: number): number;
  }
  const jStat: { studentt: StudentT };
  export default jStat;
}
