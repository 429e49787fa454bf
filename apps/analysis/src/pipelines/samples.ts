import { filter, map, type OperatorFunction } from 'rxjs';
import type { Observation } from '@pagelab/events';
import { isSample, toSample, type Sample } from '../metrics.js';

/** Keeps the metric samples of an observation stream, with absent counters read as 0. */
export function samples(): OperatorFunction<Observation, Sample> {
  return (source) => source.pipe(filter(isSample), map(toSample));
}
