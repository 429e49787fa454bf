/**
 * Invariants checkable after any event. Each violation is a precise
 * sentence; the engine turns it into an `invariant.violated` observation,
 * never a crash. Full walks: for tests and `--check` runs, not every event
 * of a benchmark.
 */
import type { Kernel } from './kernel.js';
import { entireMapcount, pincount } from './folio.js';
import { HPAGE_PMD_NR, PAGE_SIZE, PG } from './frames.js';
import { ptePfn, ptePresent, pteSwap, swapSlot } from './pte.js';
import { contentMismatch } from './queries.js';
import { ZERO_PFN } from './rmap.js';
import { guardViolations } from './shmem_guard.js';

/** Which invariant a violation breaks: a name scripts and the engine can match without reading prose. */
export type InvariantName = 'buddy' | 'mapping' | 'page_table_used' | 'folio' | 'mapcount' | 'refcount' | 'swap_count' | 'shmem_guard' | 'content';

export interface InvariantViolation {
  readonly invariant: InvariantName;
  /** One precise sentence naming the frame, process or slot. */
  readonly detail: string;
}

/** "name: detail", the form tests and error messages print. */
export function describeViolation(v: InvariantViolation): string {
  return `${v.invariant}: ${v.detail}`;
}

export function checkInvariants(k: Kernel): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  const push = (invariant: InvariantName, detail: string) => out.push({ invariant, detail });
  const f = k.frames;
  // Buddy lists, frame conservation, free frames unreferenced.
  for (const v of k.buddy.checkConsistency()) push('buddy', v);

  // Recount every mapping from the page tables and compare with the frames' counts.
  const pteMaps = new Map<number, number>();
  const pmdMaps = new Map<number, number>();
  const swapRefs = new Map<number, number>();
  for (const mm of k.mms.values()) {
    for (const [key, pt] of mm.pts) {
      const base = key * PAGE_SIZE * HPAGE_PMD_NR;
      if (pt.pmd > 0) {
        const head = ptePfn(pt.pmd);
        if (f.isFree(head) || f.refcount[head] === 0) push('mapping', `pid ${mm.pid} PMD at ${base} maps free frame ${head}`);
        if (f.order(head) !== 9 || !f.isHead(head)) push('mapping', `pid ${mm.pid} PMD at ${base} maps pfn ${head}, not the head of an order-9 folio`);
        pmdMaps.set(head, (pmdMaps.get(head) ?? 0) + 1);
        continue;
      }
      let used = 0;
      for (let i = 0; i < HPAGE_PMD_NR; i++) {
        const v = pt.ptes[i]!;
        if (v !== 0) used++;
        if (pteSwap(v)) swapRefs.set(swapSlot(v), (swapRefs.get(swapSlot(v)) ?? 0) + 1);
        if (!ptePresent(v)) continue;
        const pfn = ptePfn(v);
        if (pfn === ZERO_PFN) continue;
        if (f.isFree(pfn) || f.refcount[f.head(pfn)] === 0) push('mapping', `pid ${mm.pid} PTE at ${base + i * PAGE_SIZE} maps free frame ${pfn}`);
        pteMaps.set(pfn, (pteMaps.get(pfn) ?? 0) + 1);
      }
      if (used !== pt.used) push('page_table_used', `pid ${mm.pid} page table at ${base}: ${used} entries in use, counter says ${pt.used}`);
    }
  }
  const tailPins = !k.policies.refcount.pteMappedThp;
  k.lru.forEach((head) => {
    const nr = f.nrPages(head);
    if (nr > 1) {
      if (head % nr !== 0) push('folio', `folio ${head} of order ${f.order(head)} is not naturally aligned`);
      for (let i = 1; i < nr; i++) if (!f.isTail(head + i) || f.head(head + i) !== head) push('folio', `folio ${head}: page ${head + i} is not its tail`);
      const pmd = pmdMaps.get(head) ?? 0;
      if (entireMapcount(f, head) !== pmd) push('mapcount', `folio ${head}: entire mapcount ${entireMapcount(f, head)} but ${pmd} PMDs map it`);
    }
    let maps = pmdMaps.get(head) ?? 0;
    for (let i = 0; i < nr; i++) {
      const p = head + i;
      const m = pteMaps.get(p) ?? 0;
      maps += m;
      // Design A keeps tail pins in the tails' _mapcount; PTE maps of compound tails cannot exist there.
      const own = tailPins && nr > 1 && i > 0 ? m : f.mapcount[p]!;
      if (own !== m) push('mapcount', `page ${p}: _mapcount ${f.mapcount[p]} but ${m} PTEs map it`);
    }
    let implied = maps + (f.test(head, PG.shmem) ? nr : 0) + pincount(f, head);
    if (tailPins && nr > 1) for (let i = 1; i < nr; i++) implied += f.mapcount[head + i]!;
    if (f.refcount[head]! < implied)
      push('refcount', `folio ${head}: refcount ${f.refcount[head]} below the ${implied} its mappings, page cache and pins imply`);
  });
  for (const [slot, n] of swapRefs)
    if (k.swap.count[slot] !== n) push('swap_count', `swap slot ${slot}: count ${k.swap.count[slot]} but ${n} swap PTEs refer to it`);
  for (const mm of k.mms.values()) {
    // A device write the design let go astray (GUP vs. CoW: gup.ts dmaWrite) is its outcome, counted there, not a model error.
    const bad = contentMismatch(k, mm, undefined, k.incoherentDmaTokens);
    if (bad) push('content', `content lost: ${bad}`);
  }
  // The page cache: each folio is stored once, at its own index, aligned to its size, and no two overlap
  // (folios of every order sit side by side after a 6.15 non-uniform split).
  for (const file of k.files.values()) {
    let end = -1;
    for (const idx of [...file.cache.keys()].sort((a, b) => a - b)) {
      const pfn = file.cache.get(idx)!;
      const nr = f.nrPages(pfn);
      if (f.isTail(pfn) || f.index[pfn] !== idx || f.mapping[pfn] !== file.id)
        push('folio', `shmem ${file.name}: index ${idx} holds pfn ${pfn}, not the head of a folio of this file at that index`);
      else if (idx % nr !== 0) push('folio', `shmem ${file.name}: the order-${f.order(pfn)} folio at index ${idx} is not aligned to its size`);
      if (idx < end) push('folio', `shmem ${file.name}: the folio at index ${idx} overlaps the one before it (which ends at ${end})`);
      end = Math.max(end, idx + nr);
    }
  }
  // A design's re-collapse guard marks only holes and small ranges (shmem_guard.ts).
  for (const file of k.files.values()) for (const d of guardViolations(k, file)) push('shmem_guard', d);
  return out;
}
