/**
 * tail-refcount [A]: THP refcounting as Linux 3.13 (T313) did it, up to 4.4.
 *
 * The head's _count holds every reference to the compound page, including
 * the GUP/get_page references taken on tails; each tail's _mapcount (free,
 * since a compound page is only ever PMD-mapped) counts the references held
 * on that tail, so split can hand every pin to its own page. Tail get/put
 * take the head's compound_lock (a bit spinlock in the head's flags) to
 * serialise against __split_huge_page_refcount. split_huge_page never fails
 * because of references, and any PMD-level change splits the whole page.
 *
 * perTailLockInSplit = A′ (Oleg Nesterov's 2013 proposal, seed 002): split
 * also takes every tail's compound_lock, nested and held to the end, which
 * is what Andrea Arcangeli objected to (511 more locked ops per split, and a
 * nesting no lock validator or preempt_count can hold).
 */
import * as t from 'io-ts';
import {
  type MM,
  PG,
  type PolicyCtx,
  type PolicyDescriptor,
  type RefcountPolicy,
  type SplitResult,
  clearCompoundHead,
  entireMapcount,
  folioMappings,
  makeTailIndependent,
  pmdToPtes,
  ptePfn,
  pteWrite,
  pteYoung,
  rmapPmdBecomesPtes,
  site,
  splitAndRecord,
  splitFolioFrozen,
  splitHugePmdLocked,
} from '@pagelab/kernel-core';

const GET_PAGE = site('get_page');
const PUT_PAGE = site('put_page');
const GET_TAIL = site('get_page.tail');
const PUT_TAIL = site('put_page.tail');
const GUP_HUGE_PMD = site('gup_huge_pmd');
const GUP_PTE = site('gup_pte_range');
const GET_FOLL = site('get_page_foll');
const SPLIT_PMD = site('split_huge_page_pmd');
const ANON_VMA = site('split_huge_page.anon_vma');
const SPLITTING = site('__split_huge_page_splitting');
const LRU_LOCK = site('__split_huge_page_refcount.lru_lock');
const REFCOUNT = site('__split_huge_page_refcount');
const TAIL_LOCK = site('__split_huge_page_refcount.tail_compound_lock');
const LRU_TAIL = site('lru_add_page_tail');
const SPLIT_PUT = site('split_huge_page.put_tail');
const SPLIT_MAP = site('__split_huge_page_map');

/**
 * The PMD's _PAGE_BIT_SPLITTING. The model's page tables hold PMDs as plain
 * numbers, so pmdp_splitting_flush's test_and_set_bit is charged on this
 * scratch word (the count is what matters; the PMD is frozen by the caller's
 * PT lock and the anon_vma lock for the whole split anyway).
 */
const pmdSplittingWord = new Uint32Array(1);
const PMD_SPLITTING_BIT = 0;

export const TailRefcountParams = t.type({
  /** A′: __split_huge_page_refcount also takes each tail's compound_lock, nested until the end. */
  perTailLockInSplit: t.boolean,
});
export type TailRefcountParams = t.TypeOf<typeof TailRefcountParams>;

export function createTailRefcount(params: TailRefcountParams = { perTailLockInSplit: false }): RefcountPolicy {
  const perTail = params.perTailLockInSplit;
  const policy: RefcountPolicy = {
    id: 'tail-refcount',
    pteMappedThp: false,
    getPage: (k, pfn) => (k.frames.isTail(pfn) ? getPageTail(k, pfn) : void k.ledger.atomicInc(k.frames.refcount, k.frames.head(pfn), GET_PAGE)),
    putPage: (k, pfn) => (k.frames.isTail(pfn) ? putCompoundPageTail(k, pfn) : k.folioPutRefs(k.frames.head(pfn), 1, PUT_PAGE)),
    // FOLL_PIN does not exist in this era: a pin is a FOLL_GET reference.
    gupGrab: (k, pfn, nr, _kind, fast) => (fast ? gupFast(k, pfn, nr) : getPageFoll(k, pfn, nr)),
    gupRelease: (k, pfn) => policy.putPage(k, pfn),
    splitHugePmd: (k, mm, addr) => splitHugePagePmd(k, mm, addr),
    splitHugePage: (k, head) => splitHugePage(k, head, perTail),
  };
  return policy;
}

/**
 * __get_page_tail (T313 mm/swap.c), the non-slab path: pin the head so the
 * compound page cannot go away, take its compound_lock so split cannot run,
 * and count the reference on the tail. The head reference stays as the pin's.
 * 4 locked ops, 1 acquisition.
 */
function getPageTail(k: PolicyCtx, pfn: number): void {
  const f = k.frames;
  const l = k.ledger;
  const head = f.head(pfn);
  if (!l.atomicIncNotZero(f.refcount, head, GET_TAIL)) throw new Error(`get_page on tail ${pfn} of a freed compound page ${head}`);
  l.bitSpinLock(f.flags, head, PG.compound_lock, GET_TAIL); // compound_lock_irqsave
  l.atomicInc(f.mapcount, pfn, GET_TAIL); // still PageTail: the tail's _mapcount counts its references
  l.bitSpinUnlock(f.flags, head, PG.compound_lock, GET_TAIL);
}

/**
 * put_compound_page on a tail (T313 mm/swap.c), normal path: a temporary
 * head reference and compound_lock keep split away while the tail's count
 * drops, then the pin's head reference goes, freeing the compound page if it
 * was the last. 6 locked ops, 1 acquisition.
 */
function putCompoundPageTail(k: PolicyCtx, pfn: number): void {
  const f = k.frames;
  const l = k.ledger;
  const head = f.head(pfn);
  if (!l.atomicIncNotZero(f.refcount, head, PUT_TAIL)) throw new Error(`put_page on tail ${pfn} of a freed compound page ${head}`);
  l.bitSpinLock(f.flags, head, PG.compound_lock, PUT_TAIL);
  if (l.atomicDecAndTest(f.refcount, head, PUT_TAIL)) throw new Error(`put_page on tail ${pfn}: head ${head} reached 0 under compound_lock`);
  l.atomicDec(f.mapcount, pfn, PUT_TAIL);
  l.bitSpinUnlock(f.flags, head, PG.compound_lock, PUT_TAIL);
  k.folioPutRefs(head, 1, PUT_TAIL);
}

/**
 * gup_fast (x86 gup_huge_pmd / gup_pte_range, T313), IRQs off so split's
 * IPI cannot run: on a huge PMD, one _mapcount increment per tail subpage,
 * one atomic_add of all references on the head, SetPageReferenced.
 */
function gupFast(k: PolicyCtx, pfn: number, nr: number): void {
  const f = k.frames;
  const l = k.ledger;
  const head = f.head(pfn);
  if (!f.isLarge(head)) {
    l.atomicAdd(f.refcount, head, nr, GUP_PTE);
    return;
  }
  for (let i = 0; i < nr; i++) if (f.isTail(pfn + i)) l.atomicInc(f.mapcount, pfn + i, GUP_HUGE_PMD); // get_huge_page_tail
  l.atomicAdd(f.refcount, head, nr, GUP_HUGE_PMD); // get_head_page_multiple
  l.setBit(f.flags, head, PG.referenced, GUP_HUGE_PMD);
}

/**
 * get_page_foll (T313 mm/internal.h) from follow_page: the caller holds the
 * page-table lock, which excludes split, so a tail reference is two plain
 * atomics (head _count, tail _mapcount) and no compound_lock.
 */
function getPageFoll(k: PolicyCtx, pfn: number, nr: number): void {
  const f = k.frames;
  const l = k.ledger;
  const head = f.head(pfn);
  for (let i = 0; i < nr; i++) {
    l.atomicInc(f.refcount, head, GET_FOLL);
    if (f.isTail(pfn + i)) l.atomicInc(f.mapcount, pfn + i, GET_FOLL);
  }
}

/**
 * split_huge_page_pmd (T313 __split_huge_page_pmd): there is no PMD-only
 * split in this design; the whole compound page is split, with a reference
 * taken under the PT lock. Never fails for an anon THP.
 */
function splitHugePagePmd(k: PolicyCtx, mm: MM, addr: number): void {
  const pt = mm.pt(addr);
  if (!pt || pt.pmd <= 0) return;
  const f = k.frames;
  const head = ptePfn(pt.pmd);
  if (!f.test(head, PG.anon)) {
    // No shmem THP existed in 3.13; a shmem PMD (only if a design enables it) is dropped like the later kernels do.
    splitHugePmdLocked(k, mm, addr);
    return;
  }
  k.ledger.spinLock(SPLIT_PMD);
  k.ledger.atomicInc(f.refcount, head, SPLIT_PMD); // get_page(page)
  k.ledger.spinUnlock();
  const ok = splitAndRecord(k, head, 'split_huge_page_pmd');
  k.folioPutRefs(head, 1, SPLIT_PMD);
  if (!ok || pt.pmd > 0) throw new Error(`split_huge_page_pmd: pid ${mm.pid} PMD at ${addr} still maps compound page ${head} (BUG_ON(pmd_trans_huge))`);
}

/**
 * split_huge_page (T313 split_huge_page_to_list -> __split_huge_page). The
 * caller holds a reference. Phase 1 freezes every PMD mapping (splitting
 * bit + TLB flush), phase 2 (__split_huge_page_refcount) makes 512 pages
 * under lru_lock and compound_lock, handing each tail its mappings and its
 * own pins, phase 3 (__split_huge_page_map) turns each PMD into 512 PTEs.
 * Fails only without an anon_vma; references never stop it.
 */
function splitHugePage(k: PolicyCtx, head: number, perTail: boolean): SplitResult {
  const f = k.frames;
  const l = k.ledger;
  if (!f.isLarge(head)) return { ok: true };
  if (!f.test(head, PG.anon)) return splitFolioFrozen(k, head); // no file THP in this era; see splitHugePagePmd
  const av = k.anonVma(f.mapping[head]!);
  if (!av) return { ok: false, reason: 'no_anon_vma' };
  l.atomicInc(av.refs, 0, ANON_VMA); // page_get_anon_vma
  l.downWrite(ANON_VMA); // anon_vma_lock_write

  // Phase 1: __split_huge_page_splitting on every PMD mapping.
  const maps = folioMappings(k, head).filter((m) => m.pmd);
  for (const m of maps) {
    l.spinLock(SPLITTING);
    l.testAndSetBit(pmdSplittingWord, 0, PMD_SPLITTING_BIT, SPLITTING); // pmdp_splitting_flush
    pmdSplittingWord[0] = 0;
    l.tlbFlush();
    l.spinUnlock();
    rmapPmdBecomesPtes(k, m.mm, head);
  }
  const mapcount = entireMapcount(f, head); // page_mapcount(head): PMD mappings
  if (maps.length !== mapcount) throw new Error(`__split_huge_page: found ${maps.length} PMD mappings of ${head}, mapcount ${mapcount} (BUG)`);

  // Phase 2: __split_huge_page_refcount.
  const nr = f.nrPages(head);
  const nid = k.nid(head);
  l.spinLockIrqSave(LRU_LOCK);
  l.bitSpinLock(f.flags, head, PG.compound_lock, REFCOUNT);
  let tailCount = 0;
  for (let i = nr - 1; i >= 1; i--) {
    const tp = head + i;
    if (perTail) l.bitSpinLock(f.flags, tp, PG.compound_lock, TAIL_LOCK);
    const pins = f.mapcount[tp]!; // the tail's _mapcount counted its references
    tailCount += pins;
    l.atomicAdd(f.refcount, tp, mapcount + pins + 1, REFCOUNT);
    makeTailIndependent(k, head, i); // flags, mapping, index; PageTail goes
    if (perTail) l.__setBit(f.flags, tp, PG.compound_lock); // its lock stays held across the flags copy (a plain store)
    l.set(f.mapcount, tp, mapcount); // each PMD mapping becomes a PTE mapping of this page
    l.setBit(f.flags, tp, PG.lru, LRU_TAIL); // lru_add_page_tail
    k.lru.link(tp, nid);
  }
  l.atomicAdd(f.refcount, head, -tailCount, REFCOUNT);
  l.set(f.mapcount, head, mapcount);
  clearCompoundHead(k, head);
  if (perTail) for (let i = 1; i < nr; i++) l.bitSpinUnlock(f.flags, head + i, PG.compound_lock, TAIL_LOCK);
  l.bitSpinUnlock(f.flags, head, PG.compound_lock, REFCOUNT);
  l.spinUnlockIrqRestore();
  // Drop the "+1" each tail got above: an unmapped, unpinned tail is freed here.
  k.putSmallPages(head + 1, nr - 1, SPLIT_PUT);

  // Phase 3: __split_huge_page_map.
  for (const m of maps) {
    const pt = m.mm.pt(m.addr)!;
    l.spinLock(SPLIT_MAP);
    const write = pteWrite(pt.pmd),
      young = pteYoung(pt.pmd);
    pmdToPtes(pt, head, write, young);
    l.tlbFlush(); // pmdp_invalidate + flush
    l.spinUnlock();
  }
  l.upWrite(ANON_VMA);
  l.atomicDec(av.refs, 0, ANON_VMA); // put_anon_vma
  return { ok: true };
}

export const descriptor: PolicyDescriptor<'refcount', TailRefcountParams> = {
  id: 'tail-refcount',
  axis: 'refcount',
  title: 'Tail-page THP refcount: pins counted per tail under compound_lock, PMD-only THPs, split never fails',
  models: 'Linux 3.13 (T313) up to 4.4 (T44); seed 002 (perTailLockInSplit = A′, Oleg Nesterov 2013)',
  params: TailRefcountParams,
  defaults: { perTailLockInSplit: false },
  paramDocs: {
    perTailLockInSplit: "A′: split also takes every tail's compound_lock, 511 more nested bit spinlocks (nesting 514; seed 002)",
  },
  create: (params) => createTailRefcount(params),
};

export default descriptor;
