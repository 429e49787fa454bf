/**
 * The summary's pinned-migration blocks, read off the kernel at the end of a
 * replay: `pinnedMigration` (the design's global lock and pin-page hash, and
 * the mechanism's owner migrations, node crossings and driver-page reclaim;
 * kernel-core pinned_stats.ts) and `contiguity` (CMA / alloc_contig results
 * with causes and retries, compaction results by COMPACT_* name, pageblocks
 * by migratetype with the unmovable pages inside Movable and CMA ones, and
 * the extfrag fallbacks as trace-pagealloc-postprocess.pl classifies them).
 * Present for every design: zeros where a design has no such mechanism.
 */
import { type Kernel, contiguityStats, pinnedMigrationStats, type PinnedMigrationStats } from '@pagelab/kernel-core';

export type ContiguitySummary = ReturnType<typeof contiguityStats>;

export function pinnedBlocks(k: Kernel): { pinnedMigration: PinnedMigrationStats; contiguity: ContiguitySummary } {
  return { pinnedMigration: pinnedMigrationStats(k), contiguity: contiguityStats(k) };
}
