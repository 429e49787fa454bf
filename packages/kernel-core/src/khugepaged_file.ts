/**
 * khugepaged for shmem (mm/khugepaged.c hpage_collapse_scan_file,
 * collapse_file, collapse_pte_mapped_thp): collapse the page cache of one
 * 2 MiB aligned file range into a PMD-sized folio.
 *
 * The scan counts small pages present in the cache (holes are allowed up to
 * max_ptes_none for khugepaged, without limit for MADV_COLLAPSE) and refuses
 * a page with a reference no mapping or the cache explains. The collapse
 * copies the present pages, zero-fills the holes (so a range a balloon
 * punched is populated again: Kirill's objection to the E3 patch, seen as
 * collapse-bloat waste), unmaps the old pages everywhere (they refault onto
 * the new folio), and swaps them for it in the cache.
 *
 * A range split by a hole punch is collapsed only if the shmem-truncate
 * policy's mayRecollapse allows it; a refusal is reported as SCAN_FAIL
 * (no other path here returns SCAN_FAIL).
 */
import type { Kernel } from './kernel.js';
import type { ScanResult } from './khugepaged_control.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, PG } from './frames.js';
import { site } from './ledger.js';
import type { MM, Vma } from './mm.js';
import { setPmd, setPte } from './mm.js';
import { mkPte, ptePfn, ptePresent } from './pte.js';
import { addRmapPmd, folioMappings, removeRmapPtes } from './rmap.js';
import type { ShmemFile } from './shmem_file.js';
import { shmemHugeEnabled, vmaSuitableForPmd } from './shmem.js';
import { fillPunchedHoles, punchedHolesIn } from './shmem_guard.js';
import { PG_PUNCHED } from './frames.js';
import { totalMapcount } from './folio.js';

const XA_LOCK = site('collapse_file.xa_lock');
const TRYLOCK = site('collapse_file.folio_trylock');
const GET = site('collapse_file.get_page');
const UNMAP_PTL = site('try_to_unmap_one.ptl');
const ADD_CACHE = site('collapse_file.folio_ref_add');
const PUT_OLD = site('collapse_file.folio_put_refs');
const PMD_LOCK = site('collapse_pte_mapped_thp.pmd_lock');
const PTE_PUT = site('collapse_pte_mapped_thp.folio_ref_sub');
const SET_PMD = site('set_huge_pmd');

/** collapse_control: khugepaged enforces sysfs limits (max_ptes_none, huge=); MADV_COLLAPSE does not. */
export interface FileCollapseControl {
  isKhugepaged: boolean;
}

export interface FileCollapseResult {
  /** the kernel's SCAN_* code */
  result: ScanResult;
  /** small pages present in the cache for the range */
  present: number;
  /** holes (HPAGE_PMD_NR - present - swap) */
  none: number;
  /** swapped-out pages (tmpfs swap is not modelled: always 0) */
  swap: number;
}

/**
 * hpage_collapse_scan_file + collapse_file for the file range behind the
 * aligned 2 MiB at `base` in `vma`. The caller (khugepaged.ts) emits the
 * `khugepaged_scan` observation and records the 'collapse' outcome from the
 * result; this emits `thp_collapse_alloc` on a collapse. A range already
 * backed by a huge folio goes to collapse_pte_mapped_thp instead
 * (SCAN_PMD_MAPPED, SCAN_SUCCEED once its PTEs are retracted or its PMD
 * installed, or SCAN_PTE_MAPPED_HUGEPAGE when nothing maps it yet).
 */
export function collapseFileRange(k: Kernel, mm: MM, vma: Vma, base: number, cc: FileCollapseControl): FileCollapseResult {
  const f = k.frames;
  const file = vma.kind === 'shmem' ? k.fileById(vma.fileId) : undefined;
  if (!file || vma.nohugepage || !vmaSuitableForPmd(vma, base)) return done(k, 'SCAN_VMA_CHECK', 0);
  const start = vma.pgoffOf(base);
  if (cc.isKhugepaged && !shmemHugeEnabled(k, vma, file, start)) return done(k, 'SCAN_VMA_CHECK', 0);

  const huge = file.cache.get(start);
  if (huge !== undefined && f.order(huge) === HPAGE_PMD_ORDER) {
    return { result: collapsePteMappedThp(k, mm, vma, base, huge, !cc.isKhugepaged), present: HPAGE_PMD_NR, none: 0, swap: 0 };
  }
  if ((file.punchSplit.has(start) || file.collapseGuard.has(start)) && !k.policies.shmemTruncate.mayRecollapse(k, file.id, start))
    return done(k, 'SCAN_FAIL', 0);

  // hpage_collapse_scan_file
  const pages: number[] = [];
  let present = 0;
  for (let i = 0; i < HPAGE_PMD_NR;) {
    const p = file.cache.get(start + i);
    if (p === undefined) {
      i++;
      continue;
    }
    // Order-0 folios, or the smaller large folios a 6.15+ non-uniform split leaves (a PMD-order one would sit at
    // `start`): is_refcount_suitable expects the mappings plus the cache's one reference per page.
    const nr = f.nrPages(p);
    if (!f.test(p, PG.lru)) return done(k, 'SCAN_PAGE_LRU', present);
    if (f.refcount[p] !== nr + totalMapcount(f, p)) return done(k, 'SCAN_PAGE_COUNT', present);
    pages.push(p);
    present += nr; // present += folio_nr_pages(folio)
    i += nr;
  }
  if (cc.isKhugepaged && present < HPAGE_PMD_NR - k.settings['khugepaged.max_ptes_none']) return done(k, 'SCAN_EXCEED_NONE_PTE', present);
  // A hole a design marked as punched counts against max_ptes_none as one khugepaged may not fill (shmem_guard.ts).
  if (cc.isKhugepaged && punchedHolesIn(file, start) > 0) return done(k, 'SCAN_EXCEED_NONE_PTE', present);
  if (present === 0) return done(k, 'SCAN_TRUNCATED', 0);
  return done(k, collapseFile(k, mm, vma, base, file, start, pages, present, cc), present);
}

function done(_k: Kernel, result: ScanResult, present: number): FileCollapseResult {
  return { result, present, none: HPAGE_PMD_NR - present, swap: 0 };
}

/**
 * collapse_file: allocate the new folio, lock and isolate every old page,
 * unmap it, check that only the cache and we still hold it, copy, replace
 * in the cache, retract the emptied page tables and free the old pages.
 * MADV_COLLAPSE then maps the new folio by PMD here (collapse_pte_mapped_thp
 * with install_pmd); khugepaged leaves that to the next fault.
 */
function collapseFile(
  k: Kernel,
  mm: MM,
  vma: Vma,
  base: number,
  file: ShmemFile,
  start: number,
  pages: number[],
  present: number,
  cc: FileCollapseControl,
): ScanResult {
  const f = k.frames;
  const l = k.ledger;
  const head = k.allocUserFolio(HPAGE_PMD_ORDER, k.nid(pages[0]!), false);
  if (head < 0) return 'SCAN_ALLOC_HUGE_PAGE_FAIL';
  f.flags[head] = f.flags[head]! | (1 << PG.locked); // __folio_set_locked: not visible yet
  f.mapping[head] = file.id;
  f.index[head] = start;

  const isolated: number[] = [];
  let result: ScanResult = 'SCAN_SUCCEED';
  for (const p of pages) {
    if (!l.lockPage(f.flags, p, PG.locked, TRYLOCK)) {
      result = 'SCAN_PAGE_LOCK';
      break;
    }
    l.atomicInc(f.refcount, p, GET);
    if (!k.lru.del(p, k.nid(p))) {
      l.unlockPage(f.flags, p, PG.locked, TRYLOCK);
      k.folioPutRefs(p, 1, GET);
      result = 'SCAN_DEL_PAGE_LRU';
      break;
    }
    tryToUnmap(k, p);
    // Ours, the cache's one per page (the isolation reference is folded into ours).
    if (f.refcount[p] !== 1 + f.nrPages(p)) {
      k.lru.add(p, k.nid(p));
      l.unlockPage(f.flags, p, PG.locked, TRYLOCK);
      k.folioPutRefs(p, 1, GET);
      result = 'SCAN_PAGE_COUNT';
      break;
    }
    isolated.push(p);
  }
  if (result !== 'SCAN_SUCCEED') {
    // rollback: the old pages go back (unmapped ones refault); the new folio is freed.
    for (const p of isolated) {
      k.lru.add(p, k.nid(p));
      l.unlockPage(f.flags, p, PG.locked, TRYLOCK);
      k.folioPutRefs(p, 1, GET);
    }
    k.folioPutRefs(head, 1, PUT_OLD);
    return result;
  }

  // Copy what is present, zero the holes (clear_highpage).
  const byIndex = new Map<number, number>();
  for (const p of isolated) for (let j = 0, nr = f.nrPages(p); j < nr; j++) byIndex.set(f.index[p]! + j, p + j);
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const p = byIndex.get(start + i);
    if (p === undefined) {
      f.content[head + i] = 0;
      continue;
    }
    f.content[head + i] = f.content[p]!;
    if ((f.flags[p]! >>> PG_PUNCHED) & 1) f.flags[head + i] = f.flags[head + i]! | (1 << PG_PUNCHED);
    l.copyPage();
  }

  // Replace the small entries by one multi-index entry.
  l.spinLockIrqSave(XA_LOCK);
  for (const p of isolated) file.cache.delete(f.index[p]!);
  file.cache.set(start, head);
  f.flags[head] = f.flags[head]! | (1 << PG.uptodate) | (1 << PG.dirty);
  l.atomicAdd(f.refcount, head, HPAGE_PMD_NR - 1, ADD_CACHE);
  fillPunchedHoles(k, file, start, HPAGE_PMD_NR, true);
  l.spinUnlockIrqRestore();
  file.punchSplit.delete(start);
  file.collapseGuard.delete(start);

  retractPageTables(k, file, start);
  if (!cc.isKhugepaged) installPmd(k, mm, vma, base, head);
  l.unlockPage(f.flags, head, PG.locked, TRYLOCK);

  for (const p of isolated) {
    f.mapping[p] = 0;
    f.flags[p] = f.flags[p]! & ~(1 << PG.shmem);
    l.unlockPage(f.flags, p, PG.locked, TRYLOCK);
    k.folioPutRefs(p, 1 + f.nrPages(p), PUT_OLD);
  }
  k.emit({
    type: 'thp_collapse_alloc',
    pid: mm.pid,
    addr: base,
    pfn: head,
    file: file.name,
    index: start,
    present,
    none: HPAGE_PMD_NR - present,
    shmem: true,
  });
  return result;
}

/** try_to_unmap of one file folio mapped by PTEs only: every PTE mapping it goes (its pages refault from the cache). */
function tryToUnmap(k: Kernel, head: number): void {
  for (const m of folioMappings(k, head)) {
    const pt = m.mm.pt(m.addr)!;
    k.ledger.spinLock(UNMAP_PTL);
    setPte(pt, Math.floor(m.addr / 4096) % HPAGE_PMD_NR, 0);
    pt.used--;
    removeRmapPtes(k, m.mm, ptePfn(m.pte), 1);
    k.ledger.tlbFlush();
    k.ledger.spinUnlock();
    k.folioPutRefs(head, 1, UNMAP_PTL);
  }
}

/** retract_page_tables: free the PTE tables left empty over the range in every VMA that could map it by PMD. */
function retractPageTables(k: Kernel, file: ShmemFile, start: number): void {
  for (const { mm, vma } of file.mappers) {
    if (start < vma.pgoff || start >= vma.pgoff + vma.pages) continue;
    const addr = vma.addrOf(start);
    if (!vmaSuitableForPmd(vma, addr)) continue;
    const pt = mm.pt(addr);
    if (pt && pt.pmd === 0 && pt.used === 0) mm.dropPt(addr);
  }
}

/** set_huge_pmd: map the folio by PMD in an empty range. */
function installPmd(k: Kernel, mm: MM, vma: Vma, base: number, head: number): void {
  const f = k.frames;
  const existing = mm.pt(base);
  if (existing && (existing.pmd > 0 || existing.used > 0)) return;
  const pt = existing ?? mm.ptAlloc(base);
  k.ledger.spinLock(SET_PMD);
  setPmd(pt, mkPte(head, vma.write));
  k.ledger.atomicInc(f.refcount, head, SET_PMD);
  addRmapPmd(k, mm, head);
  k.ledger.spinUnlock();
}

/**
 * collapse_pte_mapped_thp: the range is a huge folio already. If this mm
 * maps it by PTEs, drop them and the table (every entry in a shared shmem
 * VMA maps the folio's own page at its offset); install the PMD for
 * MADV_COLLAPSE, leave it to the next fault for khugepaged.
 */
function collapsePteMappedThp(k: Kernel, mm: MM, vma: Vma, base: number, head: number, install: boolean): ScanResult {
  const pt = mm.pt(base);
  if (pt && pt.pmd > 0) return ptePfn(pt.pmd) === head ? 'SCAN_PMD_MAPPED' : 'SCAN_PAGE_COMPOUND';
  let retracted = 0;
  if (pt) {
    k.ledger.spinLock(PMD_LOCK);
    for (let i = 0; i < HPAGE_PMD_NR; i++) {
      const v = pt.ptes[i]!;
      if (!ptePresent(v)) continue;
      if (ptePfn(v) !== head + i) {
        k.ledger.spinUnlock();
        return 'SCAN_PAGE_COMPOUND';
      }
    }
    for (let i = 0; i < HPAGE_PMD_NR; i++) {
      if (!ptePresent(pt.ptes[i]!)) continue;
      setPte(pt, i, 0);
      pt.used--;
      removeRmapPtes(k, mm, head + i, 1);
      retracted++;
    }
    k.ledger.tlbFlush();
    k.ledger.spinUnlock();
    if (retracted > 0) k.folioPutRefs(head, retracted, PTE_PUT);
    if (pt.used === 0) mm.dropPt(base);
  }
  if (install) {
    installPmd(k, mm, vma, base, head);
    k.outcomes.record('collapse_pte_mapped_thp', true);
    return 'SCAN_SUCCEED';
  }
  if (retracted > 0) {
    k.outcomes.record('collapse_pte_mapped_thp', true);
    return 'SCAN_SUCCEED';
  }
  return 'SCAN_PTE_MAPPED_HUGEPAGE';
}
