import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { normalizeMetrics } from '../metrics.js';
import type { Metrics, Sample } from '../types.js';

/** A TestScheduler whose assertions are vitest deep equality. */
export function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

export function sample(seq: number, m: Partial<Metrics> = {}): Sample {
  return { seq, metrics: normalizeMetrics(m) };
}
