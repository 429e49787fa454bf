/**
 * Reverse-map bookkeeping (mm/rmap.c) and the reverse-map walk.
 *
 * The common part every design since 4.5 keeps: a per-page _mapcount for PTE
 * mappings and an entire (compound) mapcount for PMD mappings. The sharedness
 * policy adds its own large-folio fields (_large_mapcount, MM-id slots) in the
 * hooks, so their extra atomics show up in the ledger. References are taken
 * separately by the caller, as in the kernel.
 *
 * Anon folios point at their anon_vma (`mapping`) with a linear page index
 * (`index`); a walk visits every process of the anon_vma family and every
 * VMA there whose offsets cover the index, and checks the page table.
 */
import type { Kernel } from './kernel.js';
import { P1, partiallyMapped } from './folio.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import type { MM, Vma } from './mm.js';
import { ptePfn, ptePresent } from './pte.js';

const ADD_PTE = site('folio_add_rmap_ptes');
const ADD_PMD = site('folio_add_rmap_pmd');
const REMOVE_PTE = site('folio_remove_rmap_ptes');
const REMOVE_PMD = site('folio_remove_rmap_pmd');

/** The shared zero page: mapped read-only, never refcounted or rmapped. */
export const ZERO_PFN = 0;

function rssAdd(k: Kernel, mm: MM, head: number, nr: number): void {
  if (k.frames.test(head, PG.anon)) mm.rssAnon += nr;
  else mm.rssShmem += nr;
}

/**
 * Adds `nr` PTE mappings of consecutive pages from `pfn` (one folio) in `mm`.
 * `head` is the folio's head when the caller already knows it (a split's
 * remap, page by page): the same counted operations, one lookup fewer per PTE.
 */
export function addRmapPtes(k: Kernel, mm: MM, pfn: number, nr: number, head = k.frames.head(pfn)): void {
  const f = k.frames;
  for (let i = 0; i < nr; i++) k.ledger.atomicInc(f.mapcount, pfn + i, ADD_PTE);
  if (f.order(head) >= 2) k.policies.sharedness.addLargeMapping(k, head, mm, nr, false, pfn);
  k.pteMappedPages += nr;
  rssAdd(k, mm, head, nr);
}

/** Adds one PMD mapping of the whole folio. */
export function addRmapPmd(k: Kernel, mm: MM, head: number): void {
  const f = k.frames;
  k.ledger.atomicInc(f.entireMapcount, head + P1, ADD_PMD);
  k.policies.sharedness.addLargeMapping(k, head, mm, HPAGE_PMD_NR, true);
  k.pmdMappedPages += HPAGE_PMD_NR;
  rssAdd(k, mm, head, HPAGE_PMD_NR);
}

/**
 * Removes `nr` PTE mappings. An anon large folio left partially mapped is
 * queued for deferred split where the design maps THPs by PTEs at all.
 * `head` as for addRmapPtes (a split's unmap knows the folio it walks).
 */
export function removeRmapPtes(k: Kernel, mm: MM, pfn: number, nr: number, head = k.frames.head(pfn)): void {
  const f = k.frames;
  dropPteMappings(k, mm, pfn, nr, head);
  if (f.order(head) >= 2) {
    k.policies.sharedness.removeLargeMapping(k, head, mm, nr, false, pfn);
    maybeDeferSplit(k, head);
  }
}

/**
 * `n` single-PTE removals, of pages pfn .. pfn + n - 1 of the folio at
 * `head`, in `mm`: what n removeRmapPtes(…, 1) calls in a row do
 * (try_to_migrate_one unmaps one PTE at a time in every era, so a split's
 * unmap counts per PTE), with the same stores and counted operations but one
 * trip through the layers per run. The per-page mapcounts drop first and the
 * policy then sees the run (removeLargeMappingEach): a page's hook reads its
 * own mapcount and the folio-wide fields, which no other page of the run
 * moves. When the removals could queue the folio for deferred split (an
 * anon folio not queued yet, in a design with PTE-mapped THPs), whether it is
 * partially mapped after each one matters, so they run one by one.
 */
export function removeRmapPteEach(k: Kernel, mm: MM, pfn: number, n: number, head: number): void {
  const f = k.frames;
  const large = f.order(head) >= 2;
  const sharedness = k.policies.sharedness;
  if (large && (sharedness.removeLargeMappingEach === undefined || mayDeferSplit(k, head))) {
    for (let i = 0; i < n; i++) removeRmapPtes(k, mm, pfn + i, 1, head);
    return;
  }
  dropPteMappings(k, mm, pfn, n, head);
  if (large) sharedness.removeLargeMappingEach!(k, head, mm, n, pfn);
}

/** What every PTE removal does before the policy hears of it: each page's _mapcount, the PTE-mapped page count and RSS. */
function dropPteMappings(k: Kernel, mm: MM, pfn: number, nr: number, head: number): void {
  k.ledger.atomicDecEach(k.frames.mapcount, pfn, nr, REMOVE_PTE);
  k.pteMappedPages -= nr;
  rssAdd(k, mm, head, -nr);
}

export function removeRmapPmd(k: Kernel, mm: MM, head: number): void {
  const f = k.frames;
  k.ledger.atomicDec(f.entireMapcount, head + P1, REMOVE_PMD);
  k.policies.sharedness.removeLargeMapping(k, head, mm, HPAGE_PMD_NR, true);
  k.pmdMappedPages -= HPAGE_PMD_NR;
  rssAdd(k, mm, head, -HPAGE_PMD_NR);
  maybeDeferSplit(k, head);
}

/**
 * Design A's __split_huge_page_map bookkeeping for one PMD mapping of a
 * compound page being split: the PMD becomes PTEs mapping every page, whose
 * per-page _mapcount the split already wrote under compound_lock (plain
 * stores, as 3.13 copies page->_mapcount into each tail). Moves the
 * mapped-page counters (RSS is unchanged) and tells the sharedness policy;
 * no atomics. Call while the folio is still compound.
 */
export function rmapPmdBecomesPtes(k: Kernel, mm: MM, head: number): void {
  k.policies.sharedness.removeLargeMapping(k, head, mm, HPAGE_PMD_NR, true);
  k.pmdMappedPages -= HPAGE_PMD_NR;
  k.pteMappedPages += HPAGE_PMD_NR;
}

/** Whether losing a mapping may queue the folio for deferred split (deferred_split_folio's preconditions). */
function mayDeferSplit(k: Kernel, head: number): boolean {
  const f = k.frames;
  return f.test(head, PG.anon) && !f.test(head, PG.deferred) && k.policies.refcount.pteMappedThp;
}

function maybeDeferSplit(k: Kernel, head: number): void {
  if (mayDeferSplit(k, head) && partiallyMapped(k.frames, head)) k.deferredSplitFolio(head);
}

/**
 * One place a folio may be mapped, as rmapWalk reports it: the process, the
 * VMA, and `base`, the address of the folio's head page in that VMA (it may
 * lie outside the VMA for partial overlaps). Positional arguments rather
 * than an object: a swap-out walks once per page.
 */
export type RmapVisitor = (mm: MM, vma: Vma, base: number) => void;

/**
 * rmap_walk_ksm: a KSM page is found through its stable node's rmap items
 * (k.ksm, filled by ksm.ts), every (mm, VMA) they name. The caller checks
 * the page tables.
 */
function rmapWalkKsm(k: Kernel, head: number, fn: RmapVisitor): void {
  const items = k.ksm.items.get(head);
  if (!items) return;
  for (const it of items) {
    const vma = it.mm.findVma(it.addr);
    if (!vma || vma.kind !== 'anon' || !k.mms.has(it.mm.pid)) continue;
    fn(it.mm, vma, it.addr);
  }
}

/**
 * rmap_walk: calls `fn` for every (process, VMA) whose range can map the
 * folio. The caller checks the page tables (a VMA may cover the index
 * without mapping this folio, e.g. after CoW).
 */
export function rmapWalk(k: Kernel, head: number, fn: RmapVisitor): void {
  const f = k.frames;
  if (f.test(head, PG.ksm)) return rmapWalkKsm(k, head, fn);
  const index = f.index[head]!;
  const nr = f.nrPages(head);
  if (f.test(head, PG.anon)) {
    const av = k.anonVma(f.mapping[head]!);
    if (!av) return;
    for (const mm of av.mms) {
      if (!mm.movedAnon) {
        // Anonymous page offsets are linear addresses unless a VMA was mremapped: one lookup finds the VMA.
        const vma = mm.findVma(index * PAGE_SIZE) ?? mm.findVma((index + nr - 1) * PAGE_SIZE);
        if (vma && vma.kind === 'anon' && vma.chain.includes(av)) fn(mm, vma, vma.addrOf(index));
        if (nr > 1) {
          // A large folio may straddle two VMAs (after a split_vma inside it).
          const other = mm.findVma((index + nr - 1) * PAGE_SIZE);
          if (other && other !== vma && other.kind === 'anon' && other.chain.includes(av)) fn(mm, other, other.addrOf(index));
        }
        continue;
      }
      for (const vma of mm.vmas) {
        if (vma.kind !== 'anon' || !vma.chain.includes(av)) continue;
        if (vma.pgoff + vma.pages <= index || vma.pgoff >= index + nr) continue;
        fn(mm, vma, vma.addrOf(index));
      }
    }
  } else {
    const file = k.fileById(f.mapping[head]!);
    if (!file) return;
    for (const { mm, vma } of file.mappers) {
      if (vma.pgoff + vma.pages <= index || vma.pgoff >= index + nr) continue;
      fn(mm, vma, vma.addrOf(index));
    }
  }
}

/** A single mapping of a page found by the walk (PTE) or of the folio (PMD). */
export interface FolioMapping {
  mm: MM;
  addr: number;
  pmd: boolean;
  pte: number;
}

/** Every current PTE/PMD mapping of the folio (page_vma_mapped_walk over rmap_walk). */
export function folioMappings(k: Kernel, head: number): FolioMapping[] {
  const f = k.frames;
  const nr = f.nrPages(head);
  const out: FolioMapping[] = [];
  rmapWalk(k, head, (mm, vma, base) => {
    for (let i = 0; i < nr; i += 1) {
      const a = base + i * 4096;
      if (a < vma.start || a >= vma.end) continue;
      const pt = mm.pt(a);
      if (!pt) {
        i += HPAGE_PMD_NR - 1 - (i % HPAGE_PMD_NR);
        continue;
      }
      if (pt.pmd > 0) {
        if (ptePfn(pt.pmd) === head && i === 0) out.push({ mm, addr: a, pmd: true, pte: pt.pmd });
        i += HPAGE_PMD_NR - 1 - (i % HPAGE_PMD_NR);
        continue;
      }
      const v = pt.ptes[Math.floor(a / 4096) % HPAGE_PMD_NR]!;
      if (ptePresent(v) && ptePfn(v) === head + i) out.push({ mm, addr: a, pmd: false, pte: v });
    }
  });
  return out;
}
