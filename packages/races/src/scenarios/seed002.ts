/**
 * Seed 002 (Oleg Nesterov and Andrea Arcangeli, Dec 2013, "introduce
 * get_compound_page"): put_compound_page() on a THP tail (linux-3.13
 * mm/swap.c) takes get_page_unless_zero(page_head) and then
 * compound_lock(page_head). If the head was freed and reallocated in the
 * meantime, the count it takes is the new owner's, which prep_new_page
 * (mm/page_alloc.c) sets with set_page_refcounted() *before*
 * prep_compound_page() runs its non-atomic __SetPageHead() on the same
 * flags word that holds PG_compound_lock.
 *
 * The three orders of prep_new_page: 3.13's (refcount first), Andrea's
 * proposed fix (prep_compound_page, smp_wmb, set_page_refcounted), and the
 * same reorder without the barrier.
 */
import {
  PG_compound_lock,
  PG_head,
  PAGE_FLAGS,
  __setPageFlag,
  bit_spin_lock,
  clear_bit_unlock,
  get_page_unless_zero,
  put_page_testzero,
  set_page_count,
  unlessGot,
} from '../kernel/page.js';
import { countWord, flagsWord, label, load, path, smp_wmb, type FinalCheck, type Path, type RaceScenario, type Step, type WordDecl } from '../steps.js';

const SOURCE =
  'linux-3.13 mm/swap.c put_compound_page (get_page_unless_zero, compound_lock_irqsave, PageTail recheck); ' +
  'mm/page_alloc.c prep_new_page (set_page_refcounted before prep_compound_page) and prep_compound_page (__SetPageHead); ' +
  'include/linux/mm.h compound_lock / compound_unlock (bit_spin_lock / bit_spin_unlock of PG_compound_lock); compound_lock removed in v4.5';

const words: readonly WordDecl[] = [flagsWord('H.flags', 0, PAGE_FLAGS), countWord('H._count', 0), flagsWord('T.flags', 0, PAGE_FLAGS)];

/**
 * CPU0: put_page(tail) → put_compound_page, already holding page_head = H
 * from compound_trans_head() read before H was freed (S17 step 1). The
 * tail T is no longer a tail (the THP was split), so after the lock it
 * unlocks and drops the head reference.
 */
const putCompoundPage: Path = path('put_compound_page', [
  get_page_unless_zero('put_compound_page', 'H._count', 'got'),
  unlessGot('got', 'out'),
  load('put_compound_page', 'H.flags', 'slab', { what: 'PageSlab(page_head)' }),
  bit_spin_lock('compound_lock_irqsave', 'H.flags', PG_compound_lock),
  load('put_compound_page', 'T.flags', 'tail', { what: 'PageTail(page) recheck' }),
  clear_bit_unlock('compound_unlock_irqrestore', 'H.flags', PG_compound_lock, {
    into: 'held',
    check: {
      assertion: 'compound_lock lost: PG_compound_lock was wiped while held',
      holds: (r) => (r.held! & PG_compound_lock) !== 0,
    },
  }),
  put_page_testzero('put_compound_page', 'H._count', 'last'),
  label('out'),
]);

const setPageHead = (): Step[] => __setPageFlag('prep_compound_page', 'H.flags', PG_head, 'f', '__SetPageHead');
const refcounted = (): Step => set_page_count('set_page_refcounted', 'H._count', 1);

const headKept: FinalCheck = {
  assertion: 'PG_head lost: the new compound page is not a head',
  reads: ['H.flags'],
  holds: (m) => (m('H.flags') & PG_head) !== 0,
};

const scenario = (name: string, title: string, prep: Path, expect: RaceScenario['expect'], notes: string): RaceScenario => ({
  name,
  title,
  source: SOURCE,
  words,
  cpus: [putCompoundPage, prep],
  finally: [headKept],
  expect,
  notes,
});

export const seed002Unfixed = scenario(
  'seed002-prep-compound-unfixed',
  "prep_new_page as in 3.13: the count is set before __SetPageHead's non-atomic RMW of the flags word",
  path('prep_new_page', [refcounted(), setPageHead()]),
  { sc: 'reachable', weak: 'reachable' },
  'get_page_unless_zero succeeds as soon as the count is 1; compound_lock then sets its bit between the load and the store of __SetPageHead, and the store wipes it. PG_head itself cannot be lost here: every other write to the word is atomic.',
);

export const seed002Fixed = scenario(
  'seed002-prep-compound-fixed',
  "Andrea's order: prep_compound_page, smp_wmb(), then set_page_refcounted",
  path('prep_new_page', [setPageHead(), smp_wmb('prep_new_page'), refcounted()]),
  { sc: 'unreachable', weak: 'unreachable' },
  'The count stays 0 until the flags store is visible, so get_page_unless_zero fails until then.',
);

export const seed002NoWmb = scenario(
  'seed002-prep-compound-no-wmb',
  'the reorder without the barrier: the count store may become visible before the flags store',
  path('prep_new_page', [setPageHead(), refcounted()]),
  { sc: 'unreachable', weak: 'reachable' },
  'Safe under sequential consistency; on a machine whose stores reach other CPUs out of order the count can be seen first, which is what the smp_wmb is for.',
);
