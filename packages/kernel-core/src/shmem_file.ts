/**
 * A shmem (tmpfs) file: its page cache (an index -> pfn map standing in for
 * the xarray; a huge folio is stored once, at its aligned index), the i_mmap
 * list of VMAs mapping it, and the shadow content of every page.
 */
import { HPAGE_PMD_NR } from './frames.js';
import type { MM, Vma } from './mm.js';

export class ShmemFile {
  /** index -> pfn of an order-0 folio, or of the head of a huge folio stored at its aligned index. */
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

  /** The folio holding `index`: [head pfn, order 0 or 9], or undefined. */
  lookup(index: number, orderOf: (pfn: number) => number): number | undefined {
    const small = this.cache.get(index);
    if (small !== undefined) return small;
    const base = index - (index % HPAGE_PMD_NR);
    const huge = this.cache.get(base);
    if (huge !== undefined && orderOf(huge) > 0) return huge + (index - base);
    return undefined;
  }
}
