/**
 * Processes (mm_struct), VMAs and page tables.
 *
 * A page table covers one PMD range (2 MiB): either a huge PMD mapping a
 * folio, or 512 PTEs. `shadow` is not kernel state: it is the content each
 * user page should hold (what the process wrote last), kept so the model can
 * check that CoW, collapse, migration and DMA never lose or misdirect data.
 */
import { HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SHIFT, PAGE_SIZE } from './frames.js';
import { PTE_YOUNG, mkPte } from './pte.js';

/** PTEs per PageTable.groupGen entry (8: a settle re-reads few marks per write; 512 B per table). */
export const PTE_GROUP = 8;

export class PageTable {
  readonly ptes = new Int32Array(HPAGE_PMD_NR);
  readonly shadow = new Uint32Array(HPAGE_PMD_NR);
  /** 0: not huge (use ptes); > 0: huge PMD (pte.ts present encoding, head pfn). */
  pmd = 0;
  /** Number of non-none PTEs (present or swap), to free empty tables cheaply. */
  used = 0;
  /**
   * A PTE page stays allocated here with no entry in use (pmd is not
   * pmd_none). Zap (MADV_DONTNEED, partial munmap) and mremap empty a table
   * but do not free it; only free_pgtables does, once no VMA is left in the
   * PMD range, and (6.14+, ptReclaim) a MADV_DONTNEED over the whole range.
   * A THP fault needs pmd_none, so an empty table makes the next fault small.
   */
  emptyTable = false;
  /**
   * The 512 PTEs stand for a huge zero PMD (a read fault in a THP-eligible
   * range with thp.use_zero_page=1, do_huge_pmd_anonymous_page ->
   * set_huge_zero_folio): each maps the zero page read-only, nothing is
   * allocated, nothing counts as anon. What splits a PMD (a partial zap, a
   * VMA boundary inside it, a misaligned mremap) clears the flag and leaves
   * the small zero PTEs, as __split_huge_zero_page_pmd does; a zap of the
   * whole range leaves pmd_none (zap_huge_pmd).
   */
  hugeZero = false;
  /**
   * Bumped by every write of a PTE or of the PMD (setPte, setPmd, fillPtes,
   * pmdToPtes: the only writers; repo-checks fails a direct one);
   * `groupGen[g]` is the generation of the last write to PTEs 8g..8g+7,
   * and `wordGen[w]` of the last write to PTEs 32w..32w+31.
   * Not kernel state: a reader that saw the table at generation g knows that
   * no entry changed while gen is still g, and that a group with
   * groupGen <= g did not, so it may skip re-reading them (the balloon
   * meter's settle). dropPt bumps it too, so a table that is still at g
   * is still its mm's table for the range. Float64: no wrap however many
   * writes.
   */
  gen = 0;
  readonly groupGen = new Float64Array(HPAGE_PMD_NR / PTE_GROUP);
  readonly wordGen = new Float64Array(HPAGE_PMD_NR / 32);
}

/** set_pte_at: entry `i` becomes `v`. */
export function setPte(pt: PageTable, i: number, v: number): void {
  pt.ptes[i] = v;
  pt.groupGen[i >>> 3] = pt.wordGen[i >>> 5] = ++pt.gen;
}

/** set_pmd_at: the PMD becomes `v` (0: a PTE table or pmd_none, per `used`). */
export function setPmd(pt: PageTable, v: number): void {
  pt.pmd = v;
  pt.gen++;
}

/**
 * pte_mkyoung on an access through a present PTE: a store only when the
 * accessed bit is clear. A PTE already young is not written (the CPU sets
 * the bit once), so its table's generation does not move for an access
 * that changed nothing, and a reader skipping unchanged tables skips it.
 */
export function ptePageAccessed(pt: PageTable, i: number): void {
  const v = pt.ptes[i]!;
  if ((v & PTE_YOUNG) === 0) setPte(pt, i, v | PTE_YOUNG);
}

/** The same for an access through a huge PMD. */
export function pmdPageAccessed(pt: PageTable): void {
  if ((pt.pmd & PTE_YOUNG) === 0) setPmd(pt, pt.pmd | PTE_YOUNG);
}

/**
 * The huge PMD becomes a table of 512 PTEs mapping head .. head + 511, each
 * writable and young as the PMD was (__split_huge_pmd_locked; before 4.5,
 * __split_huge_page_map). The caller moves the refcounts and rmap.
 */
export function pmdToPtes(pt: PageTable, head: number, write: boolean, young: boolean): void {
  for (let i = 0; i < HPAGE_PMD_NR; i++) pt.ptes[i] = mkPte(head + i, write, young);
  pt.used = HPAGE_PMD_NR;
  pt.pmd = 0;
  pt.groupGen.fill(++pt.gen);
  pt.wordGen.fill(pt.gen);
}

/** Every one of the 512 PTEs becomes `v` (a huge zero PMD's table, a cleared table). */
export function fillPtes(pt: PageTable, v: number): void {
  pt.ptes.fill(v);
  pt.groupGen.fill(++pt.gen);
  pt.wordGen.fill(pt.gen);
}

/** __split_huge_zero_page_pmd: the huge zero PMD becomes a table of 512 small-zero-page PTEs, which these already are. */
export function splitHugeZeroPmd(pt: PageTable): void {
  pt.hugeZero = false;
}

/**
 * pmd_none: neither a huge PMD nor a PTE page in this PMD range. Only then may
 * a fault install a THP (__handle_mm_fault -> create_huge_pmd) and
 * khugepaged finds nothing to scan (SCAN_PMD_NULL).
 */
export function pmdNone(pt: PageTable | undefined): boolean {
  return pt === undefined || (pt.pmd === 0 && pt.used === 0 && !pt.emptyTable);
}

/** anon_vma: the reverse-map family of an anonymous range; folio->mapping points here. */
export class AnonVma {
  readonly mms: MM[] = [];
  /** anon_vma->refcount (page_get_anon_vma / put_anon_vma). */
  readonly refs = new Int32Array(1);
  constructor(readonly id: number) {}
}

export type VmaKind = 'anon' | 'shmem';

export class Vma {
  constructor(
    public start: number,
    public end: number,
    public readonly kind: VmaKind,
    /** page offset of `start`: anon = linear page index at creation (kept across mremap); shmem = file page index. */
    public pgoff: number,
    public write: boolean,
    public readonly fileId: number,
    /** anon_vma_chain: every anon_vma whose folios this VMA may map. The last one receives new faults. */
    public chain: AnonVma[],
    public hugepage = false,
    public nohugepage = false,
    public mergeable = false,
  ) {}

  get pages(): number {
    return (this.end - this.start) >>> PAGE_SHIFT;
  }
  get anonVma(): AnonVma | null {
    return this.chain[this.chain.length - 1] ?? null;
  }
  /** Page offset of an address inside the VMA (linear_page_index). */
  pgoffOf(addr: number): number {
    return this.pgoff + (addr - this.start) / PAGE_SIZE;
  }
  addrOf(pgoff: number): number {
    return this.start + (pgoff - this.pgoff) * PAGE_SIZE;
  }
  /**
   * is_mergeable_vma + is_mergeable_anon_vma: same kind, protection, file and
   * flags, and compatible anon_vmas (the same chain, or one side has none yet).
   */
  sameAttrs(o: Vma): boolean {
    return (
      this.kind === o.kind &&
      this.write === o.write &&
      this.fileId === o.fileId &&
      this.hugepage === o.hugepage &&
      this.nohugepage === o.nohugepage &&
      this.mergeable === o.mergeable &&
      (this.chain.length === 0 || o.chain.length === 0 || (this.chain.length === o.chain.length && this.chain.every((a, i) => a === o.chain[i])))
    );
  }
  clone(): Vma {
    return new Vma(this.start, this.end, this.kind, this.pgoff, this.write, this.fileId, [...this.chain], this.hugepage, this.nohugepage, this.mergeable);
  }
}

export class MM {
  readonly vmas: Vma[] = [];
  /** Page tables by PMD-range index (addr / 2 MiB). Remove only through dropPt. */
  readonly pts = new Map<number, PageTable>();
  private lastKey = -1;
  private lastPt: PageTable | undefined = undefined;
  /** RSS counters in pages (MM_ANONPAGES, MM_SHMEMPAGES, MM_SWAPENTS). */
  rssAnon = 0;
  rssShmem = 0;
  swapEnts = 0;
  /** An anon VMA was moved by mremap: its page offsets no longer equal its addresses. */
  movedAnon = false;
  /** MMF_HAS_PINNED. */
  hasPinned = false;
  /** Addresses whose page memory_failure poisoned and unmapped (the hwpoison PTE markers the kernel leaves). */
  readonly hwpoisoned = new Set<number>();
  /** anon_vmas this process belongs to (so exit leaves them without a global walk). */
  readonly anonVmas = new Set<AnonVma>();
  constructor(
    readonly pid: number,
    readonly mmId: number,
  ) {}

  findVma(addr: number): Vma | undefined {
    // VMAs are few per process in these workloads; binary search keeps it O(log n).
    let lo = 0,
      hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid]!;
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }
  /**
   * The page table of the PMD range holding addr. A one-entry cache in front
   * of the map: faults, zaps and walks look up the same table many times in
   * a row. Tables leave only through dropPt, which keeps the cache honest.
   */
  pt(addr: number): PageTable | undefined {
    const key = Math.floor(addr / HPAGE_PMD_SIZE);
    if (key === this.lastKey) return this.lastPt;
    const t = this.pts.get(key);
    if (t) {
      this.lastKey = key;
      this.lastPt = t;
    }
    return t;
  }
  ptAlloc(addr: number): PageTable {
    const key = Math.floor(addr / HPAGE_PMD_SIZE);
    if (key === this.lastKey) return this.lastPt!;
    let t = this.pts.get(key);
    if (!t) {
      t = new PageTable();
      this.pts.set(key, t);
    }
    this.lastKey = key;
    this.lastPt = t;
    return t;
  }
  /** Frees the (empty) page table of the PMD range holding addr (free_pte_range). */
  dropPt(addr: number): void {
    const key = Math.floor(addr / HPAGE_PMD_SIZE);
    const t = this.pts.get(key);
    // A freed table's generation moves too: a reader holding it sees that it changed (PageTable.gen).
    if (t) t.gen++;
    this.pts.delete(key);
    if (key === this.lastKey) {
      this.lastKey = -1;
      this.lastPt = undefined;
    }
  }
  /**
   * free_pgtables after an unmap of [start, end) (munmap, mremap's old range):
   * frees the page table of every PMD range there that no VMA intersects any
   * more. A PMD range shared with a neighbouring VMA keeps its table
   * (free_pgd_range's floor/ceiling are the neighbours' ends).
   */
  freePgtables(start: number, end: number): void {
    for (let base = pmdBase(start); base < end; base += HPAGE_PMD_SIZE) {
      const pt = this.pt(base);
      if (!pt || pt.pmd > 0 || pt.used > 0) continue;
      if (!this.anyVmaIn(base, base + HPAGE_PMD_SIZE)) this.dropPt(base);
    }
  }
  /** Whether some VMA intersects [start, end). */
  anyVmaIn(start: number, end: number): boolean {
    for (const v of this.vmas) if (v.start < end && start < v.end) return true;
    return false;
  }
  insertVma(v: Vma): void {
    let i = 0;
    while (i < this.vmas.length && this.vmas[i]!.start < v.start) i++;
    this.vmas.splice(i, 0, v);
  }
  /** Splits VMAs so that `addr` is a VMA boundary (split_vma). */
  splitAt(addr: number): void {
    const v = this.findVma(addr);
    if (!v || v.start === addr) return;
    const tail = v.clone();
    tail.start = addr;
    tail.pgoff = v.pgoffOf(addr);
    v.end = addr;
    this.insertVma(tail);
  }
  /** Merges neighbours with the same attributes and contiguous offsets (vma_merge). */
  mergeAround(start: number, end: number): void {
    for (let i = this.vmas.length - 1; i > 0; i--) {
      const a = this.vmas[i - 1]!,
        b = this.vmas[i]!;
      if (b.start < start - PAGE_SIZE && a.end < start - PAGE_SIZE) break;
      if (a.end === b.start && a.sameAttrs(b) && b.pgoff === a.pgoffOf(b.start) && a.end >= start && b.start <= end) {
        a.end = b.end;
        if (a.chain.length === 0) a.chain = b.chain; // the merged VMA keeps the anon_vma that has pages
        this.vmas.splice(i, 1);
      }
    }
  }
}

/** The PMD-range base of an address. */
export function pmdBase(addr: number): number {
  return Math.floor(addr / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
}
export function pteIndex(addr: number): number {
  // & rather than %: ToInt32 keeps the low bits exactly (512 divides 2^32), and avoids a floating modulo.
  return Math.floor(addr / PAGE_SIZE) & (HPAGE_PMD_NR - 1);
}
