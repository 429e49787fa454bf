import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { WASTE_CAUSES, type Metrics, type WasteCause } from '@pagelab/events';
import { metricsWith, type Sample } from '../metrics.js';

/** A TestScheduler whose assertions are vitest deep equality. */
export function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Some metrics of a sample; the waste causes not named read 0, as in a real sample, which names all five. */
export type SampleInput = Partial<Omit<Metrics, 'wasteByCause'>> & { wasteByCause?: Partial<Record<WasteCause, number>> };

/** Bytes by cause with every waste cause present (0 where not given), plus any other key given (`unattributed`). */
export function causes(given: Readonly<Record<string, number>> = {}): Record<string, number> {
  return { ...Object.fromEntries(WASTE_CAUSES.map((c) => [c, 0])), ...given };
}

export function sample(seq: number, m: SampleInput = {}): Sample {
  const { wasteByCause, ...rest } = m;
  return { seq, metrics: metricsWith({ ...rest, wasteByCause: { ...metricsWith().wasteByCause, ...wasteByCause } }) };
}
