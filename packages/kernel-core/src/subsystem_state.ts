/**
 * Per-kernel state of the subsystems that live in their own modules: KSM's
 * stable tree, compaction's driver-page owners, khugepaged's scan cursor.
 * They are named fields of the Kernel (kernel.ts), not module-level
 * WeakMaps, so the invariant walk, the fingerprint and a debugger see them,
 * and two kernels in one process can never share them. This module has no
 * value imports: kernel.ts constructs these, the subsystems fill them.
 */
import type { MM } from './mm.js';
import type { MigrateTarget } from './migrate.js';

/** One place that mapped a KSM page when it was merged (a stable node's rmap_item). */
export interface KsmRmapItem {
  mm: MM;
  addr: number;
}

/** mm/ksm.c's stable tree, reduced to what the model needs. */
export interface KsmState {
  /** stable tree: content token -> KSM page pfn. */
  readonly stable: Map<number, number>;
  /** stable node rmap items: KSM page pfn -> the places that mapped it when merged. */
  readonly items: Map<number, KsmRmapItem[]>;
}

/** Driver-owned pages (zbud/zswap, DMA buffers, contiguous ranges) as compaction and CMA meet them. */
export interface DriverState {
  /** pfn -> handle of the DriverAlloc holding it (the page's owner; page->private in the kernel). */
  readonly owner: Map<number, string>;
  /** Where a driver page met by compaction / alloc_contig should go (set for the duration of the policy call). */
  target: MigrateTarget | null;
  /** Handles named by an alloc_contig that failed and not freed since: their free_contig does nothing. */
  readonly failedContig: Set<string>;
  /** What the pinned-migration mechanism counted (pinned_stats.ts). */
  readonly stats: PinnedMechanismCounters;
}

/** Counters kept where compaction, CMA and migration do their work (read by pinned_stats.ts). */
export interface PinnedMechanismCounters {
  readonly pinned: {
    ownerMigrations: number;
    crossNodeMigrations: number;
    reclaimedDriverPages: number;
    reclaimAllocatedPages: number;
    reclaimPressurePages: number;
  };
  readonly cma: { success: number; failure: number; causes: Record<string, number>; candidates: number; retries: number };
  /** compact_zone results by COMPACT_* name */
  readonly compact: Record<string, number>;
}

/** khugepaged_scan (mm/khugepaged.c): the one cursor (process, next address) and the thread's sysfs counters. */
export interface KhugepagedScanState {
  /** -1: at the head of the list (no process being scanned). */
  pid: number;
  addr: number;
  fullScans: number;
  pagesCollapsed: number;
}

export function newKsmState(): KsmState {
  return { stable: new Map(), items: new Map() };
}
export function newDriverState(): DriverState {
  return {
    owner: new Map(),
    target: null,
    failedContig: new Set(),
    stats: {
      pinned: { ownerMigrations: 0, crossNodeMigrations: 0, reclaimedDriverPages: 0, reclaimAllocatedPages: 0, reclaimPressurePages: 0 },
      cma: { success: 0, failure: 0, causes: {}, candidates: 0, retries: 0 },
      compact: { COMPACT_SKIPPED: 0, COMPACT_SUCCESS: 0, COMPACT_COMPLETE: 0 },
    },
  };
}
export function newKhugepagedScanState(): KhugepagedScanState {
  return { pid: -1, addr: 0, fullScans: 0, pagesCollapsed: 0 };
}
