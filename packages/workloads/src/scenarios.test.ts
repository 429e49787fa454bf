import { validateLogText } from '@pagelab/events';
import { describe, expect, it } from 'vitest';
import { findScenario, scenarios } from './registry.js';

function lines(s: ReturnType<(typeof scenarios)[number]['generate']>): string[] {
  return [JSON.stringify(s.header), ...s.events.map((e) => JSON.stringify(e))];
}

describe('named workloads', () => {
  it('every seed scenario named in the issues is registered', () => {
    for (const n of [
      'seed002-dio-thp-tail',
      'seed000-split-pinned-tail',
      's5-split-pinned-tail',
      's6-deferred-split-pinned',
      's8-mprotect-one-page',
      's9-munmap-one-page',
      's10-fork-cow-one-byte',
      's18-split-lock-nesting',
      's1-false-negative',
      's2-first-subpage-mapped',
      's3-after-deferred-split',
      's4-owner-false-positive',
      's20-heavily-shared-half',
      's21-selftest-max-ptes-shared',
      'fork-heavy-random',
    ]) {
      expect(findScenario(n), n).toBeDefined();
    }
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s generates a log the validator accepts', async (_name, s) => {
    const log = s.generate(s.name === 'mixed' ? { events: 20_000 } : {});
    const report = await validateLogText(lines(log), { name: s.name });
    expect(report.errors).toEqual([]);
    expect(report.events).toBe(log.events.length);
  });

  it('the same seed gives the same generated workload, another seed another one', () => {
    const s = findScenario('fork-heavy-random')!;
    expect(JSON.stringify(s.generate({ seed: 7 }))).toBe(JSON.stringify(s.generate({ seed: 7 })));
    expect(JSON.stringify(s.generate({ seed: 7 }))).not.toBe(JSON.stringify(s.generate({ seed: 8 })));
  });

  it('an unknown or out-of-range parameter is refused with its name and the expected value', () => {
    const s = findScenario('seed002-dio-thp-tail')!;
    expect(() => s.generate({ dioz: 3 })).toThrow(/unknown parameter "dioz", expected one of dios, pages, tail/);
    expect(() => s.generate({ tail: 0 })).toThrow(/parameter tail: expected an integer in 1..511, got 0/);
  });

  it('the mixed benchmark workload has exactly the requested number of events', () => {
    expect(findScenario('mixed')!.generate({ events: 5000 }).events).toHaveLength(5000);
  });
});
