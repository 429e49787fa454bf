// The scenario docs/races.md shows under "Writing a scenario", kept here so the example cannot rot.
import { describe, expect, it } from 'vitest';
import { explore } from './explore.js';
import { PAGE_FLAGS, PG_locked, __setPageFlag, get_page_unless_zero, lock_page, set_page_count, unlessGot, unlock_page } from './kernel/page.js';
import { countWord, flagsWord, label, path, rmw, type RaceScenario } from './steps.js';

const scenario: RaceScenario = {
  name: 'my-lock-race',
  title: 'trylock against a non-atomic __SetPageLocked',
  source: 'mm/filemap.c lock_page; mm/page_alloc.c prep_new_page',
  words: [flagsWord('P.flags', 0, PAGE_FLAGS), countWord('P._refcount', 0)],
  cpus: [
    path('speculative', [
      get_page_unless_zero('find_get_page', 'P._refcount', 'got'),
      unlessGot('got', 'out'),
      lock_page('find_lock_page', 'P.flags'),
      unlock_page('find_lock_page', 'P.flags'),
      label('out'),
    ]),
    path('alloc', [
      set_page_count('prep_new_page', 'P._refcount', 1),
      __setPageFlag('add_to_page_cache', 'P.flags', PG_locked, 'f', '__SetPageLocked'),
      rmw('unlock_page', 'P.flags', (old) => old & ~PG_locked, {
        into: 'held',
        check: { assertion: 'PG_locked lost while held', holds: (r) => (r.held! & PG_locked) !== 0 },
      }),
    ]),
  ],
  expect: { sc: 'reachable', weak: 'reachable' },
};

describe('the docs example', () => {
  it("a trylock between __SetPageLocked's load and store loses the new owner's PG_locked in 7 steps", () => {
    const v = explore(scenario, { memoryModel: 'sc' }).violations;
    expect(v.map((x) => [x.assertion, x.steps.length])).toEqual([['PG_locked lost while held', 7]]);
  });
});
