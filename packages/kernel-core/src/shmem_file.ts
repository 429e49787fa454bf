/**
 * A shmem (tmpfs) file: its page cache (an index -> pfn map standing in for
 * the xarray; a large folio is stored once, at its aligned index), the i_mmap
 * list of VMAs mapping it, and the shadow content of every page.
 */
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER } from './frames.js';
import type { MM, Vma } from './mm.js';

export class ShmemFile {
  /** index -> pfn of a folio's head, stored at the folio's first index (aligned to its size). */
  readonly cache = new Map<number, number>();
  /** index -> content the file should hold (0 = hole / zeroes). */
  readonly shadow = new Map<number, number>();
  /** i_mmap: the VMAs mapping this file. */
  readonly mappers: { mm: MM; vma: Vma }[] = [];
  /** Page-cache indexes split by a hole punch (the shmem-truncate axis may keep khugepaged away). */
  readonly punchSplit = new Set<number>();
  /** Indexes a punch left empty, marked by a design that counts them against max_ptes_none (shmem_guard.ts). */
  readonly punchedHoles = new Set<number>();
  /** Aligned indexes of 2 MiB ranges a design keeps hpage_collapse_scan_file away from (shmem_guard.ts). */
  readonly collapseGuard = new Set<number>();
  size = 0;
  /**
   * On the superblock's shrinklist (4.8+ shmem_setattr): a truncate left i_size
   * inside a huge folio, whose part beyond EOF memory pressure may split off.
   */
  onHugeShrinklist = false;
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}

  /**
   * The page holding `index` (its pfn: the head of the folio holding it plus
   * the offset), or undefined. A folio is stored once, at its first index,
   * which is aligned to its size; folios of any order 0..9 may sit side by
   * side after a non-uniform split (split.ts folioSplitNonUniform).
   */
  lookup(index: number, orderOf: (pfn: number) => number): number | undefined {
    const small = this.cache.get(index);
    if (small !== undefined) return small;
    // The PMD-sized case first: it is the common one.
    const base = index - (index % HPAGE_PMD_NR);
    const huge = this.cache.get(base);
    if (huge !== undefined && 1 << orderOf(huge) > index - base) return huge + (index - base);
    for (let o = 1; o < HPAGE_PMD_ORDER; o++) {
      const start = index - (index % (1 << o));
      if (start === index || start === base) continue;
      const p = this.cache.get(start);
      if (p !== undefined && orderOf(p) >= o) return p + (index - start);
    }
    return undefined;
  }
}
