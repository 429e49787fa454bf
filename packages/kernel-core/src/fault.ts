/**
 * Anonymous faults and copy-on-write (mm/memory.c, mm/huge_memory.c):
 * do_anonymous_page, do_huge_pmd_anonymous_page, do_wp_page,
 * do_huge_pmd_wp_page and do_swap_page, driven by `touch` events.
 */
import type { Kernel } from './kernel.js';
import { ModelInputError } from './errors.js';
import { P1, pageMapcount } from './folio.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import {
  type AnonVma,
  type MM,
  type PageTable,
  type Vma,
  pmdBase,
  pmdNone,
  pmdPageAccessed,
  pteIndex,
  ptePageAccessed,
  splitHugeZeroPmd,
  fillPtes,
  setPmd,
  setPte,
} from './mm.js';
import { mkPte, ptePfn, pteSwap, pteWrite, PTE_WRITE, PTE_YOUNG, swapSlot } from './pte.js';
import { ZERO_PFN, addRmapPmd, addRmapPtes, removeRmapPmd, removeRmapPtes } from './rmap.js';
import { shmemFault } from './shmem.js';

const PTL = site('pte_lockptr');
const PMD_LOCK = site('pmd_lock');
const COW_GET = site('do_wp_page');

/** Whether a THP may back this PMD range of the VMA (thp_vma_allowable_order). */
export function thpAllowed(k: Kernel, vma: Vma, base: number): boolean {
  // Before huge tmpfs (4.8) no shmem VMA is a THP candidate: 3.13's hugepage_vma_check refuses any VMA with vm_ops.
  if (vma.kind === 'shmem' && !k.params.shmemThp) return false;
  const mode = vma.kind === 'anon' ? k.settings['thp.enabled'] : k.settings['thp.shmem_enabled'];
  if (mode === 'never' || mode === 'deny' || vma.nohugepage) return false;
  if ((mode === 'madvise' || mode === 'advise') && !vma.hugepage) return false;
  return base >= vma.start && base + HPAGE_PMD_SIZE <= vma.end;
}

function vmaFor(mm: MM, addr: number, write: boolean): Vma {
  const vma = mm.findVma(addr);
  if (!vma) throw new ModelInputError('addr', `an address inside a mapping of pid ${mm.pid}`, addr);
  if (write && !vma.write) throw new ModelInputError('write', `a writable mapping at ${addr} (mprotected read-only)`, write);
  return vma;
}

/**
 * touch: read or write every page of [addr, addr+len). A write stores `value`
 * (or a fresh content token) into the page the process sees afterwards.
 */
export function touch(k: Kernel, mm: MM, addr: number, len: number, write: boolean, value?: number): void {
  const f = k.frames;
  const end = addr + len;
  let a = addr;
  while (a < end) {
    const vma = vmaFor(mm, a, write);
    const vend = Math.min(end, vma.end);
    if (vma.kind === 'shmem') {
      for (; a < vend; a += PAGE_SIZE) shmemFault(k, mm, vma, a, write, value);
      continue;
    }
    // One page table per PMD range; faults never replace it (zap is the only one that drops tables).
    while (a < vend) {
      const stop = Math.min(vend, pmdBase(a) + HPAGE_PMD_SIZE);
      const pt = mm.ptAlloc(a);
      for (; a < stop; a += PAGE_SIZE) {
        const i = pteIndex(a);
        let pfn: number;
        const v = pt.ptes[i]!;
        if (pt.pmd > 0 && (!write || pteWrite(pt.pmd))) {
          // Hot path: a huge PMD that allows the access.
          pmdPageAccessed(pt);
          pfn = ptePfn(pt.pmd) + i;
        } else if (pt.pmd === 0 && v > 0 && (!write || (v & PTE_WRITE) !== 0)) {
          // Hot path: a present PTE that allows the access; no fault.
          ptePageAccessed(pt, i);
          pfn = ptePfn(v);
        } else {
          pfn = faultInAnon(k, mm, vma, a, write);
          if (pfn < 0) continue; // out of memory: the access is dropped, recorded as an outcome
        }
        if (write) {
          if (value !== undefined) k.valueWrites++;
          const tok = value ?? k.nextToken();
          f.content[pfn] = tok;
          pt.shadow[i] = tok;
        }
      }
    }
  }
}

/**
 * Makes `addr` present (and writable for a write) and returns the pfn the
 * process now sees there, or -1 when memory ran out. Used by touch and GUP.
 */
export function faultInAnon(k: Kernel, mm: MM, vma: Vma, addr: number, write: boolean): number {
  const pt = mm.ptAlloc(addr);
  const i = pteIndex(addr);
  for (;;) {
    if (pt.pmd > 0) {
      if (write && !pteWrite(pt.pmd)) {
        hugeWpFault(k, mm, vma, addr, pt);
        // FOLL_COW: in a read-only VMA the fault broke CoW but the PMD stays read-only (5.8's GUP, gupBreaksCow).
        if (!vma.write && pt.pmd > 0) return ptePfn(pt.pmd) + i;
        continue; // the PMD was reused, replaced, or split: look again
      }
      pmdPageAccessed(pt);
      return ptePfn(pt.pmd) + i;
    }
    const v = pt.ptes[i]!;
    if (v === 0) {
      if (pmdNone(pt) && thpAllowed(k, vma, pmdBase(addr))) {
        // do_huge_pmd_anonymous_page: a read maps the huge zero page (thp.use_zero_page), a write (or a read without it) a THP.
        if (!write && k.settings['thp.use_zero_page'] === 1) {
          mapHugeZero(k, mm, vma, pt);
          return ZERO_PFN;
        }
        if (hugeAnonFault(k, mm, vma, addr, pt)) continue;
      }
      if (!write) {
        // do_anonymous_page read: map the shared zero page, no reference taken.
        setPte(pt, i, mkPte(ZERO_PFN, false));
        pt.used++;
        return ZERO_PFN;
      }
      const p = k.allocUserFolio(0, k.homeNode(mm), true);
      if (p < 0) return oom(k, mm, addr);
      newAnonPage(k, mm, vma, addr, p, 0);
      k.ledger.spinLock(PTL);
      setPte(pt, i, mkPte(p, vma.write)); // maybe_mkwrite
      pt.used++;
      addRmapPtes(k, mm, p, 1);
      k.ledger.spinUnlock();
      return p;
    }
    if (pteSwap(v)) {
      if (!swapIn(k, mm, vma, addr, pt, write)) return oom(k, mm, addr);
      continue;
    }
    if (write && !pteWrite(v)) {
      if (pt.hugeZero) {
        hugeZeroWpFault(k, mm, vma, addr, pt);
        continue; // a THP now, or small zero PTEs for do_wp_page
      }
      if (!wpPage(k, mm, vma, addr, pt)) return oom(k, mm, addr);
      if (!vma.write) return ptePfn(pt.ptes[i]!); // FOLL_COW, as above
      continue;
    }
    ptePageAccessed(pt, i);
    return ptePfn(v);
  }
}

/**
 * gup_must_unshare + FAULT_FLAG_UNSHARE (5.19+, a7f226604170): before a
 * read-only FOLL_PIN of an anon page that is not PageAnonExclusive, the
 * process gets the page to itself (reused if nobody else may hold it,
 * copied otherwise), mapped read-only still, so the pin and the mapping
 * stay coherent. Returns the pfn now mapped at addr, or -1 (out of memory).
 */
export function unshareAnon(k: Kernel, mm: MM, vma: Vma, addr: number): number {
  const pt = mm.ptAlloc(addr);
  const i = pteIndex(addr);
  for (;;) {
    if (pt.pmd > 0) {
      const head = ptePfn(pt.pmd);
      if (!mustUnshare(k, head)) return head + i;
      hugeWpFault(k, mm, vma, addr, pt, true);
      continue;
    }
    const v = pt.ptes[i]!;
    if (!(v > 0)) return faultInAnon(k, mm, vma, addr, false);
    const pfn = ptePfn(v);
    if (!mustUnshare(k, pfn)) return pfn;
    if (!wpPage(k, mm, vma, addr, pt, true)) return oom(k, mm, addr);
  }
}

/**
 * Whether a R/O pin of an anon page must unshare it first (gup_must_unshare):
 * `flagPfn` is the page whose PG_anon_exclusive speaks for the mapping (the
 * head for a PMD mapping, the page itself for a PTE).
 */
export function mustUnshare(k: Kernel, flagPfn: number): boolean {
  const f = k.frames;
  return k.params.anonExclusive && flagPfn !== ZERO_PFN && f.test(f.head(flagPfn), PG.anon) && !f.test(flagPfn, PG.anon_exclusive);
}

function oom(k: Kernel, mm: MM, addr: number): number {
  k.outcomes.record('fault', false, 'oom');
  k.emit({ type: 'oom', pid: mm.pid, addr });
  return -1;
}

/** anon_vma_prepare: the VMA's anon_vma, made at its first anonymous fault. */
function anonVmaPrepare(k: Kernel, mm: MM, vma: Vma): AnonVma {
  let av = vma.anonVma;
  if (!av) {
    av = k.newAnonVma(mm);
    vma.chain.push(av);
  }
  return av;
}

/** folio_add_new_anon_rmap's setup: anon_vma, linear index, anon-exclusive. */
function newAnonPage(k: Kernel, mm: MM, vma: Vma, addr: number, head: number, order: number): void {
  const f = k.frames;
  const av = anonVmaPrepare(k, mm, vma);
  f.mapping[head] = av.id;
  f.index[head] = vma.pgoffOf(addr - (order ? addr % HPAGE_PMD_SIZE : 0));
  f.flags[head] = f.flags[head]! | (1 << PG.anon_exclusive);
}

/** do_huge_pmd_anonymous_page: allocate and PMD-map a THP; false = fall back to 4 KiB. */
function hugeAnonFault(k: Kernel, mm: MM, vma: Vma, addr: number, pt: PageTable): boolean {
  const head = k.allocUserFolio(HPAGE_PMD_ORDER, k.homeNode(mm), true);
  if (head < 0) {
    k.outcomes.record('thp_fault', false, 'no_order9_block');
    k.emit({ type: 'thp_fault_fallback', pid: mm.pid, addr: pmdBase(addr) });
    return false;
  }
  newAnonPage(k, mm, vma, pmdBase(addr), head, HPAGE_PMD_ORDER);
  k.ledger.spinLock(PMD_LOCK);
  setPmd(pt, mkPte(head, vma.write));
  addRmapPmd(k, mm, head);
  k.ledger.spinUnlock();
  k.outcomes.record('thp_fault', true);
  return true;
}

/**
 * set_huge_zero_folio: a read-only PMD mapping the huge zero page over the
 * whole range. No folio is allocated, no rmap or RSS changes; the fault
 * still prepares the anon_vma (vmf_anon_prepare runs before the zero-page
 * test) and makes the range khugepaged's business.
 */
function mapHugeZero(k: Kernel, mm: MM, vma: Vma, pt: PageTable): void {
  anonVmaPrepare(k, mm, vma);
  k.ledger.spinLock(PMD_LOCK);
  fillPtes(pt, mkPte(ZERO_PFN, false));
  pt.used = HPAGE_PMD_NR;
  pt.hugeZero = true;
  pt.emptyTable = false;
  k.ledger.spinUnlock();
}

/**
 * A write fault on the huge zero PMD (do_huge_pmd_wp_page). hugeZeroWp
 * 'thp' (<= 5.7: `goto alloc`; 6.12+: do_huge_zero_wp_pmd, 1ced09e0331f)
 * allocates a zero-filled THP and maps it writable in place of the zero
 * PMD; if no order-9 block is free, or with 'split' (5.8-6.11, 3917c80280c9
 * `goto fallback`), the PMD is split into small zero PTEs and do_wp_page
 * faults the one page written.
 */
function hugeZeroWpFault(k: Kernel, mm: MM, vma: Vma, addr: number, pt: PageTable): void {
  if (k.params.hugeZeroWp === 'thp') {
    const head = k.allocUserFolio(HPAGE_PMD_ORDER, k.homeNode(mm), true);
    if (head >= 0) {
      newAnonPage(k, mm, vma, pmdBase(addr), head, HPAGE_PMD_ORDER);
      k.ledger.spinLock(PMD_LOCK);
      fillPtes(pt, 0);
      pt.used = 0;
      pt.hugeZero = false;
      setPmd(pt, mkPte(head, vma.write));
      addRmapPmd(k, mm, head);
      k.ledger.tlbFlush();
      k.ledger.spinUnlock();
      k.outcomes.record('thp_fault', true);
      return;
    }
    k.outcomes.record('thp_fault', false, 'no_order9_block');
    k.emit({ type: 'thp_fault_fallback', pid: mm.pid, addr: pmdBase(addr) });
  }
  k.ledger.spinLock(PMD_LOCK);
  splitHugeZeroPmd(pt);
  k.ledger.tlbFlush();
  k.ledger.spinUnlock();
}

/** do_swap_page: bring the page back from its swap slot. */
function swapIn(k: Kernel, mm: MM, vma: Vma, addr: number, pt: PageTable, write: boolean): boolean {
  const i = pteIndex(addr);
  const slot = swapSlot(pt.ptes[i]!);
  const p = k.allocUserFolio(0, k.homeNode(mm), true);
  if (p < 0) return false;
  const exclusive = k.swap.count[slot] === 1;
  newAnonPage(k, mm, vma, addr, p, 0);
  if (!exclusive) k.frames.flags[p] = k.frames.flags[p]! & ~(1 << PG.anon_exclusive);
  k.frames.content[p] = k.swap.content[slot]!;
  k.ledger.spinLock(PTL);
  setPte(pt, i, mkPte(p, write && exclusive && vma.write));
  addRmapPtes(k, mm, p, 1);
  k.ledger.spinUnlock();
  k.swap.put(slot);
  mm.swapEnts--;
  // Other processes still referring to the slot fault their own copy in later.
  return true;
}

/** Whether a write may reuse the mapped page in place (wp_can_reuse_anon_folio and its ancestors). */
function canReusePage(k: Kernel, mm: MM, pfn: number): boolean {
  const f = k.frames;
  const head = f.head(pfn);
  if (k.params.anonExclusive) {
    if (f.test(pfn, PG.anon_exclusive)) return true;
    // Small folios: reuse when nobody else holds a reference. Large ones: the sharedness design decides.
    if (f.order(head) === 0) return f.refcount[head] === 1;
    return k.policies.sharedness.canReuseLargeAnon?.(k, head, mm) ?? false;
  }
  // <= 5.18: reuse_swap_page / page_mapcount() == 1 (GUP references are not looked at).
  return pageMapcount(f, pfn) === 1;
}

/**
 * do_wp_page: write fault on a present read-only PTE. With `unshare`
 * (FAULT_FLAG_UNSHARE, 5.19+: a R/O pin of a possibly shared anon page) the
 * page becomes exclusive, reused or copied, but the PTE stays read-only.
 * The PTE becomes writable only in a writable VMA (maybe_mkwrite): 5.8's
 * GUP also write-faults read-only private mappings (gupBreaksCow).
 */
function wpPage(k: Kernel, mm: MM, vma: Vma, addr: number, pt: PageTable, unshare = false): boolean {
  const f = k.frames;
  const i = pteIndex(addr);
  const old = ptePfn(pt.ptes[i]!);
  if (old !== ZERO_PFN && canReusePage(k, mm, old)) {
    f.flags[old] = f.flags[old]! | (1 << PG.anon_exclusive);
    setPte(pt, i, pt.ptes[i]! | (unshare || !vma.write ? 0 : PTE_WRITE) | PTE_YOUNG);
    k.outcomes.record('cow', true, unshare ? 'unshare_reuse' : 'reuse');
    return true;
  }
  const p = k.allocUserFolio(0, k.homeNode(mm), true);
  if (p < 0) return false;
  newAnonPage(k, mm, vma, addr, p, 0);
  if (old !== ZERO_PFN) {
    f.content[p] = f.content[old]!;
    k.ledger.copyPage();
  }
  k.ledger.spinLock(PTL);
  setPte(pt, i, mkPte(p, !unshare && vma.write));
  addRmapPtes(k, mm, p, 1);
  if (old !== ZERO_PFN) {
    removeRmapPtes(k, mm, old, 1);
    k.folioPutRefs(f.head(old), 1, COW_GET);
  }
  k.ledger.spinUnlock();
  k.outcomes.record('cow', true, old === ZERO_PFN ? 'zero_page' : unshare ? 'unshare_copy' : 'copy');
  return true;
}

/** do_huge_pmd_wp_page: write fault (or, with `unshare`, an unshare fault) on a read-only huge PMD. */
function hugeWpFault(k: Kernel, mm: MM, vma: Vma, addr: number, pt: PageTable, unshare = false): void {
  const f = k.frames;
  const head = ptePfn(pt.pmd);
  const exclusive = k.params.anonExclusive
    ? f.test(head, PG.anon_exclusive) || f.refcount[head] === 1
    : f.entireMapcount[head + P1] === 1 && onlyPmdMapped(k, head);
  if (exclusive) {
    f.flags[head] = f.flags[head]! | (1 << PG.anon_exclusive);
    setPmd(pt, pt.pmd | (unshare || !vma.write ? 0 : PTE_WRITE) | PTE_YOUNG);
    k.outcomes.record('cow', true, unshare ? 'unshare_reuse_pmd' : 'reuse_pmd');
    return;
  }
  if (unshare) {
    // Unsharing never copies a THP: the PMD is split and the 4 KiB page unshared (VM_FAULT_FALLBACK).
    k.policies.refcount.splitHugePmd(k, mm, pmdBase(addr));
    return;
  }
  if (k.params.thpCow === 'huge') {
    const copy = k.allocUserFolio(HPAGE_PMD_ORDER, k.homeNode(mm), true);
    if (copy >= 0) {
      newAnonPage(k, mm, vma, pmdBase(addr), copy, HPAGE_PMD_ORDER);
      for (let j = 0; j < HPAGE_PMD_NR; j++) {
        f.content[copy + j] = f.content[head + j]!;
        k.ledger.copyPage();
      }
      k.ledger.spinLock(PMD_LOCK);
      setPmd(pt, mkPte(copy, vma.write));
      addRmapPmd(k, mm, copy);
      removeRmapPmd(k, mm, head);
      k.folioPutRefs(head, 1, COW_GET);
      k.ledger.tlbFlush();
      k.ledger.spinUnlock();
      k.outcomes.record('cow', true, 'copy_thp');
      k.emit({ type: 'cow_copy', pid: mm.pid, addr: pmdBase(addr), pages: HPAGE_PMD_NR });
      return;
    }
    k.outcomes.record('thp_fault', false, 'cow_no_order9_block');
    k.emit({ type: 'thp_fault_fallback', pid: mm.pid, addr: pmdBase(addr), cow: true });
  }
  // >= 5.8 (or no THP for the copy): split the PMD and CoW one 4 KiB page.
  k.policies.refcount.splitHugePmd(k, mm, pmdBase(addr));
}

function onlyPmdMapped(k: Kernel, head: number): boolean {
  const f = k.frames;
  // Design A: a compound page is never PTE-mapped; its tails' _mapcount count GUP pins (3.13 page_mapcount(head) == 1 ignores them).
  if (!k.policies.refcount.pteMappedThp) return true;
  for (let j = 0; j < HPAGE_PMD_NR; j++) if (f.mapcount[head + j] !== 0) return false;
  return true;
}
