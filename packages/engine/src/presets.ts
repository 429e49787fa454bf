/**
 * Design presets: one full design per kernel era or seed proposal — a
 * policy (with params) per axis plus the era parameters (ModelParams) that
 * are not axes under study. Ids follow docs/kernel/mm-facts.md §8.
 */
import { AXIS_TABLE, type AxisName, ERA_PARAMS, type ModelParams, everyAxis, namedPolicyIds } from '@pagelab/kernel-core';

export interface PolicyChoice {
  readonly id: string;
  /** Policy params as given; the registry's codec fills defaults when the design is resolved. */
  readonly params: Readonly<Record<string, unknown>>;
}

export type AxisChoices = Readonly<Record<AxisName, PolicyChoice>>;

export interface Preset {
  readonly name: string;
  /** One line: the kernel or seed it models. */
  readonly description: string;
  readonly policies: AxisChoices;
  readonly params: Readonly<ModelParams>;
}

const p = (id: string, params: Record<string, unknown> = {}): PolicyChoice => ({ id, params });
/** A choice on every axis: `picks`, and each other axis at its baseline policy (AXIS_TABLE), so a new axis needs no preset edit. */
const choose = (picks: Partial<AxisChoices>): AxisChoices => everyAxis(AXIS_TABLE, picks, (_axis, e) => p(e.baseline));

const LEGACY_PARAMS = ERA_PARAMS['linux-3.13'];
const FIVE_EIGHT_PARAMS = ERA_PARAMS['linux-5.8'];
const MODERN_PARAMS = ERA_PARAMS['linux-6.10'];

const linux313: Preset = {
  name: 'linux-3.13',
  description:
    'Linux 3.13 (T313), design A: tail-page refcounting under compound_lock, precise mapcount, pinned pages block migration, shmem punch zeroes and keeps',
  policies: choose({
    refcount: p('tail-refcount'),
    sharedness: p('precise-mapcount'),
    'pinned-migration': p('pins-block'),
    'shmem-truncate': p('zero-keep'),
  }),
  params: LEGACY_PARAMS,
};

const with_ = (base: Preset, name: string, description: string, policies: Partial<AxisChoices>, params: Partial<ModelParams> = {}): Preset => ({
  name,
  description,
  policies: { ...base.policies, ...policies },
  params: { ...base.params, ...params },
});

const linux45 = with_(
  linux313,
  'linux-4.5',
  'Linux 4.5 (T49), design B45: the THP refcounting redesign (head-only refcount, PTE-mapped THP, deferred split)',
  { refcount: p('head-refcount') },
  ERA_PARAMS['linux-4.5'],
);

const linux58: Preset = {
  name: 'linux-5.8',
  description:
    'Linux 5.8 (T61), design B58: 4 KiB THP CoW, khugepaged collapses shared and PTE-mapped pages, FOLL_PIN, THP migration, movable_ops migration callbacks (4.8+), shmem split on punch',
  policies: choose({
    refcount: p('head-refcount'),
    sharedness: p('precise-mapcount'),
    // Non-LRU movable page migration (Minchan, "mm: migrate: support non-lru movable page migration") is in since v4.8.
    'pinned-migration': p('movable-ops'),
    'shmem-truncate': p('split-on-punch'),
  }),
  params: FIVE_EIGHT_PARAMS,
};

const linux610: Preset = {
  name: 'linux-6.10',
  description: 'Linux 6.10 (T612), design C610: folio_likely_mapped_shared() in khugepaged/CoW, movable_ops migration callbacks, PG_anon_exclusive',
  policies: choose({
    refcount: p('head-refcount'),
    sharedness: p('likely-mapped-shared'),
    'pinned-migration': p('movable-ops'),
    'shmem-truncate': p('split-on-punch'),
  }),
  params: MODERN_PARAMS,
};

const linux615 = with_(
  linux610,
  'linux-6.15',
  'Linux 6.15 (ML-DH-mmid), design C615: folio_maybe_mapped_shared() with MM owner tracking (CONFIG_MM_ID)',
  { sharedness: p('mm-owner-tracking') },
  ERA_PARAMS['linux-6.15'],
);

const linux618 = with_(
  linux615,
  'linux-6.18',
  'Linux 6.18 (the running kernel of `pagelab kernel`): 6.15 plus khugepaged and MADV_COLLAPSE collapsing read-only (fork write-protected) ranges',
  {},
  ERA_PARAMS['linux-6.18'],
);

const oleg2013 = with_(
  linux313,
  'oleg-2013',
  "Oleg Nesterov's 2013 proposal (seed 002, design A'): Linux 3.13 with a per-tail compound_lock taken in split (512 nested locks)",
  { refcount: p('tail-refcount', { perTailLockInSplit: true }) },
);

const minchan2013 = with_(
  linux313,
  'minchan-2013',
  "Minchan Kim's 2013 pin page control subsystem (ML-MK-pinpage, design DM): Linux 3.13 with owner migration handlers in a global hash under one spinlock",
  { 'pinned-migration': p('owner-handlers') },
);

const kozlowski2013 = with_(
  linux313,
  'kozlowski-2013',
  "Krzysztof Kozlowski's 2013 zbud reclaim on migration (ML-KK-zbud, design DK): Linux 3.13 reclaiming driver pages met by compaction/CMA",
  { 'pinned-migration': p('reclaim-on-migrate') },
);

const yangshi2019 = with_(
  linux58,
  'yangshi-2019',
  "Yang Shi's 2019 FALLOC_FL_SPLIT_HPAGE proposal (ML-YS-v2, design E2): Linux 5.8-like, shmem THP split only when the punch asks for it",
  { 'shmem-truncate': p('split-on-request') },
);

const splitGuard = with_(
  linux610,
  'split-guard',
  "The guarded design seed 001's review asks for (no kernel has it): Linux 6.10 splitting on a partial punch, with each punched 2 MiB range skipped by hpage_collapse_scan_file until a write fault re-populates it",
  { 'shmem-truncate': p('split-and-guard', { guard: 'skip-range' }) },
);

const splitGuardPtesNone = with_(
  linux610,
  'split-guard-ptes-none',
  'As split-guard, but each punched hole counts against khugepaged.max_ptes_none as one it may not fill, until that page is faulted in again (MADV_COLLAPSE still refills)',
  { 'shmem-truncate': p('split-and-guard', { guard: 'max-ptes-none' }) },
);

/** Every preset, in the order `pagelab policies` lists them. */
export const PRESETS: readonly Preset[] = [
  linux313,
  linux45,
  linux58,
  linux610,
  linux615,
  linux618,
  oleg2013,
  minchan2013,
  kozlowski2013,
  yangshi2019,
  splitGuard,
  splitGuardPtesNone,
];

/** The preset a design string starts from when it names none. */
export const DEFAULT_PRESET = 'linux-6.10';

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((x) => x.name === name);
}

export const PRESET_NAMES: readonly string[] = PRESETS.map((x) => x.name);

/** Every policy id a preset names, per axis (the axis' baseline first): the ids a design may use before the registry is consulted. */
export const KNOWN_POLICY_IDS: Readonly<Record<AxisName, readonly string[]>> = namedPolicyIds(
  AXIS_TABLE,
  PRESETS.map((x) => x.policies),
);
