/**
 * The run's counters under their /proc/vmstat names (include/linux/vm_event_item.h,
 * mm/vmstat.c vmstat_text), counted from what the model did: its outcome
 * tallies and its domain observations, never from a formula. Where the model
 * differs from the kernel's definition it is said here:
 *
 * - thp_fault_alloc / thp_fault_fallback: the `thp_fault` outcome (anon and
 *   shmem huge faults, including a CoW fault's THP copy that fell back).
 * - thp_collapse_alloc: `thp_collapse_alloc` observations (a huge page
 *   allocated for a collapse, whether or not the collapse then succeeded, as
 *   in alloc_charge_folio); thp_collapse_alloc_failed: collapses that failed
 *   with SCAN_ALLOC_HUGE_PAGE_FAIL.
 * - thp_split_page / thp_split_page_failed: the `split_page` outcome;
 *   thp_deferred_split_page: its observations; thp_split_pmd: the `split_pmd` outcome.
 * - compact_stall / compact_success / compact_fail: the model compacts only
 *   on a `compact` event, which it runs as one compaction attempt for that
 *   order (compact_zone); each attempt counts as a stall, like direct compaction.
 * - pgmigrate_success / pgmigrate_fail: base pages (folio pages) of the
 *   `migrate` observations, as migrate_pages counts nr_succeeded / nr_failed_pages;
 *   thp_migration_success / thp_migration_fail: those of order 9.
 * - cma_alloc_success / cma_alloc_fail: the `cma_alloc` outcome, one per cma_alloc call.
 */
import { VMSTAT_COUNTERS, type Outcome, type VmstatCounter } from '@pagelab/events';

export { VMSTAT_COUNTERS, type VmstatCounter };
export type Vmstat = Record<VmstatCounter, number>;

const THP_ORDER = 9;

/** Counts what the outcome tallies do not: observation-only counters. */
export class VmstatMeter {
  private collapseAlloc = 0;
  private deferredSplit = 0;
  private migrateOk = 0;
  private migrateFail = 0;
  private thpMigrateOk = 0;
  private thpMigrateFail = 0;

  /** One event's observations (usually none). */
  observe(batch: readonly { readonly type: string; readonly [k: string]: unknown }[]): void {
    for (const o of batch) {
      switch (o.type) {
        case 'thp_collapse_alloc':
          this.collapseAlloc++;
          break;
        case 'thp_deferred_split_page':
          this.deferredSplit++;
          break;
        case 'migrate': {
          const order = typeof o['order'] === 'number' ? o['order'] : 0;
          const ok = o['result'] === 'success';
          if (ok) this.migrateOk += 1 << order;
          else this.migrateFail += 1 << order;
          if (order === THP_ORDER) {
            if (ok) this.thpMigrateOk++;
            else this.thpMigrateFail++;
          }
          break;
        }
      }
    }
  }

  result(outcomes: Readonly<Record<string, Outcome>>): Vmstat {
    const ok = (n: string) => outcomes[n]?.ok ?? 0;
    const failed = (n: string) => outcomes[n]?.failed ?? 0;
    return {
      thp_fault_alloc: ok('thp_fault'),
      thp_fault_fallback: failed('thp_fault'),
      thp_collapse_alloc: this.collapseAlloc,
      thp_collapse_alloc_failed: outcomes['collapse']?.reasons['SCAN_ALLOC_HUGE_PAGE_FAIL'] ?? 0,
      thp_split_page: ok('split_page'),
      thp_split_page_failed: failed('split_page'),
      thp_deferred_split_page: this.deferredSplit,
      thp_split_pmd: ok('split_pmd'),
      compact_stall: ok('compact') + failed('compact'),
      compact_success: ok('compact'),
      compact_fail: failed('compact'),
      pgmigrate_success: this.migrateOk,
      pgmigrate_fail: this.migrateFail,
      thp_migration_success: this.thpMigrateOk,
      thp_migration_fail: this.thpMigrateFail,
      cma_alloc_success: ok('cma_alloc'),
      cma_alloc_fail: failed('cma_alloc'),
    };
  }
}
