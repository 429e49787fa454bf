/**
 * The balloon meter skips, at each settle, a 2 MiB range whose page table
 * nothing wrote or freed since its marks were last found unpopulated there
 * (PageTable.gen), and within a table every group of 8 PTEs nothing wrote
 * (groupGen). That is only an optimisation if it never changes a count:
 * random streams of every event type, under every preset, are replayed
 * with a skipping meter and an exhaustive one watching the same kernel, and
 * their balloon blocks must be equal.
 */
import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { STREAM_MACHINE, STREAM_SETTINGS, propertyParams, streamArbitrary, type Settings } from '@pagelab/kernel-core';
import type { WorkloadEvent } from '@pagelab/events';
import { designFrom } from './design.js';
import { PRESETS } from './presets.js';
import type { Registry } from './registry.js';
import { balloonBothWays } from './testing/balloon.js';
import { installedRegistry } from './testing/checked.js';

const { seed: SEED, numRuns: RUNS } = propertyParams(0xba1100, 40);

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

/** Both meters' blocks after the stream (up to the first event the design refuses). */
const bothMeters = (design: string, events: readonly WorkloadEvent[]) =>
  balloonBothWays(registry, design, STREAM_MACHINE, STREAM_SETTINGS as Partial<Settings>, events, true);

describe('the balloon meter skips only tables that cannot hold a refill', () => {
  const refilled = { runs: 0, bytes: 0 };
  for (const preset of PRESETS) {
    it(`${preset.name}: over random streams the skipping meter counts what the exhaustive one counts`, (ctx) => {
      if (isLeft(designFrom(preset.name, registry))) {
        console.warn(`skipped ${preset.name}: its policy package is not installed`);
        ctx.skip();
        return;
      }
      fc.assert(
        fc.property(streamArbitrary(fc, { maxEvents: 80 }), (events) => {
          const { skipping, exhaustive } = bothMeters(preset.name, events);
          expect(skipping).toEqual(exhaustive);
          if (exhaustive && exhaustive.refilledBytes > 0) {
            refilled.runs++;
            refilled.bytes += exhaustive.refilledBytes;
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }, 120_000);
  }

  it('the streams give the meters refills to find (the comparison is not between two empty blocks)', () => {
    expect(refilled.runs).toBeGreaterThan(0);
  });
});
