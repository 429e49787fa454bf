// Tunables: the header's `settings` block and the `sysctl` event share these
// keys. Values follow the kernel's sysfs files of the same name
// (/sys/kernel/mm/transparent_hugepage/...); an absent key means the kernel default.
import * as t from 'io-ts';
import { integer, intRange, oneOf } from './primitives.js';
import { object } from './object.js';

export const HPAGE_PMD_NR = 512;

/** mTHP sizes with their own knobs on x86-64 (hugepages-<size>kB/, 6.8+): orders 2 to 9. */
const MTHP_KB = [16, 32, 64, 128, 256, 512, 1024, 2048] as const;
const mthpKnobs = Object.fromEntries(
  MTHP_KB.flatMap((kb) => [
    [`thp.hugepages-${kb}kB.enabled`, oneOf(['always', 'inherit', 'madvise', 'never'])],
    [`thp.hugepages-${kb}kB.shmem_enabled`, oneOf(['always', 'inherit', 'within_size', 'advise', 'never'])],
  ]),
) as Record<`thp.hugepages-${(typeof MTHP_KB)[number]}kB.${'enabled' | 'shmem_enabled'}`, ReturnType<typeof oneOf>>;

const ZERO_OR_ONE = intRange(0, 1, '0 or 1');
const MILLIS = integer('a non-negative number of milliseconds', [(n) => n >= 0, 'a non-negative integer']);

/**
 * Writable knobs under /sys/kernel/mm/transparent_hugepage the model accepts
 * but does not act on: a log may set them (the kernel's selftests do), the
 * run's provenance lists them as "not modelled". khugepaged's sleeps are
 * wall time, which the event log does not have; khugepaged/defrag and the
 * per-size mTHP knobs choose allocations the model makes at PMD size only.
 */
export const notModelledValues = {
  'khugepaged.defrag': ZERO_OR_ONE,
  'khugepaged.scan_sleep_millisecs': MILLIS,
  'khugepaged.alloc_sleep_millisecs': MILLIS,
  ...mthpKnobs,
} as const;
export type NotModelledSetting = keyof typeof notModelledValues;
export const NOT_MODELLED_SETTINGS = Object.keys(notModelledValues) as readonly NotModelledSetting[];

/** One codec per tunable key, each naming what the kernel accepts. */
export const sysctlValues = {
  'thp.enabled': oneOf(['always', 'madvise', 'never']),
  'thp.defrag': oneOf(['always', 'defer', 'defer+madvise', 'madvise', 'never']),
  'thp.shmem_enabled': oneOf(['always', 'within_size', 'advise', 'never', 'deny', 'force']),
  'khugepaged.max_ptes_none': intRange(0, HPAGE_PMD_NR - 1),
  'khugepaged.max_ptes_swap': intRange(0, HPAGE_PMD_NR - 1),
  'khugepaged.max_ptes_shared': intRange(0, HPAGE_PMD_NR - 1),
  // The kernel takes any unsigned int but 0 (pages_to_scan_store); the model scans at most 2^24 pages a pass.
  'khugepaged.pages_to_scan': intRange(1, 1 << 24, 'an integer from 1 to 16777216'),
  // The huge zero page on a read fault in a THP-eligible anonymous range (do_huge_pmd_anonymous_page).
  'thp.use_zero_page': ZERO_OR_ONE,
  ...notModelledValues,
} as const;

export type SysctlKey = keyof typeof sysctlValues;
export const SYSCTL_KEYS = Object.keys(sysctlValues) as readonly SysctlKey[];
export const SysctlKey = oneOf(SYSCTL_KEYS as unknown as readonly [SysctlKey, ...SysctlKey[]]);

/** The header's initial tunables: every key optional, unknown keys rejected. */
export const Settings = object('a settings object', {}, sysctlValues, { noun: 'settings' });
export type Settings = t.TypeOf<typeof Settings>;
