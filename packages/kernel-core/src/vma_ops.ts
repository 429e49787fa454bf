/**
 * mmap, munmap, mprotect, mremap and the VMA-flag madvise calls
 * (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c). Partial ranges split
 * VMAs and split huge PMDs through the refcount policy.
 */
import type { Kernel } from './kernel.js';
import { ModelInputError } from './errors.js';
import { HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE } from './frames.js';
import { site } from './ledger.js';
import { type MM, PageTable, Vma, pmdBase, pmdNone, splitHugeZeroPmd, fillPtes, setPmd, setPte } from './mm.js';
import { ptePfn, ptePresent, pteSwap, pteWrprotect, swapSlot } from './pte.js';
import { ZERO_PFN, removeRmapPmd, removeRmapPtes } from './rmap.js';
import { gupForgetRange, gupMoveRange } from './gup_handles.js';

const ZAP_PTL = site('zap_pte_range');
const ZAP_PMD = site('zap_huge_pmd');
const MPROTECT = site('change_protection');

export type MadviseVmaAdvice = 'hugepage' | 'nohugepage' | 'mergeable';

export function mmap(k: Kernel, mm: MM, addr: number, len: number, kind: 'anon' | 'shmem', write: boolean, file?: string, offset = 0): Vma {
  for (const v of mm.vmas) {
    if (v.start < addr + len && addr < v.end)
      throw new ModelInputError('addr', `a range not overlapping an existing mapping of pid ${mm.pid} (${v.start}..${v.end})`, addr);
  }
  if (kind === 'shmem') {
    if (!file) throw new ModelInputError('file', 'a shmem file name for kind "shmem"', file);
    const sf = k.file(file);
    const vma = new Vma(addr, addr + len, 'shmem', offset / PAGE_SIZE, write, sf.id, []);
    mm.insertVma(vma);
    sf.mappers.push({ mm, vma });
    if (sf.size < offset + len) sf.size = offset + len;
    return vma;
  }
  // Anonymous: the page offset is the linear index, so rmap finds the page at the same place after mremap.
  const vma = new Vma(addr, addr + len, 'anon', addr / PAGE_SIZE, write, 0, []);
  mm.insertVma(vma);
  mergeVmas(k, mm, addr, addr + len);
  return vma;
}

/** Checks that [addr, addr+len) lies inside mappings, naming the event field otherwise. */
export function requireMapped(mm: MM, addr: number, len: number, field = 'addr'): void {
  for (let a = addr; a < addr + len;) {
    const v = mm.findVma(a);
    if (!v) throw new ModelInputError(field, `a range inside mappings of pid ${mm.pid}`, a);
    a = v.end;
  }
}

/**
 * Zaps every entry in [start, end): frees what nobody else maps. A huge PMD
 * only partly inside the range is split first (split_huge_pmd), which in
 * design A splits the whole compound page. The emptied PTE pages stay
 * allocated (zap_pte_range frees no table; munmap's free_pgtables does):
 * except, with `reclaimPt` (MADV_DONTNEED under ptReclaim, 6.14+), a table
 * whose whole PMD range one VMA covers and the zap spans is freed once
 * empty (reclaim_pt_is_enabled, try_get_and_clear_pmd + free_pte).
 */
export function zapRange(k: Kernel, mm: MM, start: number, end: number, reclaimPt = false): void {
  gupForgetRange(k, mm, start, end);
  for (let base = pmdBase(start); base < end; base += HPAGE_PMD_SIZE) {
    let pt = mm.pt(base);
    if (!pt) continue;
    const lo = Math.max(start, base),
      hi = Math.min(end, base + HPAGE_PMD_SIZE);
    if (pt.hugeZero) {
      if (lo === base && hi === base + HPAGE_PMD_SIZE) {
        zapHugeZero(k, mm, base, pt);
        continue;
      }
      splitHugeZero(k, pt);
    }
    if (pt.pmd > 0) {
      if (lo === base && hi === base + HPAGE_PMD_SIZE) {
        zapHugePmd(k, mm, base, pt);
        continue;
      }
      k.policies.refcount.splitHugePmd(k, mm, base);
      pt = mm.pt(base);
      if (!pt) continue;
    }
    if (pt.used > 0) zapPteRange(k, mm, pt, (lo - base) / PAGE_SIZE, (hi - base) / PAGE_SIZE);
    else pt.shadow.fill(0, (lo - base) / PAGE_SIZE, (hi - base) / PAGE_SIZE);
    if (pt.used > 0 || pt.pmd > 0) continue;
    if (reclaimPt && lo === base && hi === base + HPAGE_PMD_SIZE && vmaCovers(mm, base)) mm.dropPt(base);
    else pt.emptyTable = true;
  }
}

/** Whether one VMA covers the whole PMD range at base (so a zap of it runs zap_pte_range over all 512 slots). */
function vmaCovers(mm: MM, base: number): boolean {
  const v = mm.findVma(base);
  return v !== undefined && v.start <= base && v.end >= base + HPAGE_PMD_SIZE;
}

function zapHugePmd(k: Kernel, mm: MM, base: number, pt: PageTable): void {
  const head = ptePfn(pt.pmd);
  k.ledger.spinLock(ZAP_PMD);
  setPmd(pt, 0);
  pt.shadow.fill(0);
  removeRmapPmd(k, mm, head);
  k.ledger.tlbFlush();
  k.ledger.spinUnlock();
  k.folioPutRefs(head, 1, ZAP_PMD);
  // zap_huge_pmd clears the PMD and frees the deposited table: pmd_none again.
  if (pt.used === 0) mm.dropPt(base);
}

/** zap_huge_pmd of the huge zero PMD: no folio, no rmap; the deposited table is freed, so the range is pmd_none. */
function zapHugeZero(k: Kernel, mm: MM, base: number, pt: PageTable): void {
  k.ledger.spinLock(ZAP_PMD);
  fillPtes(pt, 0);
  pt.shadow.fill(0);
  pt.used = 0;
  pt.hugeZero = false;
  k.ledger.tlbFlush();
  k.ledger.spinUnlock();
  mm.dropPt(base);
}

/** split_huge_pmd of the huge zero PMD under the PMD lock (__split_huge_zero_page_pmd). */
function splitHugeZero(k: Kernel, pt: PageTable): void {
  k.ledger.spinLock(ZAP_PMD);
  splitHugeZeroPmd(pt);
  k.ledger.spinUnlock();
}

/** mmu_gather's batch: folios (and how many references each) dropped after the TLB flush, outside the PT lock. */
const gather = new Int32Array(HPAGE_PMD_NR);
const gatherRefs = new Int32Array(HPAGE_PMD_NR);

/**
 * zap_pte_range over slots [from, to) of one page table: the PT lock once for
 * the table, rmap removal under it, one TLB flush for the batch, then the
 * references go (tlb_finish_mmu), so frees never nest in the PT lock. With
 * `pteBatching` (6.10+: folio_pte_batch / zap_present_folio_ptes) a run of
 * PTEs mapping consecutive pages of one large folio is one rmap removal of
 * nr pages and one reference drop of nr; before, each PTE is its own.
 */
function zapPteRange(k: Kernel, mm: MM, pt: PageTable, from: number, to: number): void {
  const f = k.frames;
  const batching = k.params.pteBatching;
  let n = 0;
  k.ledger.spinLock(ZAP_PTL);
  for (let i = from; i < to; i++) {
    const v = pt.ptes[i]!;
    pt.shadow[i] = 0;
    if (v === 0) continue;
    setPte(pt, i, 0);
    pt.used--;
    if (pteSwap(v)) {
      k.swap.put(swapSlot(v));
      mm.swapEnts--;
      continue;
    }
    const pfn = ptePfn(v);
    if (pfn === ZERO_PFN) continue;
    const head = f.head(pfn);
    let nr = 1;
    if (batching && f.order(head) > 0) {
      const last = head + f.nrPages(head);
      while (i + nr < to && pfn + nr < last && pt.ptes[i + nr]! > 0 && ptePfn(pt.ptes[i + nr]!) === pfn + nr) {
        pt.shadow[i + nr] = 0;
        setPte(pt, i + nr, 0);
        pt.used--;
        nr++;
      }
      i += nr - 1;
    }
    removeRmapPtes(k, mm, pfn, nr);
    gather[n] = head;
    gatherRefs[n++] = nr;
  }
  if (n > 0) k.ledger.tlbFlush();
  k.ledger.spinUnlock();
  k.foliosPutRefs(gather, gatherRefs, n, ZAP_PTL);
}

/**
 * Splits VMAs at both ends of a range (split_vma) and returns the VMAs inside
 * it. A huge PMD never straddles a VMA boundary: one that would is split
 * first (__split_vma -> vma_adjust_trans_huge -> split_huge_pmd_address).
 */
export function vmasIn(k: Kernel, mm: MM, addr: number, len: number): Vma[] {
  requireMapped(mm, addr, len);
  for (const edge of [addr, addr + len]) {
    const v = mm.findVma(edge);
    if (v && v.start !== edge) splitStraddlingPmds(k, mm, edge, 0);
    splitVma(k, mm, edge);
  }
  return mm.vmas.filter((v) => v.start >= addr && v.end <= addr + len);
}

/** split_vma at `addr`: a new shmem VMA joins the file's i_mmap (vma_link), so rmap walks and truncate find it. */
function splitVma(k: Kernel, mm: MM, addr: number): void {
  const before = mm.findVma(addr);
  mm.splitAt(addr);
  const after = mm.findVma(addr);
  if (before && after && after !== before && after.kind === 'shmem') k.fileById(after.fileId)!.mappers.push({ mm, vma: after });
}

/** vma_merge around [start, end): a shmem VMA merged into its neighbour leaves the file's i_mmap. */
function mergeVmas(k: Kernel, mm: MM, start: number, end: number): void {
  const before = [...mm.vmas];
  mm.mergeAround(start, end);
  if (before.length === mm.vmas.length) return;
  for (const v of before) if (v.kind === 'shmem' && !mm.vmas.includes(v)) unlinkFileVma(k, v);
}

function unlinkFileVma(k: Kernel, v: Vma): void {
  const f = k.fileById(v.fileId)!;
  const j = f.mappers.findIndex((m) => m.vma === v);
  if (j >= 0) f.mappers.splice(j, 1);
}

export function munmap(k: Kernel, mm: MM, addr: number, len: number): void {
  // munmap of a hole is not an error for the kernel; ranges partly outside mappings unmap what is there.
  splitVma(k, mm, addr);
  splitVma(k, mm, addr + len);
  zapRange(k, mm, addr, addr + len);
  for (let i = mm.vmas.length - 1; i >= 0; i--) {
    const v = mm.vmas[i]!;
    if (v.start >= addr && v.end <= addr + len) {
      mm.vmas.splice(i, 1);
      if (v.kind === 'shmem') unlinkFileVma(k, v);
    }
  }
  mm.freePgtables(addr, addr + len);
}

/** Splits any huge PMD that straddles a boundary of [addr, addr+len). */
function splitStraddlingPmds(k: Kernel, mm: MM, addr: number, len: number): void {
  for (const edge of len === 0 ? [addr] : [addr, addr + len]) {
    if (edge % HPAGE_PMD_SIZE === 0) continue;
    const pt = mm.pt(edge);
    if (pt && pt.hugeZero) splitHugeZero(k, pt);
    if (pt && pt.pmd > 0) k.policies.refcount.splitHugePmd(k, mm, pmdBase(edge));
  }
}

export function mprotect(k: Kernel, mm: MM, addr: number, len: number, write: boolean): void {
  splitStraddlingPmds(k, mm, addr, len);
  for (const v of vmasIn(k, mm, addr, len)) {
    v.write = write;
    if (write) continue;
    // Write-protect what is mapped; making it writable again is left to the next write fault.
    for (let base = pmdBase(v.start); base < v.end; base += HPAGE_PMD_SIZE) {
      const pt = mm.pt(base);
      if (!pt) continue;
      k.ledger.spinLock(MPROTECT);
      if (pt.pmd > 0) setPmd(pt, pteWrprotect(pt.pmd));
      else {
        const lo = Math.max(v.start, base),
          hi = Math.min(v.end, base + HPAGE_PMD_SIZE);
        for (let a = lo; a < hi; a += PAGE_SIZE) {
          const i = Math.floor(a / PAGE_SIZE) % HPAGE_PMD_NR;
          if (ptePresent(pt.ptes[i]!)) setPte(pt, i, pteWrprotect(pt.ptes[i]!));
        }
      }
      k.ledger.tlbFlush();
      k.ledger.spinUnlock();
    }
  }
  mergeVmas(k, mm, addr, addr + len);
}

export function madviseVmaFlags(k: Kernel, mm: MM, addr: number, len: number, advice: MadviseVmaAdvice): void {
  requireMapped(mm, addr, len);
  const has = (v: Vma) => (advice === 'hugepage' ? v.hugepage : advice === 'nohugepage' ? v.nohugepage : v.mergeable);
  // madvise_update_vma: VMAs whose flags would not change are left alone (not split).
  if (mm.vmas.every((v) => v.end <= addr || v.start >= addr + len || has(v))) return;
  for (const v of vmasIn(k, mm, addr, len)) {
    if (advice === 'hugepage') {
      v.hugepage = true;
      v.nohugepage = false;
    } else if (advice === 'nohugepage') {
      v.nohugepage = true;
      v.hugepage = false;
    } else v.mergeable = true;
  }
  mergeVmas(k, mm, addr, addr + len);
}

/**
 * mremap to a new, free address: entries move with their content; huge PMDs
 * move whole when source and destination are both PMD aligned, otherwise they
 * are split first (move_huge_pmd vs split_huge_pmd). With `newLen` the move
 * resizes one VMA, in mremap_to's order: a shrink unmaps the tail first, a
 * growth extends the moved VMA past what moved (new address space, no page
 * table: copy_vma makes the VMA new_len long, move_page_tables moves len).
 */
export function mremap(k: Kernel, mm: MM, addr: number, len: number, newAddr: number, newLen = len): void {
  if (newLen !== len) {
    const v = mm.findVma(addr);
    if (!v || v.end < addr + len) throw new ModelInputError('len', `a range inside one mapping of pid ${mm.pid} for a resizing mremap (newLen ${newLen})`, len);
  }
  for (const v of mm.vmas) {
    if (v.start < newAddr + newLen && newAddr < v.end && !(v.start < addr + len && addr < v.end))
      throw new ModelInputError('newAddr', `a free range in pid ${mm.pid}`, newAddr);
  }
  if (newLen < len) {
    munmap(k, mm, addr + newLen, len - newLen);
    len = newLen;
  }
  const moved = vmasIn(k, mm, addr, len);
  for (const v of mm.vmas) {
    if (moved.includes(v)) continue;
    if (v.start < newAddr + len && newAddr < v.end) throw new ModelInputError('newAddr', `a free range in pid ${mm.pid}`, newAddr);
  }
  const aligned = addr % HPAGE_PMD_SIZE === 0 && newAddr % HPAGE_PMD_SIZE === 0;
  if (!aligned) {
    for (let base = pmdBase(addr); base < addr + len; base += HPAGE_PMD_SIZE) {
      const pt = mm.pt(base);
      if (pt && pt.hugeZero) splitHugeZero(k, pt);
      if (pt && pt.pmd > 0) k.policies.refcount.splitHugePmd(k, mm, base);
    }
  } else splitStraddlingPmds(k, mm, addr, len);
  const delta = newAddr - addr;
  // Detach entries first so overlapping source/destination ranges cannot clobber each other.
  const moves: { dst: number; pmd: number; pte: number; shadow: number; huge: boolean }[] = [];
  // move_page_tables allocates a destination table for every extent whose source PMD is not pmd_none, moved entries or not.
  const dstTables: number[] = [];
  // A huge zero PMD still whole here moves whole (move_huge_pmd): its range at the destination is one again.
  const dstHugeZero: number[] = [];
  for (let base = pmdBase(addr); base < addr + len; base += HPAGE_PMD_SIZE) {
    const pt = mm.pt(base);
    if (!pt || pmdNone(pt)) continue;
    if (pt.pmd > 0) {
      moves.push({ dst: base + delta, pmd: pt.pmd, pte: 0, shadow: 0, huge: true });
      const sh = Array.from(pt.shadow);
      setPmd(pt, 0);
      mm.dropPt(base);
      moves.push(...sh.map((s, i) => ({ dst: base + delta + i * PAGE_SIZE, pmd: 0, pte: 0, shadow: s, huge: false })));
      continue;
    }
    const lo = Math.max(addr, base),
      hi = Math.min(addr + len, base + HPAGE_PMD_SIZE);
    dstTables.push(pmdBase(lo + delta), pmdBase(hi - PAGE_SIZE + delta));
    if (pt.hugeZero) {
      dstHugeZero.push(base + delta);
      pt.hugeZero = false;
    }
    for (let a = lo; a < hi; a += PAGE_SIZE) {
      const i = Math.floor(a / PAGE_SIZE) % HPAGE_PMD_NR;
      if (pt.ptes[i] === 0 && pt.shadow[i] === 0) continue;
      moves.push({ dst: a + delta, pmd: 0, pte: pt.ptes[i]!, shadow: pt.shadow[i]!, huge: false });
      if (pt.ptes[i] !== 0) pt.used--;
      setPte(pt, i, 0);
      pt.shadow[i] = 0;
    }
    // The emptied source table stays until the old range is unmapped (free_pgtables below).
    if (pt.used === 0) pt.emptyTable = true;
  }
  for (const m of moves) {
    const pt = mm.ptAlloc(m.dst);
    if (m.huge) setPmd(pt, m.pmd);
    else {
      const i = Math.floor(m.dst / PAGE_SIZE) % HPAGE_PMD_NR;
      if (m.pte !== 0) {
        setPte(pt, i, m.pte);
        pt.used++;
      }
      pt.shadow[i] = m.shadow;
    }
  }
  for (const base of dstTables) {
    const pt = mm.ptAlloc(base);
    if (pt.pmd === 0 && pt.used === 0) pt.emptyTable = true;
  }
  for (const base of dstHugeZero) mm.ptAlloc(base).hugeZero = true;
  k.ledger.tlbFlush();
  gupMoveRange(k, mm, addr, addr + len, delta);
  if (moved.some((v) => v.kind === 'anon')) mm.movedAnon = true;
  for (const v of moved) {
    v.start += delta;
    v.end += delta;
    // copy_vma: a never-faulted anonymous VMA takes the offset of its new address, to merge like a fresh mmap.
    if (v.kind === 'anon' && v.chain.length === 0) v.pgoff = v.start / PAGE_SIZE;
  }
  mm.vmas.sort((a, b) => a.start - b.start);
  if (newLen > len) mm.findVma(newAddr + len - PAGE_SIZE)!.end = newAddr + newLen;
  // move_vma unmaps the old range: free_pgtables frees the source tables no VMA is left in.
  mm.freePgtables(addr, addr + len);
  mergeVmas(k, mm, newAddr, newAddr + newLen);
}
