/**
 * shmem / tmpfs (mm/shmem.c, mm/truncate.c): the page cache of a file,
 * faults through a shared mapping (PMD-mapped when a huge folio backs an
 * aligned range), fallocate(PUNCH_HOLE) and truncate.
 *
 * A page-cache folio holds one reference per page for the cache (the
 * kernel's folio_ref_add(nr) in shmem_add_to_page_cache) plus one per
 * mapping, exactly as anon folios hold one per mapping.
 *
 * Hole punch and truncate follow shmem_fallocate / shmem_setattr: first
 * unmap_mapping_range over the range, then shmem_undo_range. A huge folio
 * wholly inside the range is removed whole; one only partly inside is the
 * shmem-truncate axis' decision (docs/kernel/mm-facts.md §7): zero the punched pages and
 * keep the folio (E1, E2 without the flag), or split it and remove the now
 * small pages (E2 with the flag, E3–E5). A failed split (any reference that
 * is not a mapping, the cache's or ours: a GUP pin) zeroes and keeps, as the
 * folio era does for a dirty shmem folio.
 */
import type { Kernel } from './kernel.js';
import { ModelInputError } from './errors.js';
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, PAGE_SIZE, PG } from './frames.js';
import { site } from './ledger.js';
import { type MM, type Vma, pmdBase, pteIndex, setPmd, setPte } from './mm.js';
import { mkPte, ptePfn } from './pte.js';
import { addRmapPmd, addRmapPtes } from './rmap.js';
import type { ShmemFile } from './shmem_file.js';
import { zapRange } from './vma_ops.js';
import { folioSplitAndRecord, splitAndRecord } from './split.js';
import { PG_PUNCHED } from './frames.js';
import { dropGuardsFrom, fillPunchedHoles, liftCollapseGuard, punchedHolesIn } from './shmem_guard.js';

const ADD_CACHE = site('shmem_add_to_page_cache');
const SHMEM_PTL = site('shmem_fault.ptl');
const SHMEM_MAP = site('filemap_map_pages');
const LOOKUP = site('find_lock_entries');
const PARTIAL = site('shmem_get_partial_folio');
const XA_LOCK = site('filemap_remove_folio.xa_lock');
const CACHE_PUT = site('filemap_remove_folio.put_refs');
const BATCH_RELEASE = site('folio_batch_release');

// ------------------------------------------------------------ huge policy

/** i_size in pages, rounded up (the first index past EOF). */
export function sizePages(file: ShmemFile): number {
  return Math.ceil(file.size / PAGE_SIZE);
}

/**
 * shmem_is_huge / shmem_huge_global_enabled: whether the huge= policy
 * (`thp.shmem_enabled`) lets a PMD-sized folio back the aligned range of
 * `index`. within_size: only when that folio lies inside i_size, otherwise
 * as advise (MADV_HUGEPAGE on the VMA). VM_NOHUGEPAGE always refuses.
 */
export function shmemHugeEnabled(k: Kernel, vma: Vma | undefined, file: ShmemFile, index: number): boolean {
  if (!k.params.shmemThp || vma?.nohugepage) return false;
  switch (k.settings['thp.shmem_enabled']) {
    case 'always':
    case 'force':
      return true;
    case 'within_size': {
      const end = index - (index % HPAGE_PMD_NR) + HPAGE_PMD_NR; // round_up(index + 1, HPAGE_PMD_NR)
      if (sizePages(file) >= end) return true;
      return vma?.hugepage ?? false;
    }
    case 'advise':
      return vma?.hugepage ?? false;
    default:
      return false;
  }
}

/** thp_vma_suitable_order(vma, base, PMD_ORDER): the VMA covers the aligned range and its file offset lines up. */
export function vmaSuitableForPmd(vma: Vma, base: number): boolean {
  if (base % HPAGE_PMD_SIZE !== 0 || base < vma.start || base + HPAGE_PMD_SIZE > vma.end) return false;
  return (vma.start / PAGE_SIZE - vma.pgoff) % HPAGE_PMD_NR === 0;
}

/**
 * After a split by punch (or a punch the design guards), a huge folio may
 * come back at `aligned` only if the shmem-truncate policy lets it, and
 * never over a punched hole a design marked (shmem_guard.ts): a huge fault
 * would fill every hole of the range at once.
 */
export function mayHugeAgain(k: Kernel, file: ShmemFile, aligned: number): boolean {
  if (punchedHolesIn(file, aligned) > 0) return false;
  return !(file.punchSplit.has(aligned) || file.collapseGuard.has(aligned)) || k.policies.shmemTruncate.mayRecollapse(k, file.id, aligned);
}

// ------------------------------------------------------------------ fault

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
  fillPunchedHoles(k, file, start, nr);
  if (huge) file.punchSplit.delete(start);
  return head;
}

/**
 * A read or write of one page through a shared mapping. Returns the pfn the
 * process sees, or -1 when out of memory or beyond EOF (SIGBUS).
 */
export function shmemFault(k: Kernel, mm: MM, vma: Vma, addr: number, write: boolean, value?: number): number {
  const file = k.fileById(vma.fileId)!;
  const index = vma.pgoffOf(addr);
  const f = k.frames;
  const existing = mm.pt(addr);
  const i = pteIndex(addr);
  if (index >= sizePages(file) && !(existing && (existing.pmd > 0 || existing.ptes[i]! > 0))) {
    k.outcomes.record('fault', false, 'sigbus');
    return -1;
  }
  const pt = existing ?? mm.ptAlloc(addr);
  let pfn: number;
  let populated = false;
  if (pt.pmd > 0) pfn = ptePfn(pt.pmd) + i;
  else if (pt.ptes[i]! > 0) pfn = ptePfn(pt.ptes[i]!);
  else {
    let found = file.lookup(index, (p) => f.order(p));
    if (found === undefined) {
      const base = pmdBase(addr);
      const aligned = index - (index % HPAGE_PMD_NR);
      const hugeOk = shmemHugeEnabled(k, vma, file, index) && vmaSuitableForPmd(vma, base) && mayHugeAgain(k, file, aligned) && !anyCached(file, aligned);
      let head = hugeOk ? shmemGetFolio(k, file, index, true, k.homeNode(mm)) : -1;
      if (hugeOk) {
        k.outcomes.record('thp_fault', head >= 0, head >= 0 ? undefined : 'no_order9_block');
        if (head < 0) k.emit({ type: 'thp_fault_fallback', pid: mm.pid, addr: base, file: file.name });
      }
      if (head < 0) head = shmemGetFolio(k, file, index, false, k.homeNode(mm));
      if (head < 0) {
        k.outcomes.record('fault', false, 'oom');
        k.emit({ type: 'oom', pid: mm.pid, addr });
        if (pt.used === 0 && pt.pmd === 0) mm.dropPt(addr);
        return -1;
      }
      found = head + (f.order(head) ? index % HPAGE_PMD_NR : 0);
      populated = true;
    }
    pfn = found;
    const head = f.head(pfn);
    const base = pmdBase(addr);
    // do_set_pmd: a PMD-sized folio lined up with this PMD range, no PTE table yet,
    // and a VMA THP may map (only VM_NOHUGEPAGE refuses; the huge= policy was for allocation).
    if (f.order(head) === HPAGE_PMD_ORDER && pt.used === 0 && !vma.nohugepage && vmaSuitableForPmd(vma, base) && vma.pgoffOf(base) === f.index[head]) {
      k.ledger.spinLock(SHMEM_PTL);
      setPmd(pt, mkPte(head, vma.write));
      k.ledger.atomicInc(f.refcount, head, SHMEM_MAP);
      addRmapPmd(k, mm, head);
      k.ledger.spinUnlock();
    } else {
      k.ledger.spinLock(SHMEM_PTL);
      setPte(pt, i, mkPte(pfn, vma.write));
      pt.used++;
      k.ledger.atomicInc(f.refcount, head, SHMEM_MAP);
      addRmapPtes(k, mm, pfn, 1);
      k.ledger.spinUnlock();
    }
  }
  if (write) {
    if (value !== undefined) k.valueWrites++;
    const tok = value ?? k.nextToken();
    f.content[pfn] = tok;
    file.shadow.set(index, tok);
    // Written data again: the page is no longer a punched-but-kept one.
    f.flags[pfn] = f.flags[pfn]! & ~(1 << PG_PUNCHED);
    f.flags[f.head(pfn)] = f.flags[f.head(pfn)]! | (1 << PG.dirty);
    // A write fault re-populating a hole of a range a design guards against collapse lifts the guard (shmem_guard.ts).
    if (populated && file.collapseGuard.size > 0) liftCollapseGuard(k, file, index - (index % HPAGE_PMD_NR));
  }
  return pfn;
}

function anyCached(file: ShmemFile, start: number): boolean {
  for (let i = 0; i < HPAGE_PMD_NR; i++) if (file.cache.has(start + i)) return true;
  return false;
}

// ------------------------------------------------------ punch and truncate

/** What one shmem_undo_range did, for the observation. */
interface UndoStats {
  /** punched pages zeroed but kept inside a huge folio */
  zeroed: number;
  /** a split was attempted and failed */
  splitFailed: boolean;
  /** a partial huge folio was kept because the policy did not split it */
  notSplit: boolean;
}

/**
 * unmap_mapping_range(start, end): zap every mapping of file pages
 * [start, end) in every VMA of the file. A huge PMD only partly inside is
 * split, which for a file PMD just drops it (the rest refaults).
 */
export function unmapMappingRange(k: Kernel, file: ShmemFile, start: number, end: number): void {
  for (const { mm, vma } of [...file.mappers]) {
    const lo = Math.max(start, vma.pgoff);
    const hi = Math.min(end, vma.pgoff + vma.pages);
    if (lo < hi) zapRange(k, mm, vma.addrOf(lo), vma.addrOf(hi));
  }
}

/** The folios of the cache overlapping [start, end), by ascending index (find_lock_entries' view). */
function foliosOverlapping(k: Kernel, file: ShmemFile, start: number, end: number): number[] {
  const f = k.frames;
  const out: number[] = [];
  if (end - start > file.cache.size) {
    for (const [idx, pfn] of file.cache) if (idx < end && idx + f.nrPages(pfn) > start) out.push(pfn);
    return out.sort((a, b) => f.index[a]! - f.index[b]!);
  }
  for (let idx = start; idx < end;) {
    const p = file.lookup(idx, (q) => f.order(q));
    if (p === undefined) {
      idx++;
      continue;
    }
    const head = f.head(p);
    out.push(head);
    idx = f.index[head]! + f.nrPages(head);
  }
  return out;
}

/** Lookup reference and folio lock, as find_lock_entries / shmem_get_partial_folio take them. */
function lookupLock(k: Kernel, head: number, s: typeof LOOKUP): boolean {
  const f = k.frames;
  if (!k.ledger.atomicIncNotZero(f.refcount, head, s)) return false;
  k.ledger.lockPage(f.flags, head, PG.locked, s);
  return true;
}

function unlockPut(k: Kernel, head: number, s: typeof LOOKUP): void {
  k.ledger.unlockPage(k.frames.flags, head, PG.locked, s);
  k.folioPutRefs(head, 1, BATCH_RELEASE);
}

/**
 * truncate_inode_folio -> filemap_remove_folio: take the folio out of the
 * cache and drop the cache's references. The caller holds a lookup
 * reference and the folio lock, so the folio is freed at the caller's put
 * unless someone else (a GUP pin) still holds it.
 */
function deleteFromPageCache(k: Kernel, file: ShmemFile, head: number): void {
  const f = k.frames;
  k.ledger.spinLockIrqSave(XA_LOCK);
  file.cache.delete(f.index[head]!);
  // page_cache_delete: folio->mapping = NULL. A pinned leftover is no page-cache page any more.
  f.mapping[head] = 0;
  f.flags[head] = f.flags[head]! & ~(1 << PG.shmem);
  k.ledger.spinUnlockIrqRestore();
  k.folioPutRefs(head, f.nrPages(head), CACHE_PUT);
}

function truncateFolio(k: Kernel, file: ShmemFile, head: number): void {
  if (!lookupLock(k, head, LOOKUP)) return;
  deleteFromPageCache(k, file, head);
  unlockPut(k, head, LOOKUP);
}

/** clear_highpage on the punched subpages [lo, hi) of a huge folio kept in the cache. */
function zeroSubpages(k: Kernel, head: number, lo: number, hi: number): void {
  const f = k.frames;
  for (let i = lo; i < hi; i++) {
    f.content[head + i] = 0;
    f.flags[head + i] = f.flags[head + i]! | (1 << PG_PUNCHED);
  }
  f.flags[head] = f.flags[head]! | (1 << PG.dirty);
}

/**
 * A split of a locked shmem folio (split_huge_page, or 6.15's folio_split at
 * page `at`), keeping the model-only PG_PUNCHED mark on the pages that
 * carried it (a tail loses its flag bits when it becomes a page of its own),
 * except in-folio pages [lo, hi), which the caller is about to truncate.
 */
function splitKeepingPunched(k: Kernel, head: number, split: (head: number, at: number) => boolean, at: number, lo = 0, hi = 0): boolean {
  const f = k.frames;
  const nr = f.nrPages(head);
  const punched: number[] = [];
  for (let i = 1; i < nr; i++) if ((f.flags[head + i]! >>> PG_PUNCHED) & 1 && (i < lo || i >= hi)) punched.push(head + i);
  if (!split(head, at)) return false;
  for (const p of punched) f.flags[p] = f.flags[p]! | (1 << PG_PUNCHED);
  return true;
}

/**
 * truncate_inode_partial_folio for a huge folio only partly inside the
 * range (in-folio pages [lo, hi)): zero the range, then split if the policy
 * says so. The split runs with exactly one reference of ours (the lookup
 * reference, taken before any batch reference could be dropped: Kirill's
 * review of the E3 patch), so it succeeds iff every other reference is a
 * mapping or the cache's. On success the now small pages in range leave the
 * cache; on failure the folio stays, zeroed there (dirty shmem: E5).
 */
function punchPartialHuge(k: Kernel, file: ShmemFile, head: number, lo: number, hi: number, splitRequested: boolean, st: UndoStats): void {
  const f = k.frames;
  if (!lookupLock(k, head, PARTIAL)) return;
  zeroSubpages(k, head, lo, hi);
  if (!k.policies.shmemTruncate.splitOnPartialPunch(k, head, splitRequested)) {
    st.notSplit = true;
    st.zeroed += hi - lo;
    unlockPut(k, head, PARTIAL);
    return;
  }
  const start = f.index[head]!;
  const nr = f.nrPages(head);
  const split = k.params.truncateFolioSplit
    ? (h: number, at: number) => folioSplitAndRecord(k, h, at, 'shmem_punch')
    : (h: number) => splitAndRecord(k, h, 'shmem_punch');
  if (!splitKeepingPunched(k, head, split, lo, lo, hi)) {
    st.splitFailed = true;
    st.zeroed += hi - lo;
    unlockPut(k, head, PARTIAL);
    return;
  }
  if (k.params.truncateFolioSplit && hi < nr) {
    // 6.15+: split again at the first page past the range, so that the range's pages sit in folios of their own
    // (folio2 in truncate_inode_partial_folio: a reference, a trylock, and its split result does not matter).
    const head2 = f.head(file.lookup(start + hi, (q) => f.order(q))!);
    if (f.order(head2) > 0 && lookupLock(k, head2, PARTIAL)) {
      splitKeepingPunched(k, head2, split, start + hi - f.index[head2]!, 0, 0);
      unlockPut(k, head2, PARTIAL);
    }
  }
  unlockPut(k, head, PARTIAL);
  // The range's folios leave the cache; one still straddling its end (a failed second split) stays, zeroed there.
  for (let idx = start + lo; idx < start + hi;) {
    const p = file.lookup(idx, (q) => f.order(q));
    if (p === undefined) {
      idx++;
      continue;
    }
    const h = f.head(p);
    const next = f.index[h]! + f.nrPages(h);
    if (next <= start + hi) truncateFolio(k, file, h);
    else st.zeroed += start + hi - idx;
    idx = next;
  }
  file.punchSplit.add(start);
}

/** shmem_undo_range over page indexes [start, end) (end may be Infinity). The range is unmapped already. */
function shmemUndoRange(k: Kernel, file: ShmemFile, start: number, end: number, splitRequested: boolean): UndoStats {
  const f = k.frames;
  const st: UndoStats = { zeroed: 0, splitFailed: false, notSplit: false };
  for (const head of foliosOverlapping(k, file, start, end)) {
    if (f.refcount[head] === 0 || file.cache.get(f.index[head]!) !== head) continue;
    const index = f.index[head]!;
    const nr = f.nrPages(head);
    if (index >= start && index + nr <= end) truncateFolio(k, file, head);
    else punchPartialHuge(k, file, head, Math.max(start, index) - index, Math.min(end, index + nr) - index, splitRequested, st);
  }
  forgetContent(file, start, end);
  return st;
}

/** The file reads zeroes in [start, end) from now on: what it should hold there is forgotten. */
function forgetContent(file: ShmemFile, start: number, end: number): void {
  if (end - start > file.shadow.size) {
    for (const idx of [...file.shadow.keys()]) if (idx >= start && idx < end) file.shadow.delete(idx);
  } else for (let idx = start; idx < end; idx++) file.shadow.delete(idx);
}

function fileNamed(k: Kernel, name: string): ShmemFile {
  const file = k.files.get(name);
  if (!file) throw new ModelInputError('file', 'a shmem file created by an earlier mmap', name);
  return file;
}

function recordUndo(k: Kernel, name: string, st: UndoStats): void {
  k.outcomes.record(name, st.zeroed === 0, st.zeroed === 0 ? undefined : st.splitFailed ? 'split_failed' : 'not_split');
}

/**
 * fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) on a shmem file;
 * `splitRequested` is Yang Shi's FALLOC_FL_SPLIT_HPAGE (E2's punch_hole_split).
 */
export function fallocatePunch(k: Kernel, fileName: string, offset: number, len: number, splitRequested: boolean): void {
  const file = fileNamed(k, fileName);
  const start = Math.floor(offset / PAGE_SIZE);
  const end = Math.ceil((offset + len) / PAGE_SIZE);
  if (end <= start) return;
  const free0 = k.buddy.freeFrames();
  unmapMappingRange(k, file, start, end);
  const st = shmemUndoRange(k, file, start, end, splitRequested);
  k.policies.shmemTruncate.onPunch?.(k, file, start, end);
  k.emit({ type: 'shmem_punch', file: fileName, offset, len, freedPages: k.buddy.freeFrames() - free0, zeroedPages: st.zeroed, splitFailed: st.splitFailed });
  recordUndo(k, 'shmem_punch', st);
}

/**
 * truncate(2) / shmem_setattr: growing just moves i_size; shrinking moves
 * it, unmaps everything mapped beyond it and removes every page beyond it.
 * A huge folio straddling the new EOF is a partial punch of its tail pages.
 */
export function shmemTruncate(k: Kernel, fileName: string, size: number): void {
  const file = fileNamed(k, fileName);
  const old = file.size;
  file.size = size;
  if (size >= old) return;
  const start = Math.ceil(size / PAGE_SIZE);
  const free0 = k.buddy.freeFrames();
  unmapMappingRange(k, file, start, Infinity);
  const st = shmemUndoRange(k, file, start, Infinity, false);
  for (const idx of [...file.punchSplit]) if (idx >= start) file.punchSplit.delete(idx);
  dropGuardsFrom(file, start);
  // 4.8+: "Part of the huge page can be beyond i_size: subject to shrink under memory pressure."
  if (k.params.shmemThp && size % HPAGE_PMD_SIZE !== 0) file.onHugeShrinklist = true;
  k.emit({
    type: 'shmem_truncate',
    file: fileName,
    size,
    oldSize: old,
    freedPages: k.buddy.freeFrames() - free0,
    zeroedPages: st.zeroed,
    splitFailed: st.splitFailed,
  });
  recordUndo(k, 'shmem_truncate', st);
}

const SHRINKLIST = site('shmem_unused_huge_shrink');

/**
 * shmem_unused_huge_shrink (4.8+), the superblock shrinker reclaim runs:
 * for every file on the shrinklist, the huge folio at i_size is split
 * (split_huge_page, whatever the shmem-truncate design keeps on a punch),
 * and its pages beyond EOF leave the page cache. A file whose folio cannot
 * be split now stays on the list. Returns the frames freed.
 */
export function shmemUnusedHugeShrink(k: Kernel): number {
  const f = k.frames;
  const free0 = k.buddy.freeFrames();
  for (const file of k.files.values()) {
    if (!file.onHugeShrinklist) continue;
    k.ledger.spinLock(SHRINKLIST);
    k.ledger.spinUnlock();
    const eof = Math.ceil(file.size / PAGE_SIZE);
    // The folio holding the first page past i_size, split only if it straddles i_size ("anything to gain").
    const p = file.lookup(eof, (q) => f.order(q));
    const head = p === undefined ? -1 : f.head(p);
    const base = head < 0 ? eof : f.index[head]!;
    if (head < 0 || f.order(head) === 0 || eof === base) {
      file.onHugeShrinklist = false; // nothing large straddles i_size any more
      continue;
    }
    const nr = f.nrPages(head);
    if (!lookupLock(k, head, SHRINKLIST)) continue;
    // split_folio: always the uniform split, whatever truncate does.
    const ok = splitKeepingPunched(k, head, (h) => splitAndRecord(k, h, 'shmem_unused_huge_shrink'), 0, eof - base, nr);
    unlockPut(k, head, SHRINKLIST);
    if (!ok) continue;
    // __split_huge_page: the pages beyond EOF are deleted from the page cache and freed, with
    // whatever a process wrote there through a PMD mapping (huge=always maps the folio whole).
    for (let idx = eof; idx < base + nr; idx++) {
      const q = file.cache.get(idx);
      if (q !== undefined) truncateFolio(k, file, q);
    }
    forgetContent(file, eof, base + nr);
    file.onHugeShrinklist = false;
  }
  return k.buddy.freeFrames() - free0;
}
