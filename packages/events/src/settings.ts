// Tunables: the header's `settings` block and the `sysctl` event share these
// keys. Values follow the kernel's sysfs files of the same name
// (/sys/kernel/mm/transparent_hugepage/...); an absent key means the kernel default.
import * as t from 'io-ts';
import { integer, intRange, oneOf } from './primitives.js';
import { object } from './object.js';

export const HPAGE_PMD_NR = 512;

/** One codec per tunable key, each naming what the kernel accepts. */
export const sysctlValues = {
  'thp.enabled': oneOf(['always', 'madvise', 'never']),
  'thp.defrag': oneOf(['always', 'defer', 'defer+madvise', 'madvise', 'never']),
  'thp.shmem_enabled': oneOf(['always', 'within_size', 'advise', 'never', 'deny', 'force']),
  'khugepaged.max_ptes_none': intRange(0, HPAGE_PMD_NR - 1),
  'khugepaged.max_ptes_swap': intRange(0, HPAGE_PMD_NR - 1),
  'khugepaged.max_ptes_shared': intRange(0, HPAGE_PMD_NR - 1),
  'khugepaged.pages_to_scan': integer('an integer >= 1', [(n) => n >= 1, 'an integer >= 1']),
} as const;

export type SysctlKey = keyof typeof sysctlValues;
export const SYSCTL_KEYS = Object.keys(sysctlValues) as readonly SysctlKey[];
export const SysctlKey = oneOf(SYSCTL_KEYS as unknown as readonly [SysctlKey, ...SysctlKey[]]);

/** The header's initial tunables: every key optional, unknown keys rejected. */
export const Settings = object('a settings object', {}, sysctlValues, { noun: 'settings' });
export type Settings = t.TypeOf<typeof Settings>;
