/**
 * The balloon meter and its exhaustive twin (every table re-read at every
 * settle, no census reused) watching one kernel through the same events:
 * what a test compares to show that the meter's skips change no count.
 */
import type { WorkloadEvent } from '@pagelab/events';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Kernel, type MachineConfig, type Settings, applyEvent } from '@pagelab/kernel-core';
import { BalloonMeter, type BalloonSummary } from '../balloon.js';
import { designFrom } from '../design.js';
import type { Registry } from '../registry.js';

export interface BothMeters {
  skipping?: BalloonSummary;
  exhaustive?: BalloonSummary;
}

/**
 * Both meters' blocks after `events` under `design`. With `stopAtRefused`
 * (random streams), the replay ends for both at the first event the design
 * refuses; without it such an event throws.
 */
export function balloonBothWays(
  registry: Registry,
  design: string,
  machine: MachineConfig,
  settings: Partial<Settings>,
  events: readonly WorkloadEvent[],
  stopAtRefused = false,
): BothMeters {
  const d = designFrom(design, registry);
  if (isLeft(d)) throw new Error(d.left.message);
  const k = new Kernel(machine, d.right.createPolicies(), { ...d.right.params }, settings);
  const skipping = new BalloonMeter();
  const exhaustive = new BalloonMeter(true);
  let seq = 0;
  for (const e of events) {
    seq++;
    skipping.before(k, e, seq);
    exhaustive.before(k, e, seq);
    try {
      applyEvent(k, e, seq + 1);
    } catch (err) {
      if (stopAtRefused) break; // input this design refuses: the stream stops here for both
      throw err;
    }
    k.drain();
    skipping.after(k, e);
    exhaustive.after(k, e);
  }
  return { skipping: skipping.result(k), exhaustive: exhaustive.result(k) };
}
