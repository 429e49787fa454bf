import { map, type OperatorFunction } from 'rxjs';
import type { Aligned } from './alignBySeq.js';

export interface Delta {
  value: number;
  /** value minus the baseline's value */
  delta: number;
  /** delta / baseline; undefined when the baseline is 0 and the value is not */
  relative: number | undefined;
}

/** A value against the baseline design's value. */
export function deltaOf(value: number, baseline: number): Delta {
  const delta = value - baseline;
  const relative = baseline !== 0 ? delta / baseline : delta === 0 ? 0 : undefined;
  return { value, delta, relative };
}

export interface DeltaRow {
  seq: number;
  /** per design in source order; the first (the baseline) always has delta 0; undefined where a design has no value yet */
  deltas: ReadonlyArray<Delta | undefined>;
}

/**
 * Deltas of every design against the baseline design (the first source of
 * alignBySeq) for the metric `select` reads. Rows where the baseline has no
 * value yet have no deltas.
 */
export function deltaVsBaseline<T>(select: (t: T) => number): OperatorFunction<Aligned<T>, DeltaRow> {
  return map((row) => {
    const base = row.values[0];
    const b = base === undefined ? undefined : select(base);
    return {
      seq: row.seq,
      deltas: row.values.map((v) => (v === undefined || b === undefined ? undefined : deltaOf(select(v), b))),
    };
  });
}
