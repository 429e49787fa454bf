// The `metrics` block shared by summary.json and `sample` observations
// (contracts.md §3; metric definitions in ARCHITECTURE.md "Metrics").
import * as t from 'io-ts';
import { Integer, NonNegativeInt, finite } from './primitives.js';
import { object } from './object.js';

const Bytes = NonNegativeInt;
const Count = NonNegativeInt;

export const WASTE_CAUSES = ['unmapped-in-thp', 'truncated-retained', 'collapse-bloat', 'duplicated-shared', 'split-blocked'] as const;
export type WasteCause = (typeof WASTE_CAUSES)[number];

export const WasteByCause = object(
  'waste by cause',
  {
    'unmapped-in-thp': Integer,
    'truncated-retained': Integer,
    'collapse-bloat': Integer,
    'duplicated-shared': Integer,
    'split-blocked': Integer,
  },
  {},
  { noun: 'metrics.wasteByCause' },
);

/** Counts keyed by a free-form name (lock kind, lock site, failure reason). */
export const CountsByName = t.record(t.string, Count, 'an object of counts');

export const Metrics = object(
  'a metrics object',
  {
    allocatedBytes: Bytes,
    idealBytes: Bytes,
    // allocated - ideal: negative when the model shares more than the ideal kernel (e.g. KSM).
    wasteBytes: Integer,
    peakWasteBytes: Integer,
    wasteByCause: WasteByCause,
    lockedOps: Count,
    lockedOpsByKind: CountsByName,
    lockedOpsBySite: CountsByName,
    lockAcquisitions: Count,
    maxLockDepth: Count,
    hugeCoverage: finite('a fraction from 0 to 1', [(x) => x >= 0 && x <= 1, 'a fraction from 0 to 1']),
    tlbShootdowns: Count,
    pageCopies: Count,
  },
  {},
  { exact: false, noun: 'metrics' },
);
export type Metrics = t.TypeOf<typeof Metrics>;
