export * from './axes.js';
export * from './buddy.js';
export * from './errors.js';
export * from './folio.js';
export * from './frames.js';
export * from './invariants.js';
export * from './kernel.js';
export * from './ledger.js';
export * from './mm.js';
export * from './nr_pages_mapped.js';
export * from './observe.js';
export * from './params.js';
export * from './pte.js';
export * from './queries.js';
export * from './split.js';
// The policy context and the mechanisms a policy may run, typed to take it
// (these names shadow the Kernel-typed ones of split.js, nr_pages_mapped.js,
// compaction.js, migrate.js and shmem_guard.js).
export * from './policy_ctx.js';
export {
  addNrPagesMapped,
  clearCompoundHead,
  collapseGuarded,
  driverMigrateTarget,
  driverPageHandle,
  folioMappings,
  grabFolioRefs,
  guardCollapse,
  makeTailIndependent,
  markPunchedHoles,
  migrateFolio,
  moveDriverPage,
  moveGupPinnedFolio,
  putFolioRef,
  reclaimDriverPage,
  rmapPmdBecomesPtes,
  splitAndRecord,
  splitFolioFrozen,
  splitHugePmdLocked,
  subNrPagesMapped,
  subNrPagesMappedEach,
} from './policy_ctx.js';
export * from './syscalls.js';
export * from './waste.js';
export * from './shmem_guard.js';
export type { ShmemFile } from './shmem_file.js';
export { deferredSplitScan, reclaim, PG_SPLIT_FAILED } from './vmscan.js';
export { addRmapPmd, addRmapPtes, removeRmapPmd, removeRmapPtes, rmapWalk, ZERO_PFN, type FolioMapping } from './rmap.js';
export { maybeDmaPinned } from './fork.js';
export { gupRange, eraKind, dio, type GupRequest } from './gup.js';
export * from './testing/reference.js';
export * from './testing/replay.js';
export * from './testing/scenarios.js';
export { khugepagedStats, KHUGEPAGED_CC, MADV_COLLAPSE_CC, type CollapseControl, type ScanReport, type ScanResult } from './khugepaged.js';
export { migrateLongtermUnpinnable, type MigrateCause, type MigrateReason, type MigrateResult, type MigrateTarget } from './migrate.js';
export { MAX_CONTIG_CANDIDATES, PG_ZBUD, folioPagePinned, type CompactResult, type ContigFailure } from './compaction.js';
export { hwpoisonedAddresses, memoryFailurePfn, type MemoryFailureResult } from './memory_failure.js';
export { ksmStats } from './ksm.js';
export * from './testing/streams.js';
export * from './hash.js';
export * from './pinned_stats.js';
