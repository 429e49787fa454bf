/**
 * shmem / tmpfs (mm/shmem.c): the page cache of a file, faults through a
 * shared mapping (PMD-mapped when a huge folio backs an aligned range),
 * fallocate(PUNCH_HOLE) and truncate.
 *
 * A page-cache folio holds one reference per page for the cache (the
 * kernel's folio_ref_add(nr) in shmem_add_to_page_cache) plus one per
 * mapping, exactly as anon folios hold one per mapping.
 */
import type { Kernel } from './kernel.js';
import { thpAllowed } from './fault.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import { type MM, type Vma, pmdBase, pteIndex } from './mm.js';
import { mkPte, ptePfn } from './pte.js';
import { addRmapPmd, addRmapPtes } from './rmap.js';
import type { ShmemFile } from './shmem_file.js';

const ADD_CACHE = site('shmem_add_to_page_cache');
const SHMEM_PTL = site('shmem_fault.ptl');
const SHMEM_MAP = site('filemap_map_pages');

/** shmem_alloc_and_add_folio: a new folio in the cache at `index` (huge at the aligned index when allowed). */
export function shmemGetFolio(k: Kernel, file: ShmemFile, index: number, huge: boolean, nid: number): number {
  const order = huge ? HPAGE_PMD_ORDER : 0;
  const start = huge ? index - (index % HPAGE_PMD_NR) : index;
  const head = k.allocUserFolio(order, nid, false);
  if (head < 0) return -1;
  const f = k.frames;
  f.mapping[head] = file.id;
  f.index[head] = start;
  const nr = 1 << order;
  for (let i = 0; i < nr; i++) f.content[head + i] = file.shadow.get(start + i) ?? 0;
  // The allocation reference plus nr - 1: the page cache holds one per page.
  k.ledger.atomicAdd(f.refcount, head, nr - 1, ADD_CACHE);
  file.cache.set(start, head);
  return head;
}

/**
 * A read or write of one page through a shared mapping. Returns the pfn the
 * process sees, or -1 when out of memory.
 */
export function shmemFault(k: Kernel, mm: MM, vma: Vma, addr: number, write: boolean, value?: number): number {
  const file = k.fileById(vma.fileId)!;
  const index = vma.pgoffOf(addr);
  const f = k.frames;
  const pt = mm.ptAlloc(addr);
  const i = pteIndex(addr);
  let pfn: number;
  if (pt.pmd > 0) pfn = ptePfn(pt.pmd) + i;
  else if (pt.ptes[i]! > 0) pfn = ptePfn(pt.ptes[i]!);
  else {
    let found = file.lookup(index, (p) => f.order(p));
    if (found === undefined) {
      const base = pmdBase(addr);
      const hugeOk = thpAllowed(k, vma, base) && index % HPAGE_PMD_NR === i && !file.punchSplit.has(index - (index % HPAGE_PMD_NR)) && !anyCached(k, file, index - (index % HPAGE_PMD_NR));
      let head = hugeOk ? shmemGetFolio(k, file, index, true, k.homeNode(mm)) : -1;
      if (hugeOk) k.outcomes.record('thp_fault', head >= 0, head >= 0 ? undefined : 'no_order9_block');
      if (head < 0) head = shmemGetFolio(k, file, index, false, k.homeNode(mm));
      if (head < 0) {
        k.outcomes.record('fault', false, 'oom');
        return -1;
      }
      found = head + (f.order(head) ? index % HPAGE_PMD_NR : 0);
    }
    pfn = found;
    const head = f.head(pfn);
    // Map the whole huge folio by PMD when it lines up with this PMD range (do_set_pmd).
    if (f.order(head) === HPAGE_PMD_ORDER && pt.used === 0 && thpAllowed(k, vma, pmdBase(addr)) && vma.pgoffOf(pmdBase(addr)) === f.index[head]) {
      k.ledger.spinLock(SHMEM_PTL);
      pt.pmd = mkPte(head, vma.write);
      k.ledger.atomicInc(f.refcount, head, SHMEM_MAP);
      addRmapPmd(k, mm, head);
      k.ledger.spinUnlock();
    } else {
      k.ledger.spinLock(SHMEM_PTL);
      pt.ptes[i] = mkPte(pfn, vma.write);
      pt.used++;
      k.ledger.atomicInc(f.refcount, head, SHMEM_MAP);
      addRmapPtes(k, mm, pfn, 1);
      k.ledger.spinUnlock();
    }
  }
  if (write) {
    const tok = value ?? k.nextToken();
    f.content[pfn] = tok;
    file.shadow.set(index, tok);
    f.flags[f.head(pfn)] = f.flags[f.head(pfn)]! | (1 << PG.dirty);
  }
  return pfn;
}

function anyCached(k: Kernel, file: ShmemFile, start: number): boolean {
  for (let i = 0; i < HPAGE_PMD_NR; i++) if (file.cache.has(start + i)) return true;
  return false;
}

export { HPAGE_PMD_SIZE, PAGE_SIZE };

// PLACEHOLDER: being written (hole punch, truncate). Not done.
export function fallocatePunch(_k: Kernel, _file: string, _offset: number, _len: number, _split: boolean): void {
  throw new Error('fallocate: not implemented yet');
}
export function shmemTruncate(_k: Kernel, _file: string, _size: number): void {
  throw new Error('truncate: not implemented yet');
}
