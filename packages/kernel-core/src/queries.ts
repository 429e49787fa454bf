/**
 * State queries with the kernel's meaning, as selftests read them from
 * /proc/PID/smaps (AnonHugePages, ShmemPmdMapped, Rss, Swap), pagemap and
 * kpageflags, plus thpmaps- and buddyinfo-style snapshots.
 */
import type { Kernel } from './kernel.js';
import { entireMapcount, pagesMapped } from './folio.js';
import { HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { type MM, pmdBase, pteIndex } from './mm.js';
import { ptePfn, ptePresent, pteSwap, swapSlot } from './pte.js';

interface Range {
  addr: number;
  len: number;
}

function rangeOf(mm: MM, r?: Partial<Range>): Range[] {
  if (r?.addr !== undefined) return [{ addr: r.addr, len: r.len ?? PAGE_SIZE }];
  return mm.vmas.map((v) => ({ addr: v.start, len: v.end - v.start }));
}

/** Walks every page of the ranges, telling whether a huge PMD maps it. */
function walk(mm: MM, ranges: Range[], fn: (addr: number, pmd: number, pte: number) => void): void {
  for (const { addr, len } of ranges) {
    for (let a = addr; a < addr + len; a += PAGE_SIZE) {
      const pt = mm.pt(a);
      if (!pt) {
        a = Math.max(a, pmdBase(a) + HPAGE_PMD_SIZE - PAGE_SIZE);
        continue;
      }
      fn(a, pt.pmd, pt.pmd > 0 ? 0 : pt.ptes[pteIndex(a)]!);
    }
  }
}

export function anonHugeBytes(k: Kernel, mm: MM, r?: Partial<Range>): number {
  let n = 0;
  walk(mm, rangeOf(mm, r), (a, pmd) => {
    if (pmd > 0 && k.frames.test(ptePfn(pmd), PG.anon)) n += PAGE_SIZE;
  });
  return n;
}

export function shmemPmdMappedBytes(k: Kernel, mm: MM, r?: Partial<Range>): number {
  let n = 0;
  walk(mm, rangeOf(mm, r), (a, pmd) => {
    if (pmd > 0 && k.frames.test(ptePfn(pmd), PG.shmem)) n += PAGE_SIZE;
  });
  return n;
}

/** RssAnon: anonymous pages mapped (the zero page is not counted). */
export function rssAnonBytes(k: Kernel, mm: MM, r?: Partial<Range>): number {
  if (!r || r.addr === undefined) return mm.rssAnon * PAGE_SIZE;
  let n = 0;
  walk(mm, rangeOf(mm, r), (a, pmd, pte) => {
    const pfn = pmd > 0 ? ptePfn(pmd) + pteIndex(a) : ptePresent(pte) ? ptePfn(pte) : 0;
    if (pfn > 0 && k.frames.test(k.frames.head(pfn), PG.anon)) n += PAGE_SIZE;
  });
  return n;
}

export function swapBytes(k: Kernel, mm: MM, r?: Partial<Range>): number {
  if (!r || r.addr === undefined) return mm.swapEnts * PAGE_SIZE;
  let n = 0;
  walk(mm, rangeOf(mm, r), (_a, pmd, pte) => {
    if (pmd === 0 && pteSwap(pte)) n += PAGE_SIZE;
  });
  return n;
}

/** Whether every page in the range is present or swapped (pagemap's present|swapped bits). */
export function mapped(k: Kernel, mm: MM, r: Range): boolean {
  let all = true;
  for (let a = r.addr; a < r.addr + r.len; a += PAGE_SIZE) {
    const pt = mm.pt(a);
    if (!pt || (pt.pmd === 0 && pt.ptes[pteIndex(a)] === 0)) all = false;
  }
  return all;
}

/** The order of the folio behind an address (kpageflags THP/compound), or -1 when nothing is mapped. */
export function folioOrder(k: Kernel, mm: MM, addr: number): number {
  const pt = mm.pt(addr);
  if (!pt) return -1;
  // The huge zero folio is one order-9 compound page (kpageflags: COMPOUND_HEAD/TAIL, ZERO_PAGE, THP).
  if (pt.hugeZero) return HPAGE_PMD_ORDER;
  const pfn = pt.pmd > 0 ? ptePfn(pt.pmd) : ptePresent(pt.ptes[pteIndex(addr)]!) ? ptePfn(pt.ptes[pteIndex(addr)]!) : -1;
  return pfn < 0 ? -1 : k.frames.order(pfn);
}

/**
 * Whether every page the process can read in the range holds what it last
 * wrote there (the shadow): present pages, swapped pages, and holes. Returns
 * the first mismatch for reporting, or null. `excused`: content tokens whose
 * mismatch is a recorded outcome of the design (Kernel.incoherentDmaTokens),
 * skipped when expected or found.
 */
export function contentMismatch(k: Kernel, mm: MM, r?: Partial<Range>, excused?: ReadonlySet<number>): string | null {
  let bad: string | null = null;
  for (const { addr, len } of rangeOf(mm, r)) {
    for (let a = addr; a < addr + len && !bad; a += PAGE_SIZE) {
      const vma = mm.findVma(a);
      if (!vma) continue;
      const pt = mm.pt(a);
      let expected: number;
      if (vma.kind === 'shmem') expected = k.fileById(vma.fileId)!.shadow.get(vma.pgoffOf(a)) ?? 0;
      else expected = pt ? pt.shadow[pteIndex(a)]! : 0;
      let actual = 0;
      if (pt) {
        if (pt.pmd > 0) actual = k.frames.content[ptePfn(pt.pmd) + pteIndex(a)]!;
        else {
          const v = pt.ptes[pteIndex(a)]!;
          if (ptePresent(v)) actual = k.frames.content[ptePfn(v)]!;
          else if (pteSwap(v)) actual = k.swap.content[swapSlot(v)]!;
          else if (vma.kind === 'shmem') actual = expected; // not faulted in: the page cache holds it (checked separately)
        }
      } else if (vma.kind === 'shmem') actual = expected;
      if (actual === expected) continue;
      if (excused && excused.size > 0 && (excused.has(expected) || excused.has(actual))) continue;
      bad = `pid ${mm.pid} addr ${a}: holds content ${actual}, expected ${expected}`;
    }
  }
  return bad;
}

export interface ThpSnapshot {
  /** folios by order: how many, and how they are mapped */
  byOrder: Record<string, { folios: number; pmdMapped: number; pteMapped: number; partiallyMapped: number; unmapped: number }>;
  deferredSplitQueue: number;
}

/** thpmaps-style census of user folios. */
export function thpSnapshot(k: Kernel): ThpSnapshot {
  const f = k.frames;
  const byOrder: ThpSnapshot['byOrder'] = {};
  k.lru.forEach((head) => {
    const o = String(f.order(head));
    const e = (byOrder[o] ??= { folios: 0, pmdMapped: 0, pteMapped: 0, partiallyMapped: 0, unmapped: 0 });
    e.folios++;
    const nr = f.nrPages(head);
    if (nr > 1 && entireMapcount(f, head) > 0) e.pmdMapped++;
    else {
      const m = nr > 1 && !k.policies.refcount.pteMappedThp ? 0 : pagesMapped(f, head);
      if (m === 0) e.unmapped++;
      else if (m === nr) e.pteMapped++;
      else e.partiallyMapped++;
    }
  });
  return { byOrder, deferredSplitQueue: k.deferredLen };
}

/** Share of mapped user memory mapped by PMDs (0..1). */
export function hugeCoverage(k: Kernel): number {
  const total = k.pmdMappedPages + k.pteMappedPages;
  return total === 0 ? 0 : k.pmdMappedPages / total;
}
