import { describe, expect, it } from 'vitest';
import { explore } from '../explore.js';
import type { MemoryModel } from '../steps.js';
import { RACE_SCENARIOS, findRaceScenario } from './index.js';

const MODELS: readonly MemoryModel[] = ['sc', 'weak'];

describe('every race scenario reaches its known verdict, and the reduction hides nothing', () => {
  for (const s of RACE_SCENARIOS) {
    for (const memoryModel of MODELS) {
      // The three-CPU seed001 scenarios explore ~18,000 states twice (reduced and
      // unreduced, about 0.4 s here); the budget allows for a loaded 2-core machine.
      it(`${s.name} is ${s.expect![memoryModel]} under ${memoryModel}, with the same violations as the unreduced search`, { timeout: 30_000 }, () => {
        const reduced = explore(s, { memoryModel });
        const full = explore(s, { memoryModel, reduction: 'none' });
        expect(reduced.violations.length > 0 ? 'reachable' : 'unreachable').toBe(s.expect![memoryModel]);
        expect(reduced.violations.map((v) => v.assertion)).toEqual(full.violations.map((v) => v.assertion));
        expect(reduced.interleavings).toBeLessThanOrEqual(full.interleavings);
        expect(reduced.interleavings).toBeGreaterThan(0);
      });
    }
  }
});

describe('seed counterexamples read like the mail threads', () => {
  it("seed002 unfixed: __SetPageHead's store lands between compound_lock and compound_unlock", () => {
    const v = explore(findRaceScenario('seed002-prep-compound-unfixed')!, { memoryModel: 'sc' }).violations;
    expect(v.map((x) => x.assertion)).toEqual(['compound_lock lost: PG_compound_lock was wiped while held']);
    const line = v[0]!.steps.map((s) => `CPU${s.cpu} ${s.function} ${s.op} ${s.word}`);
    const i = (l: string) => line.indexOf(l);
    expect(i('CPU1 set_page_refcounted store H._count')).toBeLessThan(i('CPU0 put_compound_page rmw H._count'));
    expect(i('CPU1 prep_compound_page load H.flags')).toBeLessThan(i('CPU0 compound_lock_irqsave rmw H.flags'));
    expect(i('CPU0 compound_lock_irqsave rmw H.flags')).toBeLessThan(i('CPU1 prep_compound_page store H.flags'));
    expect(line.at(-1)).toBe('CPU0 compound_unlock_irqrestore rmw H.flags');
  });
  it('seed002 without the smp_wmb: the count becomes visible before the flags store', () => {
    const steps = explore(findRaceScenario('seed002-prep-compound-no-wmb')!, { memoryModel: 'weak' }).violations[0]!.steps;
    const commits = steps.filter((s) => s.op === 'commit').map((s) => s.word);
    expect(commits).toEqual(['H._count', 'H.flags']);
  });
  it('PG_head is never lost in seed002: every other write to the flags word is atomic', () => {
    for (const m of MODELS) {
      const v = explore(findRaceScenario('seed002-prep-compound-unfixed')!, { memoryModel: m }).violations;
      expect(v.some((x) => x.assertion.startsWith('PG_head lost'))).toBe(false);
    }
  });
  it('seed001 speculative lookup: the page is freed, handed to file B, and then locked', { timeout: 30_000 }, () => {
    const v = explore(findRaceScenario('seed001-speculative-lookup')!, { memoryModel: 'sc' }).violations;
    const lock = v.find((x) => x.assertion.startsWith('lock_page()'))!;
    const fns = lock.steps.map((s) => `${s.cpu}:${s.function}`);
    expect(fns).toContain('1:__free_one_page');
    expect(fns).toContain('2:rmqueue');
    expect(fns.indexOf('2:rmqueue')).toBeLessThan(fns.lastIndexOf('0:shmem_undo_range'));
  });
});
