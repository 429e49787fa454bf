import { applyEvent, checkInvariants, site, testKernel } from '@pagelab/kernel-core';
import { describe, expect, it } from 'vitest';
import { descriptor } from './index.js';

const MB = 1 << 20;

function cmaFullOfDriverPages(movable: boolean) {
  // 16 MiB with 8 MiB of CMA; movable driver pages may be placed in CMA, unmovable ones never.
  const k = testKernel({
    config: { memory: 16 * MB, cma: 8 * MB },
    settings: { 'thp.enabled': 'never' },
    policies: { pinnedMigration: descriptor.create({}) },
  });
  applyEvent(k, { type: 'driver_alloc', owner: movable ? 'zsmalloc' : 'zbud', pages: 3000, handle: 'pool', movable });
  return k;
}

describe('movable-ops (DA)', () => {
  it('zsmalloc pages in the CMA area migrate out under the pool, class and zspage locks, and CMA succeeds', () => {
    const k = cmaFullOfDriverPages(true);
    const inCma = Array.from(k.drivers.get('pool')!.pfns).filter((p) => p >= k.buddy.cmaStart).length;
    expect(inCma).toBeGreaterThan(0);
    const before = k.ledger.atSite(site('zs_page_migrate.class_lock'));
    applyEvent(k, { type: 'alloc_contig', pages: 1024, cma: true, handle: 'camera' });
    expect(checkInvariants(k)).toEqual([]);
    expect(k.outcomes.get('cma_alloc').ok).toBe(1);
    expect(k.ledger.atSite(site('zs_page_migrate.class_lock')) - before).toBeGreaterThan(0);
  });

  it('a driver page without movable ops (zbud) is still busy', () => {
    const p = descriptor.create({});
    const k = cmaFullOfDriverPages(false);
    const pfn = k.drivers.get('pool')!.pfns[0]!;
    expect(p.migrateDriverPage(k, pfn)).toBe('busy');
  });
});
