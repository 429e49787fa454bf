/**
 * fork (kernel/fork.c dup_mmap, mm/memory.c copy_page_range,
 * mm/huge_memory.c copy_huge_pmd) and exit.
 *
 * Anonymous memory is shared copy-on-write: both sides' entries are
 * write-protected, each shared page gains a mapping and a reference.
 * Shared (shmem) mappings are not copied; the child refaults them.
 * From 5.9, an anon-exclusive page of a maybe-DMA-pinned folio is copied
 * at fork instead (the pin must keep pointing at the parent's data).
 */
import type { Kernel } from './kernel.js';
import { pincount } from './folio.js';
import { GUP_PIN_COUNTING_BIAS, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import { type MM, type PageTable, pmdNone, setPmd, setPte } from './mm.js';
import { PTE_YOUNG, mkPte, ptePfn, pteSwap, pteWrite, pteWrprotect, swapSlot } from './pte.js';
import { ZERO_PFN, addRmapPmd, addRmapPtes } from './rmap.js';
import { munmap } from './vma_ops.js';

const DUP_PTE = site('copy_present_pte');
const DUP_PMD = site('copy_huge_pmd');
const FORK_PTL = site('copy_pte_range.ptl');

/** folio_maybe_dma_pinned. */
export function maybeDmaPinned(k: Kernel, head: number): boolean {
  const f = k.frames;
  return f.order(head) >= 2 ? pincount(f, head) > 0 : f.refcount[head]! >= GUP_PIN_COUNTING_BIAS;
}

export function fork(k: Kernel, parent: MM, childPid: number): MM {
  const child = k.spawn(childPid);
  const f = k.frames;
  for (const pv of parent.vmas) {
    const cv = pv.clone();
    if (pv.kind === 'anon') {
      // anon_vma_fork: the child may map every folio of the parent's chain, and gets its own for new faults.
      for (const av of pv.chain) {
        if (child.anonVmas.has(av)) continue;
        av.mms.push(child);
        child.anonVmas.add(av);
      }
      cv.chain = [...pv.chain, k.newAnonVma(child)];
    }
    child.insertVma(cv);
    child.movedAnon = parent.movedAnon;
    if (pv.kind === 'shmem') {
      k.fileById(pv.fileId)!.mappers.push({ mm: child, vma: cv });
      continue;
    }
    for (let base = Math.floor(pv.start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE; base < pv.end; base += HPAGE_PMD_SIZE) {
      const src = parent.pt(base);
      if (!src) continue;
      if (src.pmd > 0) {
        const head = ptePfn(src.pmd);
        if (k.params.forkCopiesPinned && parent.hasPinned && maybeDmaPinned(k, head)) {
          // copy_huge_pmd fails with -EBUSY: split the parent's PMD and copy by PTEs below.
          k.policies.refcount.splitHugePmd(k, parent, base);
        } else {
          const dst = child.ptAlloc(base);
          k.ledger.spinLock(DUP_PMD);
          k.ledger.atomicInc(f.refcount, head, DUP_PMD);
          addRmapPmd(k, child, head);
          f.flags[head] = f.flags[head]! & ~(1 << PG.anon_exclusive);
          setPmd(src, pteWrprotect(src.pmd));
          // copy_huge_pmd: pmd_mkold(pmd_wrprotect(pmd)) — the child's PMD starts old, the parent's keeps its young bit.
          setPmd(dst, src.pmd & ~PTE_YOUNG);
          dst.shadow.set(src.shadow);
          k.ledger.tlbFlush();
          k.ledger.spinUnlock();
          continue;
        }
      }
      const cur = parent.pt(base);
      if (!cur) continue;
      copyPteRange(k, parent, child, cur, base, Math.max(pv.start, base), Math.min(pv.end, base + HPAGE_PMD_SIZE));
      // copy_pte_range allocates the child's PTE page for every parent table, an empty one too.
      const dst = child.pt(base)!;
      if (dst.used === 0 && !pmdNone(cur)) dst.emptyTable = true;
      // copy_huge_pmd copies a huge zero PMD as one.
      if (cur.hugeZero) dst.hugeZero = true;
    }
  }
  return child;
}

function copyPteRange(k: Kernel, parent: MM, child: MM, src: PageTable, base: number, lo: number, hi: number): void {
  const f = k.frames;
  const dst = child.ptAlloc(base);
  k.ledger.spinLock(FORK_PTL);
  for (let a = lo; a < hi; a += PAGE_SIZE) {
    const i = (a - base) / PAGE_SIZE;
    const v = src.ptes[i]!;
    dst.shadow[i] = src.shadow[i]!;
    if (v === 0) continue;
    dst.used++;
    if (pteSwap(v)) {
      k.swap.dup(swapSlot(v));
      child.swapEnts++;
      setPte(dst, i, v);
      continue;
    }
    const pfn = ptePfn(v);
    if (pfn === ZERO_PFN) {
      setPte(dst, i, v);
      continue;
    }
    const head = f.head(pfn);
    if (k.params.forkCopiesPinned && parent.hasPinned && f.test(pfn, PG.anon_exclusive) && maybeDmaPinned(k, head)) {
      // copy_present_page: the child gets its own copy now; the parent keeps the pinned page writable.
      const p = k.allocUserFolio(0, k.homeNode(child), true);
      if (p >= 0) {
        const av = child.findVma(a)!.anonVma!;
        f.mapping[p] = av.id;
        f.index[p] = child.findVma(a)!.pgoffOf(a);
        f.flags[p] = f.flags[p]! | (1 << PG.anon_exclusive);
        f.content[p] = f.content[pfn]!;
        k.ledger.copyPage();
        setPte(dst, i, mkPte(p, pteWrite(v)));
        addRmapPtes(k, child, p, 1);
        k.outcomes.record('cow', true, 'fork_copy_pinned');
        continue;
      }
    }
    // copy_present_ptes (6.9+, folio_pte_batch): a run of PTEs mapping consecutive pages of one large folio
    // takes its references with one folio_ref_add and its rmap with one folio_try_dup_anon_rmap_ptes.
    let nr = 1;
    // (A maybe-pinned folio goes page by page: each anon-exclusive page of it is copied above.)
    if (k.params.pteBatching && f.order(head) > 0 && !(k.params.forkCopiesPinned && parent.hasPinned && maybeDmaPinned(k, head))) {
      const last = head + f.nrPages(head);
      const stop = (hi - base) / PAGE_SIZE;
      while (i + nr < stop && pfn + nr < last && src.ptes[i + nr]! > 0 && ptePfn(src.ptes[i + nr]!) === pfn + nr) nr++;
    }
    k.ledger.atomicAdd(f.refcount, head, nr, DUP_PTE);
    addRmapPtes(k, child, pfn, nr);
    for (let j = 0; j < nr; j++) {
      if (f.test(pfn + j, PG.anon_exclusive)) k.ledger.clearBit(f.flags, pfn + j, PG.anon_exclusive, DUP_PTE);
      setPte(src, i + j, pteWrprotect(src.ptes[i + j]!));
      // copy_present_pte(s): pte_mkold for the child; until it touches the page, khugepaged counts it unreferenced.
      setPte(dst, i + j, src.ptes[i + j]! & ~PTE_YOUNG);
      if (j > 0) {
        dst.shadow[i + j] = src.shadow[i + j]!;
        dst.used++;
      }
    }
    a += (nr - 1) * PAGE_SIZE;
  }
  k.ledger.tlbFlush();
  k.ledger.spinUnlock();
}

/** exit_mmap: unmap everything, drop the process from its anon_vmas. GUP references outlive it. */
export function exit(k: Kernel, mm: MM): void {
  for (const v of [...mm.vmas]) munmap(k, mm, v.start, v.end - v.start);
  for (const av of mm.anonVmas) {
    const i = av.mms.indexOf(mm);
    if (i >= 0) av.mms.splice(i, 1);
  }
  k.mms.delete(mm.pid);
}
