import { describe, expect, it } from 'vitest';
import { AXES, AXIS_TABLE, DEFAULT_PARAMS } from '@pagelab/kernel-core';
import { KNOWN_POLICY_IDS, PRESETS, findPreset } from './presets.js';

describe('design presets', () => {
  it('include every era and seed proposal of the architecture', () => {
    expect(PRESETS.map((p) => p.name)).toEqual([
      'linux-3.13',
      'linux-4.5',
      'linux-5.8',
      'linux-6.10',
      'linux-6.15',
      'linux-6.18',
      'oleg-2013',
      'minchan-2013',
      'kozlowski-2013',
      'yangshi-2019',
      'split-guard',
      'split-guard-ptes-none',
    ]);
  });

  it('each pick a known policy on every axis and set every era parameter', () => {
    for (const p of PRESETS) {
      for (const axis of AXES) expect(KNOWN_POLICY_IDS[axis]).toContain(p.policies[axis].id);
      expect(Object.keys(p.params).sort()).toEqual(Object.keys(DEFAULT_PARAMS).sort());
      expect(p.description.length).toBeGreaterThan(10);
    }
  });

  it("take every axis they do not name at the axis table's baseline, the 3.13 design, and make KNOWN_POLICY_IDS of what they name", () => {
    const baselines = Object.fromEntries(AXES.map((a) => [a, { id: AXIS_TABLE[a].baseline, params: {} }]));
    expect(findPreset('linux-3.13')!.policies).toEqual(baselines);
    for (const axis of AXES) {
      expect(KNOWN_POLICY_IDS[axis][0]).toBe(AXIS_TABLE[axis].baseline);
      expect(new Set(KNOWN_POLICY_IDS[axis])).toEqual(new Set([AXIS_TABLE[axis].baseline, ...PRESETS.map((p) => p.policies[axis].id)]));
    }
  });

  it('model 3.13 as tail refcounting without FOLL_PIN or THP migration', () => {
    const p = findPreset('linux-3.13')!;
    expect(p.policies.refcount.id).toBe('tail-refcount');
    expect(p.policies['shmem-truncate'].id).toBe('zero-keep');
    expect(p.params).toMatchObject({ thpCow: 'huge', khugepagedAccepts: 'exclusive', khugepagedSwapIn: false, follPin: false, thpMigration: false });
  });

  it('differ from their base only where the proposal does', () => {
    const base = findPreset('linux-3.13')!;
    expect(findPreset('linux-4.5')!.params).toEqual({ ...base.params, khugepagedSwapIn: true, shmemThp: true });
    expect(findPreset('oleg-2013')!.policies.refcount).toEqual({ id: 'tail-refcount', params: { perTailLockInSplit: true } });
    expect(findPreset('minchan-2013')!.policies['pinned-migration'].id).toBe('owner-handlers');
    expect(findPreset('kozlowski-2013')!.policies['pinned-migration'].id).toBe('reclaim-on-migrate');
    expect(findPreset('yangshi-2019')!.policies['shmem-truncate'].id).toBe('split-on-request');
    expect(findPreset('yangshi-2019')!.params).toEqual(findPreset('linux-5.8')!.params);
    for (const [name, guard] of [
      ['split-guard', 'skip-range'],
      ['split-guard-ptes-none', 'max-ptes-none'],
    ] as const) {
      expect(findPreset(name)!.policies).toEqual({ ...findPreset('linux-6.10')!.policies, 'shmem-truncate': { id: 'split-and-guard', params: { guard } } });
      expect(findPreset(name)!.params).toEqual(findPreset('linux-6.10')!.params);
    }
    expect(findPreset('linux-6.15')!.policies.sharedness.id).toBe('mm-owner-tracking');
    expect(findPreset('linux-6.10')!.params).toEqual(DEFAULT_PARAMS);
  });
});
