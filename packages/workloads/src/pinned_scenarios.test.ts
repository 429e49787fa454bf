/**
 * The pinned-migration workloads (camera-cma-burst, vfio-longterm-pins,
 * odirect-under-compaction) at test size, replayed with the invariants
 * walked after every event under each design they name. The figures
 * asserted are the ones the seed thread argues about: which design's
 * contiguous allocations succeed, what the global lock costs, and where
 * migrations cross nodes.
 */
import type { Registry } from '@pagelab/engine';
import { type CheckedRun, installedRegistry, replayChecked } from '@pagelab/engine/testing';
import { validateLogText } from '@pagelab/events';
import { beforeAll, describe, expect, it } from 'vitest';
import { cameraCmaBurst } from './pinned_camera.js';
import { odirectUnderCompaction } from './pinned_odirect.js';
import { pinnedScenarios } from './pinned_scenarios.js';
import { vfioLongtermPins } from './pinned_vfio.js';
import { scenarios } from './registry.js';
import type { Scenario } from './scenario.js';

let registry: Registry;
beforeAll(async () => {
  registry = await installedRegistry();
});

const DM_GUP = 'minchan-2013:pinned-migration=owner-handlers(coverGup=true)';
const SMALL: [Scenario, Record<string, string | number>][] = [
  [cameraCmaBurst, { memoryMiB: 64, cmaMiB: 16, zswapPages: 2048, burstMiB: 8 }],
  [cameraCmaBurst, { memoryMiB: 64, cmaMiB: 16, zswapPages: 2048, burstMiB: 8, pool: 'zsmalloc' }],
  [vfioLongtermPins, { memoryMiB: 64, pinnedMiB: 8 }],
  [odirectUnderCompaction, { memoryMiB: 64, cmaMiB: 40, poolMiB: 16, ios: 100 }],
];

function clean(s: Scenario, p: Record<string, string | number>, design: string): CheckedRun {
  const r = replayChecked(s.generate(p), design, registry, { source: `scenario:${s.name}` });
  expect(r.violations, `${s.name} under ${design}`).toEqual([]);
  expect(r.failed, `${s.name} under ${design}`).toEqual([]);
  return r;
}

describe('pinned-migration workloads', () => {
  it('are registered by name, and each generates a log the validator accepts', async () => {
    for (const s of pinnedScenarios) expect(scenarios).toContain(s);
    expect(pinnedScenarios.map((s) => s.name)).toEqual(['camera-cma-burst', 'vfio-longterm-pins', 'odirect-under-compaction']);
    for (const [s, p] of SMALL) {
      const log = s.generate(p);
      const report = await validateLogText([JSON.stringify(log.header), ...log.events.map((e) => JSON.stringify(e))], { name: s.name });
      expect(report.errors, s.name).toEqual([]);
    }
  });

  it('refuse parameters out of range by name', () => {
    expect(() => cameraCmaBurst.generate({ pool: 'z3fold' })).toThrow(/parameter pool/);
    expect(() => vfioLongtermPins.generate({ memoryMiB: 60 })).toThrow(/parameter memoryMiB: expected a multiple of 16/);
    expect(() => odirectUnderCompaction.generate({ ioKiB: 6 })).toThrow(/parameter ioKiB/);
  });

  // About 20 replays of a few thousand events with the invariant walk after each: seconds on a loaded machine.
  it('replay under every design they name with the invariants holding after every event and every expect passing', () => {
    for (const [s, p] of SMALL) for (const d of [...s.designs, DM_GUP]) clean(s, p, d);
  }, 180_000);
});

describe("LaHaise: 'it doesn't take into account NUMA issues'", () => {
  it("offlining the VM's node fails on its long-term pinned pages in every design but DM with coverGup, whose owner moves all 2048 of them to node 0", () => {
    const p = { memoryMiB: 64, pinnedMiB: 8 };
    for (const d of ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15']) {
      const r = clean(vfioLongtermPins, p, d);
      // 8 blocks of node 1: the 2 that hold the 8 MiB guest fail, pinned; no migration crosses a node.
      expect(r.contiguity.cma, d).toMatchObject({ success: 6, failure: 2, causes: { pinned: 2 } });
      expect(r.pinnedMigration.crossNodeMigrations, d).toBe(0);
    }
    const dm = clean(vfioLongtermPins, p, DM_GUP);
    expect(dm.contiguity.cma).toMatchObject({ success: 8, failure: 0 });
    expect(dm.pinnedMigration.crossNodeMigrations).toBe(2048);
    expect(dm.pinnedMigration.ownerMigrations).toBe(2048);
    // Register and unregister of the vfio pin (2), then a lookup and a repoint per page moved.
    expect(dm.pinnedMigration.globalLockAcquisitions).toBeGreaterThanOrEqual(2 + 2 * 2048);
  }, 60_000); // five checked replays
});

describe("LaHaise: 'how O_DIRECT pins pages'", () => {
  it('in-flight requests fail one cma_alloc in every design but DM with coverGup, which pays two global-lock acquisitions per request for it', () => {
    const p = { memoryMiB: 64, cmaMiB: 40, poolMiB: 16, ios: 100 };
    for (const d of ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15']) {
      const r = clean(odirectUnderCompaction, p, d);
      expect(r.contiguity.cma, d).toMatchObject({ success: 3, failure: 1, causes: { pinned: 1 } });
      expect(r.pinnedMigration.globalLockAcquisitions, d).toBe(0);
    }
    const dm = clean(odirectUnderCompaction, p, DM_GUP);
    expect(dm.contiguity.cma).toMatchObject({ success: 4, failure: 0 });
    // 100 dio requests (2 each) and 4 rounds of 8 in-flight requests (2 each), plus the lookups and repoints of the moves.
    expect(dm.pinnedMigration.globalLockAcquisitions).toBeGreaterThanOrEqual(2 * 100 + 2 * 32);
  }, 60_000); // five checked replays of ~1,000 events each, with the invariant walk after every event
});

describe('camera-cma-burst', () => {
  it('the global lock and the hash cost only under owner-handlers: each zswap page registers and unregisters once', () => {
    const p = { memoryMiB: 64, cmaMiB: 16, zswapPages: 2048, burstMiB: 8 };
    const dm = clean(cameraCmaBurst, p, 'minchan-2013');
    expect(dm.pinnedMigration.globalLockAcquisitions).toBeGreaterThanOrEqual(2 * 2048);
    expect(dm.pinnedMigration.hashBuckets).toBe(1024);
    expect(dm.pinnedMigration.hashMaxChain).toBeGreaterThan(1);
    for (const d of ['linux-3.13', 'kozlowski-2013', 'linux-6.15']) {
      const r = clean(cameraCmaBurst, p, d);
      expect([r.pinnedMigration.globalLockAcquisitions, r.pinnedMigration.hashBuckets, r.pinnedMigration.hashMaxChain], d).toEqual([0, 0, 0]);
    }
  }, 60_000); // four checked replays

  it('zbud pages never enter a CMA pageblock, in any design', () => {
    for (const d of ['linux-3.13', 'minchan-2013', 'kozlowski-2013', 'linux-6.15'])
      expect(clean(cameraCmaBurst, { memoryMiB: 64, cmaMiB: 16, zswapPages: 2048, burstMiB: 8 }, d).contiguity.pageblocks.unmovableInCma, d).toBe(0);
  }, 60_000); // four checked replays
});
