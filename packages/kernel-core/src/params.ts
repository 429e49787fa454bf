/**
 * Era parameters: kernel behaviour that changed between versions but is not
 * an axis under study (ARCHITECTURE.md "Axes and policies"). Design presets
 * set them; a user design may override them.
 */
export interface ModelParams {
  /** CoW of a PMD-mapped THP: 'huge' copies 2 MiB (<= 5.7), 'pte' splits the PMD and copies 4 KiB (>= 5.8, commit 3917c80280c9). */
  thpCow: 'huge' | 'pte';
  /**
   * Which pages khugepaged may collapse: 'exclusive' = every page small, unshared,
   * page_count == 1 (<= 5.7, SCAN_PAGE_COMPOUND / SCAN_PAGE_COUNT); 'shared' = shared
   * and PTE-mapped compound pages too, bounded by max_ptes_shared (>= 5.8).
   */
  khugepagedAccepts: 'exclusive' | 'shared';
  /** khugepaged counts swap PTEs against max_ptes_swap (>= 4.5ish) or refuses any swap PTE (3.13/4.4). */
  khugepagedSwapIn: boolean;
  /** FOLL_PIN exists (pin bias for small folios, _pincount for large; ~5.7+). Without it, pin = FOLL_GET. */
  follPin: boolean;
  /** Compaction / CMA migrate THPs (>= 5.7, 1da2f328fa64); before, compound pages are skipped. */
  thpMigration: boolean;
  /** fork copies anon-exclusive pages of maybe-pinned folios eagerly (>= 5.9). */
  forkCopiesPinned: boolean;
  /** FOLL_LONGTERM pins migrate pages out of CMA first (~5.1+). */
  longtermMigratesCma: boolean;
  /** PG_anon_exclusive exists (>= 5.19): CoW reuses exclusive pages, never other subpages of a large folio. Before: reuse when mapped once. */
  anonExclusive: boolean;
  /** shmem/tmpfs can hold huge pages (>= 4.8, CONFIG_TRANSPARENT_HUGE_PAGECACHE); before, thp.shmem_enabled has no effect. */
  shmemThp: boolean;
  /** MADV_COLLAPSE exists (>= 6.1); before, madvise(MADV_COLLAPSE) fails with EINVAL and changes nothing. */
  madvCollapse: boolean;
  /**
   * fork and zap batch PTEs mapping consecutive pages of one large folio (folio_pte_batch: fork >= 6.9, zap >= 6.10):
   * one rmap change of nr pages and one reference change of nr per run.
   */
  pteBatching: boolean;
  /** MADV_PAGEOUT exists (>= 5.4, 1a4e58cce84e); before, madvise(MADV_PAGEOUT) fails with EINVAL and changes nothing. */
  madvPageout: boolean;
  /**
   * Splitting an anon THP maps its zero-filled pages to the shared zero page
   * instead of back to themselves, and frees them (>= 6.12, remap_page with
   * RMP_USE_SHARED_ZEROPAGE / try_to_map_unused_to_zeropage).
   */
  splitRemapsZeropage: boolean;
  /**
   * GUP breaks CoW even for reads (5.8 only: 17839856fd58 "gup: document and
   * work around 'COW can break either way' issue", removed in 5.9 by
   * a308c71bf1e6): any FOLL_GET / FOLL_PIN of a private (CoW) mapping faults
   * as a write, and GUP-fast takes only writable entries.
   */
  gupBreaksCow: boolean;
  /**
   * khugepaged and MADV_COLLAPSE collapse a range whose PTEs are all
   * read-only (a private range write-protected by fork, or by mprotect) into
   * a read-only PMD; before 6.18 the scan refused it with SCAN_PAGE_RO
   * (b9f85966d1be "mm: enable khugepaged anonymous collapse on non-writable
   * regions", 65b08d362ba5 drops the check and SCAN_PAGE_RO's last users).
   */
  collapseReadOnly: boolean;
  /**
   * A hole punch or truncate that covers part of a large shmem folio splits
   * it non-uniformly (>= 6.15, 7460b470a131 "mm/truncate: use folio_split()
   * in truncate operation"): truncate_inode_partial_folio calls
   * try_folio_split at the first and past the last page of the range, so only
   * those pages end in order-0 folios and the rest stay in the largest
   * aligned folios (split.ts folioSplitNonUniform). Before, split_huge_page
   * made every page an order-0 folio. Assumes the head-refcount split
   * (frozen refcount), which every era that has it uses.
   */
  truncateFolioSplit: boolean;
  /**
   * MADV_DONTNEED frees a PTE page it leaves empty when the zap covered the
   * table's whole PMD range (CONFIG_PT_RECLAIM, default y on x86-64, >= 6.14:
   * "mm: pgtable: reclaim empty PTE page in madvise(MADV_DONTNEED)"). Before,
   * and for every other zap, an emptied table stays until munmap's
   * free_pgtables, and blocks a THP fault in its range.
   */
  ptReclaim: boolean;
  /**
   * A write fault on the huge zero PMD: 'thp' allocates a THP in its place
   * (<= 5.7, do_huge_pmd_wp_page `goto alloc`; again from 6.12,
   * do_huge_zero_wp_pmd, 1ced09e0331f "mm: allocate THP on hugezeropage
   * wp-fault"); 'split' splits it into small zero PTEs and faults one 4 KiB
   * page (5.8-6.11, 3917c80280c9 "thp: change CoW semantics for anon-THP").
   */
  hugeZeroWp: 'thp' | 'split';
}

/** The values each era parameter may take (design strings, help texts). Adding a parameter starts here. */
export const MODEL_PARAM_DOMAINS: { readonly [K in keyof ModelParams]: readonly ModelParams[K][] } = {
  thpCow: ['huge', 'pte'],
  khugepagedAccepts: ['exclusive', 'shared'],
  khugepagedSwapIn: [false, true],
  follPin: [false, true],
  thpMigration: [false, true],
  forkCopiesPinned: [false, true],
  longtermMigratesCma: [false, true],
  anonExclusive: [false, true],
  shmemThp: [false, true],
  madvCollapse: [false, true],
  pteBatching: [false, true],
  madvPageout: [false, true],
  splitRemapsZeropage: [false, true],
  gupBreaksCow: [false, true],
  collapseReadOnly: [false, true],
  truncateFolioSplit: [false, true],
  ptReclaim: [false, true],
  hugeZeroWp: ['thp', 'split'],
};

export const DEFAULT_PARAMS: ModelParams = {
  thpCow: 'pte',
  khugepagedAccepts: 'shared',
  khugepagedSwapIn: true,
  follPin: true,
  thpMigration: true,
  forkCopiesPinned: true,
  longtermMigratesCma: true,
  anonExclusive: true,
  shmemThp: true,
  madvCollapse: true,
  pteBatching: true,
  madvPageout: true,
  splitRemapsZeropage: false,
  gupBreaksCow: false,
  collapseReadOnly: false,
  truncateFolioSplit: false,
  ptReclaim: false,
  hugeZeroWp: 'split',
};

/** sysctl-style tunables (same keys as the `sysctl` event), kernel defaults. */
export interface Settings {
  'thp.enabled': 'always' | 'madvise' | 'never';
  'thp.defrag': 'always' | 'defer' | 'defer+madvise' | 'madvise' | 'never';
  /** `deny` and `force` are the sysfs knob's emergency values: off for every mount, on for every mount. */
  'thp.shmem_enabled': 'always' | 'within_size' | 'advise' | 'never' | 'deny' | 'force';
  'khugepaged.max_ptes_none': number;
  'khugepaged.max_ptes_swap': number;
  'khugepaged.max_ptes_shared': number;
  'khugepaged.pages_to_scan': number;
  /** 1: a read fault in a THP-eligible anonymous range maps the huge zero page; 0: it allocates a THP. */
  'thp.use_zero_page': number;
}

export const DEFAULT_SETTINGS: Settings = {
  'thp.enabled': 'always',
  'thp.defrag': 'madvise',
  'thp.shmem_enabled': 'never',
  'khugepaged.max_ptes_none': 511,
  'khugepaged.max_ptes_swap': 64,
  'khugepaged.max_ptes_shared': 256,
  'khugepaged.pages_to_scan': 4096,
  'thp.use_zero_page': 1,
};

const ENUMS: Partial<Record<keyof Settings, readonly string[]>> = {
  'thp.enabled': ['always', 'madvise', 'never'],
  'thp.defrag': ['always', 'defer', 'defer+madvise', 'madvise', 'never'],
  'thp.shmem_enabled': ['always', 'within_size', 'advise', 'never', 'deny', 'force'],
};
const RANGES: Partial<Record<keyof Settings, [number, number]>> = {
  'khugepaged.max_ptes_none': [0, 511],
  'khugepaged.max_ptes_swap': [0, 511],
  'khugepaged.max_ptes_shared': [0, 511],
  'khugepaged.pages_to_scan': [1, 1 << 24],
  'thp.use_zero_page': [0, 1],
};

export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];

/** Validates one tunable as sysfs would; returns an error message or null. */
export function checkSetting(key: string, value: unknown): string | null {
  if (!(key in DEFAULT_SETTINGS)) return `unknown tunable "${key}", expected one of ${SETTING_KEYS.join(', ')}`;
  const k = key as keyof Settings;
  const e = ENUMS[k];
  if (e) return typeof value === 'string' && e.includes(value) ? null : `${key} expects one of ${e.join(', ')}, got ${JSON.stringify(value)}`;
  const r = RANGES[k]!;
  return typeof value === 'number' && Number.isInteger(value) && value >= r[0] && value <= r[1]
    ? null
    : `${key} expects an integer in ${r[0]}..${r[1]}, got ${JSON.stringify(value)}`;
}

/**
 * Era parameters of the kernels the design presets model (docs/kernel/mm-facts.md §3–§5).
 * The engine's presets and the policy testkit both take them from here.
 */
export const ERA_PARAMS = {
  /** 3.13 (T313): THP CoW copies 2 MiB, khugepaged takes exclusive small pages only and no swap PTE, no FOLL_PIN, no THP migration. */
  'linux-3.13': {
    thpCow: 'huge',
    khugepagedAccepts: 'exclusive',
    khugepagedSwapIn: false,
    follPin: false,
    thpMigration: false,
    forkCopiesPinned: false,
    longtermMigratesCma: false,
    anonExclusive: false,
    shmemThp: false,
    madvCollapse: false,
    pteBatching: false,
    madvPageout: false,
    splitRemapsZeropage: false,
    gupBreaksCow: false,
    collapseReadOnly: false,
    truncateFolioSplit: false,
    ptReclaim: false,
    hugeZeroWp: 'thp',
  },
  /** 4.5–5.7 (T49): the redesign; 3.13's behaviour otherwise, plus khugepaged swap-in (max_ptes_swap) and huge tmpfs (4.8). */
  'linux-4.5': {
    thpCow: 'huge',
    khugepagedAccepts: 'exclusive',
    khugepagedSwapIn: true,
    follPin: false,
    thpMigration: false,
    forkCopiesPinned: false,
    longtermMigratesCma: false,
    anonExclusive: false,
    shmemThp: true,
    madvCollapse: false,
    pteBatching: false,
    madvPageout: false,
    splitRemapsZeropage: false,
    gupBreaksCow: false,
    collapseReadOnly: false,
    truncateFolioSplit: false,
    ptReclaim: false,
    hugeZeroWp: 'thp',
  },
  /**
   * 5.8 (T61 shape, before PG_anon_exclusive): 4 KiB THP CoW, shared collapse, FOLL_PIN, THP migration, longterm
   * pins leave CMA, and the one release whose GUP breaks CoW for reads too.
   */
  'linux-5.8': {
    thpCow: 'pte',
    khugepagedAccepts: 'shared',
    khugepagedSwapIn: true,
    follPin: true,
    thpMigration: true,
    forkCopiesPinned: false,
    longtermMigratesCma: true,
    anonExclusive: false,
    shmemThp: true,
    madvCollapse: false,
    pteBatching: false,
    madvPageout: true,
    splitRemapsZeropage: false,
    gupBreaksCow: true,
    collapseReadOnly: false,
    truncateFolioSplit: false,
    ptReclaim: false,
    hugeZeroWp: 'split',
  },
  /** 6.10+ (T612): everything above plus early CoW of pinned pages at fork and PG_anon_exclusive. */
  'linux-6.10': { ...DEFAULT_PARAMS },
  /**
   * 6.12+ (T615): 6.10 plus zero-filled pages of a split anon THP remapped to the shared zero page, and (6.15)
   * the non-uniform split of a partly punched or truncated shmem folio (7460b470a131), and (6.14) empty PTE pages
   * freed by MADV_DONTNEED (ptReclaim), and (6.12) a write to the huge zero page allocating a THP (hugeZeroWp).
   */
  'linux-6.15': { ...DEFAULT_PARAMS, splitRemapsZeropage: true, truncateFolioSplit: true, ptReclaim: true, hugeZeroWp: 'thp' },
  /** 6.18 (the kernel the oracle runs on): 6.15 plus collapse of read-only ranges (b9f85966d1be). */
  'linux-6.18': { ...DEFAULT_PARAMS, splitRemapsZeropage: true, collapseReadOnly: true, truncateFolioSplit: true, ptReclaim: true, hugeZeroWp: 'thp' },
} as const satisfies Record<string, ModelParams>;
export type Era = keyof typeof ERA_PARAMS;
