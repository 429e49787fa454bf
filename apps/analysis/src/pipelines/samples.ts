import { filter, map, type OperatorFunction } from 'rxjs';
import { isSample, toSample } from '../metrics.js';
import type { Observation, Sample } from '../types.js';

/** Keeps the metric samples of an observation stream, with absent counters read as 0. */
export function samples(): OperatorFunction<Observation, Sample> {
  return (source) => source.pipe(filter(isSample), map(toSample));
}
